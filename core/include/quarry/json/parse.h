// Parsing JSON text that comes from outside the process (flags, job and batch files, config,
// workflow and activity inputs, replies from servers, dataset files) with a bound on nesting.
//
// Why a bound: nlohmann's parser is iterative, but serialising, comparing and converting a value
// recurse once per level, so 30,000 nested arrays overflow the stack of whoever touches the
// value later. Every door checks the depth once, here, before a value exists.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string_view>

#include "quarry/status.h"

namespace quarry::json {

// The deepest nesting accepted in user values: job payloads, workflow inputs, emitted item data.
// Half of the wire limit (msgpack::kMaxDepth, 256), so a user value wrapped in an envelope, a
// run request or a workflow input still decodes everywhere.
inline constexpr int kMaxUserDepth = 128;

// The byte offset of the first `[` or `{` that opens level max_depth + 1, or npos when the text
// nests no deeper than max_depth. Strings are skipped (brackets inside them do not count); the
// text need not be valid JSON.
size_t FindTooDeep(std::string_view text, int max_depth = kMaxUserDepth);

// Parses `text` as one JSON value. Errors, each one line naming `what` (e.g. "--job"):
//   "<what> is not valid JSON"
//   "<what> is nested deeper than 128 levels (at byte 129)"
StatusOr<nlohmann::json> ParseJson(std::string_view text, std::string_view what,
                                   int max_depth = kMaxUserDepth);

// obj[key] when `obj` is an object whose `key` holds a value of the wanted type, else `fallback`.
// nlohmann's value() throws on a type mismatch ({"outcome": 5}); input from peers, files and
// histories must never get that far.
std::string StringOr(const nlohmann::json& obj, const char* key, std::string fallback);
int64_t IntOr(const nlohmann::json& obj, const char* key, int64_t fallback);

}  // namespace quarry::json
