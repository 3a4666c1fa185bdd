// `quarry-temporal worker`: polls the task queue for QuarryExtractionWorkflow tasks and the
// RunQuarryExtraction / NotifyWebhook activities until SIGTERM or SIGINT.
#pragma once

#include <CLI/CLI.hpp>

namespace quarry::temporal::cli {

void AddWorkerCommand(CLI::App* app, int* exit_code);

}  // namespace quarry::temporal::cli
