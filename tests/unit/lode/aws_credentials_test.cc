// The AWS credential chain (storage-and-policies.md §5.1): environment, shared files with
// AWS_PROFILE, the container endpoint and IMDSv2, each served here by files or loopback servers.
#include "lode/s3/aws_credentials.h"

#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <map>
#include <mutex>

#include "lode/loopback_http.h"
#include "lode/test_support.h"

namespace quarry::lode {
namespace {

using testing::HttpAnswer;
using testing::HttpRequest;
using testing::LoopbackHttpServer;
using SysClock = std::chrono::system_clock;

std::string IsoTime(SysClock::time_point t) {
  std::time_t tt = SysClock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string CredsJson(const std::string& id, SysClock::time_point expires) {
  return R"({"Code":"Success","AccessKeyId":")" + id + R"(","SecretAccessKey":"secret-)" + id +
         R"(","Token":"token-)" + id + R"(","Expiration":")" + IsoTime(expires) + R"("})";
}

// A fixed environment plus a clock the test moves.
struct Fixture {
  std::map<std::string, std::string> vars;
  SysClock::time_point now = SysClock::now();

  AwsEnvironment Env() {
    AwsEnvironment env;
    env.getenv = [this](const std::string& k) -> std::optional<std::string> {
      auto it = vars.find(k);
      if (it == vars.end()) return std::nullopt;
      return it->second;
    };
    env.now = [this] { return now; };
    env.http_timeout = std::chrono::milliseconds(1000);
    return env;
  }
};

void Write(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

TEST(AwsCredentialsTest, EnvironmentComesFirst) {
  testing::TempDir dir;
  Fixture f;
  f.vars = {{"AWS_ACCESS_KEY_ID", "AKIDENV"},
            {"AWS_SECRET_ACCESS_KEY", "env-secret"},
            {"AWS_SESSION_TOKEN", "env-token"},
            {"AWS_SHARED_CREDENTIALS_FILE", dir / "credentials"}};
  Write(dir / "credentials",
        "[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = x\n");
  AwsCredentialChain chain(f.Env());
  auto c = chain.Get();
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->access_key, "AKIDENV");
  EXPECT_EQ(c->secret_key, "env-secret");
  EXPECT_EQ(c->session_token, "env-token");
  EXPECT_EQ(c->source, "environment");
}

TEST(AwsCredentialsTest, SharedFilesFollowTheProfile) {
  testing::TempDir dir;
  Fixture f;
  f.vars = {{"AWS_SHARED_CREDENTIALS_FILE", dir / "credentials"},
            {"AWS_CONFIG_FILE", dir / "config"},
            {"AWS_PROFILE", "work"},
            {"AWS_EC2_METADATA_DISABLED", "true"}};
  Write(dir / "credentials",
        "# comment\n[default]\naws_access_key_id=AKIDDEFAULT\naws_secret_access_key=d\n\n"
        "[work]\naws_access_key_id = AKIDWORK\naws_secret_access_key = w-secret\n"
        "aws_session_token = w-token\n");
  Write(dir / "config", "[default]\nregion = eu-west-1\n[profile work]\nregion = ap-south-2\n");
  AwsCredentialChain chain(f.Env());
  auto c = chain.Get();
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->access_key, "AKIDWORK");
  EXPECT_EQ(c->secret_key, "w-secret");
  EXPECT_EQ(c->session_token, "w-token");
  EXPECT_EQ(ResolveAwsRegion("", f.Env()), "ap-south-2");
  EXPECT_EQ(ResolveAwsRegion("us-west-2", f.Env()), "us-west-2");
  f.vars["AWS_REGION"] = "sa-east-1";
  EXPECT_EQ(ResolveAwsRegion("", f.Env()), "sa-east-1");

  // Keys only in the config file count too (the default profile's section is "[default]").
  f.vars.erase("AWS_PROFILE");
  Write(dir / "credentials", "");
  Write(dir / "config", "[default]\naws_access_key_id = AKIDCONF\naws_secret_access_key = c\n");
  AwsCredentialChain chain2(f.Env());
  EXPECT_EQ(chain2.Get()->access_key, "AKIDCONF");
}

TEST(AwsCredentialsTest, NothingFoundSaysWhatWasTried) {
  testing::TempDir dir;
  Fixture f;
  f.vars = {{"HOME", dir.path()}, {"AWS_EC2_METADATA_DISABLED", "true"}};
  AwsCredentialChain chain(f.Env());
  auto c = chain.Get();
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("no AWS credentials found"), std::string::npos);
  EXPECT_NE(c.status().message().find("profile \"default\""), std::string::npos);
}

