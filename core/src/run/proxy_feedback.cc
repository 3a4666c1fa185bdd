#include "run/proxy_feedback.h"

namespace quarry::run {

Status SelectProxy(RunConfig* c) {
  if (!c->proxy_pool) return Status::Ok();
  StatusOr<proxy::Selection> sel = c->proxy_pool->Select();
  if (!sel.ok()) {
    return Status(sel.status().code(), "proxy selection failed: " + sel.status().message());
  }
  c->proxy = sel->endpoint;
  c->proxy_selection = std::move(sel).value();
  return Status::Ok();
}

std::function<void(const Event&)> ProxyFeedback::Observe(std::function<void(const Event&)> next) {
  if (!pool_ || !selection_) return next;
  return [this, next = std::move(next)](const Event& ev) {
    if (!rotated_ && ev.Type() == "rotate_proxy") {
      rotated_ = true;
      pool_->Rotated(*selection_);
    }
    if (next) next(ev);
  };
}

void ProxyFeedback::RunEnded(RunResult* r) {
  if (!pool_ || !selection_) return;
  const bool ok = r->outcome == Outcome::kSuccess;
  const bool proxy_failed = !ok && proxy::IsProxyFailure(r->message);
  pool_->RunEnded(*selection_, rotated_ || proxy_failed);
  if (proxy_failed) {
    r->message =
        proxy::ExplainProxyFailure(r->message, selection_->endpoint) + " (" + r->message + ")";
  }
}

}  // namespace quarry::run
