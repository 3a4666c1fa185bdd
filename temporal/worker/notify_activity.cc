#include "worker/notify_activity.h"

#include <chrono>
#include <string>

#include "quarry/http_client.h"
#include "quarry/redact.h"

namespace quarry::temporal {
namespace {

using nlohmann::json;

ActivityOutcome Failed(const char* type, std::string message, bool non_retryable) {
  ActivityOutcome o;
  o.kind = ActivityOutcome::Kind::kFailed;
  o.error = {type, std::move(message), non_retryable, std::nullopt};
  return o;
}

}  // namespace

ActivityOutcome NotifyWebhook(const std::optional<json>& input, run::CancelToken* cancel) {
  if (!input || !input->is_object() || !input->contains("url") || !(*input)["url"].is_string()) {
    return Failed("CONFIG_ERROR", "NotifyWebhook needs {url, headers?, body}", true);
  }
  for (auto it = input->begin(); it != input->end(); ++it) {
    if (it.key() != "url" && it.key() != "headers" && it.key() != "body") {
      return Failed("CONFIG_ERROR", "NotifyWebhook: unknown field \"" + it.key() + "\"", true);
    }
  }
  const std::string url = (*input)["url"].get<std::string>();
  if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) {
    return Failed("CONFIG_ERROR", "NotifyWebhook: url must be http(s)", true);
  }
  const std::string body = input->value("body", json(nullptr)).dump();

  http::Request req;
  req.method = "POST";
  req.url = url;
  req.body = body;
  req.headers = {{"Content-Type", "application/json"}};
  if (input->contains("headers") && (*input)["headers"].is_object()) {
    for (auto it = (*input)["headers"].begin(); it != (*input)["headers"].end(); ++it) {
      if (it->is_string()) req.headers.emplace_back(it.key(), it->get<std::string>());
    }
  }
  req.timeout = std::chrono::seconds(25);
  req.should_abort = [cancel] { return cancel != nullptr && cancel->cancelled(); };
  StatusOr<http::Response> resp = http::Send(req);
  if (!resp.ok()) return Failed("WEBHOOK_ERROR", resp.status().message(), false);
  const long status = resp->status;
  if (status < 200 || status >= 300) {
    return Failed("WEBHOOK_ERROR",
                  "POST " + RedactUrl(url) + " answered HTTP " + std::to_string(status), false);
  }
  ActivityOutcome o;
  o.result = {{"status", status}};
  return o;
}

}  // namespace quarry::temporal
