#include "export_format.h"

namespace quarry::cli {

StatusOr<ExportKind> ParseExportKind(std::string_view text) {
  if (text == "item") return ExportKind::kItem;
  if (text == "event") return ExportKind::kEvent;
  if (text == "artifact") return ExportKind::kArtifact;
  if (text == "metrics") return ExportKind::kMetrics;
  return InvalidArgumentError("invalid kind: \"" + std::string(text) +
                              "\" (must be item, event, artifact, or metrics)");
}

StatusOr<ExportFormat> ParseExportFormat(std::string_view text) {
  if (text == "jsonl") return ExportFormat::kJsonl;
  if (text == "csv") return ExportFormat::kCsv;
  return InvalidArgumentError("invalid format: \"" + std::string(text) +
                              "\" (must be jsonl or csv)");
}

bool KindReadsEventType(ExportKind kind, std::string_view t) {
  switch (kind) {
    case ExportKind::kItem:
      return t == "item";
    case ExportKind::kArtifact:
      return t == "artifact";
    case ExportKind::kMetrics:
      return t == "metrics";
    case ExportKind::kEvent:
      return t != "item" && t != "artifact" && t != "metrics";
  }
  return false;
}

bool LineIsKind(ExportKind kind, std::string_view line) {
  if (kind != ExportKind::kArtifact) return true;
  // Canonical JSONL escapes every quote inside a string, so this text can only be the key.
  return line.find("\"record_kind\":\"artifact_chunk\"") == std::string_view::npos;
}

namespace {

void Flatten(const nlohmann::json& v, const std::string& prefix, FlatRow* row) {
  if (v.is_object() && !v.empty()) {
    for (auto it = v.begin(); it != v.end(); ++it) {
      Flatten(it.value(), prefix.empty() ? it.key() : prefix + "." + it.key(), row);
    }
    return;
  }
  row->emplace_back(prefix, &v);
}

const nlohmann::json* Field(const nlohmann::json& obj, const char* key) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(key);
  return it == obj.end() ? nullptr : &*it;
}

constexpr const char* kItemColumns[] = {"run_id", "seq", "ts", "item_type"};

}  // namespace

void FlattenRecord(ExportKind kind, const nlohmann::json& record, FlatRow* row) {
  row->clear();
  if (kind != ExportKind::kItem) {
    Flatten(record, "", row);
    return;
  }
  static const nlohmann::json kNull;
  const nlohmann::json* payload = Field(record, "payload");
  for (const char* key : kItemColumns) {
    const nlohmann::json* v = std::string_view(key) == "item_type" && payload
                                  ? Field(*payload, "item_type")
                                  : Field(record, key);
    row->emplace_back(key, v ? v : &kNull);
  }
  const nlohmann::json* data = payload ? Field(*payload, "data") : nullptr;
  if (!data) return;
  if (!data->is_object() || data->empty()) {
    row->emplace_back("data", data);
    return;
  }
  for (auto it = data->begin(); it != data->end(); ++it) {
    std::string name = it.key();
    for (const char* key : kItemColumns) {
      if (name == key) name = "data." + name;
    }
    Flatten(it.value(), name, row);
  }
}

void AppendCsvText(std::string_view text, std::string* out) {
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) {
    out->append(text);
    return;
  }
  out->push_back('"');
  for (char c : text) {
    if (c == '"') out->push_back('"');
    out->push_back(c);
  }
  out->push_back('"');
}

void AppendCsvCell(const nlohmann::json* v, std::string* out) {
  if (v == nullptr || v->is_null()) return;
  if (v->is_string()) {
    AppendCsvText(v->get_ref<const std::string&>(), out);
    return;
  }
  AppendCsvText(v->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), out);
}

void CsvColumns::AddName(const std::string& name) {
  if (index_.find(name) != index_.end()) return;
  index_.emplace(name, names_.size());
  names_.push_back(name);
}

namespace {

// The column names of one record from SAX events, with FlattenRecord's rules.
class ColumnSax : public nlohmann::json_sax<nlohmann::json> {
 public:
  ColumnSax(ExportKind kind, CsvColumns* columns) : kind_(kind), columns_(columns) {}

