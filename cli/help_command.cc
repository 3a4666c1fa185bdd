#include "help_command.h"

#include <cstdio>
#include <string_view>
#include <vector>

#include "quarry/log.h"
#include "usage.h"

namespace quarry::cli {
namespace {

std::vector<std::string> CommandNames(const CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    names.push_back(sub->get_name());
  }
  return names;
}

const CLI::App* FindCommand(const CLI::App& app, std::string_view name) {
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    if (sub->get_name() == name) return sub;
  }
  return nullptr;
}

}  // namespace

std::optional<std::string> UnknownCommandMessage(const CLI::App& app, const std::string& word) {
  if (FindCommand(app, word)) return std::nullopt;
  std::string msg = "unknown command \"" + word + "\"";
  if (std::string near = ClosestName(word, CommandNames(app)); !near.empty()) {
    msg += " (did you mean " + near + "?)";
  }
  return msg + "; run \"quarry help\" for the list of commands";
}

void AddHelpCommand(CLI::App* app, int* exit_code) {
  CLI::App* cmd = app->add_subcommand("help", "Show help for quarry or for one command");
  auto topic = std::make_shared<std::vector<std::string>>();
  cmd->add_option("command", *topic, "Command to explain (e.g. run)");
  cmd->callback([app, topic, exit_code] {
    if (topic->empty()) {
      // app->help() would describe the selected subcommand, which is `help` itself.
      std::printf("%s", app->get_formatter()
                            ->make_help(app, app->get_name(), CLI::AppFormatMode::Normal)
                            .c_str());
      return;
    }
    const CLI::App* target = app;
    std::string prefix = app->get_name();
    for (const std::string& word : *topic) {
      const CLI::App* next = FindCommand(*target, word);
      if (!next) {
        std::string msg = target == app
                              ? *UnknownCommandMessage(*app, word)
                              : "unknown command \"" + word + "\" under " + target->get_name();
        log::Error(msg);
        *exit_code = 2;
        return;
      }
      target = next;
      prefix += " " + word;
    }
    std::printf("%s", target->help(prefix.substr(0, prefix.rfind(' '))).c_str());
  });
}

int UsageErrorExitCode(const CLI::App& app, int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (!a.empty() && a[0] == '-') continue;
    const CLI::App* sub = FindCommand(app, a);
    if (!sub) return 2;
    return sub->get_name() == "run" || sub->get_name() == "help" ? 2 : 1;
  }
  return 2;
}

}  // namespace quarry::cli
