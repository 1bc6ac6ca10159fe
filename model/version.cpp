#include "model/version.hpp"

#include <charconv>
#include <cstdio>

namespace swarmplan::model {

namespace {

bool ParseInt(std::string_view s, int& out) {
  if (s.empty() || s.size() > 4) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

// Swarm mode exists from 1.12; the year.month scheme ran 17.03 - 20.10,
// then plain semantic majors from 23.
bool Exists(int major, int minor) {
  if (major == 1) return minor == 12 || minor == 13;
  if (major == 17) return minor == 3 || minor == 6 || minor == 9 || minor == 12;
  if (major == 18) return minor == 2 || minor == 3 || minor == 6 || minor == 9;
  if (major == 19) return minor == 3;
  if (major == 20) return minor == 10;
  return major >= 23 && major <= 99 && minor >= 0 && minor <= 99;
}

}  // namespace

std::expected<EngineVersion, std::string> EngineVersion::Parse(std::string_view text) {
  std::string_view s = text;
  if (!s.empty() && (s.front() == 'v' || s.front() == 'V')) s.remove_prefix(1);
  // Drop a build suffix such as "-ce", "-ee-3", "+dfsg".
  if (auto cut = s.find_first_of("-+~"); cut != std::string_view::npos) s = s.substr(0, cut);
  const auto dot = s.find('.');
  const auto bad = [&] {
    return std::unexpected("unknown engine version \"" + std::string(text) +
                           "\" (expected e.g. 17.06, 18.06, 18.09, 19.03, 20.10, 24.0)");
  };
  if (dot == std::string_view::npos) return bad();
  std::string_view rest = s.substr(dot + 1);
  const auto dot2 = rest.find('.');
  std::string_view minor_s = rest.substr(0, dot2);
  if (dot2 != std::string_view::npos) {
    int patch = 0;
    if (!ParseInt(rest.substr(dot2 + 1), patch)) return bad();
  }
  EngineVersion v;
  if (!ParseInt(s.substr(0, dot), v.major) || !ParseInt(minor_s, v.minor)) return bad();
  if (!Exists(v.major, v.minor)) return bad();
  return v;
}

std::string EngineVersion::ToString() const {
  char buf[16];
  if (major >= 23) {
    std::snprintf(buf, sizeof buf, "%d.%d", major, minor);
  } else {
    std::snprintf(buf, sizeof buf, "%d.%02d", major, minor);
  }
  return buf;
}

LbPolicy EngineVersion::lb_policy() const {
  const EngineVersion v1712{17, 12};
  const EngineVersion v1809{18, 9};
  if (*this < v1712) return LbPolicy::kNone;
  if (*this < v1809) return LbPolicy::kAllNodes;
  return LbPolicy::kOnDemand;
}

bool EngineVersion::worker_waits_for_attachments() const { return *this >= EngineVersion{18, 9}; }

std::uint64_t LbAddresses(LbPolicy p, std::uint64_t all_nodes, std::uint64_t nodes_with_tasks) {
  switch (p) {
    case LbPolicy::kNone: return 0;
    case LbPolicy::kAllNodes: return all_nodes;
    case LbPolicy::kOnDemand: return nodes_with_tasks;
  }
  return 0;
}

std::string_view ToString(LbPolicy p) {
  switch (p) {
    case LbPolicy::kNone: return "none (ingress only)";
    case LbPolicy::kAllNodes: return "every node on every overlay";
    case LbPolicy::kOnDemand: return "nodes with tasks on the network";
  }
  return "?";
}

}  // namespace swarmplan::model
