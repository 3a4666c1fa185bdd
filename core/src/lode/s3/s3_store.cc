// The S3 Store (storage-and-policies.md §5.2–§5.4): keys under the prefix, exclusive creates with
// If-None-Match: *, the pointer CAS with If-Match on the ETag, ListObjectsV2 with continuation,
// multipart uploads above a threshold. Requests and their retries live in S3Client.
#include <algorithm>
#include <string>
#include <vector>

#include "lode/object_path.h"
#include "lode/s3/s3_client.h"
#include "lode/s3/s3_xml.h"
#include "quarry/lode/s3_store.h"
#include "quarry/redact.h"

namespace quarry::lode {
namespace {

constexpr char kConflict[] = "snapshot conflict: another writer committed";
constexpr uint64_t kMaxParts = 10'000;

bool IsConditionalFailure(const S3Reply& r) {
  return r.status == 412 || r.status == 409 || r.code == "PreconditionFailed" ||
         r.code == "ConditionalRequestConflict";
}

bool IsNotFound(const S3Reply& r) {
  return r.status == 404 || r.code == "NoSuchKey" || r.code == "NotFound";
}

// "<path>: <Code>: <message>"; the code words feed the §4.15 kind table. The HTTP status is only
// named when there is no code (a "403" would read as access denied before the code is seen).
Status ReplyError(std::string_view path, const S3Reply& r) {
  std::string m(path);
  if (IsNotFound(r)) return NotFoundError(m + ": not found (" + r.code + ")");
  m += ": " + r.code;
  if (!r.message.empty()) m += ": " + PrintableValue(r.message, 200);
  if (r.attempts > 1) m += " (after " + std::to_string(r.attempts) + " attempts)";
  if (r.code == "NoSuchBucket") return NotFoundError(m);
  if (r.status >= 500 || r.status == 429) return UnavailableError(m);
  return IOError(m);
}

Status WithPath(std::string_view path, const Status& st) {
  return Status(st.code(), std::string(path) + ": " + st.message());
}

class S3Store final : public Store {
 public:
  explicit S3Store(S3Options options) : client_(std::move(options)) {
    prefix_ = client_.options().prefix;
    while (!prefix_.empty() && prefix_.front() == '/') prefix_.erase(0, 1);
    if (!prefix_.empty() && prefix_.back() != '/') prefix_ += '/';
  }

  Status Probe() {
    S3Call call;
    call.query = S3QueryString({{"list-type", "2"}, {"max-keys", "1"}, {"prefix", prefix_}});
    StatusOr<S3Reply> r = client_.Call(call);
    if (!r.ok()) return r.status();
    if (r->ok()) return Status::Ok();
    std::string m = client_.Where() + ": " + r->code;
    if (!r->message.empty()) m += ": " + PrintableValue(r->message, 200);
    return IOError(m);
  }

  Status Put(std::string_view path, std::string_view data) override {
    QUARRY_RETURN_IF_ERROR(ValidateObjectPath(path));
    if (data.size() > client_.options().multipart_threshold) return PutMultipart(path, data);
    S3Call call;
    call.method = "PUT";
    call.key = Key(path);
    call.headers = {{"If-None-Match", "*"}};
    call.body = data;
    StatusOr<S3Reply> r = client_.Call(call);
    if (!r.ok()) return WithPath(path, r.status());
    if (r->ok()) return Status::Ok();
    if (IsConditionalFailure(*r)) return ExistsOrOurs(path, data, r->attempts);
    return ReplyError(path, *r);
  }

  StatusOr<std::string> Get(std::string_view path) override {
    QUARRY_RETURN_IF_ERROR(ValidateObjectPath(path));
    S3Call call;
    call.key = Key(path);
    StatusOr<S3Reply> r = client_.Call(call);
    if (!r.ok()) return WithPath(path, r.status());
    if (!r->ok()) return ReplyError(path, *r);
    return std::move(r->body);
  }

  StatusOr<std::string> GetRange(std::string_view path, uint64_t offset, uint64_t length) override {
    QUARRY_RETURN_IF_ERROR(ValidateObjectPath(path));
    if (length == 0) return std::string();
    S3Call call;
    call.key = Key(path);
    call.headers = {
        {"Range", "bytes=" + std::to_string(offset) + "-" + std::to_string(offset + length - 1)}};
    StatusOr<S3Reply> r = client_.Call(call);
    if (!r.ok()) return WithPath(path, r.status());
    if (r->status == 416 || r->code == "InvalidRange") return std::string();
    if (!r->ok()) return ReplyError(path, *r);
    if (r->status == 200) {
      // A server that ignores Range sends everything.
      return offset >= r->body.size() ? std::string() : r->body.substr(offset, length);
    }
    return std::move(r->body);
  }

