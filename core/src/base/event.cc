#include "quarry/event.h"

namespace quarry {

bool IsDroppableEventType(std::string_view type) {
  return type == "log" || type == "enqueue" || type == "rotate_proxy";
}

bool IsTerminalEventType(std::string_view type) {
  return type == "run_complete" || type == "run_error";
}

}  // namespace quarry
