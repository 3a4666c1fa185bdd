// The terminal of `--tui`: ncurses (Debian's libncursesw) on the alternate screen, raw keys,
// colour pairs per Tone. The only file of the TUI that talks to curses; its destructor gives the
// terminal back as it was (cooked mode, echo, cursor, main screen), whatever ends the TUI.
#pragma once

#include <chrono>
#include <memory>
#include <vector>

#include "quarry/status.h"
#include "tui/layout.h"

struct screen;  // ncurses' SCREEN

namespace quarry::cli::tui {

// Keys as the app sees them.
enum class Key {
  kNone,
  kUp,
  kDown,
  kPageUp,
  kPageDown,
  kHome,
  kEnd,
  kOpen,
  kBack,
  kRefresh,
  kQuit,
  kResize,
  kOther
};

class Terminal {
 public:
  // `--tui needs a terminal …` unless stdin and stdout are both terminals.
  static Status Check();
  static StatusOr<std::unique_ptr<Terminal>> Open(bool color);
  ~Terminal();
  Terminal(const Terminal&) = delete;
  Terminal& operator=(const Terminal&) = delete;

  int width() const;
  int height() const;
  // The locale's codeset is UTF-8: box-drawing characters can be drawn.
  bool unicode() const { return unicode_; }

  void Draw(const std::vector<Line>& lines);
  // The next key, or Key::kNone when `timeout` passes first.
  Key ReadKey(std::chrono::milliseconds timeout);

 private:
  Terminal(::screen* s, bool color, bool unicode) : screen_(s), color_(color), unicode_(unicode) {}
  ::screen* screen_;
  bool color_;
  bool unicode_;
};

}  // namespace quarry::cli::tui
