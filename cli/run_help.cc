#include "run_help.h"

#include <algorithm>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace quarry::cli {
namespace {

// In the order `run --help` prints them.
constexpr std::string_view kGroups[] = {"Identity", "Storage", "Policy",    "Integrations",
                                        "Browser",  "Fan-out", "Execution", "Output"};

std::string GroupOf(std::string_view flag) {
  auto starts = [&](std::string_view p) { return flag.substr(0, p.size()) == p; };
  static const std::set<std::string_view> identity = {
      "--script", "--run-id",   "--attempt", "--job-id",  "--parent-run-id",
      "--job",    "--job-json", "--source",  "--category"};
  static const std::set<std::string_view> policy = {"--policy",        "--flush-mode",
                                                    "--buffer-events", "--buffer-bytes",
                                                    "--flush-count",   "--flush-interval"};
  static const std::set<std::string_view> fanout = {"--depth", "--max-runs", "--parallel",
                                                    "--child-retries", "--resume"};
  static const std::set<std::string_view> output = {"--quiet", "--report", "--help"};
  if (identity.count(flag)) return "Identity";
  if (starts("--storage-")) return "Storage";
  if (policy.count(flag)) return "Policy";
  if (starts("--adapter") || starts("--event-sink")) return "Integrations";
  if (starts("--browser") || flag == "--no-browser-reuse") return "Browser";
  if (fanout.count(flag)) return "Fan-out";
  if (output.count(flag)) return "Output";
  return "Execution";
}

constexpr const char* kFooter =
    R"(Required: --script, --run-id, --source, --storage-backend, --storage-path
(--source and --storage-* may come from --config instead).

Examples (from the repository root):
  mkdir -p quarry-data
  quarry run --script examples/demo/script.mjs --run-id demo-1 --source demo --storage-backend fs --storage-path quarry-data
  quarry run --script examples/static-html-list/script.mjs --run-id list-1 --source shop --category products --policy buffered --buffer-events 1000 --storage-backend fs --storage-path quarry-data --report report.json

Then look at the data with `quarry inspect run demo-1 --storage-backend fs --storage-path quarry-data`
and export it with `quarry export --run-id demo-1 --format csv --storage-backend fs --storage-path quarry-data`.)";

// CLI11 prints groups in the order their first option was added; this prints kGroups' order.
class RunHelpFormatter : public CLI::Formatter {
 public:
  std::string make_help(const CLI::App* app, std::string name,
                        CLI::AppFormatMode mode) const override {
    if (mode != CLI::AppFormatMode::Normal) return Formatter::make_help(app, name, mode);
    std::stringstream out;
    out << make_description(app) << make_usage(app, name) << make_positionals(app);
    std::vector<std::string> order(std::begin(kGroups), std::end(kGroups));
    for (const std::string& g : app->get_groups()) {
      if (std::find(order.begin(), order.end(), g) == order.end()) order.push_back(g);
    }
    for (const std::string& group : order) {
      auto opts = app->get_options(
          [&](const CLI::Option* o) { return o->get_group() == group && o->nonpositional(); });
      if (!opts.empty()) out << make_group(group, false, opts);
    }
    out << make_footer(app);
    return out.str();
  }
};

}  // namespace

void ConfigureRunHelp(CLI::App* run) {
  for (CLI::Option* opt : run->get_options()) {
    const std::string& name = opt->get_name(false, false);
    std::string flag = name.substr(0, name.find(','));
    // get_name gives the long name for flags with one; short aliases only for -h.
    for (const std::string& l : opt->get_lnames()) flag = "--" + l;
    opt->group(GroupOf(flag));
    if (opt->get_type_size() != 0) {
      opt->capture_default_str();
      const std::string& d = opt->get_default_str();
      if (d == "[]" || d == "\"\"") opt->default_str("");
    }
    for (std::string_view req : {"--script", "--storage-backend", "--storage-path"}) {
      if (flag == req && opt->get_description().find("required") == std::string::npos) {
        opt->description(opt->get_description() + " (required)");
      }
    }
  }
  run->footer(kFooter);
  run->formatter(std::make_shared<RunHelpFormatter>());
}

}  // namespace quarry::cli
