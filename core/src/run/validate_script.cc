#include "quarry/run/validate_script.h"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <nlohmann/json.hpp>

#include "process/subprocess.h"
#include "quarry/json/parse.h"
#include "run/executor_env.h"

extern char** environ;

namespace quarry::run {

StatusOr<ScriptValidation> ValidateScript(const std::string& executor, const std::string& script,
                                          const std::string& resolve_from) {
  std::string token = process::NewRunToken();
  std::vector<std::string> env = ExecutorEnvironment({token, resolve_from, {}, {}}, environ);

  StatusOr<process::Subprocess> spawned =
      process::Subprocess::Spawn({{executor, "--validate", script}, env});
  if (!spawned.ok()) return spawned.status().WithContext("failed to start executor");
  process::Subprocess& proc = *spawned;
  proc.CloseStdin();

  // Read stdout to EOF while discarding stderr, so neither pipe can fill up.
  std::string out;
  char buf[4096];
  while (proc.stdout_fd() >= 0) {
    pollfd fds[2] = {{proc.stdout_fd(), POLLIN, 0}, {proc.stderr_fd(), POLLIN, 0}};
    int nfds = proc.stderr_fd() >= 0 ? 2 : 1;
    if (::poll(fds, static_cast<nfds_t>(nfds), 60'000) <= 0) break;
    for (int i = 0; i < nfds; ++i) {
      if (fds[i].revents == 0) continue;
      ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n > 0 && i == 0) out.append(buf, static_cast<size_t>(n));
      if (n == 0) (i == 0 ? proc.CloseStdout() : proc.CloseStderr());
    }
  }
  auto exit = proc.WaitFor(std::chrono::seconds(30));
  process::KillRunTree(token, proc.pid(), std::chrono::seconds(5));

  StatusOr<nlohmann::json> parsed =
      json::ParseJson(out.substr(0, out.find('\n')), "executor validation output");
  nlohmann::json v = parsed.ok() ? *std::move(parsed) : nlohmann::json();
  if (!v.is_object() || !v.contains("valid") || !v["valid"].is_boolean()) {
    return InternalError("the executor crashed without a result (" +
                         (exit ? exit->ToString() : std::string("did not exit")) + ")");
  }
  ScriptValidation r;
  r.valid = v["valid"].get<bool>();
  if (v.contains("error") && v["error"].is_string()) r.error = v["error"].get<std::string>();
  if (v.contains("exports") && v["exports"].is_object() && v["exports"].contains("hooks")) {
    for (const auto& h : v["exports"]["hooks"]) {
      if (h.is_string()) r.hooks.push_back(h.get<std::string>());
    }
  }
  return r;
}

}  // namespace quarry::run
