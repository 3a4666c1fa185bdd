#include "export_command.h"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "export_format.h"
#include "export_select.h"
#include "progress_line.h"
#include "quarry/lode/open_store.h"
#include "quarry/lode/store.h"
#include "quarry/log.h"
#include "quarry/read/digest_cache.h"
#include "quarry/read/model.h"
#include "quarry/read/scan.h"
#include "quarry/redact.h"
#include "read/dataset_location.h"

namespace quarry::cli {
namespace {

struct ExportFlags {
  LocationFlags location;
  std::vector<std::string> run_ids;
  std::string job_id, source, category, day;
  std::string kind = "item", item_type, format = "jsonl", output;
  bool list_files = false;
  CLI::App* cmd = nullptr;
  bool Set(const char* name) const { return cmd->count(name) > 0; }
};

// Read-only commands: one line, exit 1 (cli-and-integrations.md §2).
struct ExportError {
  std::string message;
};

[[noreturn]] void Fail(const std::string& message) { throw ExportError{message}; }

template <typename T>
T OrFail(StatusOr<T> v) {
  if (!v.ok()) Fail(v.status().message());
  return std::move(v).value();
}

// Buffered output that remembers the first write error (a full disk, a closed pipe).
class Output {
 public:
  explicit Output(FILE* f) : f_(f) { buf_.reserve(kFlushAt + 65536); }
  std::string* buffer() { return &buf_; }
  void MaybeFlush() {
    if (buf_.size() >= kFlushAt) Flush();
  }
  void Flush() {
    if (!buf_.empty() && std::fwrite(buf_.data(), 1, buf_.size(), f_) != buf_.size()) {
      Fail(std::string("writing the export failed: ") + std::strerror(errno));
    }
    buf_.clear();
  }

 private:
  static constexpr size_t kFlushAt = 1 << 20;
  FILE* f_;
  std::string buf_;
};

struct Progress {
  std::atomic<uint64_t> files_done{0}, records{0}, scanned{0}, listed{0};
  std::atomic<int> phase{0};  // 0 scan, 1 columns, 2 export
  uint64_t files_total = 0;
};

// Calls `fn(line)` for every non-empty line of every file, one file in memory at a time.
template <typename Fn>
void ForEachLine(lode::Store& store, const std::vector<ExportFile>& files, Progress* p, Fn fn) {
  p->files_done = 0;
  for (const ExportFile& file : files) {
    std::string bytes = OrFail(store.Get(file.path));
    std::string_view rest = bytes;
    while (!rest.empty()) {
      size_t nl = rest.find('\n');
      std::string_view line = rest.substr(0, nl);
      rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (!line.empty()) fn(line, file);
    }
    p->files_done.fetch_add(1, std::memory_order_relaxed);
  }
}

nlohmann::json ParseLine(std::string_view line, const ExportFile& file) {
  nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    Fail("read " + file.path + ": a line is not a JSON object");
  }
  return j;
}

bool ItemTypeMatches(const nlohmann::json& record, const std::string& want) {
  auto p = record.find("payload");
  if (p == record.end() || !p->is_object()) return false;
  auto t = p->find("item_type");
  return t != p->end() && t->is_string() && t->get_ref<const std::string&>() == want;
}

int Export(ExportFlags& f) {
  ExportSelection sel;
  sel.kind = OrFail(ParseExportKind(f.kind));
  const ExportFormat format = OrFail(ParseExportFormat(f.format));
  if (f.Set("--item-type") && sel.kind != ExportKind::kItem) {
    Fail("--item-type needs --kind item");
  }
  sel.run_ids = f.run_ids;
  if (f.Set("--job-id")) sel.job_id = f.job_id;
  if (f.Set("--source")) sel.source = f.source;
  if (f.Set("--category")) sel.category = f.category;
  if (f.Set("--day")) {
    if (Status s = ParseDayRange(f.day, &sel); !s.ok()) Fail(s.message());
  }
  const LocationFlags where = OrFail(ResolveLocation(*f.cmd, f.location));
  std::shared_ptr<lode::Store> store = OrFail(lode::OpenStore(where.location));

  Progress p;
  ProgressLine line(::isatty(STDERR_FILENO) != 0, [&p](double secs) {
    char buf[160];
    switch (p.phase.load()) {
      case 0:
        std::snprintf(buf, sizeof buf, "export %.1fs  scanning snapshots %llu/%llu", secs,
                      static_cast<unsigned long long>(p.scanned.load()),
                      static_cast<unsigned long long>(p.listed.load()));
        break;
      default:
        std::snprintf(buf, sizeof buf, "export %.1fs  %s files %llu/%llu  records %llu", secs,
                      p.phase.load() == 1 ? "columns:" : "",
                      static_cast<unsigned long long>(p.files_done.load()),
                      static_cast<unsigned long long>(p.files_total),
                      static_cast<unsigned long long>(p.records.load()));
    }
    return std::string(buf);
  });

  std::unique_ptr<read::DigestCache> cache;
  if (auto dir = read::DefaultCacheDir()) {
    if (auto c = read::DigestCache::Open(*dir, *store, where.dataset); c.ok()) {
      cache = std::move(c).value();
    }
  }
  read::ScanOptions options;
  options.cache = cache.get();
  options.progress = [&p](size_t done, size_t listed) {
    p.scanned = done;
    p.listed = listed;
  };
  read::Dataset dataset(OrFail(read::ScanDataset(*store, where.dataset, options)));
  std::vector<ExportFile> files = OrFail(SelectExportFiles(dataset, sel));
  p.files_total = files.size();

  FILE* out = stdout;
  std::string tmp_path;
  if (!f.output.empty() && f.output != "-") {
    // Written beside the target and renamed at the end: a failed export leaves no partial file.
    tmp_path = f.output + ".quarry-export-tmp";
    out = std::fopen(tmp_path.c_str(), "wb");
    if (!out) Fail("cannot write " + PrintableValue(f.output, 400) + ": " + std::strerror(errno));
  }
  struct Cleanup {
    FILE* out;
    std::string tmp;
    bool done = false;
    ~Cleanup() {
      if (tmp.empty()) return;
      if (out) std::fclose(out);
      if (!done) std::remove(tmp.c_str());
    }
  } cleanup{out == stdout ? nullptr : out, tmp_path};

  Output w(out);
  if (f.list_files) {
    std::string root = lode::StorageRootUrl(where.location);
    if (root.empty() || root.back() != '/') root += '/';
    for (const ExportFile& file : files) *w.buffer() += root + file.path + "\n";
  } else if (format == ExportFormat::kJsonl) {
    p.phase = 2;
    const bool by_item_type = f.Set("--item-type");
    ForEachLine(*store, files, &p, [&](std::string_view text, const ExportFile& file) {
      if (!LineIsKind(sel.kind, text)) return;
      if (by_item_type && !ItemTypeMatches(ParseLine(text, file), f.item_type)) return;
      w.buffer()->append(text);
      w.buffer()->push_back('\n');
      p.records.fetch_add(1, std::memory_order_relaxed);
      w.MaybeFlush();
    });
  } else {
    // Pass 1: the union of the selected records' columns; pass 2: the rows (docs/export.md).
    p.phase = 1;
    CsvColumns columns;
    FlatRow row;
    auto selected = [&](std::string_view text, const ExportFile& file,
                        nlohmann::json* record) -> bool {
      if (!LineIsKind(sel.kind, text)) return false;
      *record = ParseLine(text, file);
      return f.item_type.empty() || ItemTypeMatches(*record, f.item_type);
    };
    nlohmann::json record;
    ForEachLine(*store, files, &p, [&](std::string_view text, const ExportFile& file) {
      if (f.item_type.empty()) {
        // Columns only: no record is built (the SAX pass is the cheaper half of a CSV export).
        if (!LineIsKind(sel.kind, text)) return;
        if (!AddLineColumns(sel.kind, text, &columns)) {
          Fail("read " + file.path + ": a line is not a JSON object");
        }
      } else {
        if (!selected(text, file, &record)) return;
        FlattenRecord(sel.kind, record, &row);
        columns.Add(row);
      }
      p.records.fetch_add(1, std::memory_order_relaxed);
    });
    p.phase = 2;
    p.records = 0;
    if (columns.size() > 0) *w.buffer() += columns.HeaderLine();
    std::vector<const nlohmann::json*> cells;
    ForEachLine(*store, files, &p, [&](std::string_view text, const ExportFile& file) {
      if (!selected(text, file, &record)) return;
      FlattenRecord(sel.kind, record, &row);
      AppendCsvRow(columns, row, w.buffer(), &cells);
      p.records.fetch_add(1, std::memory_order_relaxed);
      w.MaybeFlush();
    });
  }
  w.Flush();
  line.Stop();
  if (std::fflush(out) != 0)
    Fail(std::string("writing the export failed: ") + std::strerror(errno));
  if (!tmp_path.empty()) {
    if (std::fclose(out) != 0) {
      cleanup.out = nullptr;
      Fail(std::string("writing the export failed: ") + std::strerror(errno));
    }
    cleanup.out = nullptr;
    if (std::rename(tmp_path.c_str(), f.output.c_str()) != 0) {
      Fail("cannot write " + PrintableValue(f.output, 400) + ": " + std::strerror(errno));
    }
    cleanup.done = true;
  }
  return 0;
}

}  // namespace

