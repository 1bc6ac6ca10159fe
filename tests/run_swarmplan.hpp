// Runs the swarmplan program for the tests: exit status, stdout and stderr
// apart (stderr through a file of its own, so parallel tests do not mix).
#pragma once

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

}  // namespace swarmplan::testing
