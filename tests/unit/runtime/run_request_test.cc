#include "run/run_request.h"

#include <gtest/gtest.h>

namespace quarry::run {
namespace {

TEST(RunRequestTest, KeyOrderEscapingAndTrailingLf) {
  RunConfig c;
  c.meta = {"run-001", 2, "job-42", "run-000"};
  c.job_json = R"({"url":"https://shop.example/p/1?a=1&b=<2>"})";
  c.proxy = ProxyEndpoint{"http", "10.0.0.5", 3128, "u", "p"};
  c.source = "shop";
  c.category = "products";
  auto req = BuildRunRequest(c, "2026-03-22");
  ASSERT_TRUE(req.ok());
  EXPECT_EQ(
      *req,
      R"({"run_id":"run-001","attempt":2,"job_id":"job-42","parent_run_id":"run-000",)"
      R"("job":{"url":"https://shop.example/p/1?a=1\u0026b=\u003c2\u003e"},)"
      R"("proxy":{"protocol":"http","host":"10.0.0.5","port":3128,"username":"u","password":"p"},)"
      R"("storage":{"dataset":"quarry","source":"shop","category":"products","day":"2026-03-22","run_id":"run-001"}})"
      "\n");
}

TEST(RunRequestTest, OmitsAbsentOptionalKeys) {
  RunConfig c;
  c.meta = {"r", 1, std::nullopt, std::nullopt};
  c.source = "s";
  auto req = BuildRunRequest(c, "2026-01-01");
  ASSERT_TRUE(req.ok());
  EXPECT_EQ(*req,
            R"({"run_id":"r","attempt":1,"job":{},"storage":{"dataset":"quarry","source":"s",)"
            R"("category":"default","day":"2026-01-01","run_id":"r"}})"
            "\n");
}

TEST(RunRequestTest, RejectsInvalidJob) {
  RunConfig c;
  c.job_json = "{nope";
  EXPECT_FALSE(BuildRunRequest(c, "2026-01-01").ok());
}

}  // namespace
}  // namespace quarry::run
