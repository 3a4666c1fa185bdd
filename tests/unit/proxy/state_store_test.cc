// The persisted selection state (storage-and-policies.md §8.5): survives processes, commits are
// atomic across threads and processes, peeks write nothing, files are private and hold no
// password.
#include "quarry/proxy/state_store.h"

#include "quarry/proxy/pool_client.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

namespace quarry::proxy {
namespace {

namespace fs = std::filesystem;

class StateStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/quarry-proxy-state-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    dir_ = root_ + "/state/quarry";
  }
  void TearDown() override { fs::remove_all(root_); }

  static Pool RoundRobin(int n) {
    Pool p;
    p.name = "rr";
    p.strategy = "round_robin";
    for (int i = 0; i < n; ++i) {
      p.endpoints.push_back(
          {"http", "127.0.0." + std::to_string(i + 1), 3128, "user", "hunter2-do-not-store"});
    }
    return p;
  }

  std::unique_ptr<StateStore> Open() {
    auto s = StateStore::Open(dir_);
    EXPECT_TRUE(s.ok()) << s.status().message();
    return s.ok() ? std::move(*s) : nullptr;
  }

  static int CommitOne(StateStore* store, const Pool& pool) {
    auto sel = store->Commit(pool, {}, NowMs(), {}, SystemRandom(), nullptr);
    return sel.ok() ? sel->index : -1;
  }

  std::string root_, dir_;
};

TEST_F(StateStoreTest, RoundRobinSurvivesReopeningAndPeeksWriteNothing) {
  Pool pool = RoundRobin(3);
  for (int expect : {0, 1, 2, 0}) {
    auto store = Open();  // a new `quarry run` each time
    EXPECT_EQ(CommitOne(store.get(), pool), expect);
  }
  auto store = Open();
  auto before = store->Load("rr");
  ASSERT_TRUE(before.ok() && before->has_value());
  for (int i = 0; i < 3; ++i) {
    auto peek = store->Peek(pool, {}, NowMs(), {}, SystemRandom());
    ASSERT_TRUE(peek.ok());
    EXPECT_EQ(peek->index, 1);
  }
  auto after = store->Load("rr");
  EXPECT_EQ(StateToJson(**after), StateToJson(**before));
  EXPECT_EQ((*after)->requests, 4u);
}

TEST_F(StateStoreTest, RotationMovesTheNextSelectionOfAnotherProcess) {
  Pool pool = RoundRobin(2);
  {
    auto store = Open();
    EXPECT_EQ(CommitOne(store.get(), pool), 0);
    ASSERT_TRUE(store->Rotate(pool, 1, "").ok());
  }
  auto store = Open();
  EXPECT_EQ(CommitOne(store.get(), pool), 0);  // 1 is avoided once
  EXPECT_EQ(CommitOne(store.get(), pool), 1);
  auto st = store->Load("rr");
  EXPECT_EQ((*st)->failures, 1u);
}

TEST_F(StateStoreTest, AChangedPoolResetsItsState) {
  Pool pool = RoundRobin(3);
  auto store = Open();
  CommitOne(store.get(), pool);
  CommitOne(store.get(), pool);
  pool.endpoints.pop_back();
  std::vector<std::string> notices;
  auto sel = store->Commit(pool, {}, NowMs(), {}, SystemRandom(), &notices);
  ASSERT_TRUE(sel.ok());
  EXPECT_EQ(sel->index, 0);
  ASSERT_EQ(notices.size(), 1u);
  EXPECT_NE(notices[0].find("state was reset"), std::string::npos);
}

TEST_F(StateStoreTest, CommitsFromManyThreadsAreNotLost) {
  Pool pool = RoundRobin(5);
  auto store = Open();
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 25; ++i) CommitOne(store.get(), pool);
    });
  }
  for (auto& t : threads) t.join();
  auto st = store->Load("rr");
  EXPECT_EQ((*st)->requests, 100u);
  EXPECT_EQ((*st)->rr_counter, 100u);
}

// No store exists yet: the eight processes also race to create it (two workers starting at once).
TEST_F(StateStoreTest, EightProcessesMakeEightDistinctRoundRobinSelections) {
  Pool pool = RoundRobin(8);
  std::vector<int> fds;
  std::vector<pid_t> pids;
  for (int i = 0; i < 8; ++i) {
    int p[2];
    ASSERT_EQ(::pipe(p), 0);
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::close(p[0]);
      auto s = StateStore::Open(dir_);
      int idx = s.ok() ? CommitOne(s->get(), pool) : -2;
      (void)!::write(p[1], &idx, sizeof idx);
      ::_exit(0);
    }
    ::close(p[1]);
    fds.push_back(p[0]);
    pids.push_back(pid);
  }
  std::set<int> seen;
  for (size_t i = 0; i < fds.size(); ++i) {
    int idx = -3;
    ASSERT_EQ(::read(fds[i], &idx, sizeof idx), static_cast<ssize_t>(sizeof idx));
    ::close(fds[i]);
    int status = 0;
    ::waitpid(pids[i], &status, 0);
    seen.insert(idx);
  }
  EXPECT_EQ(seen, (std::set<int>{0, 1, 2, 3, 4, 5, 6, 7}));
  auto st = Open()->Load("rr");
  EXPECT_EQ((*st)->requests, 8u);
}

TEST_F(StateStoreTest, FilesArePrivateAndHoldNoPassword) {
  Pool pool = RoundRobin(2);
  pool.strategy = "sticky";
  auto store = Open();
  SelectionRequest req;
  req.sticky_key = "k";
  ASSERT_TRUE(store->Commit(pool, req, NowMs(), {}, SystemRandom(), nullptr).ok());
  struct stat st {};
  ASSERT_EQ(::stat(dir_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  ASSERT_EQ(::stat(store->path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  store.reset();  // checkpoint the WAL into the file
  for (const auto& e : fs::directory_iterator(dir_)) {
    std::ifstream in(e.path(), std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    EXPECT_EQ(bytes.str().find("hunter2"), std::string::npos) << e.path();
  }
}

TEST_F(StateStoreTest, DefaultDirFollowsTheEnvironment) {
  const std::string home = std::getenv("HOME") ? std::getenv("HOME") : "";
  ::setenv("QUARRY_STATE_DIR", "/x/state", 1);
  EXPECT_EQ(StateStore::DefaultDir(), "/x/state");
  ::unsetenv("QUARRY_STATE_DIR");
  ::setenv("XDG_STATE_HOME", "/xdg", 1);
  EXPECT_EQ(StateStore::DefaultDir(), "/xdg/quarry");
  ::unsetenv("XDG_STATE_HOME");
  ::setenv("HOME", "/home/q", 1);
  EXPECT_EQ(StateStore::DefaultDir(), "/home/q/.local/state/quarry");
  ::setenv("HOME", home.c_str(), 1);
}

}  // namespace
}  // namespace quarry::proxy
