#include "workflows/crawl_state.h"

#include <openssl/evp.h>
#include <zlib.h>

#include <algorithm>
#include <vector>

#include "quarry/json/parse.h"

namespace quarry::temporal {

using nlohmann::json;

namespace {

// A decompressed state larger than this is refused before it is allocated (the input is not ours
// to trust: any client can start a crawl with a frontier).
constexpr uLong kMaxStateBytes = 64u << 20;

std::string Base64(std::string_view raw) {
  std::string out(4 * ((raw.size() + 2) / 3), '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(raw.data()),
                                static_cast<int>(raw.size()));
  out.resize(static_cast<size_t>(std::max(n, 0)));
  return out;
}

StatusOr<std::string> Unbase64(std::string_view text, const char* what) {
  if (text.size() % 4 != 0) return InvalidArgumentError(std::string(what) + " is not base64");
  std::string out(text.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0) return InvalidArgumentError(std::string(what) + " is not base64");
  // EVP_DecodeBlock counts the bytes that stand for padding.
  size_t pad = 0;
  if (!text.empty() && text.back() == '=') ++pad;
  if (text.size() >= 2 && text[text.size() - 2] == '=') ++pad;
  out.resize(static_cast<size_t>(n) - pad);
  return out;
}

int64_t Count(const json& obj, const char* key) {
  return std::max<int64_t>(0, ::quarry::json::IntOr(obj, key, 0));
}

bool True(const json& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_boolean() && it->get<bool>();
}

json TaskJson(const QueuedTask& t) {
  return {{"i", t.index},
          {"d", t.depth},
          {"t", t.target},
          {"p", t.params},
          {"s", t.source},
          {"c", t.category},
          {"r", t.enqueued_by_run_id},
          {"e", t.enqueued_by_event_id}};
}

StatusOr<QueuedTask> TaskFrom(const json& j) {
  if (!j.is_object()) return InvalidArgumentError("frontier: a queued task is not an object");
  QueuedTask t;
  t.index = ::quarry::json::IntOr(j, "i", -1);
  t.depth = ::quarry::json::IntOr(j, "d", -1);
  t.target = ::quarry::json::StringOr(j, "t", "");
  t.source = ::quarry::json::StringOr(j, "s", "");
  t.category = ::quarry::json::StringOr(j, "c", "");
  t.enqueued_by_run_id = ::quarry::json::StringOr(j, "r", "");
  t.enqueued_by_event_id = ::quarry::json::StringOr(j, "e", "");
  auto p = j.find("p");
  if (t.index < 1 || t.depth < 1 || t.target.empty() || t.enqueued_by_run_id.empty() ||
      p == j.end() || !p->is_object()) {
    return InvalidArgumentError(
        "frontier: a queued task lacks its index, depth, target, params "
        "or enqueuing run");
  }
  t.params = *p;
  return t;
}

}  // namespace

uint64_t DedupSet::Prefix(std::string_view hex) {
  uint64_t v = 0;
  for (size_t i = 0; i < 16; ++i) {
    const char c = i < hex.size() ? hex[i] : '0';
    const uint64_t d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : 0;
    v = (v << 4) | d;
  }
  return v;
}

bool DedupSet::Insert(std::string_view hex_key) { return keys_.insert(Prefix(hex_key)).second; }

bool DedupSet::Contains(std::string_view hex_key) const { return keys_.count(Prefix(hex_key)) > 0; }

std::string DedupSet::Encode() const {
  std::vector<uint64_t> sorted(keys_.begin(), keys_.end());
  std::sort(sorted.begin(), sorted.end());
  std::string raw;
  raw.reserve(sorted.size() * 8);
  for (uint64_t k : sorted) {
    for (int shift = 56; shift >= 0; shift -= 8) raw.push_back(static_cast<char>(k >> shift));
  }
  return Base64(raw);
}

StatusOr<DedupSet> DedupSet::Decode(std::string_view base64) {
  QUARRY_ASSIGN_OR_RETURN(std::string raw, Unbase64(base64, "frontier: the dedup set"));
  if (raw.size() % 8 != 0) {
    return InvalidArgumentError("frontier: the dedup set is not a list of 8-byte keys");
  }
  DedupSet set;
  set.keys_.reserve(raw.size() / 8);
  for (size_t i = 0; i < raw.size(); i += 8) {
    uint64_t k = 0;
    for (size_t j = 0; j < 8; ++j) k = (k << 8) | static_cast<unsigned char>(raw[i + j]);
    set.keys_.insert(k);
  }
  return set;
}

StatusOr<json> EncodeFrontier(const CrawlState& s) {
  const CrawlCounters& c = s.counters;
  json state = {{"crawl_run_id", s.crawl_run_id},
                {"continued", s.continued},
                {"next_index", s.next_index},
                {"root", s.root},
                {"counters",
                 {{"accepted", c.accepted},
                  {"succeeded", c.succeeded},
                  {"failed", c.failed},
                  {"canceled", c.canceled},
                  {"received", c.received},
                  {"deduped", c.deduped},
                  {"skipped_invalid", c.skipped_invalid},
                  {"skipped_depth", c.skipped_depth},
                  {"skipped_max_runs", c.skipped_max_runs},
                  {"skipped_result_cap", c.skipped_result_cap}}},
                {"child_runs", s.child_runs},
                {"failed_runs", s.failed_runs},
                {"child_runs_truncated", s.child_runs_truncated},
                {"failed_runs_truncated", s.failed_runs_truncated},
                {"dedup", s.dedup.Encode()}};
  json queue = json::array();
  for (const QueuedTask& t : s.queue) queue.push_back(TaskJson(t));
  state["queue"] = std::move(queue);
  const std::string text = state.dump(-1, ' ', false, json::error_handler_t::replace);
  uLongf size = compressBound(static_cast<uLong>(text.size()));
  std::string packed(size, '\0');
  if (compress2(reinterpret_cast<Bytef*>(packed.data()), &size,
                reinterpret_cast<const Bytef*>(text.data()), static_cast<uLong>(text.size()),
                Z_BEST_COMPRESSION) != Z_OK) {
    return InternalError("frontier: compression failed");
  }
  packed.resize(size);
  json frontier = {{"format", kFrontierFormat},  {"continued", s.continued},
                   {"queued", s.queue.size()},   {"dedup_keys", s.dedup.size()},
                   {"state_bytes", text.size()}, {"state", Base64(packed)}};
  return frontier;
}

StatusOr<CrawlState> DecodeFrontier(const json& f) {
  if (!f.is_object() || ::quarry::json::StringOr(f, "format", "") != kFrontierFormat) {
    return InvalidArgumentError(std::string("frontier: not a \"") + kFrontierFormat +
                                "\" frontier (it is written by the workflow when it continues "
                                "as new)");
  }
  const int64_t state_bytes = ::quarry::json::IntOr(f, "state_bytes", -1);
  if (state_bytes < 0 || static_cast<uint64_t>(state_bytes) > kMaxStateBytes) {
    return InvalidArgumentError("frontier: \"state_bytes\" is missing or too large");
  }
  QUARRY_ASSIGN_OR_RETURN(std::string packed,
                          Unbase64(::quarry::json::StringOr(f, "state", ""), "frontier: state"));
  std::string text(static_cast<size_t>(state_bytes), '\0');
  uLongf size = static_cast<uLongf>(state_bytes);
  if (uncompress(reinterpret_cast<Bytef*>(text.data()), &size,
                 reinterpret_cast<const Bytef*>(packed.data()),
                 static_cast<uLong>(packed.size())) != Z_OK ||
      size != static_cast<uLongf>(state_bytes)) {
    return InvalidArgumentError("frontier: state does not decompress to state_bytes bytes");
  }
  QUARRY_ASSIGN_OR_RETURN(json j, ::quarry::json::ParseJson(text, "frontier state", 256));
  if (!j.is_object()) return InvalidArgumentError("frontier: state is not an object");

  CrawlState s;
  s.crawl_run_id = ::quarry::json::StringOr(j, "crawl_run_id", "");
  if (s.crawl_run_id.empty()) return InvalidArgumentError("frontier: no crawl_run_id");
  s.continued = Count(j, "continued");
  s.next_index = std::max<int64_t>(1, ::quarry::json::IntOr(j, "next_index", 1));
  if (auto r = j.find("root"); r != j.end() && r->is_object()) s.root = *r;
  if (auto c = j.find("counters"); c != j.end() && c->is_object()) {
    CrawlCounters& n = s.counters;
    n.accepted = Count(*c, "accepted");
    n.succeeded = Count(*c, "succeeded");
    n.failed = Count(*c, "failed");
    n.canceled = Count(*c, "canceled");
    n.received = Count(*c, "received");
    n.deduped = Count(*c, "deduped");
    n.skipped_invalid = Count(*c, "skipped_invalid");
    n.skipped_depth = Count(*c, "skipped_depth");
    n.skipped_max_runs = Count(*c, "skipped_max_runs");
    n.skipped_result_cap = Count(*c, "skipped_result_cap");
  }
  for (const char* key : {"child_runs", "failed_runs"}) {
    auto it = j.find(key);
    if (it == j.end() || !it->is_array()) continue;
    json list = json::array();
    for (const auto& e : *it) {
      if (list.size() < kMaxChildRunsListed) list.push_back(e);
    }
    (std::string(key) == "child_runs" ? s.child_runs : s.failed_runs) = std::move(list);
  }
  s.child_runs_truncated = True(j, "child_runs_truncated");
  s.failed_runs_truncated = True(j, "failed_runs_truncated");
  QUARRY_ASSIGN_OR_RETURN(s.dedup, DedupSet::Decode(::quarry::json::StringOr(j, "dedup", "")));
  if (auto q = j.find("queue"); q != j.end() && q->is_array()) {
    for (const auto& e : *q) {
      QUARRY_ASSIGN_OR_RETURN(QueuedTask t, TaskFrom(e));
      if (t.index >= s.next_index) s.next_index = t.index + 1;
      s.queue.push_back(std::move(t));
    }
  }
  return s;
}

}  // namespace quarry::temporal
