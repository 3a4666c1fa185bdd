// Lays a Screen out on a terminal of a given size: title bar, count boxes, key/value panels
// (side by side while they fit), the selectable table scrolled to its selection, and a footer
// with the keys. Pure text with colour hints, so the whole layout is unit-tested; terminal.h
// only copies the lines to the screen.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "tui/screens.h"

namespace quarry::cli::tui {

struct Segment {
  std::string text;
  Tone tone = Tone::kNone;
  bool bold = false;
  bool reverse = false;
  bool dim = false;
};
using Line = std::vector<Segment>;

struct LayoutOptions {
  int width = 80;
  int height = 24;
  size_t selected = 0;      // row of the table (clamped)
  std::string status;       // right end of the footer ("refreshed 12:00:01")
  bool status_bad = false;  // the status is an error (a failed refresh)
  bool can_go_back = false;
  bool unicode = true;  // box-drawing characters; ASCII when the locale is not UTF-8
};

// Exactly `height` lines, none wider than `width` columns.
std::vector<Line> Layout(const Screen& screen, const LayoutOptions& options);

// How many table rows the layout shows (PgUp/PgDn move by this).
size_t VisibleTableRows(const Screen& screen, const LayoutOptions& options);

// Text of a line without colour hints (tests, and a plain-text dump).
std::string PlainText(const Line& line);

// Columns of UTF-8 text (one per code point).
size_t Columns(std::string_view text);

}  // namespace quarry::cli::tui
