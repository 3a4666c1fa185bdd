#include "quarry/lode/run_writer.h"

#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include "lode/committer.h"
#include "lode/manifest.h"
#include "lode/partition.h"
#include "lode/records.h"
#include "lode/store_error.h"
#include "quarry/json/canonical_json.h"

namespace quarry::lode {
namespace {

constexpr size_t kMaxSidecarBytes = 8388608;
// §4.3: the content-type companion of sidecar `x` is `x.meta.json`, a name the layout fixes.
constexpr std::string_view kSidecarMetaSuffix = ".meta.json";

// Where each IPC chunk's pieces start in an artifact's piece numbering (§4.9), so that a chunk
// written again gets the same piece seq values as the first time.
struct ChunkPieces {
  int64_t first_seq = 0;
  int64_t count = 0;
};

// §4.12 plus what keeps the stored layout unambiguous: a name ending in ".meta.json" would take the
// place of another sidecar's companion (the layout fixes that name, so refusing it is the only
// compatible way), and a name that is not UTF-8 could not be named by the manifest's JSON.
Status CheckSidecarFilename(std::string_view filename) {
  if (filename.empty() || filename.find('/') != std::string_view::npos ||
      filename.find('\\') != std::string_view::npos ||
      filename.find("..") != std::string_view::npos) {
    return InvalidArgumentError("invalid sidecar filename \"" + json::Printable(filename) +
                                "\": must be non-empty without '/', '\\' or '..'");
  }
  if (!json::IsValidUtf8(filename)) {
    return InvalidArgumentError("invalid sidecar filename \"" + json::Printable(filename) +
                                "\": not valid UTF-8, so the manifest could not name it");
  }
  if (filename.ends_with(kSidecarMetaSuffix)) {
    return InvalidArgumentError("invalid sidecar filename \"" + json::Printable(filename) +
                                "\": names ending in \".meta.json\" are reserved for the "
                                "content-type companions of sidecar files");
  }
  return Status::Ok();
}

std::string IndentedRunDescriptor(const RunDescriptor& run) {
  std::string out;
  IndentJson(RunDescriptorJson(run), &out, kRunIndentDepth);
  return out;
}

}  // namespace

class RunWriter::Impl {
 public:
  Impl(std::shared_ptr<Store> store, const RunDescriptor& run, WriterOptions options)
      : store_(std::move(store)),
        run_(run),
        options_(std::move(options)),
        ctx_(run),
        run_indented_(IndentedRunDescriptor(run)),
        run_partition_prefix_(RunPartitionPrefix(run.run_id)),
        line_overhead_(ctx_.Size() + 128),
        committer_(Committer::For(store_, run.dataset)),
        run_status_(ValidateRun(run)) {}

  Status WriteEvents(std::span<const Event> events) {
    if (events.empty()) return Status::Ok();
    for (const Event& ev : events) QUARRY_RETURN_IF_ERROR(CheckPartitionValues(ev));
    QUARRY_RETURN_IF_ERROR(CheckArtifactCommits(events));
    // First the partition of every event and the size of every partition's data file, so each
    // file is built in one allocation (a buffered run's whole output is one write). Consecutive
    // events nearly always share a partition: only a change of type or run_id costs a lookup.
    std::vector<PartitionWrite> parts;
    std::vector<size_t> estimate;  // per part
    std::vector<uint32_t> part_of(events.size());
    std::unordered_map<std::string, size_t> index;  // partition -> position in parts
    std::string_view last_type, last_run_id;
    size_t last = SIZE_MAX;
    for (size_t i = 0; i < events.size(); ++i) {
      const Event& ev = events[i];
      const std::string_view type = ev.Type();
      const std::string_view run_id = ev.Get(ev.run_id);
      if (last == SIZE_MAX || type != last_type || run_id != last_run_id) {
        auto [it, inserted] = index.try_emplace(PartitionPathFor(run_id, type), parts.size());
        if (inserted) {
          PartitionWrite p;
          p.partition = it->first;
          p.readable =
              ReadablePartition(run_.dataset, run_.source, run_.category, run_.day, run_id, type);
          parts.push_back(std::move(p));
          estimate.push_back(0);
        }
        last = it->second;
        last_type = type;
        last_run_id = run_id;
      }
      part_of[i] = static_cast<uint32_t>(last);
      estimate[last] += LineEstimate(ev);
    }
    for (size_t k = 0; k < parts.size(); ++k) parts[k].data.reserve(estimate[k]);
    for (size_t i = 0; i < events.size(); ++i) {
      const Event& ev = events[i];
      PartitionWrite& p = parts[part_of[i]];
      const size_t before = p.data.size();
      QUARRY_RETURN_IF_ERROR(AppendEventLine(ev, ctx_, &p.data));
      const size_t line = p.data.size() - before;
      if (line > kMaxLineBytes) return LineTooLongError(ev, line);
      ++p.rows;
    }
    return Commit(std::move(parts), /*attach_sidecars=*/true);
  }

