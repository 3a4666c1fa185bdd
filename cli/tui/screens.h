// The screens of `--tui` (cli-and-integrations.md §6.4) as plain data built from the read model:
// boxes of counts, key/value panels and one selectable table. Nothing here touches a terminal, so
// what each view shows is unit-tested without one (layout.h draws it, app.h drives it).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "output/render.h"
#include "quarry/read/model.h"

namespace quarry::cli::tui {

using output::Tone;

// Where the TUI is: one view of one entity. A selectable row names the place it opens.
struct Place {
  enum class Kind {
    kRuns,       // stats runs: the four boxes, then every run
    kJobs,       // stats jobs
    kTasks,      // stats tasks
    kExecutors,  // stats executors
    kMetrics,    // stats metrics [--run-id] [--source]
    kRun,        // inspect run <id>
    kJob,        // inspect job <id>
    kTask,       // inspect task <id>
    kExecutor,   // inspect executor <id>
  };
  Kind kind = Kind::kRuns;
  std::string id;      // the entity of an inspect view; the --run-id of stats metrics
  std::string source;  // stats metrics --source
  bool operator==(const Place&) const = default;
};

struct Field {
  std::string label;
  std::string value;
  Tone tone = Tone::kNone;
};

struct Panel {
  std::string title;
  std::vector<Field> fields;
};

struct Box {
  std::string label;
  uint64_t value = 0;
  Tone tone = Tone::kNone;
};

struct Row {
  std::vector<Field> cells;  // Field::label unused
  std::optional<Place> opens;
};

struct Table {
  std::string title;
  std::vector<std::string> header;
  std::vector<Row> rows;
  std::string empty = "(no results)";
};

struct Screen {
  std::string title;
  std::vector<Box> boxes;
  std::vector<Panel> panels;
  Table table;
  // Set when the place is not in the dataset (the non-TUI command's error text, e.g.
  // `run not found: x`); the rest is then empty.
  std::string problem;
};

Screen BuildScreen(const read::Dataset& d, const Place& place);

// RFC 3339 -> "YYYY-MM-DD HH:MM:SS" (UTC); text that does not parse is returned as it is.
std::string DisplayTime(std::string_view rfc3339);
// 1536 -> "1.5 KiB".
std::string DisplayBytes(uint64_t bytes);

}  // namespace quarry::cli::tui
