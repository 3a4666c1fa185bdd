// Process supervision against real processes: exit codes vs signals kept distinct, a missing
// binary, and the whole-tree kill reaching a grandchild in another process group and a child that
// shows no token.
#include "process/subprocess.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

extern char** environ;

namespace quarry::process {
namespace {

std::vector<std::string> Env(const std::string& token) {
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) env.emplace_back(*e);
  env.push_back(std::string(kRunTokenEnv) + "=" + token);
  return env;
}

TEST(SubprocessTest, ExitCodeAndSignalAreDistinct) {
  auto p = Subprocess::Spawn({{"/bin/sh", "-c", "exit 3"}, Env("t1")});
  ASSERT_TRUE(p.ok());
  auto st = p->WaitFor(std::chrono::seconds(10));
  ASSERT_TRUE(st);
  EXPECT_FALSE(st->signalled);
  EXPECT_EQ(st->code, 3);

  auto q = Subprocess::Spawn({{"/bin/sh", "-c", "kill -TERM $$"}, Env("t2")});
  ASSERT_TRUE(q.ok());
  st = q->WaitFor(std::chrono::seconds(10));
  ASSERT_TRUE(st);
  EXPECT_TRUE(st->signalled);
  EXPECT_EQ(st->signal, SIGTERM);
  EXPECT_EQ(st->ToString(), "killed by signal 15 (SIGTERM)");
}

TEST(SubprocessTest, MissingBinaryFailsToSpawn) {
  auto p = Subprocess::Spawn({{"/nonexistent/quarry-executor"}, Env("t3")});
  EXPECT_FALSE(p.ok());
}

TEST(SubprocessTest, RunsInItsOwnProcessGroup) {
  auto p = Subprocess::Spawn({{"/bin/sleep", "5"}, Env("t4")});
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(::getpgid(p->pid()), p->pid());
  p->KillGroup();
  auto st = p->WaitFor(std::chrono::seconds(5));
  ASSERT_TRUE(st);
  EXPECT_TRUE(st->signalled);
}

TEST(SubprocessTest, KillRunTreeReachesGrandchildrenInOtherGroups) {
  BecomeSubreaper();
  const std::string token = NewRunToken();
  // The child starts a grandchild in a new session (like Chromium's own process group), then
  // exits, orphaning it.
  auto p = Subprocess::Spawn({{"/bin/sh", "-c", "setsid sleep 60 & exit 0"}, Env(token)});
  ASSERT_TRUE(p.ok());
  ASSERT_TRUE(p->WaitFor(std::chrono::seconds(10)));
  std::vector<pid_t> live;
  for (int i = 0; i < 100 && live.empty(); ++i) {
    live = FindRunProcesses(token);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_EQ(live.size(), 1u);
  EXPECT_NE(::getpgid(live[0]), p->pid());
  EXPECT_GE(KillRunTree(token, p->pid(), std::chrono::seconds(5)), 1);
  EXPECT_TRUE(FindRunProcesses(token).empty());
}

TEST(SubprocessTest, KillRunTreeReachesChildrenThatLostTheToken) {
  BecomeSubreaper();
  const std::string token = NewRunToken();
  char dir_template[] = "/tmp/quarry-tree-XXXXXX";
  ASSERT_NE(::mkdtemp(dir_template), nullptr);
  const std::string pid_file = std::string(dir_template) + "/pid";
  // Like Chromium: a process of the run in a session of its own, whose child shows no token (its
  // environment is empty) and lives in yet another session.
  const std::string inner =
      "setsid env -i /bin/sh -c 'echo \\$\\$ > " + pid_file + "; exec /bin/sleep 60' & wait";
  auto p = Subprocess::Spawn(
      {{"/bin/sh", "-c", "setsid /bin/sh -c \"" + inner + "\" & exit 0"}, Env(token)});
  ASSERT_TRUE(p.ok());
  ASSERT_TRUE(p->WaitFor(std::chrono::seconds(10)));
  pid_t hidden = 0;
  for (int i = 0; i < 250 && hidden <= 0; ++i) {
    std::ifstream(pid_file) >> hidden;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_GT(hidden, 0);
  ASSERT_EQ(::kill(hidden, 0), 0);

  EXPECT_GE(KillRunTree(token, p->pid(), std::chrono::seconds(5)), 2);
  bool gone = false;
  for (int i = 0; i < 100 && !gone; ++i) {
    std::ifstream stat("/proc/" + std::to_string(hidden) + "/stat");
    std::string line;
    std::getline(stat, line);
    gone = !stat || line.find(") Z ") != std::string::npos;
    if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(gone) << "the token-less child " << hidden << " survived";
  if (!gone) ::kill(hidden, SIGKILL);
  ::waitpid(hidden, nullptr, WNOHANG);
  std::filesystem::remove_all(dir_template);
}

TEST(SubprocessTest, PipesCarryData) {
  auto p = Subprocess::Spawn({{"/bin/cat"}, Env("t5")});
  ASSERT_TRUE(p.ok());
  ASSERT_EQ(::write(p->stdin_fd(), "ping", 4), 4);
  p->CloseStdin();
  std::string out;
  char buf[16];
  for (int i = 0; i < 500; ++i) {
    ssize_t n = ::read(p->stdout_fd(), buf, sizeof buf);
    if (n > 0) out.append(buf, static_cast<size_t>(n));
    if (n == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(out, "ping");
  auto st = p->WaitFor(std::chrono::seconds(5));
  ASSERT_TRUE(st);
  EXPECT_EQ(st->code, 0);
}

// The reusable browser server's mode: its own session, stdin /dev/null, stderr into a 0600 file,
// nothing inherited beyond 0-2, and alive after Release() and the end of the Subprocess.
TEST(SubprocessTest, DetachedChildHasItsOwnSessionAndOutlivesRelease) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("quarry-detached-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string log = (dir / "stderr.log").string();
  int stray[2];
  ASSERT_EQ(::pipe(stray), 0);  // not close-on-exec: only closefrom keeps it from the child
  SpawnOptions options{{"/bin/sh", "-c",
                        "ls /proc/self/fd | sort -n | tr '\\n' ' ' >&2; "
                        "read line; echo \"read:$?\"; exec sleep 30"},
                       Env("t6")};
  options.detached = true;
  options.stderr_path = log;
  auto p = Subprocess::Spawn(options);
  ::close(stray[0]);
  ::close(stray[1]);
  ASSERT_TRUE(p.ok()) << p.status().message();
  const pid_t pid = p->pid();
  EXPECT_EQ(::getsid(pid), pid);
  EXPECT_EQ(p->stdin_fd(), -1);
  EXPECT_EQ(p->stderr_fd(), -1);
  std::string out;
  char buf[64];
  for (int i = 0; i < 1000 && out.find('\n') == std::string::npos; ++i) {
    ssize_t n = ::read(p->stdout_fd(), buf, sizeof buf);
    if (n > 0) out.append(buf, static_cast<size_t>(n));
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(out, "read:1\n");  // EOF at once: stdin is /dev/null
  EXPECT_EQ(p->Release(), pid);
  p = InvalidArgumentError("dropped");  // destroys the Subprocess: it must not kill the child
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(::kill(pid, 0), 0);
  std::ifstream in(log);
  std::string fds((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // ls's own directory descriptor is 3; a stray inherited pipe would show up as a fourth.
  EXPECT_EQ(fds, "0 1 2 3 ");
  EXPECT_EQ(std::filesystem::status(log).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
  std::filesystem::remove_all(dir);
}

TEST(SubprocessTest, DetachedWithoutStderrFileIsRefused) {
  SpawnOptions options{{"/bin/true"}, Env("t7")};
  options.detached = true;
  EXPECT_FALSE(Subprocess::Spawn(options).ok());
}

}  // namespace
}  // namespace quarry::process
