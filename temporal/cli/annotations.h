// --search-attribute and --memo on the commands that start workflows (start, batch, crawl,
// schedule create): `key=value`, repeatable. The value is JSON when it parses as JSON (`n=5`,
// `tags=["a","b"]`, `s="5"`), else the text itself (`env=prod`), so plain words need no quoting.
// Search attributes must be registered on the namespace (`temporal operator search-attribute
// create`); the server refuses an unknown one and the command exits 2 with its message.
#pragma once

#include <CLI/CLI.hpp>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "quarry/status.h"
#include "temporal/api/common/v1/message.pb.h"

namespace quarry::temporal::cli {

struct AnnotationFlags {
  std::vector<std::string> search_attributes;
  std::vector<std::string> memo;
};

void AddAnnotationFlags(CLI::App* cmd, AnnotationFlags* flags);

struct Annotations {
  std::map<std::string, nlohmann::json> search_attributes;
  std::map<std::string, nlohmann::json> memo;
};

// One-line errors naming the flag and the value: `--memo "x": expected key=value`.
StatusOr<Annotations> ParseAnnotations(const AnnotationFlags& flags);

// Each value as one json/plain payload.
void FillSearchAttributes(const Annotations& a, ::temporal::api::common::v1::SearchAttributes* sa);
void FillMemo(const Annotations& a, ::temporal::api::common::v1::Memo* memo);

// Sets what was given on a StartWorkflowExecutionRequest or a schedule's NewWorkflowExecutionInfo
// (the fields stay unset when nothing was given).
template <typename Request>
void ApplyAnnotations(const Annotations& a, Request* r) {
  if (!a.search_attributes.empty()) FillSearchAttributes(a, r->mutable_search_attributes());
  if (!a.memo.empty()) FillMemo(a, r->mutable_memo());
}

}  // namespace quarry::temporal::cli
