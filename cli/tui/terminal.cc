#include "tui/terminal.h"

#include <curses.h>
#include <langinfo.h>
#include <unistd.h>

#include <clocale>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace quarry::cli::tui {
namespace {

// Colour pairs, one per Tone but kNone.
short PairOf(Tone tone) {
  switch (tone) {
    case Tone::kGood:
      return 1;
    case Tone::kBusy:
      return 2;
    case Tone::kBad:
      return 3;
    case Tone::kNone:
      break;
  }
  return 0;
}

}  // namespace

Status Terminal::Check() {
  if (::isatty(STDIN_FILENO) != 1 || ::isatty(STDOUT_FILENO) != 1) {
    return FailedPreconditionError("--tui needs a terminal (stdin and stdout must be a tty)");
  }
  return Status::Ok();
}

StatusOr<std::unique_ptr<Terminal>> Terminal::Open(bool color) {
  QUARRY_RETURN_IF_ERROR(Check());
  // The user's locale decides how multibyte text is drawn; only LC_CTYPE matters here, and
  // setting it once is safe before any thread of ours formats text.
  std::setlocale(LC_CTYPE, "");
  const bool unicode = std::strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
  std::fflush(stdout);
  ::screen* s = newterm(nullptr, stdout, stdin);
  if (s == nullptr) {
    const char* term = std::getenv("TERM");
    return FailedPreconditionError(std::string("--tui cannot drive terminal type \"") +
                                   (term ? term : "") + "\" (set TERM, e.g. TERM=xterm-256color)");
  }
  set_term(s);
  raw();  // ctrl+c arrives as a key, so quitting always goes through the destructor
  noecho();
  nonl();
  keypad(stdscr, TRUE);
  set_escdelay(25);
  curs_set(0);
  color = color && has_colors();
  if (color) {
    start_color();
    use_default_colors();
    init_pair(PairOf(Tone::kGood), COLOR_GREEN, -1);
    init_pair(PairOf(Tone::kBusy), COLOR_YELLOW, -1);
    init_pair(PairOf(Tone::kBad), COLOR_RED, -1);
  }
  return std::unique_ptr<Terminal>(new Terminal(s, color, unicode));
}

Terminal::~Terminal() {
  curs_set(1);
  endwin();
  delscreen(screen_);
  std::fflush(stdout);
}

int Terminal::width() const { return COLS; }
int Terminal::height() const { return LINES; }

void Terminal::Draw(const std::vector<Line>& lines) {
  erase();
  int y = 0;
  for (const Line& line : lines) {
    if (y >= LINES) break;
    move(y, 0);
    for (const Segment& seg : line) {
      attr_t attrs = A_NORMAL;
      if (seg.bold) attrs |= A_BOLD;
      if (seg.reverse) attrs |= A_REVERSE;
      if (seg.dim && color_) attrs |= A_DIM;
      const short pair = color_ ? PairOf(seg.tone) : 0;
      attr_set(attrs, pair, nullptr);
      // The last cell of the screen cannot be written without scrolling: curses reports it as
      // an error, and the text before it is drawn.
      addstr(seg.text.c_str());
    }
    ++y;
  }
  attr_set(A_NORMAL, 0, nullptr);
  refresh();
}

Key Terminal::ReadKey(std::chrono::milliseconds timeout) {
  ::timeout(static_cast<int>(timeout.count()));
  const int c = getch();
  switch (c) {
    case ERR:
      return Key::kNone;
    case KEY_UP:
    case 'k':
      return Key::kUp;
    case KEY_DOWN:
    case 'j':
      return Key::kDown;
    case KEY_PPAGE:
      return Key::kPageUp;
    case KEY_NPAGE:
    case ' ':
      return Key::kPageDown;
    case KEY_HOME:
    case 'g':
      return Key::kHome;
    case KEY_END:
    case 'G':
      return Key::kEnd;
    case KEY_ENTER:
    case '\n':
    case '\r':
    case KEY_RIGHT:
    case 'l':
      return Key::kOpen;
    case 27:
    case KEY_LEFT:
    case 'h':
    case KEY_BACKSPACE:
    case 127:
    case 8:
      return Key::kBack;
    case 'r':
      return Key::kRefresh;
    case 'q':
    case 'Q':
    case 3:
      return Key::kQuit;  // 3: ctrl+c in raw mode
    case KEY_RESIZE:
      return Key::kResize;
    default:
      return Key::kOther;
  }
}

}  // namespace quarry::cli::tui
