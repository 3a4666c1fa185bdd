#include "quarry/http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <memory>

#include "quarry/redact.h"

namespace quarry::http {
namespace {

size_t Discard(char*, size_t size, size_t n, void*) { return size * n; }

int Progress(void* data, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  const auto* abort = static_cast<const std::function<bool()>*>(data);
  return (*abort)() ? 1 : 0;  // non-zero aborts the transfer
}

}  // namespace

StatusOr<Response> Send(const Request& r) {
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) return InternalError("curl_easy_init failed");
  curl_slist* raw_list = nullptr;
  for (const auto& [k, v] : r.headers)
    raw_list = curl_slist_append(raw_list, (k + ": " + v).c_str());
  // curl would add "Expect: 100-continue" to larger POSTs, which some receivers mishandle.
  if (r.method == "POST") raw_list = curl_slist_append(raw_list, "Expect:");
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> list(raw_list, curl_slist_free_all);

  const long ms = std::max<long>(
      1,
      static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(r.timeout).count()));
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, r.url.c_str());
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, ms);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, Discard);
  if (list) curl_easy_setopt(c, CURLOPT_HTTPHEADER, list.get());
  if (r.method == "POST") {
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, r.body.data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(r.body.size()));
  }
  if (r.follow_redirects) {
    // 301/302/303 continue as GET, 307/308 repeat the POST (curl's default, like Go's client).
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
  }
  if (r.should_abort) {
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, Progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, &r.should_abort);
  }
  CURLcode rc = curl_easy_perform(c);
  if (rc == CURLE_ABORTED_BY_CALLBACK) {
    return CancelledError(r.method + " " + RedactUrl(r.url) + ": canceled");
  }
  if (rc != CURLE_OK) {
    // curl's own text names at most the host; it does not echo the URL.
    return UnavailableError(r.method + " " + RedactUrl(r.url) + ": " + curl_easy_strerror(rc));
  }
  Response resp;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp.status);
  return resp;
}

}  // namespace quarry::http
