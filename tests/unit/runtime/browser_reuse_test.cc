#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "browser/server_process.h"
#include "quarry/browser/reuse.h"

namespace quarry::browser {
namespace {

namespace fs = std::filesystem;

TEST(BrowserReuseDiscovery, XdgRuntimeDirWins) {
  EXPECT_EQ(DiscoveryDir("/run/user/1000", "/var/tmp", 1000), "/run/user/1000/quarry");
  EXPECT_EQ(DiscoveryDir("/run/user/1000/", "", 1000), "/run/user/1000/quarry");
}

TEST(BrowserReuseDiscovery, TmpdirThenTmpWithUid) {
  EXPECT_EQ(DiscoveryDir("", "/var/tmp/", 1234), "/var/tmp/quarry-1234");
  EXPECT_EQ(DiscoveryDir("", "", 0), "/tmp/quarry-0");
  EXPECT_EQ(DiscoveryDir("", "/", 7), "/quarry-7");
}

TEST(BrowserReuseDiscovery, FilesInTheDirectory) {
  DiscoveryFiles f = DiscoveryFiles::In("/tmp/quarry-5/");
  EXPECT_EQ(f.dir, "/tmp/quarry-5");
  EXPECT_EQ(f.lock, "/tmp/quarry-5/browser.lock");
  EXPECT_EQ(f.record, "/tmp/quarry-5/browser.json");
  EXPECT_EQ(f.record_tmp, "/tmp/quarry-5/browser.json.tmp");
  EXPECT_EQ(f.server_log, "/tmp/quarry-5/browser-server.log");
}

TEST(BrowserReuseRecord, RoundTripsTheFourKeys) {
  ServerRecord r{"ws://127.0.0.1:4000/devtools/browser/abc", 4242, "", "2024-05-01T10:00:00Z"};
  std::string text = FormatServerRecord(r);
  EXPECT_EQ(text.back(), '\n');
  auto back = ParseServerRecord(text);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->ws_endpoint, r.ws_endpoint);
  EXPECT_EQ(back->pid, 4242);
  EXPECT_EQ(back->proxy_hash, "");
  EXPECT_EQ(back->started_at, r.started_at);
  EXPECT_NE(text.find("\"proxy_hash\":\"\""), std::string::npos);
}

TEST(BrowserReuseRecord, ProxyHashMissingReadsEmptyAndSetIsKept) {
  auto a = ParseServerRecord(R"({"ws_endpoint":"ws://h:1/x","pid":3})");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->proxy_hash, "");
  auto b = ParseServerRecord(R"({"ws_endpoint":"ws://h:1/x","pid":3,"proxy_hash":"sha256:ab"})");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->proxy_hash, "sha256:ab");
}

TEST(BrowserReuseRecord, BadRecordsNameTheProblem) {
  EXPECT_NE(ParseServerRecord("{").status().message().find("not valid JSON"), std::string::npos);
  EXPECT_NE(ParseServerRecord("[]").status().message().find("not a JSON object"),
            std::string::npos);
  EXPECT_NE(ParseServerRecord(R"({"pid":3})").status().message().find("no ws_endpoint"),
            std::string::npos);
  for (const char* pid : {"0", "-4", "\"12\"", "1.5", "99999999999"}) {
    auto r = ParseServerRecord(std::string(R"({"ws_endpoint":"ws://h:1/x","pid":)") + pid + "}");
    EXPECT_FALSE(r.ok()) << pid;
    EXPECT_NE(r.status().message().find("pid"), std::string::npos) << pid;
  }
}

TEST(BrowserReuseRecord, AgeFromStartedAt) {
  auto started = std::chrono::system_clock::now() - std::chrono::seconds(90);
  auto age = AgeSeconds(FormatStartedAt(started), std::chrono::system_clock::now());
  ASSERT_TRUE(age.has_value());
  EXPECT_GE(*age, 89);
  EXPECT_LE(*age, 91);
  auto t = std::chrono::system_clock::from_time_t(1714557600);  // 2024-05-01T10:00:00Z
  EXPECT_EQ(FormatStartedAt(t), "2024-05-01T10:00:00Z");
  EXPECT_EQ(AgeSeconds("2024-05-01T09:59:00.123Z", t), 60);
  EXPECT_FALSE(AgeSeconds("", t).has_value());
  EXPECT_FALSE(AgeSeconds("2024-05-01 10:00:00", t).has_value());
  EXPECT_FALSE(AgeSeconds("2024-05-01T10:00:00+02:00", t).has_value());
}

TEST(BrowserReuseHealth, UrlFromTheWebSocketEndpoint) {
  EXPECT_EQ(*HealthCheckUrl("ws://127.0.0.1:9222/devtools/browser/abc"),
            "http://127.0.0.1:9222/json/version");
  EXPECT_EQ(*HealthCheckUrl("wss://browser.example.com/devtools?token=s3cret"),
            "https://browser.example.com/json/version");
  EXPECT_EQ(*HealthCheckUrl("ws://user:p@ss@host:1#frag"), "http://host:1/json/version");
  EXPECT_EQ(*HealthCheckUrl("ws://[::1]:9222/x"), "http://[::1]:9222/json/version");
  EXPECT_FALSE(HealthCheckUrl("http://127.0.0.1:9222/").ok());
  EXPECT_FALSE(HealthCheckUrl("ws:///path").ok());
  EXPECT_FALSE(HealthCheckUrl("ws://:9222/").ok());
}

TEST(BrowserReuseHealth, NothingListeningIsUnhealthy) {
  // Port 1 on loopback: refused at once.
  Status s = CheckEndpointHealth("ws://127.0.0.1:1/devtools/browser/x", std::chrono::seconds(2));
  EXPECT_FALSE(s.ok());
}

TEST(BrowserReuseIdleTimeout, SecondsOrDurations) {
  EXPECT_EQ(*ParseIdleTimeout("60", "x"), 60);
  EXPECT_EQ(*ParseIdleTimeout("90s", "x"), 90);
  EXPECT_EQ(*ParseIdleTimeout("5m", "x"), 300);
  EXPECT_EQ(*ParseIdleTimeout("1500ms", "x"), 2);  // rounded up
  for (const char* bad : {"", "0", "0s", "-5s", "abc", "999999999999", "1.5"}) {
    auto r = ParseIdleTimeout(bad, "QUARRY_BROWSER_IDLE_TIMEOUT");
    EXPECT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().message().rfind("QUARRY_BROWSER_IDLE_TIMEOUT: ", 0), 0u) << bad;
  }
}

TEST(BrowserReuseEnvironment, ServerDropsTokensCredentialsAndStaleSettings) {
  const char* inherited[] = {"PATH=/usr/bin",
                             "QUARRY_RUN_TOKEN=run",
                             "QUARRY_GUARD_TOKEN=guard",
                             "QUARRY_BROWSER_DISCOVERY_FILE=/old/browser.json",
                             "QUARRY_BROWSER_IDLE_TIMEOUT=5",
                             "QUARRY_BROWSER_ENDPOINT=ws://secret",
                             "AWS_SECRET_ACCESS_KEY=k",
                             "QUARRY_STEALTH=0",
                             nullptr};
  auto env =
      internal::ServerEnvironment(const_cast<char* const*>(inherited), "/d/browser.json", 42);
  std::vector<std::string> want = {"PATH=/usr/bin", "QUARRY_STEALTH=0",
                                   "QUARRY_BROWSER_DISCOVERY_FILE=/d/browser.json",
                                   "QUARRY_BROWSER_IDLE_TIMEOUT=42"};
  EXPECT_EQ(env, want);
}

// The launch and acquisition paths with stand-in executors (shell scripts): no Chromium here, the
// e2e suite covers the real server.
class BrowserReuseAcquire : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("quarry-reuse-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Script(const std::string& body) {
    fs::path p = dir_ / "fake-executor.sh";
    std::ofstream(p) << "#!/bin/sh\n" << body << "\n";
    fs::permissions(p, fs::perms::owner_all);
    return p.string();
  }

  ReuseOptions Options(const std::string& executor) {
    ReuseOptions o;
    o.executor = executor;
    o.script = "script.mjs";
    o.discovery_dir = (dir_ / "quarry").string();
    o.launch_timeout = std::chrono::milliseconds(1500);
    return o;
  }

  fs::path dir_;
};

TEST_F(BrowserReuseAcquire, ServerThatFailsIsReportedWithItsLogAndFilesArePrivate) {
  auto r = AcquireReusableBrowser(
      Options(Script("echo 'Error: browser launch failed: no Chromium found' >&2; exit 1")));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("exited with code 1 before printing its endpoint"),
            std::string::npos)
      << r.status().message();
  EXPECT_NE(r.status().message().find("no Chromium found"), std::string::npos);
  struct stat st {};
  ASSERT_EQ(::stat((dir_ / "quarry").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700u);
  ASSERT_EQ(::stat((dir_ / "quarry" / "browser.lock").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  ASSERT_EQ(::stat((dir_ / "quarry" / "browser-server.log").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_FALSE(fs::exists(dir_ / "quarry" / "browser.json"));
}

TEST_F(BrowserReuseAcquire, WrongFirstLineAndSilenceKillTheServer) {
  fs::path pidfile = dir_ / "pid";
  auto r = AcquireReusableBrowser(
      Options(Script("echo $$ > " + pidfile.string() + "; echo hello; exec sleep 30")));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("instead of a ws:// endpoint"), std::string::npos)
      << r.status().message();
  pid_t pid = 0;
  std::ifstream(pidfile) >> pid;
  ASSERT_GT(pid, 0);
  EXPECT_NE(::kill(pid, 0), 0) << "the server was not killed";

  auto t0 = std::chrono::steady_clock::now();
  auto silent = AcquireReusableBrowser(Options(Script("exec sleep 30")));
  ASSERT_FALSE(silent.ok());
  EXPECT_NE(silent.status().message().find("printed no endpoint within"), std::string::npos)
      << silent.status().message();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(10));
}

TEST_F(BrowserReuseAcquire, ForeignProxyServerIsLeftAlone) {
  fs::create_directories(dir_ / "quarry");
  fs::permissions(dir_ / "quarry", fs::perms::owner_all);
  std::string rec =
      R"({"ws_endpoint":"ws://127.0.0.1:1/x","pid":1,"proxy_hash":"sha256:ff","started_at":""})";
  std::ofstream(dir_ / "quarry" / "browser.json") << rec;
  auto r = AcquireReusableBrowser(Options(Script("exit 1")));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("browser-level proxy"), std::string::npos);
  std::string left;
  std::getline(std::ifstream(dir_ / "quarry" / "browser.json"), left);
  EXPECT_EQ(left, rec);
}

TEST_F(BrowserReuseAcquire, DirectoryOfAnotherTypeIsRefused) {
  std::ofstream(dir_ / "quarry") << "not a directory";
  auto r = AcquireReusableBrowser(Options(Script("exit 1")));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("not a directory"), std::string::npos);
}

}  // namespace
}  // namespace quarry::browser