  Status CheckEvent(const Event& ev) const {
    // No chunks-before-commit check here: a buffering policy writes the chunks only later.
    QUARRY_RETURN_IF_ERROR(CheckPartitionValues(ev));
    // Nearly every event is provably storable from sizes alone; encoding it here as well as at
    // the flush would double a buffering policy's encoding work.
    if (std::optional<size_t> bound = EventLineSizeBound(ev, ctx_);
        bound && *bound <= kMaxLineBytes) {
      return Status::Ok();
    }
    std::string line;
    QUARRY_RETURN_IF_ERROR(AppendEventLine(ev, ctx_, &line));
    if (line.size() > kMaxLineBytes) return LineTooLongError(ev, line.size());
    return Status::Ok();
  }

  Status WriteChunks(std::span<const Chunk> chunks) {
    if (chunks.empty()) return Status::Ok();
    QUARRY_RETURN_IF_ERROR(run_status_);
    PartitionWrite p;
    p.partition = PartitionPathFor(run_.run_id, "artifact");
    p.readable = ReadablePartition(run_.dataset, run_.source, run_.category, run_.day, run_.run_id,
                                   "artifact");
    size_t raw_bytes = 0;
    for (const Chunk& c : chunks) raw_bytes += c.data.size;
    p.data.reserve(raw_bytes / 3 * 4 + chunks.size() * 256);
    for (const Chunk& c : chunks) {
      const std::string_view data = c.Data();
      const int64_t pieces =
          data.empty() ? 1
                       : static_cast<int64_t>((data.size() + kMaxPieceBytes - 1) / kMaxPieceBytes);
      const int64_t first = FirstPieceSeq(c.ArtifactId(), c.seq, pieces);
      for (int64_t i = 0; i < pieces; ++i) {
        const size_t off = static_cast<size_t>(i) * kMaxPieceBytes;
        const std::string_view piece = data.substr(off, kMaxPieceBytes);
        AppendChunkPieceLine(ctx_, c.ArtifactId(), first + i, c.is_last && i + 1 == pieces,
                             c.offset + off, piece, &p.data);
        ++p.rows;
      }
    }
    std::vector<PartitionWrite> parts;
    parts.push_back(std::move(p));
    // Chunk snapshots never carry sidecar references (§4.12).
    QUARRY_RETURN_IF_ERROR(Commit(std::move(parts), /*attach_sidecars=*/false));
    std::lock_guard<std::mutex> lock(mu_);
    for (const Chunk& c : chunks) chunks_written_.emplace(c.ArtifactId());
    return Status::Ok();
  }

  StatusOr<std::string> PutSidecar(std::string_view filename, std::string_view content_type,
                                   std::string_view data) {
    QUARRY_RETURN_IF_ERROR(run_status_);
    QUARRY_RETURN_IF_ERROR(CheckSidecarFilename(filename));
    if (data.size() > kMaxSidecarBytes) {
      return InvalidArgumentError("sidecar file " + std::string(filename) + " has " +
                                  std::to_string(data.size()) +
                                  " bytes; the limit is 8388608 bytes");
    }
    std::string path = SidecarPath(run_, filename);
    // The two puts run on the caller's thread: their request retries are counted from its
    // counter on every way out.
    const uint64_t retries_before = StoreRequestRetriesOnThisThread();
    struct CountRetries {
      std::atomic<uint64_t>* total;
      uint64_t before;
      ~CountRetries() {
        total->fetch_add(StoreRequestRetriesOnThisThread() - before, std::memory_order_relaxed);
      }
    } count_retries{&retries_, retries_before};
    std::string meta = "{\"content_type\":";
    json::AppendString(content_type, &meta);
    meta.push_back('}');
    const std::string meta_path = path + std::string(kSidecarMetaSuffix);
    // Both objects or neither: a put that fails after its own object appeared (e.g. a failed
    // directory sync) or whose companion cannot be written removes what it created. An
    // AlreadyExists answer means the object is someone else's and stays.
    Status st = store_->Put(path, data);
    if (!st.ok()) {
      if (st.code() != StatusCode::kAlreadyExists) (void)store_->Delete(path);
      return WrapStorageError("write", path, st);
    }
    st = store_->Put(meta_path, meta);
    if (!st.ok()) {
      if (st.code() != StatusCode::kAlreadyExists) (void)store_->Delete(meta_path);
      std::string message = WrapStorageError("write", meta_path, st).message();
      if (Status removed = store_->Delete(path); !removed.ok()) {
        message += "; the sidecar file was left behind: " + removed.message();
      }
      return Status(st.code(), std::move(message));
    }
    std::lock_guard<std::mutex> lock(mu_);
    sidecars_.push_back({path, std::string(filename), std::string(content_type), data.size()});
    return path;
  }