void AddExportCommand(CLI::App* app, int* exit_code) {
  auto flags = std::make_shared<ExportFlags>();
  ExportFlags& f = *flags;
  CLI::App* cmd = app->add_subcommand(
      "export", "Stream a run's, a job's or a partition range's committed records as JSONL or CSV");
  f.cmd = cmd;
  cmd->add_option("--run-id", f.run_ids, "Export this run (repeatable)")->allow_extra_args(false);
  cmd->add_option("--job-id", f.job_id, "Export every run of this job");
  cmd->add_option("--source", f.source, "Only runs of this source");
  cmd->add_option("--category", f.category, "Only runs of this category");
  cmd->add_option("--day", f.day, "Only runs of this day or range: YYYY-MM-DD[..YYYY-MM-DD]");
  cmd->add_option("--kind", f.kind, "Records: item, event (every other event), artifact, metrics")
      ->capture_default_str();
  cmd->add_option("--item-type", f.item_type, "Only items of this item_type");
  cmd->add_option("-f,--format", f.format, "jsonl (the stored records) or csv (flattened)")
      ->capture_default_str();
  cmd->add_option("-o,--output", f.output, "Write to this file instead of stdout");
  cmd->add_flag("--list-files", f.list_files,
                "Print the committed data files of the selection instead (for DuckDB)");
  AddLocationFlags(cmd, &f.location);
  cmd->footer(
      "Examples:\n"
      "  quarry export --run-id demo-1 --storage-backend fs --storage-path quarry-data\n"
      "  quarry export --source shop --day 2026-12-01..2026-12-04 --format csv -o items.csv "
      "--storage-backend fs --storage-path quarry-data");
  cmd->callback([flags, exit_code] {
    try {
      *exit_code = Export(*flags);
    } catch (const ExportError& e) {
      log::Error(e.message);
      *exit_code = 1;
    }
  });
}

}  // namespace quarry::cli
