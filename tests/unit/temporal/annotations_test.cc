// --search-attribute / --memo: key=value parsing (JSON values, else text), one-line errors, and
// the payloads a start request and a schedule's action carry.
#include "cli/annotations.h"

#include <gtest/gtest.h>

#include "cli/schedule_spec.h"
#include "client/payload.h"

namespace quarry::temporal::cli {
namespace {

using nlohmann::json;

TEST(TemporalAnnotationsTest, ValuesAreJsonWhenTheyParseElseText) {
  AnnotationFlags f;
  f.search_attributes = {"QuarryEnv=prod", "QuarryPages=12"};
  f.memo = {"owner=\"team a\"", "tags=[\"x\",\"y\"]", "note=a=b"};
  auto a = ParseAnnotations(f);
  ASSERT_TRUE(a.ok()) << a.status().message();
  EXPECT_EQ(a->search_attributes.at("QuarryEnv"), "prod");
  EXPECT_EQ(a->search_attributes.at("QuarryPages"), 12);
  EXPECT_EQ(a->memo.at("owner"), "team a");
  EXPECT_EQ(a->memo.at("tags"), json::array({"x", "y"}));
  EXPECT_EQ(a->memo.at("note"), "a=b");  // split at the first '='
}

TEST(TemporalAnnotationsTest, MalformedPairsAreOneLineErrors) {
  AnnotationFlags f;
  f.memo = {"novalue"};
  EXPECT_EQ(ParseAnnotations(f).status().message(), "--memo \"novalue\": expected key=value");
  f.memo = {"=x"};
  EXPECT_EQ(ParseAnnotations(f).status().message(), "--memo \"=x\": expected key=value");
  f.memo.clear();
  f.search_attributes = {"K=1", "K=2"};
  EXPECT_EQ(ParseAnnotations(f).status().message(),
            "--search-attribute \"K=2\": key \"K\" given twice");
}

TEST(TemporalAnnotationsTest, AScheduleStartsEveryWorkflowWithThem) {
  CreateScheduleOptions o;
  o.schedule_id = "s";
  o.workflow_id = "w";
  o.task_queue = "q";
  o.input = json::object();
  o.annotations.memo["owner"] = "ops";
  o.annotations.search_attributes["QuarryEnv"] = "prod";
  auto req = BuildCreateScheduleRequest(o);
  const auto& start = req.schedule().action().start_workflow();
  ASSERT_EQ(start.memo().fields().count("owner"), 1u);
  EXPECT_EQ(*DecodePayload(start.memo().fields().at("owner")), "ops");
  EXPECT_EQ(*DecodePayload(start.search_attributes().indexed_fields().at("QuarryEnv")), "prod");

  CreateScheduleOptions none = o;
  none.annotations = {};
  auto bare = BuildCreateScheduleRequest(none);
  EXPECT_FALSE(bare.schedule().action().start_workflow().has_memo());
  EXPECT_FALSE(bare.schedule().action().start_workflow().has_search_attributes());
}

}  // namespace
}  // namespace quarry::temporal::cli