  Status WriteMetrics(std::string_view fields_json) {
    QUARRY_RETURN_IF_ERROR(run_status_);
    PartitionWrite p;
    p.partition = PartitionPathFor(run_.run_id, "metrics");
    p.readable = ReadablePartition(run_.dataset, run_.source, run_.category, run_.day, run_.run_id,
                                   "metrics");
    if (fields_json.empty() || fields_json.front() != '{' || fields_json.back() != '}') {
      return InvalidArgumentError("metrics record is not a JSON object");
    }
    if (fields_json.size() + 1 > kMaxLineBytes) {
      return InvalidArgumentError("metrics record encodes to " +
                                  std::to_string(fields_json.size() + 1) +
                                  " bytes; stored lines are limited to 10485760 bytes");
    }
    p.data.reserve(fields_json.size() + 1);
    p.data.append(fields_json).push_back('\n');
    p.rows = 1;
    std::vector<PartitionWrite> parts;
    parts.push_back(std::move(p));
    return Commit(std::move(parts), /*attach_sidecars=*/true);
  }

  uint64_t retries() const { return retries_.load(std::memory_order_relaxed); }

 private:
  // Slightly above the usual line length: the JSON of a msgpack payload is a little longer than
  // the payload, and the run's literals and the keys add a fixed part. Only sizes an allocation.
  size_t LineEstimate(const Event& ev) const {
    const size_t raw = ev.raw ? ev.raw->size() : 512;
    return raw + raw / 4 + line_overhead_;
  }

  // The escaped partition path up to "event_type=" for this run's own run_id, reused for every
  // record whose envelope carries that id (all of them, in a valid stream).
  std::string RunPartitionPrefix(std::string_view run_id) const {
    std::string p = PartitionPath(run_.source, run_.category, run_.day, run_id, "");
    return p;
  }

  std::string PartitionPathFor(std::string_view run_id, std::string_view event_type) const {
    if (run_id != run_.run_id) {
      return PartitionPath(run_.source, run_.category, run_.day, run_id, event_type);
    }
    std::string p = run_partition_prefix_;
    AppendEscapedPartitionValue(event_type, &p);
    return p;
  }

  // §4.4: a record without one of the five partition values cannot be written.
  static Status ValidateRun(const RunDescriptor& run) {
    if (run.dataset.empty() || run.dataset == "." || run.dataset == ".." ||
        run.dataset.find('/') != std::string::npos) {
      return InvalidArgumentError("invalid dataset id \"" + run.dataset +
                                  "\": must be one non-empty path segment");
    }
    for (const auto& [key, value] :
         {std::pair<const char*, const std::string&>{"source", run.source},
          {"category", run.category},
          {"day", run.day},
          {"run_id", run.run_id}}) {
      if (value.empty()) {
        return InvalidArgumentError(std::string("record cannot be written: missing ") + key);
      }
    }
    return Status::Ok();
  }

  Status CheckPartitionValues(const Event& ev) const {
    QUARRY_RETURN_IF_ERROR(run_status_);
    if (ev.Get(ev.run_id).empty() || ev.Type().empty()) {
      return InvalidArgumentError("event seq " + std::to_string(ev.seq) +
                                  " cannot be written: missing run_id or type");
    }
    return Status::Ok();
  }

