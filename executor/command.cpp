#include "executor/command.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <iostream>
#include <spawn.h>
#include <sys/wait.h>
#include <thread>
#include <utility>
#include <vector>

#include "executor/executor.hpp"
#include "executor/interrupt.hpp"

extern char** environ;

namespace swarmplan::executor {

namespace {

using Clock = std::chrono::steady_clock;

// Replaces each {word} of `tmpl` with the shell-quoted value `words` gives
// it; a { not closed or a word not known is an error naming `what`.
std::expected<std::string, std::string> ExpandWords(const std::string& what, const std::string& tmpl,
                                                    const std::vector<std::pair<std::string, std::string>>& words) {
  std::string out;
  for (std::size_t i = 0; i < tmpl.size(); ++i) {
    if (tmpl[i] != '{') {
      out += tmpl[i];
      continue;
    }
    const auto close = tmpl.find('}', i);
    if (close == std::string::npos) return std::unexpected(what + " \"" + tmpl + "\": a { is not closed");
    const std::string word = tmpl.substr(i + 1, close - i - 1);
    const auto it = std::find_if(words.begin(), words.end(), [&](const auto& w) { return w.first == word; });
    if (it == words.end()) {
      std::string known;
      for (const auto& w : words) known += (known.empty() ? "{" : " {") + w.first + "}";
      return std::unexpected(what + " \"" + tmpl + "\": unknown placeholder {" + word + "} (known: " + known + ")");
    }
    out += ShellQuote(it->second);
    i = close;
  }
  return out;
}

}  // namespace

std::expected<std::string, std::string> ExpandTemplate(const std::string& tmpl, const std::string& node,
                                                       const std::string& addr, const std::string& id,
                                                       const std::string& version,
                                                       const std::map<std::string, std::string>& extra) {
  std::vector<std::pair<std::string, std::string>> words = {{"node", node}, {"addr", addr}, {"id", id}, {"version", version}};
  for (const auto& [k, v] : extra) words.emplace_back(k, v);
  return ExpandWords("command template", tmpl, words);
}

std::expected<std::string, std::string> ExpandStackCommand(const std::string& tmpl, const std::string& file,
                                                           const std::string& stack, const std::string& host) {
  return ExpandWords("--stack-command", tmpl, {{"file", file}, {"stack", stack}, {"host", host}});
}

std::expected<void, std::string> RunNodeCommand(const char* what, const std::string& node, const std::string& command,
                                                std::chrono::seconds timeout, std::chrono::seconds interrupt_grace) {
  const std::string* cmd = &command;
  std::cerr << "swarmplan apply: " << what << " " << node << ": " << *cmd << "\n";
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, 2, 1);  // the command's output goes to stderr, beside ours
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attr, 0);
  const char* argv[] = {"/bin/sh", "-c", cmd->c_str(), nullptr};
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, "/bin/sh", &fa, &attr, const_cast<char* const*>(argv), environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) return std::unexpected(std::string(what) + " " + node + ": cannot run /bin/sh: " + std::strerror(rc));
  const auto deadline = Clock::now() + timeout;
  int status = 0;
  // Stops the command's process group: `sig`, up to `grace` to end, then
  // SIGKILL. Returns how it ended, for the message.
  // The grace is the whole group's: the shell often ends first on the
  // signal while its children are still running their own handlers, so
  // the group is killed only once the grace is over, or not at all when
  // every member ended by itself (kill(-pid, 0) fails with ESRCH once the
  // group is empty; the group id stays reserved while any member lives).
  auto stop_group = [&](int sig, std::chrono::seconds grace) -> std::string {
    kill(-pid, sig);
    const auto until = Clock::now() + grace;
    bool reaped = false;
    while (Clock::now() < until) {
      if (!reaped) {
        const pid_t w = waitpid(pid, &status, WNOHANG);
        reaped = w == pid || (w < 0 && errno != EINTR);
      }
      if (reaped && kill(-pid, 0) != 0 && errno == ESRCH) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    kill(-pid, SIGKILL);  // whatever of its group is left
    if (!reaped) {
      while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      return "it did not end within " + std::to_string(grace.count()) + " s and was killed (SIGKILL)";
    }
    return WIFEXITED(status) ? "it ended with exit status " + std::to_string(WEXITSTATUS(status))
                             : "it ended on signal " + std::to_string(WTERMSIG(status));
  };
  while (true) {
    const pid_t w = waitpid(pid, &status, WNOHANG);
    if (w == pid) break;
    if (w < 0 && errno != EINTR) return std::unexpected(std::string(what) + " " + node + ": waiting for the command failed");
    if (const int sig = StopSignal()) {
      const std::string how = stop_group(sig, interrupt_grace);
      return std::unexpected("interrupted by " + SignalName(sig) + " during the " + what + " command for " + node +
                             ": the command was given " + SignalName(sig) + " and " + how + "; " + *cmd);
    }
    if (Clock::now() >= deadline) {
      stop_group(SIGTERM, std::chrono::seconds(2));
      return std::unexpected(std::string(what) + " command for " + node + " ran past " +
                             std::to_string(timeout.count()) + " s and was stopped: " + *cmd);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    const std::string how = WIFEXITED(status) ? "exit status " + std::to_string(WEXITSTATUS(status))
                                              : "signal " + std::to_string(WTERMSIG(status));
    return std::unexpected(std::string(what) + " command for " + node + " failed (" + how + "): " + *cmd);
  }
  return {};
}

}  // namespace swarmplan::executor
