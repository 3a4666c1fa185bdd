// Wire format of the executor pipe (executor-contract.md §4–§6). docs/ipc-format.md has the
// prose version with annotated example bytes.
//
//   +--------------------------+--------------------------------+
//   | length: uint32, big-end. | payload: `length` bytes        |
//   +--------------------------+--------------------------------+
//
// The payload is one msgpack map with string keys whose "type" entry selects the frame kind:
//   "artifact_chunk"  artifact bytes        {type, artifact_id, seq, is_last, data(bin)}
//   "file_write"      sidecar upload        {type, write_id, filename, content_type, data(bin)}
//   "run_result"      executor outcome      {type, outcome{status,message,error_type,stack},
//   proxy_used?} "file_write_ack"  runtime -> executor   {type, write_id(uint32 0xce), ok, error?}
//   anything else     event envelope        {contract_version, event_id, run_id, seq, type, ts,
//                                            payload(map), attempt, job_id?, parent_run_id?}
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace quarry::ipc {

inline constexpr size_t kLengthPrefixSize = 4;
inline constexpr uint32_t kMaxFrameSize = 16'777'216;                           // prefix + payload
inline constexpr uint32_t kMaxPayloadSize = kMaxFrameSize - kLengthPrefixSize;  // 16,777,212
inline constexpr size_t kMaxChunkSize = 8'388'608;           // raw bytes in one chunk / file_write
inline constexpr uint64_t kMaxArtifactSize = 1'073'741'824;  // total bytes of one artifact

// Wire contract spoken by our executor; the runtime accepts any 0.13.x (Decision D1).
inline constexpr std::string_view kContractVersion = "0.13.4";
inline constexpr std::string_view kAcceptedContractMajorMinor = "0.13";

inline constexpr std::string_view kTypeArtifactChunk = "artifact_chunk";
inline constexpr std::string_view kTypeFileWrite = "file_write";
inline constexpr std::string_view kTypeRunResult = "run_result";
inline constexpr std::string_view kTypeFileWriteAck = "file_write_ack";

}  // namespace quarry::ipc
