// The workflow types this worker runs (../shared/spec/temporal.md §2).
#pragma once

#include <memory>
#include <string>

#include "workflows/workflow.h"

namespace quarry::temporal {

// A fresh instance of `workflow_type`; nullptr for a type this build does not run.
std::unique_ptr<Workflow> CreateWorkflow(const std::string& workflow_type);

}  // namespace quarry::temporal
