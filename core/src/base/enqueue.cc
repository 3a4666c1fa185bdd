#include "quarry/fanout/enqueue.h"

#include <nlohmann/json.hpp>

#include "quarry/json/canonical_json.h"
#include "quarry/json/parse.h"
#include "quarry/sha256.h"

namespace quarry::fanout {

std::optional<EnqueueRequest> ParseEnqueue(const Event& ev) {
  if (ev.Type() != "enqueue") return std::nullopt;
  // The payload was accepted by the decoder (bounded depth); a payload that cannot become JSON
  // (a non-finite number, say) cannot name a child either.
  std::string text;
  if (!json::AppendMsgpackAsJson(ev.Get(ev.payload), "payload", &text).ok()) return std::nullopt;
  StatusOr<nlohmann::json> payload = json::ParseJson(text, "enqueue payload", 256);
  if (!payload.ok() || !payload->is_object()) return std::nullopt;
  auto target = payload->find("target");
  if (target == payload->end() || !target->is_string() || target->get<std::string>().empty()) {
    return std::nullopt;
  }
  EnqueueRequest req;
  req.target = target->get<std::string>();
  auto params = payload->find("params");
  // nlohmann keeps object keys sorted, so dump() is the compact, sorted form the key needs.
  req.params_json = params != payload->end() && params->is_object() ? params->dump() : "{}";
  req.source = json::StringOr(*payload, "source", "");
  req.category = json::StringOr(*payload, "category", "");
  req.event_id = std::string(ev.Get(ev.event_id));
  return req;
}

std::string DedupKey(std::string_view target, std::string_view params_json) {
  std::string material;
  material.reserve(target.size() + 1 + params_json.size());
  material.append(target);
  material.push_back('\0');
  material.append(params_json);
  return Sha256Hex(material);
}

}  // namespace quarry::fanout
