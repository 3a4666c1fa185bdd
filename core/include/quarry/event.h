// Decoded frames as they travel from the IPC reader through the policy to storage.
//
// A frame's payload bytes are read once into an owned buffer; every decoded field is a Slice
// (offset, length) into that buffer, so decoding copies nothing and moving a frame never
// invalidates its fields. Events and chunks keep the buffer alive for as long as a policy
// retains them.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace quarry {

// A byte range inside an owned frame buffer.
struct Slice {
  uint32_t offset = 0;
  uint32_t size = 0;
};

// Owned payload bytes of one frame. Shared so an event can be handed to several consumers
// (policy buffer, event sinks) without copying.
using FrameBytes = std::shared_ptr<const std::string>;

inline std::string_view View(const std::string& buf, Slice s) {
  return std::string_view(buf).substr(s.offset, s.size);
}

// Event types the policies may drop (storage-and-policies.md §3.2).
bool IsDroppableEventType(std::string_view type);
bool IsTerminalEventType(std::string_view type);

// One event envelope (executor-contract.md §9).
struct Event {
  FrameBytes raw;  // the whole msgpack payload of the frame

  Slice contract_version;
  Slice event_id;
  Slice run_id;
  Slice type;
  Slice ts;
  Slice payload;        // msgpack bytes of the `payload` map value
  Slice job_id;         // valid iff has_job_id
  Slice parent_run_id;  // valid iff has_parent_run_id
  int64_t seq = 0;
  int64_t attempt = 0;
  uint32_t payload_keys = 0;  // number of top-level keys in `payload`
  bool has_job_id = false;
  bool has_parent_run_id = false;

  // Filled only for type == "artifact" (executor-contract.md §12.2). size_bytes accepts any
  // integer width and integral float64; has_size_bytes is false when absent or not numeric.
  Slice artifact_id;
  Slice artifact_name;
  Slice artifact_content_type;
  uint64_t artifact_size_bytes = 0;
  bool has_artifact_id = false;
  bool has_artifact_size_bytes = false;

  std::string_view Get(Slice s) const { return View(*raw, s); }
  std::string_view Type() const { return Get(type); }
  bool Droppable() const { return IsDroppableEventType(Type()); }
  // Policy size estimate: 200 + 50 x top-level payload keys (storage-and-policies.md §3.3).
  uint64_t EstimatedSize() const { return 200 + 50ull * payload_keys; }
};

// One artifact chunk frame (executor-contract.md §6.3). `offset` is its byte position in the
// artifact, assigned by the runtime's artifact accumulator.
struct Chunk {
  FrameBytes raw;
  Slice artifact_id;
  Slice data;
  int64_t seq = 0;
  bool is_last = false;
  uint64_t offset = 0;

  std::string_view Get(Slice s) const { return View(*raw, s); }
  std::string_view ArtifactId() const { return Get(artifact_id); }
  std::string_view Data() const { return Get(data); }
};

// A sidecar upload (executor-contract.md §6.5).
struct FileWrite {
  FrameBytes raw;
  uint32_t write_id = 0;
  Slice filename;
  Slice content_type;
  Slice data;

  std::string_view Get(Slice s) const { return View(*raw, s); }
};

// The executor's control frame with its own view of the outcome (§6.4). Optional strings are
// absent when missing or nil.
struct RunResultFrame {
  std::string status;  // completed | error | crash (or unknown text from a foreign executor)
  std::optional<std::string> message;
  std::optional<std::string> error_type;
  std::optional<std::string> stack;
  // proxy_used, if present: protocol/host/port/username (never a password).
  bool has_proxy_used = false;
  std::string proxy_protocol;
  std::string proxy_host;
  int64_t proxy_port = 0;
  std::optional<std::string> proxy_username;
};

}  // namespace quarry
