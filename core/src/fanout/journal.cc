#include "quarry/fanout/journal.h"

#include <algorithm>
#include <chrono>
#include <map>

#include "quarry/json/canonical_json.h"
#include "quarry/json/parse.h"
#include "quarry/lode/run_writer.h"
#include "quarry/log.h"

namespace quarry::fanout {
namespace {

constexpr int kFormat = 1;
constexpr size_t kSeqDigits = 20;
// Params were parsed from an enqueue payload with the decoder's depth limit; a little headroom
// for the record around them.
constexpr int kMaxRecordDepth = 300;

std::string SeqName(uint64_t seq) {
  std::string digits = std::to_string(seq);
  return std::string(kSeqDigits - digits.size(), '0') + digits + ".jsonl";
}

// The sequence number of a journal object name, nullopt for anything else (a temporary file left
// by a killed writer, say).
std::optional<uint64_t> ParseSeqName(std::string_view name) {
  if (name.size() != kSeqDigits + 6 || !name.ends_with(".jsonl")) return std::nullopt;
  uint64_t seq = 0;
  for (size_t i = 0; i < kSeqDigits; ++i) {
    if (name[i] < '0' || name[i] > '9') return std::nullopt;
    seq = seq * 10 + static_cast<uint64_t>(name[i] - '0');
  }
  return seq;
}

std::string Quoted(std::string_view s) {
  std::string out;
  json::AppendString(s, &out);
  return out;
}

std::optional<run::Outcome> OutcomeFromName(std::string_view name) {
  for (run::Outcome o :
       {run::Outcome::kSuccess, run::Outcome::kScriptError, run::Outcome::kExecutorCrash,
        run::Outcome::kPolicyFailure, run::Outcome::kVersionMismatch}) {
    if (run::OutcomeName(o) == name) return o;
  }
  return std::nullopt;
}

void AddAttempt(json::ObjectBuilder& b, const Attempt& a) {
  b.AddString("run_id", a.run_id).AddInt("attempt", a.attempt);
  if (a.parent_run_id) b.AddString("parent_run_id", *a.parent_run_id);
}

std::string StartLine(const Task* task, const Attempt& a) {
  json::ObjectBuilder b;
  b.AddString("kind", "start");
  if (task != nullptr) {
    b.AddString("key", task->key);
  } else {
    b.AddBool("root", true);
  }
  AddAttempt(b, a);
  return b.Build();
}

std::string EndLine(const Task* task, const Attempt& a, const AttemptResult& r) {
  json::ObjectBuilder b;
  b.AddString("kind", "end");
  if (task != nullptr) {
    b.AddString("key", task->key);
  } else {
    b.AddBool("root", true);
  }
  AddAttempt(b, a);
  b.AddString("outcome", run::OutcomeName(r.outcome))
      .AddInt("events", r.events)
      .AddInt("duration_ms", r.duration_ms)
      .AddString("message", r.message);
  if (r.canceled) b.AddBool("canceled", true);
  return b.Build();
}

Attempt ReadAttempt(const nlohmann::json& j) {
  Attempt a;
  a.run_id = json::StringOr(j, "run_id", "");
  a.attempt = json::IntOr(j, "attempt", 1);
  if (auto p = j.find("parent_run_id"); p != j.end() && p->is_string()) {
    a.parent_run_id = p->get<std::string>();
  }
  return a;
}

// Folds one journal line into `state`. `where` names the object and line for errors.
Status ApplyLine(const nlohmann::json& j, const std::string& where, JournalState* state,
                 std::map<std::string, size_t>* task_index, bool* have_header) {
  auto bad = [&](const std::string& why) {
    return DataLossError("fan-out journal " + where + ": " + why);
  };
  if (!j.is_object()) return bad("not a JSON object");
  const std::string kind = json::StringOr(j, "kind", "");
  if (kind == "crawl") {
    if (*have_header) return bad("a second crawl header");
    if (json::IntOr(j, "format", 0) != kFormat) {
      return bad("unknown journal format " + std::to_string(json::IntOr(j, "format", 0)));
    }
    CrawlHeader& h = state->header;
    h.root_run_id = json::StringOr(j, "root_run_id", "");
    h.root_attempt = json::IntOr(j, "root_attempt", 1);
    h.script = json::StringOr(j, "script", "");
    auto job = j.find("job");
    h.job_json = job != j.end() && job->is_object() ? job->dump() : "{}";
    if (auto id = j.find("job_id"); id != j.end() && id->is_string()) {
      h.job_id = id->get<std::string>();
    }
    h.source = json::StringOr(j, "source", "");
    h.category = json::StringOr(j, "category", "");
    h.depth = json::IntOr(j, "depth", 0);
    h.max_runs = json::IntOr(j, "max_runs", 0);
    h.created_at = json::StringOr(j, "created_at", "");
    *have_header = true;
    return Status::Ok();
  }
  if (!*have_header) return bad("a record before the crawl header");
  if (kind == "task") {
    JournalTask t;
    t.task.key = json::StringOr(j, "key", "");
    t.task.target = json::StringOr(j, "target", "");
    auto params = j.find("params");
    t.task.params_json = params != j.end() && params->is_object() ? params->dump() : "{}";
    t.task.source = json::StringOr(j, "source", "");
    t.task.category = json::StringOr(j, "category", "");
    t.task.link.enqueued_by_run_id = json::StringOr(j, "enqueued_by_run_id", "");
    t.task.link.enqueued_by_event_id = json::StringOr(j, "enqueued_by_event_id", "");
    t.task.link.depth = json::IntOr(j, "depth", 0);
    if (t.task.key.empty() || t.task.target.empty()) return bad("a task without key or target");
    if (task_index->contains(t.task.key)) return bad("task " + t.task.key + " recorded twice");
    (*task_index)[t.task.key] = state->tasks.size();
    state->tasks.push_back(std::move(t));
    return Status::Ok();
  }
  if (kind != "start" && kind != "end") return bad("unknown record kind \"" + kind + "\"");
  std::vector<JournalAttempt>* attempts = nullptr;
  if (j.contains("root")) {
    attempts = &state->root_attempts;
  } else {
    auto it = task_index->find(json::StringOr(j, "key", ""));
    if (it == task_index->end()) return bad(kind + " of an unknown task");
    attempts = &state->tasks[it->second].attempts;
  }
  Attempt a = ReadAttempt(j);
  if (a.run_id.empty()) return bad(kind + " without run_id");
  if (kind == "start") {
    attempts->push_back({std::move(a), false, {}});
    return Status::Ok();
  }
  auto it = std::find_if(attempts->begin(), attempts->end(),
                         [&](const JournalAttempt& x) { return x.attempt.run_id == a.run_id; });
  if (it == attempts->end()) return bad("end of run " + a.run_id + " that never started");
  std::optional<run::Outcome> outcome = OutcomeFromName(json::StringOr(j, "outcome", ""));
  if (!outcome) return bad("end of run " + a.run_id + " without a known outcome");
  it->ended = true;
  it->result.outcome = *outcome;
  it->result.events = json::IntOr(j, "events", 0);
  it->result.duration_ms = json::IntOr(j, "duration_ms", 0);
  it->result.message = json::StringOr(j, "message", "");
  auto canceled = j.find("canceled");
  it->result.canceled = canceled != j.end() && canceled->is_boolean() && canceled->get<bool>();
  return Status::Ok();
}

}  // namespace

std::string JournalPrefix(const std::string& dataset, const std::string& root_run_id) {
  return "datasets/" + dataset + "/fanout/run_id=" + lode::EscapePartitionValue(root_run_id) +
         "/journal/";
}

StatusOr<std::optional<JournalState>> LoadJournal(lode::Store* store, const std::string& dataset,
                                                  const std::string& root_run_id) {
  const std::string prefix = JournalPrefix(dataset, root_run_id);
  QUARRY_ASSIGN_OR_RETURN(std::vector<std::string> keys, store->List(prefix));
  std::vector<std::pair<uint64_t, std::string>> objects;
  for (std::string& key : keys) {
    std::string_view name = std::string_view(key).substr(prefix.size());
    if (auto seq = ParseSeqName(name)) objects.emplace_back(*seq, std::move(key));
  }
  if (objects.empty()) return std::optional<JournalState>();
  std::sort(objects.begin(), objects.end());
  JournalState state;
  std::map<std::string, size_t> task_index;
  bool have_header = false;
  for (const auto& [seq, path] : objects) {
    QUARRY_ASSIGN_OR_RETURN(std::string data, store->Get(path));
    size_t start = 0, line_no = 0;
    while (start < data.size()) {
      size_t end = data.find('\n', start);
      if (end == std::string::npos) end = data.size();
      ++line_no;
      std::string_view line = std::string_view(data).substr(start, end - start);
      start = end + 1;
      if (line.empty()) continue;
      const std::string where = path + " line " + std::to_string(line_no);
      StatusOr<nlohmann::json> j = json::ParseJson(line, "journal record", kMaxRecordDepth);
      if (!j.ok()) return DataLossError("fan-out journal " + where + ": " + j.status().message());
      QUARRY_RETURN_IF_ERROR(ApplyLine(*j, where, &state, &task_index, &have_header));
    }
    state.next_seq = seq + 1;
  }
  if (!have_header) return DataLossError("fan-out journal " + prefix + ": no crawl header");
  return std::optional<JournalState>(std::move(state));
}

Status CheckSameCrawl(const CrawlHeader& was, const CrawlHeader& now) {
  auto differs = [&](const char* what, const std::string& a, const std::string& b) {
    return FailedPreconditionError("--resume: " + std::string(what) +
                                   " differs from the crawl being resumed (it had " + a +
                                   ", this invocation has " + b + ")");
  };
  if (was.script != now.script) return differs("--script", Quoted(was.script), Quoted(now.script));
  auto same_job = [](const std::string& a, const std::string& b) {
    auto ja = json::ParseJson(a, "job", kMaxRecordDepth);
    auto jb = json::ParseJson(b, "job", kMaxRecordDepth);
    return ja.ok() && jb.ok() ? *ja == *jb : a == b;
  };
  if (!same_job(was.job_json, now.job_json)) return differs("the job", was.job_json, now.job_json);
  if (was.job_id != now.job_id) {
    return differs("--job-id", was.job_id ? Quoted(*was.job_id) : "none",
                   now.job_id ? Quoted(*now.job_id) : "none");
  }
  if (was.source != now.source) return differs("--source", Quoted(was.source), Quoted(now.source));
  if (was.category != now.category) {
    return differs("--category", Quoted(was.category), Quoted(now.category));
  }
  if (was.depth != now.depth) {
    return differs("--depth", std::to_string(was.depth), std::to_string(now.depth));
  }
  if (was.max_runs != now.max_runs) {
    return differs("--max-runs", std::to_string(was.max_runs), std::to_string(now.max_runs));
  }
  return Status::Ok();
}

Carryover PlanCarryover(const JournalState& state, int64_t child_retries) {
  Carryover c;
  for (const JournalTask& t : state.tasks) {
    c.known_keys.push_back(t.task.key);
    int64_t failures = 0;
    bool previous_failed = false;
    for (const JournalAttempt& a : t.attempts) {
      if (previous_failed) ++c.retries;
      previous_failed = false;
      if (!a.ended) continue;
      c.finished_runs.push_back({t.task.key, a.attempt, a.result, true});
      if (a.result.outcome != run::Outcome::kSuccess && !a.result.canceled) {
        ++failures;
        previous_failed = true;
      }
    }
    Carryover::Pending p;
    p.task = t.task;
    p.failures = failures;
    if (t.attempts.empty()) {
      c.pending.push_back(std::move(p));
      continue;
    }
    const JournalAttempt& last = t.attempts.back();
    p.next_attempt = last.attempt.attempt + 1;
    p.parent_run_id = last.attempt.run_id;
    if (!last.ended || last.result.canceled) {
      p.interrupted = true;
      c.pending.push_back(std::move(p));
    } else if (last.result.outcome == run::Outcome::kSuccess) {
      // done
    } else if (failures <= child_retries) {
      c.pending.push_back(std::move(p));
    } else {
      ++c.exhausted;
    }
  }
  return c;
}

Journal::Journal(std::shared_ptr<lode::Store> store, const std::string& dataset,
                 const std::string& root_run_id, uint64_t next_seq,
                 std::function<void(const std::string&)> on_conflict)
    : store_(std::move(store)),
      prefix_(JournalPrefix(dataset, root_run_id)),
      on_conflict_(std::move(on_conflict)),
      next_seq_(next_seq) {
  writer_ = std::thread([this] { WriterLoop(); });
}

Journal::~Journal() {
  {
    std::lock_guard lk(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  writer_.join();
}

uint64_t Journal::Append(std::string line) {
  std::lock_guard lk(mu_);
  if (!failure_.ok()) return appended_;
  pending_.push_back(std::move(line));
  ++appended_;
  cv_.notify_all();
  return appended_;
}

Status Journal::WaitDurable(uint64_t line) {
  std::unique_lock lk(mu_);
  cv_.wait(lk, [&] { return durable_ >= line || !failure_.ok(); });
  return failure_;
}

Status Journal::Flush() {
  uint64_t last;
  {
    std::lock_guard lk(mu_);
    last = appended_;
  }
  return WaitDurable(last);
}

Status Journal::WriteHeader(const CrawlHeader& h) {
  json::ObjectBuilder b;
  b.AddString("kind", "crawl")
      .AddInt("format", kFormat)
      .AddString("root_run_id", h.root_run_id)
      .AddInt("root_attempt", h.root_attempt)
      .AddString("script", h.script)
      .AddRaw("job", h.job_json)
      .AddString("source", h.source)
      .AddString("category", h.category)
      .AddInt("depth", h.depth)
      .AddInt("max_runs", h.max_runs)
      .AddString("created_at", h.created_at);
  if (h.job_id) b.AddString("job_id", *h.job_id);
  return WaitDurable(Append(b.Build()));
}

Status Journal::OnRootStart(const Attempt& a) { return WaitDurable(Append(StartLine(nullptr, a))); }

Status Journal::OnRootEnd(const Attempt& a, const AttemptResult& r) {
  return WaitDurable(Append(EndLine(nullptr, a, r)));
}

void Journal::OnTask(const Task& t) {
  json::ObjectBuilder b;
  b.AddString("kind", "task")
      .AddString("key", t.key)
      .AddString("target", t.target)
      .AddRaw("params", t.params_json)
      .AddString("source", t.source)
      .AddString("category", t.category)
      .AddInt("depth", t.link.depth)
      .AddString("enqueued_by_run_id", t.link.enqueued_by_run_id)
      .AddString("enqueued_by_event_id", t.link.enqueued_by_event_id);
  Append(b.Build());
}

Status Journal::OnStart(const Task& t, const Attempt& a) {
  return WaitDurable(Append(StartLine(&t, a)));
}

void Journal::OnEnd(const Task& t, const Attempt& a, const AttemptResult& r) {
  Append(EndLine(&t, a, r));
}

// put-if-absent with a few retries for transient errors. A retried put may find its own earlier
// attempt stored (the first reply was lost): the same bytes count as success.
Status Journal::PutObject(const std::string& path, const std::string& data) {
  Status s;
  for (int attempt = 0; attempt < 5; ++attempt) {
    if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(100 << attempt));
    s = store_->Put(path, data);
    if (s.ok()) return s;
    if (s.code() == StatusCode::kAlreadyExists) {
      StatusOr<std::string> existing = store_->Get(path);
      if (existing.ok() && *existing == data) return Status::Ok();
      return s;
    }
  }
  return s;
}

void Journal::WriterLoop() {
  std::unique_lock lk(mu_);
  while (true) {
    cv_.wait(lk, [&] { return stop_ || !pending_.empty(); });
    if (pending_.empty() || !failure_.ok()) {
      if (stop_) return;
      pending_.clear();
      continue;
    }
    std::vector<std::string> batch;
    batch.swap(pending_);
    const uint64_t upto = appended_;
    const std::string path = prefix_ + SeqName(next_seq_);
    lk.unlock();
    std::string data;
    for (const std::string& line : batch) data += line + "\n";
    Status s = PutObject(path, data);
    lk.lock();
    if (s.ok()) {
      ++next_seq_;
      durable_ = upto;
    } else {
      failure_ = s;
      lk.unlock();
      if (s.code() == StatusCode::kAlreadyExists) {
        if (on_conflict_) on_conflict_(path);
      } else {
        log::Warning("fan-out journal write failed: " + s.message() +
                     "; this crawl can no longer be resumed");
      }
      lk.lock();
    }
    cv_.notify_all();
  }
}

}  // namespace quarry::fanout
