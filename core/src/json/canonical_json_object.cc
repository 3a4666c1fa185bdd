// The object builder (sorted keys whatever the Add order) and standard base64.
#include <algorithm>

#include "json/canonical_json_internal.h"
#include "quarry/json/canonical_json.h"

namespace quarry::json {

using internal::AppendInteger;
using internal::AppendQuoted;

void AppendBase64(std::string_view bytes, std::string* out) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const size_t n = bytes.size();
  const size_t start = out->size();
  out->resize(start + (n + 2) / 3 * 4);
  char* o = out->data() + start;
  size_t i = 0;
  for (; i + 3 <= n; i += 3) {
    const uint32_t w = (uint32_t{p[i]} << 16) | (uint32_t{p[i + 1]} << 8) | p[i + 2];
    *o++ = kAlphabet[w >> 18];
    *o++ = kAlphabet[(w >> 12) & 0x3f];
    *o++ = kAlphabet[(w >> 6) & 0x3f];
    *o++ = kAlphabet[w & 0x3f];
  }
  if (i < n) {
    const bool two = i + 1 < n;
    const uint32_t w = (uint32_t{p[i]} << 16) | (two ? uint32_t{p[i + 1]} << 8 : 0);
    *o++ = kAlphabet[w >> 18];
    *o++ = kAlphabet[(w >> 12) & 0x3f];
    *o++ = two ? kAlphabet[(w >> 6) & 0x3f] : '=';
    *o++ = '=';
  }
}

ObjectBuilder& ObjectBuilder::AddRaw(std::string_view key, std::string value_json) {
  // Kept sorted as fields arrive so AppendTo is a plain walk; objects have a few dozen keys at
  // most. Adding a key twice replaces its value.
  auto it = std::lower_bound(fields_.begin(), fields_.end(), key,
                             [](const auto& f, std::string_view k) { return f.first < k; });
  if (it != fields_.end() && it->first == key) {
    it->second = std::move(value_json);
  } else {
    fields_.emplace(it, std::string(key), std::move(value_json));
  }
  return *this;
}

ObjectBuilder& ObjectBuilder::AddString(std::string_view key, std::string_view value) {
  std::string json;
  json.reserve(value.size() + 2);
  AppendString(value, &json);
  return AddRaw(key, std::move(json));
}

ObjectBuilder& ObjectBuilder::AddInt(std::string_view key, int64_t value) {
  std::string json;
  AppendInteger(value, &json);
  return AddRaw(key, std::move(json));
}

ObjectBuilder& ObjectBuilder::AddUint(std::string_view key, uint64_t value) {
  std::string json;
  AppendInteger(value, &json);
  return AddRaw(key, std::move(json));
}

ObjectBuilder& ObjectBuilder::AddBool(std::string_view key, bool value) {
  return AddRaw(key, value ? "true" : "false");
}

void ObjectBuilder::AppendTo(std::string* out) const {
  out->push_back('{');
  bool first = true;
  for (const auto& [key, value] : fields_) {
    if (!first) out->push_back(',');
    first = false;
    AppendQuoted(key, ':', out);
    out->append(value);
  }
  out->push_back('}');
}

std::string ObjectBuilder::Build() const {
  std::string out;
  AppendTo(&out);
  return out;
}

}  // namespace quarry::json
