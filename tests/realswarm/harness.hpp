// The real swarm of tests/realswarm/swarm.sh, for the tests that use it:
// shell helpers and a harness that starts N nodes and always tears them
// down (its destructor, and `down` before every start).
#pragma once

#include <array>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <catch2/catch.hpp>

namespace swarmplan::testing {

inline const std::string kSwarmSh = std::string(SWARMPLAN_SOURCE) + "/tests/realswarm/swarm.sh";

inline std::string Sh(const std::string& cmd) {
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  if (p == nullptr) return "";
  std::string out;
  std::array<char, 4096> buf{};
  while (std::size_t n = fread(buf.data(), 1, buf.size(), p)) out.append(buf.data(), n);
  pclose(p);
  return out;
}

// The harness swarm's name prefix (tests/realswarm/swarm.sh): two test
// processes with different prefixes run two swarms side by side.
inline std::string RsPrefix() {
  const char* p = std::getenv("SWARMPLAN_RS_PREFIX");
  return p != nullptr && *p != '\0' ? p : "sprs";
}

inline std::string Dk(int node, const std::string& args) {
  return Sh("docker -H unix:///run/" + RsPrefix() + std::to_string(node) + "/docker.sock " + args);
}

struct Harness {
  Harness(int nodes, int managers) {
    std::system(("bash " + kSwarmSh + " down >/dev/null 2>&1").c_str());
    const int rc = std::system(("bash " + kSwarmSh + " up " + std::to_string(nodes) + " " + std::to_string(managers)).c_str());
    REQUIRE(rc == 0);
  }
  ~Harness() { std::system(("bash " + kSwarmSh + " down >/dev/null 2>&1").c_str()); }
};


}  // namespace swarmplan::testing
