#include "tui/layout.h"

#include <algorithm>

namespace quarry::cli::tui {
namespace {

struct Glyphs {
  const char *h, *v, *tl, *tr, *bl, *br, *ellipsis, *arrows;
};
constexpr Glyphs kUnicode{"─", "│", "┌", "┐", "└", "┘", "…", "↑↓"};
constexpr Glyphs kAscii{"-", "|", "+", "+", "+", "+", "~", "j/k"};

// Bytes of the first `cols` code points of `s`.
size_t PrefixBytes(std::string_view s, size_t cols) {
  size_t i = 0;
  for (size_t n = 0; i < s.size() && n < cols; ++n) {
    ++i;
    while (i < s.size() && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) ++i;
  }
  return i;
}

// `s` cut or padded to exactly `w` columns.
std::string Fit(std::string_view s, size_t w, const Glyphs& g) {
  const size_t c = Columns(s);
  if (c <= w) return std::string(s) + std::string(w - c, ' ');
  if (w == 0) return "";
  return std::string(s.substr(0, PrefixBytes(s, w - 1))) + g.ellipsis;
}

std::string Repeat(std::string_view glyph, size_t n) {
  std::string out;
  out.reserve(glyph.size() * n);
  for (size_t i = 0; i < n; ++i) out += glyph;
  return out;
}

size_t Width(const Line& line) {
  size_t w = 0;
  for (const Segment& s : line) w += Columns(s.text);
  return w;
}

// "┌─ Title ───┐" of `width` columns.
Line TopBorder(std::string_view title, size_t width, const Glyphs& g) {
  const size_t inner = width >= 2 ? width - 2 : 0;
  std::string head = title.empty() ? "" : " " + std::string(title) + " ";
  head = Fit(head, std::min(Columns(head), inner > 1 ? inner - 1 : 0), g);
  const size_t used = head.empty() ? 0 : 1 + Columns(head);
  Line line{{std::string(g.tl) + (head.empty() ? "" : g.h), Tone::kNone, false, false, true}};
  line.push_back({head, Tone::kNone, true});
  line.push_back(
      {Repeat(g.h, inner - std::min(inner, used)) + g.tr, Tone::kNone, false, false, true});
  return line;
}

Line BottomBorder(size_t width, const Glyphs& g) {
  return {{std::string(g.bl) + Repeat(g.h, width >= 2 ? width - 2 : 0) + g.br, Tone::kNone, false,
           false, true}};
}

using Block = std::vector<Line>;  // lines of one width

Block BoxBlock(const Box& box, size_t width, const Glyphs& g) {
  const size_t inner = width - 2;
  const std::string value = std::to_string(box.value);
  const size_t vc = std::min(Columns(value), inner);
  const size_t left = (inner - vc) / 2;
  Line mid{{g.v, Tone::kNone, false, false, true},
           {std::string(left, ' '), Tone::kNone},
           {Fit(value, vc, g), box.tone, true},
           {std::string(inner - vc - left, ' '), Tone::kNone},
           {g.v, Tone::kNone, false, false, true}};
  return {TopBorder(box.label, width, g), mid, BottomBorder(width, g)};
}

Block PanelBlock(const Panel& p, size_t max_width, const Glyphs& g) {
  size_t label_w = 0, value_w = 0;
  for (const Field& f : p.fields) {
    label_w = std::max(label_w, Columns(f.label));
    value_w = std::max(value_w, Columns(f.value));
  }
  label_w = std::min(label_w, max_width / 2);
  size_t width = std::max(4 + label_w + 2 + value_w, Columns(p.title) + 6);
  width = std::min(width, max_width);
  const size_t room = width >= 4 + label_w + 2 ? width - 4 - label_w - 2 : 0;
  Block b{TopBorder(p.title, width, g)};
  for (const Field& f : p.fields) {
    b.push_back({{std::string(g.v) + " ", Tone::kNone, false, false, true},
                 {Fit(f.label, label_w, g) + "  ", Tone::kNone, true},
                 {Fit(f.value, room, g), f.tone},
                 {std::string(" ") + g.v, Tone::kNone, false, false, true}});
  }
  b.push_back(BottomBorder(width, g));
  return b;
}

// Blocks left to right, one space apart, wrapping to a new band when the next does not fit.
void Flow(const std::vector<Block>& blocks, size_t width, std::vector<Line>* out) {
  size_t i = 0;
  while (i < blocks.size()) {
    size_t used = 0, end = i, height = 0;
    while (end < blocks.size()) {
      const size_t w = Width(blocks[end].front());
      if (end > i && used + 1 + w > width) break;
      used += (end > i ? 1 : 0) + w;
      height = std::max(height, blocks[end].size());
      ++end;
    }
    for (size_t row = 0; row < height; ++row) {
      Line line;
      for (size_t k = i; k < end; ++k) {
        if (k > i) line.push_back({" "});
        const size_t w = Width(blocks[k].front());
        if (row < blocks[k].size()) {
          for (const Segment& s : blocks[k][row]) line.push_back(s);
        } else {
          line.push_back({std::string(w, ' ')});
        }
      }
      out->push_back(std::move(line));
    }
    i = end;
  }
}

// Everything above the table.
std::vector<Line> TopLines(const Screen& s, const LayoutOptions& o, const Glyphs& g) {
  const size_t width = static_cast<size_t>(std::max(o.width, 1));
  std::vector<Line> top;
  top.push_back({{Fit(" Quarry  " + s.title, width, g), Tone::kNone, true, true}});
  if (!s.problem.empty()) {
    top.push_back({});
    top.push_back({{Fit(s.problem, width, g), Tone::kBad, true}});
  }
  if (!s.boxes.empty()) {
    top.push_back({});
    const size_t n = s.boxes.size();
    const size_t bw = std::clamp<size_t>(width > n - 1 ? (width - (n - 1)) / n : 0, 7, 22);
    std::vector<Block> boxes;
    for (const Box& b : s.boxes) boxes.push_back(BoxBlock(b, bw, g));
    Flow(boxes, width, &top);
  }
  if (!s.panels.empty()) {
    top.push_back({});
    std::vector<Block> panels;
    for (const Panel& p : s.panels) panels.push_back(PanelBlock(p, width, g));
    Flow(panels, width, &top);
  }
  return top;
}

struct Plan {
  std::vector<Line> top;
  size_t rows_visible = 0;  // table rows shown
  bool table = false;
};

Plan MakePlan(const Screen& s, const LayoutOptions& o, const Glyphs& g) {
  Plan p;
  p.top = TopLines(s, o, g);
  p.table = !s.table.header.empty();
  const size_t height = static_cast<size_t>(std::max(o.height, 2));
  // The table keeps a blank line, its title, its header and a few rows; the panels give way.
  const size_t reserve = p.table ? 3 + std::clamp<size_t>(s.table.rows.size(), 1, 3) : 0;
  const size_t top_budget = height - 1 > reserve ? height - 1 - reserve : 1;
  if (p.top.size() > top_budget) p.top.resize(std::max<size_t>(top_budget, 1));
  if (p.table) {
    const size_t left = height - 1 - std::min(height - 1, p.top.size());
    p.rows_visible = left > 3 ? left - 3 : 0;
  }
  return p;
}

// The keys that apply, in their order; on a narrow terminal the least needed go first, so
// "q quit" is always shown.
Line Footer(const Screen& s, const LayoutOptions& o, const Glyphs& g) {
  const size_t width = static_cast<size_t>(std::max(o.width, 1));
  struct KeyHelp {
    std::string text;
    int keep;  // higher stays longer
  };
  std::vector<KeyHelp> keys;
  if (!s.table.rows.empty()) {
    keys.push_back({std::string(g.arrows) + " move", 1});
    keys.push_back({"enter open", 3});
  }
  if (o.can_go_back) keys.push_back({"esc back", 4});
  keys.push_back({"r refresh", 2});
  keys.push_back({"q quit", 5});
  auto joined = [&keys] {
    std::string out;
    for (const KeyHelp& k : keys) out += " " + k.text + " ";
    return out;
  };
  while (keys.size() > 1 && Columns(joined()) > width) {
    keys.erase(std::min_element(keys.begin(), keys.end(), [](const KeyHelp& a, const KeyHelp& b) {
      return a.keep < b.keep;
    }));
  }
  std::string text;
  for (const KeyHelp& k : keys) text += (text.empty() ? " " : "  ") + k.text;
  const size_t kc = std::min(Columns(text), width);
  const size_t room = width - kc;
  std::string status = o.status.empty() ? "" : o.status + " ";
  const size_t sc = std::min(Columns(status), room);
  return {{Fit(text, kc, g), Tone::kNone, false, true},
          {std::string(room - sc, ' '), Tone::kNone, false, true},
          {Fit(status, sc, g), o.status_bad ? Tone::kBad : Tone::kNone, o.status_bad, true}};
}

void TableLines(const Screen& s, const LayoutOptions& o, const Glyphs& g, size_t visible,
                std::vector<Line>* out) {
  const Table& t = s.table;
  const size_t width = static_cast<size_t>(std::max(o.width, 1));
  const size_t n = t.header.size();
  std::vector<size_t> w(n, 0);
  for (size_t c = 0; c < n; ++c) w[c] = Columns(t.header[c]);
  for (const Row& r : t.rows) {
    for (size_t c = 0; c < n && c < r.cells.size(); ++c) {
      w[c] = std::max(w[c], std::min<size_t>(Columns(r.cells[c].value), 48));
    }
  }
  const size_t gaps = 2 * (n - 1);
  const size_t avail = width > gaps ? width - gaps : n;
  size_t sum = 0;
  for (size_t x : w) sum += x;
  while (sum > avail) {  // narrow the widest column until the row fits
    auto widest = std::max_element(w.begin(), w.end());
    if (*widest <= 1) break;
    --*widest;
    --sum;
  }
  const size_t selected = t.rows.empty() ? 0 : std::min(o.selected, t.rows.size() - 1);
  const size_t first = visible == 0 || selected < visible ? 0 : selected - visible + 1;
  const size_t last = std::min(t.rows.size(), first + visible);
  std::string title = t.title + " (" + std::to_string(t.rows.size()) + ")";
  if (last - first < t.rows.size() && !t.rows.empty()) {
    title += "  " + std::to_string(first + 1) + "-" + std::to_string(last);
  }
  out->push_back({});
  out->push_back({{Fit(title, width, g), Tone::kNone, true}});
  Line header;
  for (size_t c = 0; c < n; ++c) {
    header.push_back(
        {Fit(t.header[c], w[c], g) + (c + 1 < n ? "  " : ""), Tone::kNone, true, false, true});
  }
  out->push_back(std::move(header));
  if (t.rows.empty()) {
    if (!t.empty.empty())
      out->push_back({{Fit(t.empty, width, g), Tone::kNone, false, false, true}});
    return;
  }
  for (size_t i = first; i < last; ++i) {
    const bool sel = i == selected;
    Line line;
    for (size_t c = 0; c < n; ++c) {
      const Field cell = c < t.rows[i].cells.size() ? t.rows[i].cells[c] : Field{};
      line.push_back({Fit(cell.value, w[c], g), cell.tone, false, sel});
      if (c + 1 < n) line.push_back({"  ", Tone::kNone, false, sel});
    }
    const size_t used = Width(line);
    if (sel && used < width)
      line.push_back({std::string(width - used, ' '), Tone::kNone, false, true});
    out->push_back(std::move(line));
  }
}

// Cuts a line to `width` columns (segments are kept whole where they fit).
Line Clip(Line line, size_t width) {
  size_t used = 0;
  Line out;
  for (Segment& s : line) {
    const size_t c = Columns(s.text);
    if (used + c <= width) {
      used += c;
      out.push_back(std::move(s));
      continue;
    }
    if (used < width) {
      s.text = std::string(std::string_view(s.text).substr(0, PrefixBytes(s.text, width - used)));
      out.push_back(std::move(s));
    }
    break;
  }
  return out;
}

}  // namespace

size_t Columns(std::string_view text) {
  size_t n = 0;
  for (unsigned char c : text) n += (c & 0xC0) != 0x80;
  return n;
}

std::string PlainText(const Line& line) {
  std::string out;
  for (const Segment& s : line) out += s.text;
  return out;
}

size_t VisibleTableRows(const Screen& screen, const LayoutOptions& options) {
  return MakePlan(screen, options, options.unicode ? kUnicode : kAscii).rows_visible;
}

std::vector<Line> Layout(const Screen& screen, const LayoutOptions& options) {
  const Glyphs& g = options.unicode ? kUnicode : kAscii;
  const size_t width = static_cast<size_t>(std::max(options.width, 1));
  const size_t height = static_cast<size_t>(std::max(options.height, 2));
  Plan plan = MakePlan(screen, options, g);
  std::vector<Line> lines = std::move(plan.top);
  if (plan.table) TableLines(screen, options, g, plan.rows_visible, &lines);
  if (lines.size() > height - 1) lines.resize(height - 1);
  while (lines.size() < height - 1) lines.push_back({});
  lines.push_back(Footer(screen, options, g));
  for (Line& l : lines) l = Clip(std::move(l), width);
  return lines;
}

}  // namespace quarry::cli::tui