  StatusOr<bool> Exists(std::string_view path) override {
    QUARRY_RETURN_IF_ERROR(ValidateObjectPath(path));
    S3Call call;
    call.method = "HEAD";
    call.key = Key(path);
    StatusOr<S3Reply> r = client_.Call(call);
    if (!r.ok()) return WithPath(path, r.status());
    if (r->ok()) return true;
    if (IsNotFound(*r)) return false;
    return ReplyError(path, *r);
  }

  StatusOr<std::vector<std::string>> List(std::string_view prefix) override {
    QUARRY_RETURN_IF_ERROR(ValidateListPrefix(prefix));
    const std::string full = prefix_ + std::string(prefix);
    std::vector<std::string> out;
    std::string token;
    for (;;) {
      std::vector<std::pair<std::string, std::string>> params = {{"list-type", "2"},
                                                                 {"prefix", full}};
      if (!token.empty()) params.emplace_back("continuation-token", token);
      if (client_.options().list_page_size > 0) {
        params.emplace_back("max-keys", std::to_string(client_.options().list_page_size));
      }
      S3Call call;
      call.query = S3QueryString(std::move(params));
      StatusOr<S3Reply> r = client_.Call(call);
      if (!r.ok()) return WithPath(prefix, r.status());
      if (!r->ok()) return ReplyError(prefix, *r);
      s3xml::ListPage page = s3xml::ParseListPage(r->body);
      if (!page.ok) return IOError(std::string(prefix) + ": unreadable ListObjectsV2 answer");
      for (std::string& k : page.keys) {
        if (k.starts_with(prefix_)) out.push_back(k.substr(prefix_.size()));
      }
      if (!page.truncated) break;
      if (page.next_token.empty() || page.next_token == token) {
        return IOError(std::string(prefix) + ": truncated listing without a continuation token");
      }
      token = std::move(page.next_token);
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  Status Delete(std::string_view path) override {
    QUARRY_RETURN_IF_ERROR(ValidateObjectPath(path));
    S3Call call;
    call.method = "DELETE";
    call.key = Key(path);
    StatusOr<S3Reply> r = client_.Call(call);
    if (!r.ok()) return WithPath(path, r.status());
    if (r->ok() || IsNotFound(*r)) return Status::Ok();
    return ReplyError(path, *r);
  }

  // §5.4: read the pointer and its ETag, compare, then a conditional put.
  Status CompareAndSwap(std::string_view path, std::string_view expected,
                        std::string_view replacement) override {
    QUARRY_RETURN_IF_ERROR(ValidateObjectPath(path));
    S3Call get;
    get.key = Key(path);
    StatusOr<S3Reply> cur = client_.Call(get);
    if (!cur.ok()) return WithPath(path, cur.status());
    S3Call put;
    put.method = "PUT";
    put.key = get.key;
    put.body = replacement;
    if (IsNotFound(*cur)) {
      if (!expected.empty()) return FailedPreconditionError(kConflict);
      put.headers = {{"If-None-Match", "*"}};
    } else if (!cur->ok()) {
      return ReplyError(path, *cur);
    } else {
      if (cur->body != expected) return FailedPreconditionError(kConflict);
      const std::string* etag = cur->Header("etag");
      if (etag == nullptr || etag->empty()) {
        return IOError(std::string(path) + ": the server sent no ETag for the pointer");
      }
      put.headers = {{"If-Match", *etag}};
    }
    StatusOr<S3Reply> r = client_.Call(put);
    if (!r.ok()) return WithPath(path, r.status());
    if (r->ok()) return Status::Ok();
    if (IsConditionalFailure(*r)) {
      // A retried put whose first try landed: the pointer already holds our value.
      if (r->attempts > 1) {
        StatusOr<std::string> now = Get(path);
        if (now.ok() && *now == replacement) return Status::Ok();
      }
      return FailedPreconditionError(kConflict);
    }
    return ReplyError(path, *r);
  }

  std::string_view Backend() const override { return "s3"; }
  std::string RootId() const override {
    return "s3:" + client_.endpoint() + "/" + client_.options().bucket + "/" + prefix_;
  }

 private:
  std::string Key(std::string_view path) const { return prefix_ + std::string(path); }

  // A conditional create refused. When the request had been retried, the first try may have
  // landed with its answer lost: our own bytes there count as success.
  Status ExistsOrOurs(std::string_view path, std::string_view data, int attempts) {
    if (attempts > 1) {
      StatusOr<std::string> stored = Get(path);
      if (stored.ok() && *stored == data) return Status::Ok();
    }
    return AlreadyExistsError(std::string(path) + ": path already exists");
  }

  Status PutMultipart(std::string_view path, std::string_view data) {
    const std::string key = Key(path);
    QUARRY_ASSIGN_OR_RETURN(bool exists, Exists(path));
    if (exists) return AlreadyExistsError(std::string(path) + ": path already exists");

    S3Call create;
    create.method = "POST";
    create.key = key;
    create.query = S3QueryString({{"uploads", ""}});
    StatusOr<S3Reply> created = client_.Call(create);
    if (!created.ok()) return WithPath(path, created.status());
    if (!created->ok()) return ReplyError(path, *created);
    const std::string upload_id = s3xml::ParseUploadId(created->body);
    if (upload_id.empty()) return IOError(std::string(path) + ": no UploadId in the answer");

    uint64_t part = std::max<uint64_t>(client_.options().part_size, 1);
    part = std::max(part, (data.size() + kMaxParts - 1) / kMaxParts);
    std::string complete = "<CompleteMultipartUpload>";
    Status st;
    for (uint64_t off = 0, n = 1; off < data.size(); off += part, ++n) {
      S3Call up;
      up.method = "PUT";
      up.key = key;
      up.query = S3QueryString({{"partNumber", std::to_string(n)}, {"uploadId", upload_id}});
      up.body = data.substr(off, part);
      StatusOr<S3Reply> r = client_.Call(up);
      if (!r.ok()) {
        st = WithPath(path, r.status());
        break;
      }
      if (!r->ok()) {
        st = ReplyError(path, *r);
        break;
      }
      const std::string* etag = r->Header("etag");
      if (etag == nullptr) {
        st = IOError(std::string(path) + ": no ETag for part " + std::to_string(n));
        break;
      }
      complete += "<Part><PartNumber>" + std::to_string(n) + "</PartNumber><ETag>" +
                  s3xml::Escape(*etag) + "</ETag></Part>";
    }
    if (st.ok()) {
      complete += "</CompleteMultipartUpload>";
      S3Call done;
      done.method = "POST";
      done.key = key;
      done.query = S3QueryString({{"uploadId", upload_id}});
      done.headers = {{"If-None-Match", "*"}, {"Content-Type", "application/xml"}};
      done.body = complete;
      StatusOr<S3Reply> r = client_.Call(done);
      if (!r.ok()) {
        st = WithPath(path, r.status());
      } else if (r->ok()) {
        return Status::Ok();
      } else if (IsConditionalFailure(*r)) {
        st = ExistsOrOurs(path, data, r->attempts);
        if (st.ok()) return st;
      } else {
        st = ReplyError(path, *r);
      }
    }
    // Best effort: a leftover upload costs storage, not correctness.
    S3Call abort;
    abort.method = "DELETE";
    abort.key = key;
    abort.query = S3QueryString({{"uploadId", upload_id}});
    (void)client_.Call(abort);
    return st;
  }

  S3Client client_;
  std::string prefix_;  // "" or ending in '/'
};

}  // namespace

StatusOr<std::pair<std::string, std::string>> SplitS3StoragePath(std::string_view path) {
  if (path.starts_with("s3://") || path.starts_with("S3://")) {
    return InvalidArgumentError("--storage-path " + PrintableValue(path) +
                                ": give bucket[/prefix] without the s3:// scheme");
  }
  const size_t slash = path.find('/');
  std::string bucket(path.substr(0, slash));
  std::string prefix = slash == std::string_view::npos ? "" : std::string(path.substr(slash + 1));
  if (bucket.empty()) {
    return InvalidArgumentError("--storage-path " + PrintableValue(path) +
                                ": the bucket name is empty (expected bucket[/prefix])");
  }
  return std::make_pair(std::move(bucket), std::move(prefix));
}

StatusOr<std::shared_ptr<Store>> OpenS3Store(S3Options options) {
  if (options.bucket.empty()) return InvalidArgumentError("s3 storage: the bucket name is empty");
  const bool probe = options.probe;
  auto store = std::make_shared<S3Store>(std::move(options));
  if (probe) QUARRY_RETURN_IF_ERROR(store->Probe());
  return std::shared_ptr<Store>(store);
}

}  // namespace quarry::lode
