#include "quarry/http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <mutex>

#include "quarry/redact.h"

namespace quarry::http {

struct Connections::Impl {
  std::mutex mu;
  std::vector<CURL*> idle;
  CURLSH* share = nullptr;  // DNS cache shared by every handle of the pool

  static void Lock(CURL*, curl_lock_data, curl_lock_access, void* p) {
    static_cast<Impl*>(p)->share_mu.lock();
  }
  static void Unlock(CURL*, curl_lock_data, void* p) { static_cast<Impl*>(p)->share_mu.unlock(); }
  std::mutex share_mu;
};

Connections::Connections() : impl_(std::make_unique<Impl>()) {
  impl_->share = curl_share_init();
  if (impl_->share) {
    curl_share_setopt(impl_->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    curl_share_setopt(impl_->share, CURLSHOPT_LOCKFUNC, &Impl::Lock);
    curl_share_setopt(impl_->share, CURLSHOPT_UNLOCKFUNC, &Impl::Unlock);
    curl_share_setopt(impl_->share, CURLSHOPT_USERDATA, impl_.get());
  }
}

Connections::~Connections() {
  for (CURL* c : impl_->idle) curl_easy_cleanup(c);
  if (impl_->share) curl_share_cleanup(impl_->share);
}

const std::string* Response::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k == name) return &v;
  }
  return nullptr;
}

namespace {

struct Transfer {
  const Request* request = nullptr;
  Response* response = nullptr;
  size_t sent = 0;  // bytes of the body handed to curl so far (PUT)
};

size_t OnBody(char* data, size_t size, size_t n, void* p) {
  auto* t = static_cast<Transfer*>(p);
  if (t->request->keep_body) t->response->body.append(data, size * n);
  return size * n;
}

size_t OnHeader(char* data, size_t size, size_t n, void* p) {
  auto* t = static_cast<Transfer*>(p);
  std::string_view line(data, size * n);
  if (line.starts_with("HTTP/")) {
    t->response->headers.clear();  // a new response (after 100-continue or a redirect)
    return size * n;
  }
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos) return size * n;
  std::string key(line.substr(0, colon));
  for (char& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) {
    value.remove_suffix(1);
  }
  t->response->headers.emplace_back(std::move(key), std::string(value));
  return size * n;
}

size_t OnRead(char* buffer, size_t size, size_t n, void* p) {
  auto* t = static_cast<Transfer*>(p);
  const std::string_view body = t->request->body;
  const size_t take = std::min(size * n, body.size() - t->sent);
  std::copy_n(body.data() + t->sent, take, buffer);
  t->sent += take;
  return take;
}

int Progress(void* data, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  const auto* abort = static_cast<const std::function<bool()>*>(data);
  return (*abort)() ? 1 : 0;  // non-zero aborts the transfer
}

long Millis(Duration d) {
  return std::max<long>(
      1, static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(d).count()));
}

// A handle from the pool (reset, its connections kept) or a fresh one; back to the pool after.
class Handle {
 public:
  explicit Handle(Connections::Impl* pool) : pool_(pool) {
    if (pool_) {
      std::lock_guard<std::mutex> lock(pool_->mu);
      if (!pool_->idle.empty()) {
        curl_ = pool_->idle.back();
        pool_->idle.pop_back();
      }
    }
    if (curl_) {
      curl_easy_reset(curl_);
    } else {
      curl_ = curl_easy_init();
    }
    if (curl_ && pool_ && pool_->share) curl_easy_setopt(curl_, CURLOPT_SHARE, pool_->share);
  }
  ~Handle() {
    if (!curl_) return;
    if (pool_ && reusable_) {
      std::lock_guard<std::mutex> lock(pool_->mu);
      pool_->idle.push_back(curl_);
      return;
    }
    curl_easy_cleanup(curl_);
  }
  CURL* get() const { return curl_; }
  // A transfer that failed may leave its connection in any state: that handle is not pooled.
  void discard() { reusable_ = false; }

 private:
  Connections::Impl* pool_;
  CURL* curl_ = nullptr;
  bool reusable_ = true;
};

}  // namespace

StatusOr<Response> Send(const Request& r, Connections* pool) {
  Handle handle(pool ? pool->impl_.get() : nullptr);
  CURL* c = handle.get();
  if (!c) return InternalError("curl_easy_init failed");
  const bool post = r.method == "POST";
  const bool put = r.method == "PUT";
  curl_slist* raw_list = nullptr;
  for (const auto& [k, v] : r.headers) {
    raw_list = curl_slist_append(raw_list, (k + ": " + v).c_str());
  }
  // curl would add "Expect: 100-continue" to larger bodies, which some receivers mishandle.
  if (post || put) raw_list = curl_slist_append(raw_list, "Expect:");
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> list(raw_list, curl_slist_free_all);

  Response resp;
  Transfer transfer{&r, &resp, 0};
  curl_easy_setopt(c, CURLOPT_URL, r.url.c_str());
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, Millis(r.timeout));
  if (r.connect_timeout.count() > 0) {
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, Millis(r.connect_timeout));
  }
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &transfer);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &transfer);
  if (list) curl_easy_setopt(c, CURLOPT_HTTPHEADER, list.get());
  if (post) {
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, r.body.data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(r.body.size()));
  } else if (put) {
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, OnRead);
    curl_easy_setopt(c, CURLOPT_READDATA, &transfer);
    curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(r.body.size()));
  } else if (r.method == "HEAD") {
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  } else if (r.method != "GET") {
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, r.method.c_str());
  }
  if (!r.aws_sigv4.empty()) {
    curl_easy_setopt(c, CURLOPT_AWS_SIGV4, r.aws_sigv4.c_str());
    curl_easy_setopt(c, CURLOPT_USERNAME, r.aws_access_key.c_str());
    curl_easy_setopt(c, CURLOPT_PASSWORD, r.aws_secret_key.c_str());
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
  if (rc != CURLE_OK) handle.discard();
  if (rc == CURLE_ABORTED_BY_CALLBACK) {
    return CancelledError(r.method + " " + RedactUrl(r.url) + ": canceled");
  }
  if (rc != CURLE_OK) {
    // curl's own text names at most the host; it does not echo the URL.
    return UnavailableError(r.method + " " + RedactUrl(r.url) + ": " + curl_easy_strerror(rc));
  }
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp.status);
  return resp;
}

}  // namespace quarry::http
