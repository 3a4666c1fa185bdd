// quarry-temporal: the native Temporal worker for Quarry and a small client for its workflows.
#include <CLI/CLI.hpp>

#include "cli/batch_command.h"
#include "cli/client_commands.h"
#include "cli/crawl_command.h"
#include "cli/schedule_commands.h"
#include "cli/worker_command.h"
#include "quarry/log.h"

int main(int argc, char** argv) {
  quarry::log::InitFromEnv();
  CLI::App app{"quarry-temporal: run Quarry extractions as Temporal workflows"};
  app.set_version_flag("--version", std::string("quarry-temporal ") + QUARRY_VERSION);
  app.require_subcommand(1);
  int exit_code = 0;
  quarry::temporal::cli::AddWorkerCommand(&app, &exit_code);
  quarry::temporal::cli::AddClientCommands(&app, &exit_code);
  quarry::temporal::cli::AddBatchCommand(&app, &exit_code);
  quarry::temporal::cli::AddCrawlCommand(&app, &exit_code);
  quarry::temporal::cli::AddScheduleCommands(&app, &exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  return exit_code;
}