  // §4.10: checked for the whole batch before anything is written.
  Status CheckArtifactCommits(std::span<const Event> events) const {
    std::lock_guard<std::mutex> lock(mu_);
    for (const Event& ev : events) {
      if (ev.Type() != "artifact") continue;
      const std::string_view id = ev.has_artifact_id ? ev.Get(ev.artifact_id) : "";
      if (id.empty()) {
        return FailedPreconditionError("artifact commit rejected: missing or empty artifact_id");
      }
      if (chunks_written_.find(std::string(id)) == chunks_written_.end()) {
        return FailedPreconditionError(
            "artifact commit rejected: no chunks written for artifact: " + std::string(id));
      }
    }
    return Status::Ok();
  }

  int64_t FirstPieceSeq(std::string_view artifact_id, int64_t ipc_seq, int64_t pieces) {
    std::lock_guard<std::mutex> lock(mu_);
    auto& chunks = pieces_[std::string(artifact_id)];
    if (auto it = chunks.find(ipc_seq); it != chunks.end()) return it->second.first_seq;
    int64_t first = 1;
    if (auto prev = chunks.find(ipc_seq - 1); prev != chunks.end()) {
      first = prev->second.first_seq + prev->second.count;
    } else if (ipc_seq > 1) {
      // The previous chunk was never seen here; assume it and its predecessors were unsplit.
      int64_t extra = 0;
      for (const auto& [seq, known] : chunks) {
        if (seq < ipc_seq) extra += known.count - 1;
      }
      first = ipc_seq + extra;
    }
    chunks[ipc_seq] = {first, pieces};
    return first;
  }

  Status Commit(std::vector<PartitionWrite> parts, bool attach_sidecars) {
    // The committer relies on one writer never having two writes in flight (its order is the
    // run's order, and sidecar references are handed to exactly one snapshot). A metrics write can
    // arrive while an end-of-run flush that outlived its timeout is still writing; it waits here.
    std::lock_guard<std::mutex> writing(write_mu_);
    CommitRequest req;
    req.parts = std::move(parts);
    req.run_indented = &run_indented_;
    req.options = &options_;
    if (attach_sidecars) {
      std::lock_guard<std::mutex> lock(mu_);
      req.sidecars = sidecars_;
    }
    committer_->Submit(&req);
    retries_.fetch_add(req.retries, std::memory_order_relaxed);
    if (req.status.ok() && !req.sidecars.empty()) {
      // Only the references this snapshot carried; puts made meanwhile stay queued.
      std::lock_guard<std::mutex> lock(mu_);
      sidecars_.erase(sidecars_.begin(),
                      sidecars_.begin() + static_cast<std::ptrdiff_t>(req.sidecars.size()));
    }
    return req.status;
  }

  const std::shared_ptr<Store> store_;
  const RunDescriptor& run_;
  const WriterOptions options_;
  const RecordContext ctx_;
  const std::string run_indented_;
  const std::string run_partition_prefix_;
  const size_t line_overhead_;
  const std::shared_ptr<Committer> committer_;
  const Status run_status_;
  std::atomic<uint64_t> retries_{0};

  std::mutex write_mu_;  // held for a whole commit; taken before mu_ and the committer's lock
  // File writes may arrive on the ingestion thread while a policy flush runs on another.
  mutable std::mutex mu_;
  std::vector<SidecarRef> sidecars_;
  std::unordered_set<std::string> chunks_written_;
  std::unordered_map<std::string, std::unordered_map<int64_t, ChunkPieces>> pieces_;
};

RunWriter::RunWriter(std::shared_ptr<Store> store, RunDescriptor run, WriterOptions options)
    : run_(std::move(run)),
      impl_(std::make_unique<Impl>(std::move(store), run_, std::move(options))) {}

RunWriter::~RunWriter() = default;

Status RunWriter::WriteEvents(std::span<const Event> events) { return impl_->WriteEvents(events); }
Status RunWriter::CheckEvent(const Event& event) const { return impl_->CheckEvent(event); }
Status RunWriter::WriteChunks(std::span<const Chunk> chunks) { return impl_->WriteChunks(chunks); }
StatusOr<std::string> RunWriter::PutSidecar(std::string_view filename,
                                            std::string_view content_type, std::string_view data) {
  return impl_->PutSidecar(filename, content_type, data);
}
Status RunWriter::WriteMetrics(std::string_view fields_json) {
  return impl_->WriteMetrics(fields_json);
}
uint64_t RunWriter::retries() const { return impl_->retries(); }

}  // namespace quarry::lode
