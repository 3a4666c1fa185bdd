#include "worker/enqueue_collector.h"

#include "quarry/fanout/enqueue.h"
#include "quarry/json/parse.h"

namespace quarry::temporal {

using nlohmann::json;

void EnqueueCollector::OnEvent(const Event& event) {
  if (event.Type() != "enqueue") return;
  std::optional<fanout::EnqueueRequest> req = fanout::ParseEnqueue(event);
  std::lock_guard<std::mutex> lock(mu_);
  ++received_;
  if (!req) {
    ++invalid_;
    return;
  }
  // The first requests that fit, in event order: once one is left out, so are all later ones.
  if (omitted_ > 0 || static_cast<int64_t>(tasks_.size()) >= caps_.max_tasks) {
    ++omitted_;
    return;
  }
  // params_json is the canonical text ParseEnqueue made from a decoded payload: it parses.
  auto params = ::quarry::json::ParseJson(req->params_json, "enqueue params", 256);
  json task = {{"target", req->target},
               {"params", params.ok() ? *params : json::object()},
               {"event_id", req->event_id}};
  if (!req->source.empty()) task["source"] = req->source;
  if (!req->category.empty()) task["category"] = req->category;
  const int64_t size =
      static_cast<int64_t>(task.dump(-1, ' ', false, json::error_handler_t::replace).size()) + 1;
  if (bytes_ + size > caps_.max_bytes) {
    ++omitted_;
    return;
  }
  bytes_ += size;
  tasks_.push_back(std::move(task));
}

int64_t EnqueueCollector::omitted() const {
  std::lock_guard<std::mutex> lock(mu_);
  return omitted_;
}

void EnqueueCollector::AddTo(json* result) const {
  if (!result || !result->is_object()) return;
  std::lock_guard<std::mutex> lock(mu_);
  (*result)["enqueue_received"] = received_;
  (*result)["enqueue_invalid"] = invalid_;
  (*result)["enqueued"] = tasks_;
  (*result)["enqueued_omitted"] = omitted_;
}

}  // namespace quarry::temporal
