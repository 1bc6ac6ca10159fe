// Runs the swarmplan program for the tests: exit status, stdout and stderr
// apart (stderr through a file of its own, so parallel tests do not mix).
// Include after <catch2/catch.hpp>.
#pragma once

#include <algorithm>
#include <array>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

namespace swarmplan::testing {

struct Run {
  bool started = false;  // false: the shell could not be started
  int status = -1;
  std::string out, err;
};

// `prefix` goes before the program (a namespace, an environment).
inline Run RunSwarmplan(const std::string& args, const std::string& prefix = "") {
  static int calls = 0;
  const std::string err_file = "swarmplan_stderr_" + std::to_string(getpid()) + "_" + std::to_string(++calls) + ".txt";
  const std::string cmd = prefix + SWARMPLAN_BIN + " " + args + " 2>" + err_file;
  Run r;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return r;
  r.started = true;
  std::array<char, 4096> buf{};
  while (std::size_t n = fread(buf.data(), 1, buf.size(), p)) r.out.append(buf.data(), n);
  const int rc = pclose(p);
  r.status = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  std::stringstream ss;
  {
    std::ifstream e(err_file);
    ss << e.rdbuf();
  }
  std::remove(err_file.c_str());
  r.err = ss.str();
  return r;
}

// Runs swarmplan; the test stops if the shell could not start it.
inline Run Swarmplan(const std::string& args, const std::string& prefix = "") {
  Run r = RunSwarmplan(args, prefix);
  REQUIRE(r.started);
  return r;
}

// Checks that `swarmplan args` fails as bad input must: exit 1, nothing on
// stdout, one line "swarmplan: error: ..." containing `needle`, no crash.
inline void ExpectError(const std::string& args, const std::string& needle) {
  INFO("swarmplan " << args);
  const Run r = Swarmplan(args);
  INFO("stderr: " << r.err);
  CHECK(r.status == 1);
  CHECK(r.out.empty());
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  CHECK(r.err.rfind("swarmplan: error: ", 0) == 0);
  CHECK(r.err.find(needle) != std::string::npos);
  CHECK(r.err.find("internal error") == std::string::npos);
}

}  // namespace swarmplan::testing
