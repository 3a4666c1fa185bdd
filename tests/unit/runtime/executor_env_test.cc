// The executor's environment (run/executor_env.h): Quarry's credentials removed, everything else
// inherited, --executor-env passes a named one, the run token and NODE_PATH set as documented.
#include "run/executor_env.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "quarry/run/run_spec.h"

namespace quarry::run {
namespace {

bool Has(const std::vector<std::string>& env, const std::string& entry) {
  return std::find(env.begin(), env.end(), entry) != env.end();
}

bool HasName(const std::vector<std::string>& env, const std::string& name) {
  return std::any_of(env.begin(), env.end(),
                     [&](const std::string& kv) { return kv.starts_with(name + "="); });
}

TEST(ExecutorEnvTest, CredentialNames) {
  for (const char* secret :
       {"TEMPORAL_API_KEY", "TEMPORAL_TLS_KEY", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
        "AWS_ACCESS_KEY_ID", "AWS_CONTAINER_AUTHORIZATION_TOKEN", "QUARRY_SECRET_DB",
        "QUARRY_BROWSER_ENDPOINT"}) {
    EXPECT_TRUE(IsQuarryCredentialEnv(secret)) << secret;
  }
  for (const char* plain : {"PATH", "HOME", "AWS_REGION", "AWS_PROFILE", "TEMPORAL_ADDRESS",
                            "QUARRY_LOG_LEVEL", "MY_AWS_THING", "HTTPS_PROXY"}) {
    EXPECT_FALSE(IsQuarryCredentialEnv(plain)) << plain;
  }
}

TEST(ExecutorEnvTest, DropsCredentialsKeepsTheRestAndPassesNamedOnes) {
  std::vector<std::string> parent = {
      "PATH=/bin",          "AWS_SECRET_ACCESS_KEY=s", "AWS_SESSION_TOKEN=t",    "AWS_REGION=eu",
      "TEMPORAL_API_KEY=k", "NODE_PATH=/a:/b",         "QUARRY_RUN_TOKEN=stale", "MY=1"};
  std::vector<char*> environ_like;
  for (auto& kv : parent) environ_like.push_back(kv.data());
  environ_like.push_back(nullptr);

  ExecutorEnvOptions o;
  o.run_token = "tok";
  o.resolve_from = "/mods";
  o.pass_through = {"AWS_SESSION_TOKEN"};
  o.extra = {{"QUARRY_GUARD_TOKEN", "g"}, {"MY", "2"}};
  auto env = ExecutorEnvironment(o, environ_like.data());
  EXPECT_TRUE(Has(env, "PATH=/bin"));
  EXPECT_TRUE(Has(env, "AWS_REGION=eu"));
  EXPECT_TRUE(Has(env, "AWS_SESSION_TOKEN=t"));
  EXPECT_FALSE(HasName(env, "AWS_SECRET_ACCESS_KEY"));
  EXPECT_FALSE(HasName(env, "TEMPORAL_API_KEY"));
  EXPECT_TRUE(Has(env, "QUARRY_RUN_TOKEN=tok"));
  EXPECT_FALSE(Has(env, "QUARRY_RUN_TOKEN=stale"));
  EXPECT_TRUE(Has(env, "QUARRY_RESOLVE_FROM=/mods"));
  EXPECT_TRUE(Has(env, "NODE_PATH=/mods:/a:/b"));
  EXPECT_TRUE(Has(env, "QUARRY_GUARD_TOKEN=g"));
  EXPECT_TRUE(Has(env, "MY=2"));
  EXPECT_FALSE(Has(env, "MY=1"));
}

TEST(ExecutorEnvTest, ExecutorEnvNamesMustBeNames) {
  EXPECT_TRUE(ParseExecutorEnvNames({"AWS_SESSION_TOKEN", "_X1"}).ok());
  for (const char* bad : {"", "A=B", "1A", "A-B"}) {
    auto r = ParseExecutorEnvNames({bad});
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.status().message().find("--executor-env"), std::string::npos);
  }
}

}  // namespace
}  // namespace quarry::run
