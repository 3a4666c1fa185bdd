// msgpack timestamps (extension -1) as RFC 3339 UTC strings with up to 9 fraction digits (§4.8).
#include "json/canonical_json_internal.h"

namespace quarry::json::internal {
namespace {

void AppendDigits(int64_t v, int width, std::string* out) {
  char buf[20];
  for (int i = width - 1; i >= 0; --i) {
    buf[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
  out->append(buf, static_cast<size_t>(width));
}

}  // namespace

// RFC 3339 in UTC, fraction trimmed of trailing zeros (Go's RFC3339Nano). False when the year is
// outside 0000..9999.
bool AppendRfc3339(const msgpack::Timestamp& ts, std::string* out) {
  if (ts.seconds < kMinRfc3339Seconds || ts.seconds > kMaxRfc3339Seconds) return false;
  int64_t days = ts.seconds / 86400;
  int64_t sod = ts.seconds % 86400;
  if (sod < 0) {
    sod += 86400;
    --days;
  }
  // Civil date from days since 1970-01-01 (proleptic Gregorian, 400-year eras).
  const int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t day = doy - (153 * mp + 2) / 5 + 1;
  const int64_t month = mp < 10 ? mp + 3 : mp - 9;
  const int64_t year = yoe + era * 400 + (month <= 2 ? 1 : 0);

  out->push_back('"');
  AppendDigits(year, 4, out);
  out->push_back('-');
  AppendDigits(month, 2, out);
  out->push_back('-');
  AppendDigits(day, 2, out);
  out->push_back('T');
  AppendDigits(sod / 3600, 2, out);
  out->push_back(':');
  AppendDigits(sod / 60 % 60, 2, out);
  out->push_back(':');
  AppendDigits(sod % 60, 2, out);
  if (ts.nanos != 0) {
    uint32_t nanos = ts.nanos;
    int width = 9;
    while (nanos % 10 == 0) {
      nanos /= 10;
      --width;
    }
    out->push_back('.');
    AppendDigits(nanos, width, out);
  }
  out->append("Z\"");
  return true;
}

}  // namespace quarry::json::internal