TEST(AwsCredentialsTest, ContainerEndpointIsAskedWithItsTokenAndRefreshedBeforeExpiry) {
  Fixture f;
  std::atomic<int> calls{0};
  std::mutex mu;
  std::string auth_seen;
  LoopbackHttpServer server([&](const HttpRequest& r) {
    std::lock_guard<std::mutex> lock(mu);
    auth_seen = r.headers.count("authorization") ? r.headers.at("authorization") : "";
    const int i = ++calls;
    // Each answer is valid for 10 minutes from the test's clock.
    return HttpAnswer{
        200, {}, CredsJson("AKIDC" + std::to_string(i), f.now + std::chrono::minutes(10))};
  });
  f.vars = {{"AWS_CONTAINER_CREDENTIALS_FULL_URI", server.url() + "/creds"},
            {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "Bearer ecs-token"},
            {"AWS_EC2_METADATA_DISABLED", "true"}};
  AwsEnvironment env = f.Env();
  env.refresh_margin = std::chrono::minutes(5);
  AwsCredentialChain chain(env);
  auto a = chain.Get();
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->access_key, "AKIDC1");
  EXPECT_EQ(a->secret_key, "secret-AKIDC1");
  EXPECT_EQ(a->session_token, "token-AKIDC1");
  EXPECT_EQ(a->source, "container");
  EXPECT_EQ(auth_seen, "Bearer ecs-token");
  // Still far from expiry: cached.
  f.now += std::chrono::minutes(4);
  EXPECT_EQ(chain.Get()->access_key, "AKIDC1");
  EXPECT_EQ(calls.load(), 1);
  // Inside the refresh margin: fetched again.
  f.now += std::chrono::minutes(2);
  EXPECT_EQ(chain.Get()->access_key, "AKIDC2");
  EXPECT_EQ(calls.load(), 2);
}

TEST(AwsCredentialsTest, RelativeContainerUriUsesTheTaskMetadataAddress) {
  Fixture f;
  f.vars = {{"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/abc"}};
  EXPECT_EQ(ContainerCredentialsUrl(f.Env()), "http://169.254.170.2/v2/credentials/abc");
  f.vars["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = "http://127.0.0.1:9/x";
  EXPECT_EQ(ContainerCredentialsUrl(f.Env()), "http://127.0.0.1:9/x");
}

// IMDSv2: a PUT for the session token, then the role name and its credentials, each GET carrying
// the token; requests without it are refused like a real instance refuses them.
TEST(AwsCredentialsTest, InstanceMetadataUsesASessionTokenAndRefreshes) {
  Fixture f;
  std::atomic<int> cred_calls{0};
  std::atomic<int> token_puts{0};
  LoopbackHttpServer server([&](const HttpRequest& r) -> HttpAnswer {
    if (r.target == "/latest/api/token") {
      if (r.method != "PUT" || !r.headers.count("x-aws-ec2-metadata-token-ttl-seconds")) {
        return {400, {}, ""};
      }
      ++token_puts;
      return {200, {}, "imds-session-token"};
    }
    auto tok = r.headers.find("x-aws-ec2-metadata-token");
    if (tok == r.headers.end() || tok->second != "imds-session-token") return {401, {}, ""};
    if (r.target == "/latest/meta-data/iam/security-credentials/")
      return {200, {}, "quarry-role\n"};
    if (r.target == "/latest/meta-data/iam/security-credentials/quarry-role") {
      const int i = ++cred_calls;
      return {200, {}, CredsJson("AKIDI" + std::to_string(i), f.now + std::chrono::seconds(30))};
    }
    return {404, {}, ""};
  });
  f.vars = {{"AWS_EC2_METADATA_SERVICE_ENDPOINT", server.url() + "/"}, {"HOME", "/nonexistent"}};
  AwsEnvironment env = f.Env();
  env.refresh_margin = std::chrono::seconds(10);
  AwsCredentialChain chain(env);
  auto a = chain.Get();
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->access_key, "AKIDI1");
  EXPECT_EQ(a->session_token, "token-AKIDI1");
  EXPECT_EQ(a->source, "instance metadata");
  EXPECT_EQ(token_puts.load(), 1);
  f.now += std::chrono::seconds(25);  // 5 s left, inside the margin
  EXPECT_EQ(chain.Get()->access_key, "AKIDI2");
  // The server said the keys expired: they are fetched again at once.
  chain.Invalidate();
  EXPECT_EQ(chain.Get()->access_key, "AKIDI3");
}

TEST(AwsCredentialsTest, RefreshFailureKeepsUnexpiredKeysThenFailsWithoutSecrets) {
  Fixture f;
  std::atomic<bool> up{true};
  LoopbackHttpServer server([&](const HttpRequest&) -> HttpAnswer {
    if (!up) return {500, {}, "oops"};
    return {200, {}, CredsJson("AKIDR", f.now + std::chrono::minutes(6))};
  });
  f.vars = {{"AWS_CONTAINER_CREDENTIALS_FULL_URI", server.url() + "/creds"}};
  AwsCredentialChain chain(f.Env());
  ASSERT_EQ(chain.Get()->access_key, "AKIDR");
  up = false;
  f.now += std::chrono::minutes(3);  // inside the margin, not expired
  EXPECT_EQ(chain.Get()->access_key, "AKIDR");
  f.now += std::chrono::minutes(4);  // expired
  auto c = chain.Get();
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("HTTP 500"), std::string::npos) << c.status().message();
  EXPECT_EQ(c.status().message().find("secret-AKIDR"), std::string::npos);
}

TEST(AwsCredentialsTest, MalformedAnswersNeverEchoTheBody) {
  auto bad = ParseTemporaryCredentials(R"({"AccessKeyId":"A","Token":"t0ps3cret"})", "container");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message().find("t0ps3cret"), std::string::npos);
  auto junk = ParseTemporaryCredentials("SecretAccessKey=zz9 not json", "container");
  ASSERT_FALSE(junk.ok());
  EXPECT_EQ(junk.status().message().find("zz9"), std::string::npos);
}

}  // namespace
}  // namespace quarry::lode
