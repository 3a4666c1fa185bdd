// quarry: the Quarry extraction runtime CLI.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "export_command.h"
#include "help_command.h"
#include "outbox_command.h"
#include "quarry/ipc/frame_format.h"
#include "quarry/log.h"
#include "quarry/version.h"
#include "read/read_commands.h"
#include "run_command.h"

namespace {

std::string VersionLine() {
  return "quarry version " + std::string(quarry::ProductVersion()) +
         " (commit: " + std::string(quarry::GitCommit()) + ")";
}

}  // namespace

int main(int argc, char** argv) {
  quarry::log::InitFromEnv();
  CLI::App app{"Quarry extraction runtime CLI", "quarry"};
  app.set_version_flag("-v,--version", VersionLine());
  app.require_subcommand(0, 1);
  int exit_code = 0;
  quarry::cli::AddRunCommand(&app, &exit_code);
  quarry::cli::AddExportCommand(&app, &exit_code);
  quarry::cli::AddOutboxCommand(&app, &exit_code);
  quarry::cli::AddReadCommands(&app, &exit_code);
  quarry::cli::AddHelpCommand(&app, &exit_code);
  app.footer("Start with \"quarry help run\"; each command has --help.");

  if (argc <= 1) {
    std::printf("%s", app.help().c_str());
    return 0;
  }
  if (argv[1][0] != '-') {
    if (auto unknown = quarry::cli::UnknownCommandMessage(app, argv[1])) {
      quarry::log::Error(*unknown);
      return 2;
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    std::printf("%s\n", VersionLine().c_str());
    return 0;
  } catch (const CLI::ParseError& e) {
    // Usage errors: one line; 2 for `run` (D11.21) and the top level, 1 in read-only commands.
    quarry::log::Error(e.what());
    return quarry::cli::UsageErrorExitCode(app, argc, argv);
  }
  return exit_code;
}
