#include "tui/app.h"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "read/load_dataset.h"
#include "tui/terminal.h"

namespace quarry::cli::tui {
namespace {

using Clock = std::chrono::steady_clock;
using DatasetPtr = std::shared_ptr<const read::Dataset>;

constexpr auto kRefreshEvery = std::chrono::seconds(2);

// One reload in the background, so keys keep working while a large dataset is scanned. The
// thread is detached: a load stuck past the read timeout must not hold up quitting.
class Reload {
 public:
  explicit Reload(const LocationFlags& location) : state_(std::make_shared<State>()) {
    std::thread([state = state_, location] {
      StatusOr<DatasetPtr> loaded = LoadDataset(location, /*progress=*/false);
      std::lock_guard lock(state->mu);
      state->result = std::move(loaded);
      state->done = true;
    }).detach();
  }
  // The result once the load has ended.
  std::optional<StatusOr<DatasetPtr>> Take() {
    std::lock_guard lock(state_->mu);
    if (!state_->done) return std::nullopt;
    return std::move(state_->result);
  }

 private:
  struct State {
    std::mutex mu;
    bool done = false;
    StatusOr<DatasetPtr> result = DatasetPtr();
  };
  std::shared_ptr<State> state_;
};

// What a row is, across reloads: the place it opens, else its first cell.
std::string RowIdentity(const Row& row) {
  if (row.opens) {
    return std::to_string(static_cast<int>(row.opens->kind)) + "/" + row.opens->id + "/" +
           row.opens->source;
  }
  return row.cells.empty() ? "" : row.cells.front().value;
}

struct View {
  Place place;
  size_t selected = 0;
  std::string selected_identity;
};

std::string WallClock() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%H:%M:%S", &tm);
  return buf;
}

class App {
 public:
  App(const LocationFlags& location, DatasetPtr dataset, const Place& start)
      : location_(location), dataset_(std::move(dataset)) {
    stack_.push_back(View{start, 0, ""});
    Rebuild();
    status_ = "loaded " + WallClock() + " UTC";
  }

  Status Run(Terminal& term) {
    auto next_reload = Clock::now() + kRefreshEvery;
    for (;;) {
      Draw(term);
      if (reload_) {
        if (auto result = reload_->Take()) {
          reload_.reset();
          Reloaded(std::move(*result));
          next_reload = Clock::now() + kRefreshEvery;
          continue;
        }
      } else if (Clock::now() >= next_reload) {
        reload_.emplace(location_);
      }
      // Short waits while a reload runs (to pick it up), otherwise until the next one is due.
      auto wait =
          reload_
              ? std::chrono::milliseconds(50)
              : std::chrono::duration_cast<std::chrono::milliseconds>(next_reload - Clock::now());
      if (wait.count() < 0) wait = std::chrono::milliseconds(0);
      const Key key = term.ReadKey(wait);
      if (key == Key::kQuit) return Status::Ok();
      if (key == Key::kRefresh && !reload_) next_reload = Clock::now();
      Handle(key, term);
    }
  }

 private:
  View& top() { return stack_.back(); }

  void Rebuild() {
    screen_ = BuildScreen(*dataset_, top().place);
    Reselect();
  }

  // After a rebuild: the row that was selected, wherever it moved; else the same index.
  void Reselect() {
    View& v = top();
    const auto& rows = screen_.table.rows;
    if (!v.selected_identity.empty()) {
      for (size_t i = 0; i < rows.size(); ++i) {
        if (RowIdentity(rows[i]) == v.selected_identity) {
          v.selected = i;
          return;
        }
      }
    }
    v.selected = rows.empty() ? 0 : std::min(v.selected, rows.size() - 1);
    Remember();
  }

  void Remember() {
    View& v = top();
    const auto& rows = screen_.table.rows;
    v.selected_identity = v.selected < rows.size() ? RowIdentity(rows[v.selected]) : "";
  }

  void Reloaded(StatusOr<DatasetPtr> result) {
    if (!result.ok()) {
      status_ = "refresh failed: " + result.status().message();
      status_bad_ = true;
      return;
    }
    dataset_ = std::move(*result);
    status_ = "refreshed " + WallClock() + " UTC";
    status_bad_ = false;
    Rebuild();
  }

  LayoutOptions Options(const Terminal& term) const {
    LayoutOptions o;
    o.width = term.width();
    o.height = term.height();
    o.selected = stack_.back().selected;
    o.status = reload_ && status_bad_ ? "refreshing…" : status_;
    o.status_bad = status_bad_;
    o.can_go_back = stack_.size() > 1;
    o.unicode = term.unicode();
    return o;
  }

  void Draw(Terminal& term) { term.Draw(Layout(screen_, Options(term))); }

  void Handle(Key key, const Terminal& term) {
    View& v = top();
    const size_t n = screen_.table.rows.size();
    const size_t page = std::max<size_t>(VisibleTableRows(screen_, Options(term)), 1);
    switch (key) {
      case Key::kUp:
        v.selected = v.selected > 0 ? v.selected - 1 : 0;
        break;
      case Key::kDown:
        v.selected = n > 0 ? std::min(v.selected + 1, n - 1) : 0;
        break;
      case Key::kPageUp:
        v.selected = v.selected > page ? v.selected - page : 0;
        break;
      case Key::kPageDown:
        v.selected = n > 0 ? std::min(v.selected + page, n - 1) : 0;
        break;
      case Key::kHome:
        v.selected = 0;
        break;
      case Key::kEnd:
        v.selected = n > 0 ? n - 1 : 0;
        break;
      case Key::kOpen:
        if (v.selected < n && screen_.table.rows[v.selected].opens) {
          stack_.push_back(View{*screen_.table.rows[v.selected].opens, 0, ""});
          Rebuild();
        }
        return;
      case Key::kBack:
        if (stack_.size() > 1) {
          stack_.pop_back();
          Rebuild();
        }
        return;
      default:
        return;
    }
    Remember();
  }

  LocationFlags location_;
  DatasetPtr dataset_;
  std::vector<View> stack_;
  Screen screen_;
  std::string status_;
  bool status_bad_ = false;
  std::optional<Reload> reload_;
};

}  // namespace

Status RunTui(const LocationFlags& location, const Place& start, bool color) {
  // Everything that can fail does so before the terminal is taken, as a plain error line.
  QUARRY_RETURN_IF_ERROR(Terminal::Check());
  QUARRY_ASSIGN_OR_RETURN(DatasetPtr dataset, LoadDataset(location, /*progress=*/true));
  if (Screen first = BuildScreen(*dataset, start); !first.problem.empty()) {
    return NotFoundError(first.problem);
  }
  App app(location, std::move(dataset), start);
  QUARRY_ASSIGN_OR_RETURN(std::unique_ptr<Terminal> term, Terminal::Open(color));
  return app.Run(*term);
}

}  // namespace quarry::cli::tui
