// A real S3-compatible server for the S3 store tests: versitygw (installed by scripts/setup.sh)
// on a free loopback port, objects kept as files in a temporary directory (its posix backend).
// One server per test binary; each test works under its own key prefix.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "lode/test_support.h"

namespace quarry::lode::testing {

inline std::string FindVersitygw() {
  namespace fs = std::filesystem;
  if (const char* p = std::getenv("QUARRY_VERSITYGW"); p && *p) return p;
  for (const std::string& c :
       {std::string(QUARRY_SOURCE_DIR) + "/.cache/bin/versitygw",
        std::string(std::getenv("HOME") ? std::getenv("HOME") : "") + "/go/bin/versitygw"}) {
    if (fs::exists(c)) return c;
  }
  return "";
}

inline int FreeLoopbackPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

inline bool PortAccepts(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  ::close(fd);
  return ok;
}

class Versitygw {
 public:
  static constexpr const char* kAccess = "quarrytestkey";
  static constexpr const char* kSecret = "quarry-test-secret-0123456789";
  static constexpr const char* kBucket = "quarry-unit";

  // The binary's shared server, started on first use; nullptr (with `why`) when it cannot run.
  static Versitygw* Shared(std::string* why) {
    static std::unique_ptr<Versitygw> server;
    static std::string error;
    if (!server && error.empty()) {
      auto s = std::unique_ptr<Versitygw>(new Versitygw());
      if (s->Start(&error)) server = std::move(s);
    }
    if (!server) *why = error;
    return server.get();
  }

  ~Versitygw() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
    }
  }

  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }
  // Where the posix backend keeps the bucket's objects as files.
  std::string bucket_dir() const { return dir_ / kBucket; }

 private:
  Versitygw() = default;

  bool Start(std::string* error) {
    const std::string bin = FindVersitygw();
    if (bin.empty()) {
      *error = "versitygw not found (run scripts/setup.sh or set QUARRY_VERSITYGW)";
      return false;
    }
    std::filesystem::create_directories(bucket_dir());
    port_ = FreeLoopbackPort();
    const std::string listen = "127.0.0.1:" + std::to_string(port_);
    const std::string log = dir_ / "versitygw.log";
    pid_ = ::fork();
    if (pid_ == 0) {
      FILE* out = std::freopen(log.c_str(), "w", stdout);
      (void)out;
      ::dup2(::fileno(stdout), 2);
      ::execl(bin.c_str(), bin.c_str(), "--port", listen.c_str(), "--access", kAccess, "--secret",
              kSecret, "posix", dir_.path().c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    for (int i = 0; i < 200; ++i) {
      if (PortAccepts(port_)) return true;
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        *error = "versitygw exited at start: " + ReadFile(log);
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    *error = "versitygw did not listen on " + listen + " within 10 s";
    return false;
  }

  TempDir dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace quarry::lode::testing
