// Enqueue events and a scripted child launcher for the fan-out operator tests: children "run"
// by emitting the enqueue events their target is scripted with, so the operator's rules are
// tested without an executor or Chromium.
#pragma once

#include <gtest/gtest.h>
#include <poll.h>

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "quarry/fanout/operator.h"
#include "test_frames.h"

namespace quarry::fanout_testing {

namespace detail {

inline void PackJson(policy_testing::detail::Packer& p, const nlohmann::json& j) {
  if (j.is_object()) {
    p.pack_map(static_cast<uint32_t>(j.size()));
    for (const auto& [k, v] : j.items()) {
      policy_testing::detail::Str(p, k);
      PackJson(p, v);
    }
  } else if (j.is_array()) {
    p.pack_array(static_cast<uint32_t>(j.size()));
    for (const auto& v : j) PackJson(p, v);
  } else if (j.is_string()) {
    policy_testing::detail::Str(p, j.get<std::string>());
  } else if (j.is_boolean()) {
    p.pack(j.get<bool>());
  } else if (j.is_number_integer()) {
    p.pack_int64(j.get<int64_t>());
  } else if (j.is_number_float()) {
    p.pack_double(j.get<double>());
  } else {
    p.pack_nil();
  }
}

}  // namespace detail

// An accepted event of type `type` whose payload is `payload`.
inline Event EventWith(std::string_view type, const nlohmann::json& payload, int64_t seq = 1) {
  return policy_testing::EventFrom(policy_testing::EnvelopePayload(
      type, seq, [&](policy_testing::detail::Packer& p) { detail::PackJson(p, payload); }));
}

inline Event Enqueue(const std::string& target, nlohmann::json params = nlohmann::json::object(),
                     const std::string& source = "", const std::string& category = "") {
  nlohmann::json payload = {{"target", target}, {"params", std::move(params)}};
  if (!source.empty()) payload["source"] = source;
  if (!category.empty()) payload["category"] = category;
  return EventWith("enqueue", payload);
}

// A launcher whose children emit scripted enqueue events. Outcomes per target: a list consumed
// one per attempt (the last one repeats); success when none is given. A target in `block` waits
// until its run is cancelled.
class ScriptedLauncher : public fanout::ChildLauncher {
 public:
  struct Call {
    fanout::Task task;
    fanout::Attempt attempt;
  };

  std::map<std::string, std::vector<nlohmann::json>> emits;  // target -> enqueue payloads
  std::map<std::string, std::vector<run::Outcome>> outcomes;
  std::set<std::string> block;

  fanout::AttemptResult Run(const fanout::Task& task, const fanout::Attempt& attempt,
                            const std::function<void(const Event&)>& on_event,
                            run::CancelToken* cancel) override {
    size_t n;
    {
      std::lock_guard lk(mu);
      calls.push_back({task, attempt});
      n = attempts_of[task.target]++;
      ++running;
      max_running = std::max(max_running, running);
    }
    cv.notify_all();
    // find(), not operator[]: workers read the script concurrently.
    if (auto it = emits.find(task.target); it != emits.end()) {
      for (const auto& payload : it->second) on_event(EventWith("enqueue", payload));
    }
    if (block.contains(task.target)) {
      pollfd fd{cancel->fd(), POLLIN, 0};
      while (!cancel->cancelled()) ::poll(&fd, 1, 1000);
    }
    fanout::AttemptResult r;
    r.outcome = run::Outcome::kSuccess;
    if (auto it = outcomes.find(task.target); it != outcomes.end() && !it->second.empty()) {
      r.outcome = it->second[std::min(n, it->second.size() - 1)];
    }
    if (cancel->cancelled()) r.outcome = run::Outcome::kExecutorCrash;
    r.events = 2;
    r.duration_ms = 5;
    {
      std::lock_guard lk(mu);
      --running;
    }
    return r;
  }

  // Waits until `count` attempts have started.
  void WaitForCalls(size_t count) {
    std::unique_lock lk(mu);
    ASSERT_TRUE(cv.wait_for(lk, std::chrono::seconds(10), [&] { return calls.size() >= count; }))
        << "only " << calls.size() << " of " << count << " children started";
  }

  std::vector<Call> Calls() {
    std::lock_guard lk(mu);
    return calls;
  }

  std::mutex mu;
  std::condition_variable cv;
  std::vector<Call> calls;
  std::map<std::string, size_t> attempts_of;
  int running = 0;
  int max_running = 0;
};

// Records what the operator tells a journal, in order.
class RecordingRecorder : public fanout::Recorder {
 public:
  void OnTask(const fanout::Task& t) override {
    std::lock_guard lk(mu);
    log.push_back("task " + t.target);
  }
  Status OnStart(const fanout::Task& t, const fanout::Attempt& a) override {
    std::lock_guard lk(mu);
    log.push_back("start " + t.target + " #" + std::to_string(a.attempt));
    return Status::Ok();
  }
  void OnEnd(const fanout::Task& t, const fanout::Attempt& a,
             const fanout::AttemptResult& r) override {
    std::lock_guard lk(mu);
    log.push_back("end " + t.target + " #" + std::to_string(a.attempt) + " " +
                  std::string(run::OutcomeName(r.outcome)) + (r.canceled ? " canceled" : ""));
  }
  std::mutex mu;
  std::vector<std::string> log;
};

}  // namespace quarry::fanout_testing
