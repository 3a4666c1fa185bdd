#include "lode/partition.h"
#include "quarry/lode/run_writer.h"

namespace quarry::lode {
namespace {

// The bytes §4.4 keeps literal; everything else (including every non-ASCII byte) is %XX.
constexpr bool IsLiteral(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == '~' || c == '$' || c == '&' || c == '+' || c == ':' ||
         c == '=' || c == '@';
}

void AppendRunPrefix(const RunDescriptor& run, std::string* out) {
  out->append("datasets/").append(run.dataset).append("/partitions/source=");
  AppendEscapedPartitionValue(run.source, out);
  out->append("/category=");
  AppendEscapedPartitionValue(run.category, out);
  out->append("/day=");
  AppendEscapedPartitionValue(run.day, out);
  out->append("/run_id=");
  AppendEscapedPartitionValue(run.run_id, out);
}

}  // namespace

void AppendEscapedPartitionValue(std::string_view value, std::string* out) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (char ch : value) {
    const auto c = static_cast<unsigned char>(ch);
    if (IsLiteral(c)) {
      out->push_back(ch);
    } else {
      out->push_back('%');
      out->push_back(kHex[c >> 4]);
      out->push_back(kHex[c & 0xf]);
    }
  }
}

std::string EscapePartitionValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  AppendEscapedPartitionValue(value, &out);
  return out;
}

std::string PartitionPath(std::string_view source, std::string_view category, std::string_view day,
                          std::string_view run_id, std::string_view event_type) {
  std::string p;
  p.reserve(64 + source.size() + category.size() + day.size() + run_id.size() + event_type.size());
  p.append("source=");
  AppendEscapedPartitionValue(source, &p);
  p.append("/category=");
  AppendEscapedPartitionValue(category, &p);
  p.append("/day=");
  AppendEscapedPartitionValue(day, &p);
  p.append("/run_id=");
  AppendEscapedPartitionValue(run_id, &p);
  p.append("/event_type=");
  AppendEscapedPartitionValue(event_type, &p);
  return p;
}

std::string ReadablePartition(std::string_view dataset, std::string_view source,
                              std::string_view category, std::string_view day,
                              std::string_view run_id, std::string_view event_type) {
  std::string p;
  p.append(dataset).append("/").append(source).append("/").append(category).append("/");
  p.append(day).append("/").append(run_id).append("/").append(event_type);
  return p;
}

std::string SidecarPath(const RunDescriptor& run, std::string_view filename) {
  std::string p;
  AppendRunPrefix(run, &p);
  p.append("/files/").append(filename);
  return p;
}

}  // namespace quarry::lode
