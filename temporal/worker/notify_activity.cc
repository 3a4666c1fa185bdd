#include "worker/notify_activity.h"

#include <curl/curl.h>

#include <string>

namespace quarry::temporal {
namespace {

using nlohmann::json;

ActivityOutcome Failed(const char* type, std::string message, bool non_retryable) {
  ActivityOutcome o;
  o.kind = ActivityOutcome::Kind::kFailed;
  o.error = {type, std::move(message), non_retryable, std::nullopt};
  return o;
}

size_t Discard(char*, size_t size, size_t n, void*) { return size * n; }

int Progress(void* token, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<run::CancelToken*>(token)->cancelled() ? 1 : 0;
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

  CURL* curl = curl_easy_init();
  if (!curl) return Failed("WEBHOOK_ERROR", "cannot initialise libcurl", false);
  curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
  if (input->contains("headers") && (*input)["headers"].is_object()) {
    for (auto it = (*input)["headers"].begin(); it != (*input)["headers"].end(); ++it) {
      if (it->is_string()) {
        headers = curl_slist_append(headers, (it.key() + ": " + it->get<std::string>()).c_str());
      }
    }
  }
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, Discard);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 25L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, Progress);
  curl_easy_setopt(curl, CURLOPT_XFERINFODATA, cancel);
  CURLcode rc = curl_easy_perform(curl);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  if (rc != CURLE_OK) {
    return Failed("WEBHOOK_ERROR", std::string("POST ") + url + ": " + curl_easy_strerror(rc), false);
  }
  if (status < 200 || status >= 300) {
    return Failed("WEBHOOK_ERROR", "POST " + url + " answered HTTP " + std::to_string(status), false);
  }
  ActivityOutcome o;
  o.result = {{"status", status}};
  return o;
}

}  // namespace quarry::temporal
