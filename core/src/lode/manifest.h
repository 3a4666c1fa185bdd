// Manifest JSON (storage-and-policies.md §4.5) and the run descriptor (§4.13).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace quarry::lode {

struct RunDescriptor;
struct SidecarRef;

struct FileRef {
  std::string path;
  uint64_t size_bytes = 0;
};

struct ManifestFields {
  std::string_view dataset_id;
  std::string_view snapshot_id;
  int64_t created_at_unix_ns = 0;
  // Descriptor objects in snapshot order, already indented for their place in the manifest
  // (IndentJson with base depth kRunIndentDepth), so a writer indents its descriptor once.
  std::span<const std::string> runs_indented;
  std::span<const SidecarRef> sidecars;
  std::span<const FileRef> files;       // sorted by path
  std::string_view parent_snapshot_id;  // "" = first snapshot, key omitted
  uint64_t row_count = 0;
};

inline constexpr int kRunIndentDepth = 3;

// The manifest bytes as stored: 2-space indentation, keys in §4.5 order, no trailing newline.
std::string BuildManifestJson(const ManifestFields& m);

// The §4.13 descriptor as one compact JSON object with sorted keys; the fan-out link keys
// (`enqueued_by_event_id`, `enqueued_by_run_id`, `fanout_depth`) only for child runs.
std::string RunDescriptorJson(const RunDescriptor& run);

// RFC 3339 UTC with up to 9 fractional digits, trailing zeros (and a bare '.') trimmed.
std::string FormatRfc3339Nanos(int64_t unix_ns);

// Re-indents compact JSON the way Go's json.Indent(prefix "", indent "  ") does: empty objects
// and arrays stay "{}" / "[]", a space follows every ':'. `base_depth` is the nesting level the
// value sits at inside an enclosing indented document.
void IndentJson(std::string_view compact, std::string* out, int base_depth = 0);

}  // namespace quarry::lode
