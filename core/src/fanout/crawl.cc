#include "quarry/fanout/crawl.h"

#include <chrono>
#include <ctime>

#include "quarry/fanout/run_id.h"
#include "quarry/json/canonical_json.h"
#include "quarry/log.h"

namespace quarry::fanout {
namespace {

std::string NowUtc() {
  std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// The journal stores these as JSON strings; bytes that are not UTF-8 would come back changed
// and a resume could no longer match its crawl.
Status CheckUtf8(const run::RunConfig& root) {
  const std::pair<const char*, const std::string*> fields[] = {{"--run-id", &root.meta.run_id},
                                                               {"--script", &root.script_path},
                                                               {"--source", &root.source},
                                                               {"--category", &root.category}};
  for (const auto& [flag, value] : fields) {
    if (!json::IsValidUtf8(*value)) {
      return InvalidArgumentError(std::string(flag) + " must be valid UTF-8 with --depth");
    }
  }
  if (root.meta.job_id && !json::IsValidUtf8(*root.meta.job_id)) {
    return InvalidArgumentError("--job-id must be valid UTF-8 with --depth");
  }
  return Status::Ok();
}

CrawlHeader HeaderOf(const CrawlOptions& o, const run::RunConfig& root) {
  CrawlHeader h;
  h.root_run_id = root.meta.run_id;
  h.root_attempt = root.meta.attempt;
  h.script = root.script_path;
  h.job_json = root.job_json;
  h.job_id = root.meta.job_id;
  h.source = root.source;
  h.category = root.category;
  h.depth = o.limits.depth;
  h.max_runs = o.limits.max_runs;
  h.created_at = NowUtc();
  return h;
}

}  // namespace

StatusOr<std::unique_ptr<Crawl>> Crawl::Start(const CrawlOptions& o, run::RunConfig* root,
                                              run::CancelToken* cancel) {
  QUARRY_RETURN_IF_ERROR(CheckUtf8(*root));
  if (!root->store) return FailedPreconditionError("fan-out needs a storage backend");
  const std::string crawl_id = root->meta.run_id;
  StatusOr<std::optional<JournalState>> loaded =
      LoadJournal(root->store.get(), root->dataset, crawl_id);
  if (!loaded.ok()) {
    return Status(loaded.status().code(),
                  "cannot read the fan-out journal: " + loaded.status().message());
  }
  std::optional<JournalState>& state = *loaded;
  const CrawlHeader header = HeaderOf(o, *root);
  if (state && !o.resume) {
    return FailedPreconditionError("a fan-out crawl with root run id \"" +
                                   json::Printable(crawl_id) + "\" already ran in dataset \"" +
                                   root->dataset +
                                   "\": pass --resume to continue it, or use another --run-id");
  }
  if (!state && o.resume) {
    log::Warning("--resume: no fan-out journal for run id \"" + json::Printable(crawl_id) +
                 "\" in dataset \"" + root->dataset + "\"; starting a new crawl");
  }

  std::unique_ptr<Crawl> crawl(new Crawl());
  std::optional<Carryover> carryover;
  if (state) {
    QUARRY_RETURN_IF_ERROR(CheckSameCrawl(state->header, header));
    carryover = PlanCarryover(*state, o.limits.child_retries);
    const std::vector<JournalAttempt>& roots = state->root_attempts;
    if (!roots.empty() && roots.back().ended && !roots.back().result.canceled) {
      crawl->earlier_root_ = roots.back();
    } else if (!roots.empty()) {
      // The interrupted root ran (Lode holds its events): the rerun is its next attempt.
      const Attempt& last = roots.back().attempt;
      root->meta.parent_run_id = last.run_id;
      root->meta.attempt = last.attempt + 1;
      root->meta.run_id = NewRunId();
    }
  }
  crawl->root_attempt_ = {root->meta.run_id, root->meta.attempt, root->meta.parent_run_id};

  const bool work_left = crawl->root_runs() || (carryover && !carryover->pending.empty());
  if (o.managed_browser && root->browser_ws_endpoint.empty() && work_left) {
    ManagedBrowserOptions mb;
    mb.executor = root->executor_path;
    mb.script = root->script_path;
    mb.resolve_from = root->resolve_from;
    mb.env_pass_through = root->env_pass_through;
    mb.env = root->env;
    mb.cancel = cancel;
    QUARRY_ASSIGN_OR_RETURN(crawl->browser_, ManagedBrowser::Launch(mb));
    root->browser_ws_endpoint = crawl->browser_->endpoint();
  }

  Crawl* self = crawl.get();
  crawl->journal_ = std::make_unique<Journal>(
      root->store, root->dataset, crawl_id, state ? state->next_seq : 0,
      [self, crawl_id](const std::string& path) {
        log::Error("another process is writing the fan-out journal of \"" +
                   json::Printable(crawl_id) + "\" (" + path + "); stopping the fan-out");
        if (Operator* op = self->op_for_conflicts_.load()) op->Cancel("fan-out journal conflict");
      });
  auto journal_error = [&](const Status& s) {
    return Status(s.code(), "failed to write the fan-out journal: " + s.message());
  };
  if (!state) {
    if (Status s = crawl->journal_->WriteHeader(header); !s.ok()) return journal_error(s);
  }
  if (crawl->root_runs()) {
    if (Status s = crawl->journal_->OnRootStart(crawl->root_attempt_); !s.ok()) {
      return journal_error(s);
    }
  }

  run::RunConfig child_template = *root;
  child_template.observer = {};
  crawl->launcher_ = std::make_unique<RunLauncher>(std::move(child_template));
  crawl->op_ = std::make_unique<Operator>(o.limits, crawl->launcher_.get(), crawl->journal_.get());
  if (carryover) crawl->op_->Restore(std::move(*carryover));
  crawl->op_->Start(cancel);
  crawl->op_for_conflicts_.store(crawl->op_.get());

  if (crawl->root_runs()) {
    const Enqueuer enqueuer{root->meta.run_id, 0, root->source, root->category};
    Operator* op = crawl->op_.get();
    root->observer.on_event = [op, enqueuer,
                               prior = std::move(root->observer.on_event)](const Event& ev) {
      if (prior) prior(ev);
      op->OnEvent(enqueuer, ev);
    };
  } else {
    crawl->op_->RootDone();
  }
  return crawl;
}

Crawl::~Crawl() {
  if (!finished_ && op_) {
    op_->Cancel("canceled");
    Finish();
  }
  // The workers are gone; stop the journal's writer before the operator its conflict callback
  // reaches.
  op_for_conflicts_.store(nullptr);
  journal_.reset();
}

void Crawl::RootFinished(const run::RunResult& result, bool canceled) {
  AttemptResult r;
  r.outcome = result.outcome;
  r.events = result.event_count;
  r.duration_ms = result.duration_ms;
  r.message = result.message;
  r.canceled = canceled && result.outcome != run::Outcome::kSuccess;
  // Every task the root enqueued was appended before this, so a journal that says the root
  // ended also holds all of its tasks.
  (void)journal_->OnRootEnd(root_attempt_, r);
  op_->RootDone();
}

Summary Crawl::Finish() {
  finished_ = true;
  Summary s = op_->Wait();
  (void)journal_->Flush();
  if (browser_) browser_->Close();
  return s;
}

}  // namespace quarry::fanout
