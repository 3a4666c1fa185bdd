// Where a policy writes: batches of events and batches of chunks, in ingest order.
#pragma once

#include <span>

#include "quarry/event.h"
#include "quarry/status.h"

namespace quarry {

// Thread-compatible: one policy calls it from one flush at a time.
class BatchSink {
 public:
  virtual ~BatchSink() = default;
  virtual Status WriteEvents(std::span<const Event> events) = 0;
  virtual Status WriteChunks(std::span<const Chunk> chunks) = 0;
  // Whether `event` could be stored at all (e.g. no NaN, no line over the storage limit), without
  // writing it. Policies that hold events until a later flush call it at admission, so an
  // unstorable event fails the run when it arrives rather than failing a whole flush later.
  virtual Status CheckEvent(const Event& /*event*/) const { return Status::Ok(); }
};

}  // namespace quarry
