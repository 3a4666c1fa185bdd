#include "client/json_depth.h"

#include <vector>

namespace quarry::temporal {

bool NestsDeeperThan(const nlohmann::json& value, int max_depth) {
  // An explicit stack of (container, depth) instead of recursion.
  std::vector<std::pair<const nlohmann::json*, int>> todo{{&value, 0}};
  while (!todo.empty()) {
    auto [v, depth] = todo.back();
    todo.pop_back();
    if (!v->is_structured()) continue;
    if (depth + 1 > max_depth) return true;
    for (const auto& child : *v) {
      if (child.is_structured()) todo.emplace_back(&child, depth + 1);
    }
  }
  return false;
}

}  // namespace quarry::temporal