  bool null() override { return Leaf(); }
  bool boolean(bool) override { return Leaf(); }
  bool number_integer(number_integer_t) override { return Leaf(); }
  bool number_unsigned(number_unsigned_t) override { return Leaf(); }
  bool number_float(number_float_t, const string_t&) override { return Leaf(); }
  bool string(string_t&) override { return Leaf(); }
  bool binary(binary_t&) override { return Leaf(); }
  bool start_object(std::size_t) override {
    if (skip_ > 0) {
      ++skip_;
    } else {
      frames_.push_back({std::string(), true});
    }
    return true;
  }
  bool key(string_t& k) override {
    if (skip_ == 0) {
      frames_.back().key = k;
      frames_.back().empty = false;
    }
    return true;
  }
  bool end_object() override {
    if (skip_ > 0) {
      --skip_;
      return true;
    }
    bool empty = frames_.back().empty;
    frames_.pop_back();
    if (empty && !frames_.empty()) Leaf();  // an empty object is one cell: {}
    return true;
  }
  bool start_array(std::size_t) override {
    if (skip_ > 0) {
      ++skip_;
    } else {
      Leaf();  // an array is one cell: its JSON text
      skip_ = 1;
    }
    return true;
  }
  bool end_array() override {
    --skip_;
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
    return false;
  }

 private:
  struct Frame {
    std::string key;
    bool empty;
  };

  bool Leaf() {
    if (skip_ > 0 || frames_.empty()) return true;
    std::string name;
    size_t first = 0;
    if (kind_ == ExportKind::kItem) {
      // Only payload.data.* (the four fixed columns are added by the caller).
      if (frames_.size() < 2 || frames_[0].key != "payload" || frames_[1].key != "data") {
        return true;
      }
      if (frames_.size() == 2) {
        columns_->AddName("data");
        return true;
      }
      first = 2;
      name = frames_[2].key;
      for (const char* k : kItemColumns) {
        if (name == k) name = "data." + name;
      }
      ++first;
    }
    for (size_t i = first; i < frames_.size(); ++i) {
      if (!name.empty() || i > first) name += '.';
      name += frames_[i].key;
    }
    columns_->AddName(name);
    return true;
  }

  const ExportKind kind_;
  CsvColumns* const columns_;
  std::vector<Frame> frames_;
  int skip_ = 0;  // > 0 inside an array (a leaf): everything in it is ignored
};

}  // namespace

bool AddLineColumns(ExportKind kind, std::string_view line, CsvColumns* columns) {
  if (kind == ExportKind::kItem) {
    for (const char* key : kItemColumns) columns->AddName(key);
  }
  ColumnSax sax(kind, columns);
  return nlohmann::json::sax_parse(line, &sax) && !line.empty() && line.front() == '{';
}

void CsvColumns::Add(const FlatRow& row) {
  for (const auto& [name, value] : row) {
    if (index_.find(name) != index_.end()) continue;
    index_.emplace(name, names_.size());
    names_.push_back(name);
  }
}

int64_t CsvColumns::Find(const std::string& name) const {
  auto it = index_.find(name);
  return it == index_.end() ? -1 : static_cast<int64_t>(it->second);
}

std::string CsvColumns::HeaderLine() const {
  std::string out;
  for (size_t i = 0; i < names_.size(); ++i) {
    if (i) out.push_back(',');
    AppendCsvText(names_[i], &out);
  }
  out += "\r\n";
  return out;
}

void AppendCsvRow(const CsvColumns& columns, const FlatRow& row, std::string* out,
                  std::vector<const nlohmann::json*>* cells) {
  cells->assign(columns.size(), nullptr);
  for (const auto& [name, value] : row) {
    int64_t i = columns.Find(name);
    if (i >= 0) (*cells)[static_cast<size_t>(i)] = value;
  }
  for (size_t i = 0; i < cells->size(); ++i) {
    if (i) out->push_back(',');
    AppendCsvCell((*cells)[i], out);
  }
  out->append("\r\n");
}

}  // namespace quarry::cli
