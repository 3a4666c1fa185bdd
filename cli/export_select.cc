#include "export_select.h"

#include <algorithm>
#include <set>

#include "quarry/lode/run_writer.h"
#include "quarry/redact.h"

namespace quarry::cli {
namespace {

bool IsDay(const std::string& d) {
  if (d.size() != 10 || d[4] != '-' || d[7] != '-') return false;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (d[i] < '0' || d[i] > '9') return false;
  }
  return true;
}

bool RunMatches(const read::Run& run, const ExportSelection& sel) {
  if (sel.source && run.source != *sel.source) return false;
  if (sel.category && run.category != *sel.category) return false;
  if (sel.day_from && run.day < *sel.day_from) return false;
  if (sel.day_to && run.day > *sel.day_to) return false;
  return true;
}

}  // namespace

Status ParseDayRange(const std::string& text, ExportSelection* sel) {
  size_t dots = text.find("..");
  std::string from = dots == std::string::npos ? text : text.substr(0, dots);
  std::string to = dots == std::string::npos ? text : text.substr(dots + 2);
  if (!IsDay(from) || !IsDay(to) || to < from) {
    return InvalidArgumentError("invalid --day: \"" + PrintableValue(text) +
                                "\" (must be YYYY-MM-DD or YYYY-MM-DD..YYYY-MM-DD)");
  }
  sel->day_from = from;
  sel->day_to = to;
  return Status::Ok();
}

StatusOr<std::vector<ExportFile>> SelectExportFiles(const read::Dataset& dataset,
                                                    const ExportSelection& sel) {
  std::vector<const read::Run*> runs;
  if (!sel.run_ids.empty() || sel.job_id) {
    std::set<std::string> ids(sel.run_ids.begin(), sel.run_ids.end());
    for (const std::string& id : sel.run_ids) {
      if (!dataset.FindRun(id)) return NotFoundError("run not found: " + PrintableValue(id, 200));
    }
    if (sel.job_id) {
      const read::Job* job = dataset.FindJob(*sel.job_id);
      if (!job) return NotFoundError("job not found: " + PrintableValue(*sel.job_id, 200));
      // --run-id and --job-id together: the job's runs among the given ones.
      std::set<std::string> of_job(job->run_ids.begin(), job->run_ids.end());
      if (ids.empty()) {
        ids = of_job;
      } else {
        std::set<std::string> both;
        std::set_intersection(ids.begin(), ids.end(), of_job.begin(), of_job.end(),
                              std::inserter(both, both.begin()));
        ids = both;
      }
    }
    for (const std::string& id : ids) runs.push_back(dataset.FindRun(id));
  } else {
    for (const read::Run& r : dataset.runs()) runs.push_back(&r);
  }

  const std::string base = "datasets/" + dataset.scan().dataset + "/partitions/";
  std::vector<ExportFile> files;
  for (const read::Run* run : runs) {
    if (!RunMatches(*run, sel)) continue;
    const std::string prefix = base + "source=" + lode::EscapePartitionValue(run->source) +
                               "/category=" + lode::EscapePartitionValue(run->category) +
                               "/day=" + lode::EscapePartitionValue(run->day) +
                               "/run_id=" + lode::EscapePartitionValue(run->run_id) +
                               "/event_type=";
    for (size_t idx : run->snapshots) {
      for (const lode::ManifestFileRef& f : dataset.scan().snapshots[idx].files) {
        if (f.path.compare(0, prefix.size(), prefix) != 0) continue;
        size_t end = f.path.find('/', prefix.size());
        std::string type = f.path.substr(prefix.size(), end - prefix.size());
        if (!KindReadsEventType(sel.kind, type)) continue;
        files.push_back({idx, f.path, f.size_bytes});
      }
    }
  }
  std::sort(files.begin(), files.end(), [](const ExportFile& a, const ExportFile& b) {
    return a.snapshot != b.snapshot ? a.snapshot < b.snapshot : a.path < b.path;
  });
  files.erase(std::unique(files.begin(), files.end(),
                          [](const ExportFile& a, const ExportFile& b) {
                            return a.snapshot == b.snapshot && a.path == b.path;
                          }),
              files.end());
  return files;
}

}  // namespace quarry::cli
