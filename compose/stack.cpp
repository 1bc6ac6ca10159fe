#include "compose/stack.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <memory>
#include <set>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "model/strict_json.hpp"
#include "model/utf8.hpp"

namespace swarmplan::compose {

namespace {

using model::Scenario;
using model::ServiceSpec;

// Fields of a service that swarmplan does not model and that change nothing
// it predicts (addresses, placement, timing of the tasks' life); those of the
// container spec that a redeploy compares are read (ReadContainer), the
// rest are in kUncompared.
const std::set<std::string> kInert = {
    "image", "command", "entrypoint", "environment", "env_file", "volumes", "configs", "secrets", "labels",
    "healthcheck", "logging", "hostname", "user", "working_dir", "cap_add", "cap_drop", "dns", "dns_search",
    "dns_opt", "extra_hosts", "init", "stop_signal", "sysctls", "ulimits", "tmpfs", "tty", "stdin_open",
    "read_only", "domainname", "isolation", "credential_spec", "expose", "group_add", "stop_grace_period",
    "deploy", "networks", "ports"};
// Fields of the task template that a redeploy does not compare with the
// running service (swarmplan does not read them back from the Engine API):
// a change there is a rolling update that swarmplan does not plan.
const std::set<std::string> kUncompared = {
    "volumes", "configs", "secrets", "healthcheck", "logging", "cap_add", "cap_drop", "dns", "dns_search",
    "dns_opt", "extra_hosts", "init", "sysctls", "ulimits", "tmpfs", "tty", "stdin_open", "read_only",
    "domainname", "isolation", "credential_spec", "group_add"};
// Fields docker's stack deploy itself ignores (it says "Ignoring unsupported
// options"): accepted, listed in the notes.
const std::set<std::string> kIgnoredByDocker = {
    "build", "cgroup_parent", "container_name", "devices", "depends_on", "external_links", "links",
    "network_mode", "restart", "security_opt", "userns_mode", "privileged", "pid", "ipc", "shm_size",
    "mac_address", "cpu_shares", "cpu_quota", "cpuset", "mem_limit", "memswap_limit", "oom_score_adj"};

// The tag InterpolateTree gives a value it changed.
constexpr const char* kInterpolatedTag = "!swarmplan-interpolated";

// Go's strconv.Atoi: an optional sign and decimal digits.
std::optional<long double> DecimalInt(const std::string& s) {
  std::size_t i = s.size() > 0 && (s[0] == '+' || s[0] == '-') ? 1 : 0;
  if (i == s.size() || s.size() > 40) return std::nullopt;
  long double v = 0;
  for (std::size_t k = i; k < s.size(); ++k) {
    if (!std::isdigit(static_cast<unsigned char>(s[k]))) return std::nullopt;
    v = v * 10 + (s[k] - '0');
  }
  return s[0] == '-' ? -v : v;
}

// A plain YAML scalar's number as docker's YAML decoder resolves it: an
// integer in Go's base-prefixed syntax (0x 0o 0b, a leading 0 for octal,
// underscores between digits), else a decimal float. nullopt: a string.
std::optional<long double> YamlNumber(const std::string& s) {
  if (s.empty() || s.size() > 100) return std::nullopt;
  // Only a value that starts like a number is one; its underscores are
  // dropped, wherever they are ("1__0" is 10, "_10" a string).
  if (!(std::isdigit(static_cast<unsigned char>(s[0])) || s[0] == '+' || s[0] == '-' || s[0] == '.')) return std::nullopt;
  std::size_t i = s[0] == '+' || s[0] == '-' ? 1 : 0;
  const bool neg = s[0] == '-';
  std::string body;
  for (std::size_t k = i; k < s.size(); ++k) {
    if (s[k] != '_') body += s[k];
  }
  auto integer = [&]() -> std::optional<long double> {
    int base = 10;
    std::string digits = body;
    if (body.size() > 1 && body[0] == '0') {
      const char p = static_cast<char>(std::tolower(static_cast<unsigned char>(body[1])));
      if (p == 'x' || p == 'o' || p == 'b') {
        base = p == 'x' ? 16 : p == 'o' ? 8 : 2;
        digits = body.substr(2);
      } else {
        base = 8;
        digits = body.substr(1);
      }
    }
    if (digits.empty()) return base == 8 && body == "0" ? std::optional<long double>(0) : std::nullopt;
    long double v = 0;
    for (std::size_t k = 0; k < digits.size(); ++k) {
      const char c = digits[k];
      int d = std::isdigit(static_cast<unsigned char>(c)) ? c - '0'
              : std::isxdigit(static_cast<unsigned char>(c)) ? std::tolower(static_cast<unsigned char>(c)) - 'a' + 10
                                                              : 99;
      if (d >= base) return std::nullopt;
      v = v * base + d;
    }
    return neg ? -v : v;
  };
  if (auto v = integer()) return v;
  // [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
  std::size_t k = 0, digits = 0;
  while (k < body.size() && std::isdigit(static_cast<unsigned char>(body[k]))) ++k, ++digits;
  if (k < body.size() && body[k] == '.') {
    ++k;
    while (k < body.size() && std::isdigit(static_cast<unsigned char>(body[k]))) ++k, ++digits;
  }
  if (digits == 0) return std::nullopt;
  if (k < body.size() && (body[k] == 'e' || body[k] == 'E')) {
    ++k;
    if (k < body.size() && (body[k] == '+' || body[k] == '-')) ++k;
    const std::size_t b = k;
    while (k < body.size() && std::isdigit(static_cast<unsigned char>(body[k]))) ++k;
    if (k == b) return std::nullopt;
  }
  if (k != body.size()) return std::nullopt;
  const long double v = std::strtold(body.c_str(), nullptr);
  return neg ? -v : v;
}

class Reader {
 public:
  Reader(std::string file, Environment env) : file_(std::move(file)), env_(std::move(env)) {}

  std::vector<std::string>& notes() { return notes_; }
  std::optional<std::string> Lookup(const std::string& name) const { return env_ ? env_(name) : std::nullopt; }

  std::unexpected<std::string> Err(const std::string& path, const std::string& what) const {
    return std::unexpected(file_ + ": " + path + ": " + what);
  }
  std::unexpected<std::string> Err(const YAML::Node& n, const std::string& path, const std::string& what) const {
    const YAML::Mark m = n.Mark();
    if (m.is_null()) return Err(path, what);
    return std::unexpected(file_ + ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1) + ": " +
                           path + ": " + what);
  }

  // A scalar (interpolated already, by InterpolateTree).
  std::expected<std::string, std::string> Str(const YAML::Node& n, const std::string& path) {
    if (!n.IsScalar()) return Err(n, path, "expected a single value");
    return n.Scalar();
  }

  // Every value of the file with its variables interpolated, in place, as
  // docker's loader does before it reads any field (keys stay as written).
  std::expected<void, std::string> InterpolateTree(YAML::Node n, const std::string& path, int depth = 0) {
    // Aliases share nodes: a file of aliases of aliases expands
    // exponentially. docker's loader would take that long; this stops.
    if (++visited_ > 1'000'000) return Err(n, path, "the file expands (through aliases) to over a million values");
    if (depth > 250) return Err(n, path, "nested over 250 deep");
    if (n.IsScalar()) {
      // A value reached twice (an alias, a merge key's mapping) is
      // interpolated once, as docker interpolates the parsed document:
      // "$$HOME" through <<: *c stays "$HOME".
      const YAML::Mark m = n.Mark();
      if (!m.is_null() && !interpolated_.insert(m.pos).second) return {};
      auto v = Interpolate(n.Scalar(), n, path);
      if (!v) return std::unexpected(v.error());
      if (*v != n.Scalar()) {
        n = *v;
        n.SetTag(kInterpolatedTag);  // docker casts a value it interpolated (Uint)
      }
      return {};
    }
    if (n.IsSequence()) {
      for (std::size_t i = 0; i < n.size(); ++i) {
        if (auto ok = InterpolateTree(n[i], path + "[" + std::to_string(i) + "]", depth + 1); !ok) return ok;
      }
    } else if (n.IsMap()) {
      for (auto kv : n) {
        const std::string k = kv.first.Scalar();
        if (auto ok = InterpolateTree(kv.second, path.empty() ? k : path + "." + k, depth + 1); !ok) return ok;
      }
    }
    return {};
  }
  // A whole number as docker reads one: a plain YAML value as YAML does
  // (024 is octal 20, 0x18, 0o30, 1_0, +24, and 24.0 or 1e1 as the
  // integers they are); a value that interpolation changed, as a decimal
  // (docker casts it with strconv.Atoi); a quoted number is a string, which
  // docker's schema refuses.
  std::expected<std::uint64_t, std::string> Uint(const YAML::Node& n, const std::string& path, std::uint64_t hi) {
    auto s = Str(n, path);
    if (!s) return std::unexpected(s.error());
    const std::string tag = n.Tag();
    const bool cast = tag == kInterpolatedTag;
    if (!cast && tag == "!") {
      return Err(n, path, "expected a whole number, not the quoted string \"" + *s + "\" (docker refuses a quoted number)");
    }
    const std::optional<long double> v = cast ? DecimalInt(*s) : YamlNumber(*s);
    if (!v || *v < 0 || *v != std::floor(*v) || *v > static_cast<long double>(hi)) {
      return Err(n, path, "expected a whole number from 0 to " + std::to_string(hi) + ", not \"" + *s + "\"");
    }
    return static_cast<std::uint64_t>(*v);
  }
  std::expected<double, std::string> Number(const YAML::Node& n, const std::string& path) {
    auto s = Str(n, path);
    if (!s) return std::unexpected(s.error());
    double v = 0;
    auto [p, ec] = std::from_chars(s->data(), s->data() + s->size(), v);
    if (s->empty() || ec != std::errc() || p != s->data() + s->size() || !std::isfinite(v) || v < 0) {
      return Err(n, path, "expected a number, not \"" + *s + "\"");
    }
    return v;
  }
  std::expected<bool, std::string> Bool(const YAML::Node& n, const std::string& path) {
    auto s = Str(n, path);
    if (!s) return std::unexpected(s.error());
    std::string l = *s;
    std::transform(l.begin(), l.end(), l.begin(), [](unsigned char c) { return std::tolower(c); });
    if (l == "true" || l == "yes" || l == "on") return true;
    if (l == "false" || l == "no" || l == "off") return false;
    return Err(n, path, "expected true or false, not \"" + *s + "\"");
  }
  // A Go duration ("1m30s", "500ms", "10s"), as docker's loader reads them.
  std::expected<sim::Time, std::string> Duration(const YAML::Node& n, const std::string& path) {
    auto s = Str(n, path);
    if (!s) return std::unexpected(s.error());
    const std::string& t = *s;
    if (t == "0") return 0;
    double total = 0;
    std::size_t i = 0;
    while (i < t.size()) {
      std::size_t j = i;
      while (j < t.size() && (std::isdigit(static_cast<unsigned char>(t[j])) || t[j] == '.')) ++j;
      double v = 0;
      auto [p, ec] = std::from_chars(t.data() + i, t.data() + j, v);
      if (j == i || ec != std::errc() || p != t.data() + j) break;
      std::size_t k = j;
      while (k < t.size() && !std::isdigit(static_cast<unsigned char>(t[k])) && t[k] != '.') ++k;
      const std::string unit = t.substr(j, k - j);
      const double us = unit == "h" ? 3600e6 : unit == "m" ? 60e6 : unit == "s" ? 1e6 : unit == "ms" ? 1e3
                      : unit == "us" || unit == "\u00b5s" ? 1 : unit == "ns" ? 1e-3 : -1;
      if (us < 0) return Err(n, path, "\"" + t + "\" is not a duration (units: h, m, s, ms, us, ns; e.g. 1m30s)");
      total += v * us;
      i = k;
    }
    if (i != t.size() || t.empty()) return Err(n, path, "\"" + t + "\" is not a duration (e.g. 10s, 1m30s, 500ms)");
    if (total > 365.0 * 24 * 3600e6) return Err(n, path, "\"" + t + "\" is longer than a year");
    return static_cast<sim::Time>(std::llround(total));
  }
  // docker's units.RAMInBytes: 512m, 1g, 1.5GB, 1024 (bytes).
  std::expected<std::int64_t, std::string> Bytes(const YAML::Node& n, const std::string& path) {
    auto s = Str(n, path);
    if (!s) return std::unexpected(s.error());
    std::string t = *s;
    std::size_t j = 0;
    while (j < t.size() && (std::isdigit(static_cast<unsigned char>(t[j])) || t[j] == '.')) ++j;
    double v = 0;
    auto [p, ec] = std::from_chars(t.data(), t.data() + j, v);
    std::string unit = t.substr(j);
    while (!unit.empty() && unit.front() == ' ') unit.erase(0, 1);
    std::transform(unit.begin(), unit.end(), unit.begin(), [](unsigned char c) { return std::tolower(c); });
    if (!unit.empty() && unit.back() == 'b') unit.pop_back();
    if (!unit.empty() && unit.back() == 'i') unit.pop_back();
    const std::string units = "kmgtp";
    double mult = 1;
    if (unit.size() == 1 && units.find(unit[0]) != std::string::npos) {
      mult = std::pow(1024.0, static_cast<double>(units.find(unit[0]) + 1));
    } else if (!unit.empty()) {
      j = 0;
    }
    if (j == 0 || ec != std::errc() || p != t.data() + j || v * mult > 9.0e18) {
      return Err(n, path, "\"" + t + "\" is not a size (e.g. 512M, 1G, 1048576)");
    }
    return static_cast<std::int64_t>(v * mult);
  }

  // The keys of a mapping, checked against the known ones (x-* allowed).
  std::expected<void, std::string> Keys(const YAML::Node& n, const std::string& path,
                                        const std::set<std::string>& known) {
    if (!n.IsMap()) return Err(n, path, "expected a mapping");
    for (const auto& kv : n) {
      const std::string k = kv.first.Scalar();
      if (k.rfind("x-", 0) == 0) continue;
      if (!known.contains(k)) return Err(kv.first, path + "." + k, "unknown field (not in docker's Compose schema for a stack)");
    }
    return {};
  }

 private:
  std::expected<std::string, std::string> Interpolate(const std::string& in, const YAML::Node& n,
                                                      const std::string& path) {
    std::string out;
    for (std::size_t i = 0; i < in.size(); ++i) {
      if (in[i] != '$') {
        out += in[i];
        continue;
      }
      if (i + 1 < in.size() && in[i + 1] == '$') {
        out += '$';
        ++i;
        continue;
      }
      // docker's pattern (cli/compose/template): after a $, a name
      // [_A-Za-z][_A-Za-z0-9]* and, braced or not, an optional operator
      // (:- - :? ?) whose argument runs to the next } (or the end of the
      // value): "$HOME-dir" is ${HOME-dir}. Anything else after a $ is an
      // invalid format.
      std::string name, op, arg;
      const bool braced = i + 1 < in.size() && in[i + 1] == '{';
      std::size_t k = i + (braced ? 2 : 1);
      auto name_char = [&](std::size_t at, bool first) {
        const unsigned char c = static_cast<unsigned char>(in[at]);
        return c == '_' || (c < 0x80 && std::isalpha(c)) || (!first && c < 0x80 && std::isdigit(c));
      };
      if (k < in.size() && name_char(k, true)) {
        const std::size_t b = k;
        while (k < in.size() && name_char(k, false)) ++k;
        name = in.substr(b, k - b);
        for (const char* o : {":-", ":?", "-", "?"}) {
          if (in.compare(k, std::strlen(o), o) == 0) {
            op = o;
            k += op.size();
            const std::size_t e = std::min(in.find('}', k), in.size());
            arg = in.substr(k, e - k);
            k = e;
            break;
          }
        }
      }
      if (name.empty() || (braced && (k >= in.size() || in[k] != '}'))) {
        return Err(n, path, "invalid interpolation format in \"" + in + "\" (docker refuses it; write $$ for a $)");
      }
      i = braced ? k : k - 1;
      const std::optional<std::string> v = Lookup(name);
      const bool empty = !v || v->empty();
      if (op == ":-" && empty) { out += arg; continue; }
      if (op == "-" && !v) { out += arg; continue; }
      if ((op == ":?" && empty) || (op == "?" && !v)) {
        return Err(n, path, "required variable " + name + " is missing a value" + (arg.empty() ? "" : ": " + arg));
      }
      if (!v) {
        const std::string note = "the " + name + " variable is not set: a blank string was used";
        if (std::find(notes_.begin(), notes_.end(), note) == notes_.end()) notes_.push_back(note);
      }
      out += v.value_or("");
    }
    return out;
  }

  std::string file_;
  Environment env_;
  std::vector<std::string> notes_;
  std::uint64_t visited_ = 0;
  std::set<int> interpolated_;  // the file offsets of the values interpolated already
};

// Flow collections nested deeper than any Compose file needs ("[[[[..."):
// refused before the YAML parser recurses into them.
bool NestedTooDeeply(const std::string& yaml) {
  int depth = 0;
  for (char c : yaml) {
    if (c == '[' || c == '{') {
      if (++depth > 200) return true;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return false;
}

// A key given twice in one mapping (`deploy: {replicas: 2, replicas: 40}`,
// `services:` twice, a doubled `subnet`): docker's loader refuses the file
// ("mapping key already defined"; its older one kept the last key, yaml-cpp
// the first), so whichever swarmplan took, it would judge another deploy
// than the one that runs. The error names both lines. Read before merge
// keys are resolved; aliases are not followed twice (`budget`).
std::expected<void, std::string> CheckDuplicateKeys(const YAML::Node& n, const std::string& file, const std::string& path,
                                                    std::uint64_t& budget, int depth = 0) {
  if (depth > 250 || budget == 0) return {};  // bounded elsewhere (ResolveMerges), with its own error
  --budget;
  if (n.IsSequence()) {
    for (std::size_t i = 0; i < n.size(); ++i) {
      if (auto ok = CheckDuplicateKeys(n[i], file, path + "[" + std::to_string(i) + "]", budget, depth + 1); !ok) return ok;
    }
    return {};
  }
  if (!n.IsMap()) return {};
  std::map<std::string, YAML::Mark> seen;
  for (const auto& kv : n) {
    if (!kv.first.IsScalar()) continue;
    const std::string k = kv.first.Scalar();
    const std::string where = path.empty() ? k : path + "." + k;
    const YAML::Mark m = kv.first.Mark();
    auto [it, fresh] = seen.emplace(k, m);
    if (!fresh) {
      return std::unexpected(file + ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1) + ": " + where +
                             ": the key \"" + k + "\" is given twice in one mapping (line " +
                             std::to_string(it->second.line + 1) + " and line " + std::to_string(m.line + 1) +
                             "); docker refuses such a file (mapping key already defined): keep one");
    }
    if (auto ok = CheckDuplicateKeys(kv.second, file, where, budget, depth + 1); !ok) return ok;
  }
  return {};
}

// YAML merge keys (<<: *anchor, or a list of them), resolved in place: the
// mapping's own keys win, then the merged mappings' in order. yaml-cpp
// leaves them as keys. In place, so that every node keeps its line.
// False once `budget` values were visited (aliases of aliases expand
// exponentially).
struct MergeError {
  YAML::Mark mark;
};
// Throws MergeError where a merge key's value is not a mapping (docker: "map
// merge requires map or sequence of maps as the value").
bool ResolveMerges(YAML::Node n, std::uint64_t& budget, int depth = 0) {
  if (depth > 250 || budget-- == 0) return false;
  if (n.IsSequence()) {
    for (auto x : n) {
      if (!ResolveMerges(x, budget, depth + 1)) return false;
    }
    return true;
  }
  if (!n.IsMap()) return true;
  std::vector<YAML::Node> from;
  for (auto kv : n) {
    if (kv.first.IsScalar() && kv.first.Scalar() == "<<") {
      if (kv.second.IsSequence()) {
        for (auto x : kv.second) from.push_back(x);
      } else {
        from.push_back(kv.second);
      }
    } else if (!ResolveMerges(kv.second, budget, depth + 1)) {
      return false;
    }
  }
  if (from.empty()) return true;
  n.remove("<<");
  for (YAML::Node m : from) {
    if (!ResolveMerges(m, budget, depth + 1)) return false;
    if (!m.IsMap()) throw MergeError(m.Mark());
    for (auto e : m) {
      if (!n[e.first.Scalar()]) n[e.first.Scalar()] = e.second;
    }
  }
  return true;
}

struct NetDef {
  std::string key, name;
  bool external = false;
  std::optional<model::Ipv4Cidr> subnet;
};

std::expected<model::UpdateConfig, std::string> ReadUpdateConfig(Reader& r, const YAML::Node& n,
                                                                  const std::string& path, bool rollback) {
  model::UpdateConfig c;
  if (auto ok = r.Keys(n, path, {"parallelism", "delay", "failure_action", "monitor", "max_failure_ratio", "order"});
      !ok) {
    return std::unexpected(ok.error());
  }
  if (n["parallelism"]) {
    auto v = r.Uint(n["parallelism"], path + ".parallelism", 1'000'000);
    if (!v) return std::unexpected(v.error());
    c.parallelism = static_cast<std::uint32_t>(*v);
  }
  if (n["delay"]) {
    auto v = r.Duration(n["delay"], path + ".delay");
    if (!v) return std::unexpected(v.error());
    c.delay = *v;
  }
  if (n["monitor"]) {
    auto v = r.Duration(n["monitor"], path + ".monitor");
    if (!v) return std::unexpected(v.error());
    c.monitor = *v;
  }
  if (n["max_failure_ratio"]) {
    auto v = r.Number(n["max_failure_ratio"], path + ".max_failure_ratio");
    if (!v) return std::unexpected(v.error());
    c.max_failure_ratio = *v;
  }
  if (n["failure_action"]) {
    auto v = r.Str(n["failure_action"], path + ".failure_action");
    if (!v) return std::unexpected(v.error());
    if (*v == "pause") c.failure_action = model::FailureAction::kPause;
    else if (*v == "continue") c.failure_action = model::FailureAction::kContinue;
    else if (*v == "rollback" && !rollback) c.failure_action = model::FailureAction::kRollback;
    else return r.Err(n["failure_action"], path + ".failure_action", "expected pause, continue" + std::string(rollback ? "" : " or rollback") + ", not \"" + *v + "\"");
  }
  if (n["order"]) {
    auto v = r.Str(n["order"], path + ".order");
    if (!v) return std::unexpected(v.error());
    if (*v == "stop-first") c.order = model::UpdateOrder::kStopFirst;
    else if (*v == "start-first") c.order = model::UpdateOrder::kStartFirst;
    else return r.Err(n["order"], path + ".order", "expected stop-first or start-first, not \"" + *v + "\"");
  }
  return c;
}

// A service's deploy section onto `svc`.
std::expected<void, std::string> ReadDeploy(Reader& r, const YAML::Node& d, const std::string& path, ServiceSpec& svc,
                                            std::set<std::string>& given) {
  if (auto ok = r.Keys(d, path, {"mode", "replicas", "endpoint_mode", "placement", "resources", "restart_policy",
                                 "update_config", "rollback_config", "labels"});
      !ok) {
    return std::unexpected(ok.error());
  }
  if (d["mode"]) {
    auto v = r.Str(d["mode"], path + ".mode");
    if (!v) return std::unexpected(v.error());
    if (*v == "replicated") svc.mode = model::ServiceMode::kReplicated;
    else if (*v == "global") svc.mode = model::ServiceMode::kGlobal;
    else if (*v == "replicated-job" || *v == "global-job") return r.Err(d["mode"], path + ".mode", "jobs are not modelled by swarmplan");
    else return r.Err(d["mode"], path + ".mode", "expected replicated or global, not \"" + *v + "\"");
    given.insert("mode");
  }
  if (d["replicas"]) {
    if (svc.mode == model::ServiceMode::kGlobal) return r.Err(d["replicas"], path + ".replicas", "a global service has no replica count");
    auto v = r.Uint(d["replicas"], path + ".replicas", 1'000'000);
    if (!v) return std::unexpected(v.error());
    svc.replicas = static_cast<std::uint32_t>(*v);
    given.insert("replicas");
  }
  if (d["endpoint_mode"]) {
    auto v = r.Str(d["endpoint_mode"], path + ".endpoint_mode");
    if (!v) return std::unexpected(v.error());
    if (*v == "vip") svc.endpoint_mode = model::EndpointMode::kVip;
    else if (*v == "dnsrr") svc.endpoint_mode = model::EndpointMode::kDnsrr;
    else return r.Err(d["endpoint_mode"], path + ".endpoint_mode", "expected vip or dnsrr, not \"" + *v + "\"");
    given.insert("endpoint_mode");
  }
  if (const YAML::Node p = d["placement"]) {
    const std::string pp = path + ".placement";
    if (auto ok = r.Keys(p, pp, {"constraints", "preferences", "max_replicas_per_node"}); !ok) return std::unexpected(ok.error());
    if (p["preferences"] && p["preferences"].size() > 0) {
      return r.Err(p["preferences"], pp + ".preferences", "placement preferences (spread) are not modelled by swarmplan");
    }
    if (const YAML::Node c = p["constraints"]) {
      if (!c.IsSequence()) return r.Err(c, pp + ".constraints", "expected a list");
      for (std::size_t i = 0; i < c.size(); ++i) {
        const std::string cp = pp + ".constraints[" + std::to_string(i) + "]";
        auto text = r.Str(c[i], cp);
        if (!text) return std::unexpected(text.error());
        auto parsed = model::Constraint::Parse(*text);
        if (!parsed) return r.Err(c[i], cp, parsed.error());
        svc.constraints.push_back(*parsed);
      }
      given.insert("constraints");
    }
    if (p["max_replicas_per_node"]) {
      auto v = r.Uint(p["max_replicas_per_node"], pp + ".max_replicas_per_node", 1'000'000);
      if (!v) return std::unexpected(v.error());
      svc.max_replicas_per_node = static_cast<std::uint32_t>(*v);
      given.insert("max_replicas_per_node");
    }
  }
  if (const YAML::Node res = d["resources"]) {
    const std::string rp = path + ".resources";
    if (auto ok = r.Keys(res, rp, {"limits", "reservations"}); !ok) return std::unexpected(ok.error());
    if (const YAML::Node rv = res["reservations"]) {
      const std::string vp = rp + ".reservations";
      if (auto ok = r.Keys(rv, vp, {"cpus", "memory", "generic_resources", "devices"}); !ok) return std::unexpected(ok.error());
      if (rv["generic_resources"] || rv["devices"]) {
        return r.Err(rv, vp, "generic resources and devices are not modelled by swarmplan");
      }
      if (rv["cpus"]) {
        // docker's schema takes cpus as a string: a plain YAML number is refused.
        if (rv["cpus"].IsScalar() && rv["cpus"].Tag() == "?" && YamlNumber(rv["cpus"].Scalar())) {
          return r.Err(rv["cpus"], vp + ".cpus", "must be a string, as docker's schema says: quote it ('" +
                                                     rv["cpus"].Scalar() + "')");
        }
        auto v = r.Number(rv["cpus"], vp + ".cpus");
        if (!v) return std::unexpected(v.error());
        if (*v * 1e9 >= 9.2e18) {  // docker's NanoCPUs is an int64
          return r.Err(rv["cpus"], vp + ".cpus", "more CPUs than docker can reserve (its nano-CPU count would overflow)");
        }
        svc.reserve_nano_cpus = static_cast<std::int64_t>(std::llround(*v * 1e9));
        given.insert("resources");
      }
      if (rv["memory"]) {
        if (rv["memory"].IsScalar() && rv["memory"].Tag() == "?" && YamlNumber(rv["memory"].Scalar())) {
          return r.Err(rv["memory"], vp + ".memory", "must be a string, as docker's schema says: quote it or give a unit ('" +
                                                       rv["memory"].Scalar() + "b')");
        }
        auto v = r.Bytes(rv["memory"], vp + ".memory");
        if (!v) return std::unexpected(v.error());
        svc.reserve_memory_bytes = *v;
        given.insert("resources");
      }
    }
  }
  if (const YAML::Node rp = d["restart_policy"]) {
    const std::string pp = path + ".restart_policy";
    if (auto ok = r.Keys(rp, pp, {"condition", "delay", "max_attempts", "window"}); !ok) return std::unexpected(ok.error());
    if (rp["condition"]) {
      auto v = r.Str(rp["condition"], pp + ".condition");
      if (!v) return std::unexpected(v.error());
      if (*v == "any") svc.restart_condition = model::RestartCondition::kAny;
      else if (*v == "on-failure") svc.restart_condition = model::RestartCondition::kOnFailure;
      else if (*v == "none") svc.restart_condition = model::RestartCondition::kNone;
      else return r.Err(rp["condition"], pp + ".condition", "expected any, on-failure or none, not \"" + *v + "\"");
    }
    if (rp["delay"]) {
      auto v = r.Duration(rp["delay"], pp + ".delay");
      if (!v) return std::unexpected(v.error());
      svc.restart_delay = *v;
    }
    if (rp["max_attempts"]) {
      auto v = r.Uint(rp["max_attempts"], pp + ".max_attempts", 1'000'000);
      if (!v) return std::unexpected(v.error());
      svc.restart_max_attempts = static_cast<std::uint32_t>(*v);
    }
    if (rp["window"]) r.notes().push_back(pp + ".window: not modelled (every restart counts toward max_attempts)");
    given.insert("restart_policy");
  }
  if (d["update_config"]) {
    auto c = ReadUpdateConfig(r, d["update_config"], path + ".update_config", false);
    if (!c) return std::unexpected(c.error());
    svc.update = *c;
    given.insert("update_config");
  }
  if (d["rollback_config"]) {
    auto c = ReadUpdateConfig(r, d["rollback_config"], path + ".rollback_config", true);
    if (!c) return std::unexpected(c.error());
    svc.rollback = *c;
    given.insert("rollback_config");
  }
  return {};
}

// Does a published port go through the routing mesh (ingress mode)?
std::expected<bool, std::string> ReadPorts(Reader& r, const YAML::Node& ports, const std::string& path) {
  if (!ports.IsSequence()) return r.Err(ports, path, "expected a list");
  bool ingress = false;
  for (std::size_t i = 0; i < ports.size(); ++i) {
    const std::string pp = path + "[" + std::to_string(i) + "]";
    const YAML::Node p = ports[i];
    if (p.IsMap()) {
      if (auto ok = r.Keys(p, pp, {"target", "published", "protocol", "mode", "host_ip", "name", "app_protocol"}); !ok) {
        return std::unexpected(ok.error());
      }
      if (!p["target"]) return r.Err(p, pp, "a port needs its target");
      auto t = r.Uint(p["target"], pp + ".target", 65535);
      if (!t) return std::unexpected(t.error());
      std::string mode = "ingress";
      if (p["mode"]) {
        auto m = r.Str(p["mode"], pp + ".mode");
        if (!m) return std::unexpected(m.error());
        if (*m != "ingress" && *m != "host") return r.Err(p["mode"], pp + ".mode", "expected ingress or host, not \"" + *m + "\"");
        mode = *m;
      }
      ingress = ingress || mode == "ingress";
    } else {
      auto s = r.Str(p, pp);
      if (!s) return std::unexpected(s.error());
      // [host_ip:][published:]target[/protocol], ranges allowed.
      const std::string spec = s->substr(0, s->find('/'));
      if (spec.empty() || spec.find_first_not_of("0123456789:.-") != std::string::npos) {
        return r.Err(p, pp, "\"" + *s + "\" is not a port (e.g. 8080:80, 80, 8080:80/udp)");
      }
      ingress = true;
    }
  }
  return ingress;
}

// The first /24 of 10.0.0.0/8 that overlaps nothing: where swarm's default
// address pool puts a network created without a subnet.
std::optional<model::Ipv4Cidr> AutoSubnet(const Scenario& s) {
  for (std::uint32_t i = 0; i < 65536; ++i) {
    const model::Ipv4Cidr c{(10u << 24) + (i << 8), 24};
    bool free = !c.Overlaps(s.EffectiveIngress());
    for (const auto& n : s.networks) free = free && !c.Overlaps(n.subnet);
    if (free) return c;
  }
  return std::nullopt;
}

std::set<std::string> ConstraintTexts(const ServiceSpec& s) {
  std::set<std::string> out;
  for (const auto& c : s.constraints) out.insert(c.key + (c.equal ? "==" : "!=") + c.value);
  return out;
}

// Words of a command given as one string, split as docker's loader splits
// them (go-shellwords): blanks separate, '...' is literal, "..." keeps
// blanks and takes \" \\ \$ \`, a backslash outside quotes escapes.
std::expected<std::vector<std::string>, std::string> ShellWords(const std::string& text) {
  std::vector<std::string> out;
  std::string word;
  bool in_word = false;
  char quote = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quote == '\'') {
      if (c == '\'') quote = 0; else word += c;
      continue;
    }
    if (quote == '"') {
      if (c == '"') {
        quote = 0;
      } else if (c == '\\' && i + 1 < text.size() && std::string("\"\\$`").find(text[i + 1]) != std::string::npos) {
        word += text[++i];
      } else {
        word += c;
      }
      continue;
    }
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      if (in_word) out.push_back(std::move(word));
      word.clear();
      in_word = false;
      continue;
    }
    in_word = true;
    if (c == '\'' || c == '"') {
      quote = c;
    } else if (c == '\\' && i + 1 < text.size()) {
      word += text[++i];
    } else {
      word += c;
    }
  }
  if (quote != 0) return std::unexpected(std::string("an unclosed ") + quote + " quote");
  if (in_word) out.push_back(std::move(word));
  return out;
}

// The words of a command (`entrypoint`, `command`): a list, or one string
// split into words.
std::expected<std::vector<std::string>, std::string> ReadCommand(Reader& r, const YAML::Node& n, const std::string& path) {
  std::vector<std::string> out;
  if (n.IsNull()) return out;
  if (n.IsSequence()) {
    for (std::size_t i = 0; i < n.size(); ++i) {
      auto v = r.Str(n[i], path + "[" + std::to_string(i) + "]");
      if (!v) return std::unexpected(v.error());
      out.push_back(*v);
    }
    return out;
  }
  auto v = r.Str(n, path);
  if (!v) return std::unexpected(v.error());
  auto words = ShellWords(*v);
  if (!words) return r.Err(n, path, words.error());
  return *words;
}

// KEY=VALUE pairs of a list or a mapping (`environment`, `labels`); a
// value left out is nullopt.
std::expected<std::map<std::string, std::optional<std::string>>, std::string> ReadPairs(Reader& r, const YAML::Node& n,
                                                                                        const std::string& path) {
  std::map<std::string, std::optional<std::string>> out;
  if (n.IsNull()) return out;
  if (n.IsSequence()) {
    for (std::size_t i = 0; i < n.size(); ++i) {
      auto v = r.Str(n[i], path + "[" + std::to_string(i) + "]");
      if (!v) return std::unexpected(v.error());
      const std::size_t eq = v->find('=');
      if (eq == 0) return r.Err(n[i], path + "[" + std::to_string(i) + "]", "\"" + *v + "\" has no name before =");
      if (eq == std::string::npos) out[*v] = std::nullopt; else out[v->substr(0, eq)] = v->substr(eq + 1);
    }
    return out;
  }
  if (!n.IsMap()) return r.Err(n, path, "expected a list of KEY=VALUE or a mapping");
  for (const auto& kv : n) {
    const std::string k = kv.first.Scalar();
    if (kv.second.IsNull()) {
      out[k] = std::nullopt;
      continue;
    }
    auto v = r.Str(kv.second, path + "." + k);
    if (!v) return std::unexpected(v.error());
    out[k] = *v;
  }
  return out;
}

// An env_file, read as docker reads one (opts.ParseEnvFile): a line is
// KEY=VALUE (the value as written), or KEY alone (taken from the
// environment, left out if unset); blank lines and # comments skipped.
std::expected<void, std::string> ReadEnvFile(Reader& r, const YAML::Node& n, const std::string& path,
                                             const std::string& file, std::map<std::string, std::optional<std::string>>& env) {
  auto name = r.Str(n, path);
  if (!name) return std::unexpected(name.error());
  std::string full = *name;
  const std::size_t slash = file.rfind('/');
  if (!full.empty() && full[0] != '/' && slash != std::string::npos) full = file.substr(0, slash + 1) + full;
  auto text = model::ReadInputFile(full, 1u << 20, "env_file");
  if (!text) return r.Err(n, path, text.error());
  std::istringstream in(*text);
  std::string line;
  for (int no = 1; std::getline(in, line); ++no) {
    if (no == 1 && line.rfind("\xEF\xBB\xBF", 0) == 0) line.erase(0, 3);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const std::size_t start = line.find_first_not_of(" \t");
    if (start == std::string::npos || line[start] == '#') continue;
    line.erase(0, start);
    const std::size_t eq = line.find('=');
    const std::string key = line.substr(0, eq);
    if (key.empty() || key.find_first_of(" \t") != std::string::npos) {
      return r.Err(n, path, full + ":" + std::to_string(no) + ": \"" + key + "\" is not a variable name (no blanks)");
    }
    if (eq != std::string::npos) {
      env[key] = line.substr(eq + 1);
    } else if (auto v = r.Lookup(key)) {
      env[key] = *v;
    }
  }
  return {};
}

// The container spec docker's converter makes of a service (docker/cli
// cli/compose/convert Service): image, entrypoint as Command, command as
// Args, env_file then environment (a KEY without a value from the deploying
// shell's environment), labels with the stack's namespace label.
std::expected<model::ContainerSpec, std::string> ReadContainer(Reader& r, const YAML::Node& n, const std::string& path,
                                                               const std::string& file, const std::string& stack) {
  model::ContainerSpec c;
  using Text = std::pair<const char*, std::string*>;
  for (auto [key, field] : {Text{"image", &c.image}, Text{"user", &c.user}, Text{"working_dir", &c.dir},
                            Text{"hostname", &c.hostname}, Text{"stop_signal", &c.stop_signal}}) {
    if (!n[key] || n[key].IsNull()) continue;
    auto v = r.Str(n[key], path + "." + key);
    if (!v) return std::unexpected(v.error());
    *field = *v;
  }
  if (n["entrypoint"]) {
    auto v = ReadCommand(r, n["entrypoint"], path + ".entrypoint");
    if (!v) return std::unexpected(v.error());
    c.command = *v;
  }
  if (n["command"]) {
    auto v = ReadCommand(r, n["command"], path + ".command");
    if (!v) return std::unexpected(v.error());
    c.args = *v;
  }
  std::map<std::string, std::optional<std::string>> env;
  if (const YAML::Node ef = n["env_file"]) {
    if (ef.IsSequence()) {
      for (std::size_t i = 0; i < ef.size(); ++i) {
        if (auto ok = ReadEnvFile(r, ef[i], path + ".env_file[" + std::to_string(i) + "]", file, env); !ok) return std::unexpected(ok.error());
      }
    } else if (auto ok = ReadEnvFile(r, ef, path + ".env_file", file, env); !ok) {
      return std::unexpected(ok.error());
    }
  }
  if (n["environment"]) {
    auto v = ReadPairs(r, n["environment"], path + ".environment");
    if (!v) return std::unexpected(v.error());
    for (auto& [k, val] : *v) env[k] = val ? val : r.Lookup(k);
  }
  for (const auto& [k, v] : env) c.env.push_back(v ? k + "=" + *v : k);
  std::sort(c.env.begin(), c.env.end());
  if (n["labels"]) {
    auto v = ReadPairs(r, n["labels"], path + ".labels");
    if (!v) return std::unexpected(v.error());
    for (const auto& [k, val] : *v) c.labels[k] = val.value_or("");
  }
  c.labels["com.docker.stack.namespace"] = stack;
  return c;
}

// The image a running service was deployed with, as a redeploy of `wanted`
// compares it: docker pins an image to its digest (name:tag@sha256:...) when
// it can reach the registry; a file naming the tag alone is pinned again on
// redeploy, to the same digest unless the tag moved.
std::string ComparableImage(const std::string& running, const std::string& wanted) {
  const std::size_t at = running.find('@');
  if (at == std::string::npos || wanted.find('@') != std::string::npos) return running;
  return running.substr(0, at);
}

// What differs between the container the service runs and the one the file
// gives, in words ("image a:1 -> a:2", "environment"); empty if nothing.
std::vector<std::string> ContainerChanges(const model::ContainerSpec& running, const model::ContainerSpec& wanted) {
  std::vector<std::string> out;
  const std::string was = ComparableImage(running.image, wanted.image);
  if (was != wanted.image) out.push_back("image " + (was.empty() ? "(none)" : was) + " -> " + wanted.image);
  if (running.command != wanted.command) out.push_back("entrypoint");
  if (running.args != wanted.args) out.push_back("command");
  if (running.env != wanted.env) out.push_back("environment");
  if (running.labels != wanted.labels) out.push_back("labels");
  if (running.user != wanted.user) out.push_back("user");
  if (running.dir != wanted.dir) out.push_back("working_dir");
  if (running.hostname != wanted.hostname) out.push_back("hostname");
  if (running.stop_signal != wanted.stop_signal) out.push_back("stop_signal");
  return out;
}

// Service and network names docker's Compose schema accepts.
bool ValidName(const std::string& n) {
  return !n.empty() && std::all_of(n.begin(), n.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '_' || c == '-' || c == '.';
  });
}

// The file as text: UTF-8 without NUL or other control characters than
// tab and line breaks, as YAML (and so docker) requires. "" if it is.
std::string TextProblem(const std::string& t) {
  std::size_t line = 1;
  for (std::size_t i = 0; i < t.size();) {
    const unsigned char c = static_cast<unsigned char>(t[i]);
    if (c == '\n') ++line;
    if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f) {
      return "line " + std::to_string(line) + ": a control character (byte " + std::to_string(c) + ") is not allowed in YAML";
    }
    const std::size_t len = model::Utf8SequenceAt(t, i);
    if (len == 0) return "line " + std::to_string(line) + ": not valid UTF-8 (docker reads Compose files as UTF-8)";
    i += len;
  }
  return {};
}

bool ValidStackName(const std::string& n) {
  if (n.empty() || n.size() > 63 || !std::isalnum(static_cast<unsigned char>(n[0]))) return false;
  return std::all_of(n.begin(), n.end(), [](unsigned char c) { return std::isalnum(c) || c == '_' || c == '-' || c == '.'; });
}

std::expected<Stack, std::string> DeployYaml(const Scenario& cluster, const std::string& yaml, const std::string& file,
                                             const std::string& stack, const Environment& env);

}  // namespace

std::expected<Stack, std::string> Deploy(const Scenario& cluster, const std::string& yaml, const std::string& file,
                                         const std::string& stack, const Environment& env) {
  if (!ValidStackName(stack)) {
    return std::unexpected("stack name \"" + stack + "\": letters, digits, '_', '-' and '.', starting with a letter or digit");
  }
  if (NestedTooDeeply(yaml)) return std::unexpected(file + ": lists or mappings nested over 200 deep");
  if (const std::string bad = TextProblem(yaml); !bad.empty()) return std::unexpected(file + ": " + bad);
  try {
    return DeployYaml(cluster, yaml, file, stack, env);
  } catch (const YAML::Exception& e) {
    if (e.mark.is_null()) return std::unexpected(file + ": " + e.msg);
    return std::unexpected(file + ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1) +
                           ": not YAML: " + e.msg);
  }
}

namespace {

std::expected<Stack, std::string> DeployYaml(const Scenario& cluster, const std::string& yaml, const std::string& file,
                                             const std::string& stack, const Environment& env) {
  YAML::Node root = YAML::Load(yaml);
  std::uint64_t dup_budget = 1'000'000;
  if (auto ok = CheckDuplicateKeys(root, file, "", dup_budget); !ok) return std::unexpected(ok.error());
  std::uint64_t budget = 1'000'000;
  try {
    if (!ResolveMerges(root, budget)) {
      return std::unexpected(file + ": the file expands (through aliases) to over a million values");
    }
  } catch (const MergeError& e) {
    return std::unexpected(file + ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1) +
                           ": a merge key (<<) must name a mapping or a list of mappings; docker refuses this file");
  }
  Reader r(file, env);
  if (!root.IsMap()) return std::unexpected(file + ": expected a Compose file (a mapping with services)");
  if (auto ok = r.InterpolateTree(root, ""); !ok) return std::unexpected(ok.error());
  if (auto ok = r.Keys(root, "(top level)", {"version", "name", "services", "networks", "volumes", "configs", "secrets"}); !ok) {
    return std::unexpected(ok.error());
  }
  const YAML::Node services = root["services"];
  if (!services || !services.IsMap() || services.size() == 0) return std::unexpected(file + ": services: the stack has no services");

  Stack out;
  out.scenario = cluster;
  Scenario& s = out.scenario;
  s.name = "stack " + stack + " on " + cluster.name;
  s.upgrade.order.clear();

  // Networks: the file's, stack-scoped unless named or external.
  std::map<std::string, NetDef> nets;
  if (const YAML::Node top = root["networks"]) {
    if (!top.IsMap()) return r.Err(top, "networks", "expected a mapping");
    for (const auto& kv : top) {
      NetDef d;
      d.key = kv.first.Scalar();
      d.name = stack + "_" + d.key;
      const std::string path = "networks." + d.key;
      const YAML::Node n = kv.second;
      if (n && !n.IsNull()) {
        if (auto ok = r.Keys(n, path, {"driver", "driver_opts", "ipam", "external", "name", "attachable", "internal", "labels", "enable_ipv6"}); !ok) {
          return std::unexpected(ok.error());
        }
        if (n["driver"]) {
          auto v = r.Str(n["driver"], path + ".driver");
          if (!v) return std::unexpected(v.error());
          if (*v != "overlay") return r.Err(n["driver"], path + ".driver", "a stack's network is an overlay; swarmplan models only \"overlay\", not \"" + *v + "\"");
        }
        if (n["name"]) {
          auto v = r.Str(n["name"], path + ".name");
          if (!v) return std::unexpected(v.error());
          d.name = *v;
        }
        if (const YAML::Node ex = n["external"]) {
          if (ex.IsMap()) {
            if (auto ok = r.Keys(ex, path + ".external", {"name"}); !ok) return std::unexpected(ok.error());
            d.external = true;
            if (ex["name"]) {
              auto v = r.Str(ex["name"], path + ".external.name");
              if (!v) return std::unexpected(v.error());
              d.name = *v;
            } else {
              d.name = d.key;
            }
          } else {
            auto v = r.Bool(ex, path + ".external");
            if (!v) return std::unexpected(v.error());
            d.external = *v;
            if (d.external && !n["name"]) d.name = d.key;
          }
        }
        if (n["enable_ipv6"]) return r.Err(n["enable_ipv6"], path + ".enable_ipv6", "IPv6 is not modelled by swarmplan");
        if (const YAML::Node ipam = n["ipam"]) {
          if (d.external) return r.Err(ipam, path + ".ipam", "an external network's addresses are the cluster's: leave ipam out");
          if (auto ok = r.Keys(ipam, path + ".ipam", {"driver", "config", "options"}); !ok) return std::unexpected(ok.error());
          if (ipam["driver"]) {
            auto v = r.Str(ipam["driver"], path + ".ipam.driver");
            if (!v) return std::unexpected(v.error());
            if (*v != "default") return r.Err(ipam["driver"], path + ".ipam.driver", "only the default IPAM driver is modelled");
          }
          if (const YAML::Node cfg = ipam["config"]) {
            if (!cfg.IsSequence()) return r.Err(cfg, path + ".ipam.config", "expected a list");
            if (cfg.size() > 1) return r.Err(cfg, path + ".ipam.config", "more than one subnet on a network is not modelled by swarmplan");
            if (cfg.size() == 1) {
              const std::string cp = path + ".ipam.config[0]";
              if (auto ok = r.Keys(cfg[0], cp, {"subnet", "ip_range", "gateway", "aux_addresses"}); !ok) return std::unexpected(ok.error());
              if (cfg[0]["ip_range"] || cfg[0]["aux_addresses"]) {
                return r.Err(cfg[0], cp, "ip_range and aux_addresses are not modelled by swarmplan");
              }
              if (cfg[0]["subnet"]) {
                auto v = r.Str(cfg[0]["subnet"], cp + ".subnet");
                if (!v) return std::unexpected(v.error());
                auto c = model::Ipv4Cidr::Parse(*v);
                if (!c) return r.Err(cfg[0]["subnet"], cp + ".subnet", c.error());
                d.subnet = *c;
              }
            }
          }
        }
      }
      nets[d.key] = d;
    }
  }

  // Services, in name order (docker's loader sorts them).
  std::vector<std::string> keys;
  for (const auto& kv : services) keys.push_back(kv.first.Scalar());
  std::sort(keys.begin(), keys.end());
  std::set<std::string> used_nets;
  struct Planned {
    ServiceSpec spec;
    std::set<std::string> given;
    std::vector<std::string> uncompared;  // fields of kUncompared the file gives
  };
  std::vector<Planned> planned;
  std::set<std::string> ignored;
  for (const std::string& key : keys) {
    const std::string path = "services." + key;
    // A service named x-web is a service (docker deploys it): x- keys are
    // extensions at the top level and inside a definition, not here.
    if (!ValidName(key)) {
      return r.Err(services, path, "not a service name docker accepts (letters, digits, '.', '_', '-')");
    }
    const YAML::Node n = services[key];
    if (!n.IsMap()) return r.Err(n, path, "expected a mapping");
    for (const auto& kv : n) {
      const std::string k = kv.first.Scalar();
      if (k.rfind("x-", 0) == 0 || kInert.contains(k)) continue;
      if (kIgnoredByDocker.contains(k)) {
        ignored.insert(k);
        continue;
      }
      return r.Err(kv.first, path + "." + k, "unknown field (not in docker's Compose schema for a stack)");
    }
    Planned p;
    p.spec.name = stack + "_" + key;
    p.spec.replicas = 1;
    auto container = ReadContainer(r, n, path, file, stack);
    if (!container) return std::unexpected(container.error());
    p.spec.container = std::move(*container);
    for (const auto& kv : n) {
      if (kUncompared.contains(kv.first.Scalar())) p.uncompared.push_back(kv.first.Scalar());
    }
    if (n["stop_grace_period"]) {
      auto v = r.Duration(n["stop_grace_period"], path + ".stop_grace_period");
      if (!v) return std::unexpected(v.error());
      p.spec.stop_grace_period = *v;
      p.given.insert("stop_grace_period");
    }
    if (n["deploy"]) {
      if (auto ok = ReadDeploy(r, n["deploy"], path + ".deploy", p.spec, p.given); !ok) return std::unexpected(ok.error());
    }
    if (n["ports"]) {
      auto ing = ReadPorts(r, n["ports"], path + ".ports");
      if (!ing) return std::unexpected(ing.error());
      p.spec.publish_ingress = *ing;
      p.given.insert("ports");
    }
    std::vector<std::string> wanted;
    if (const YAML::Node sn = n["networks"]) {
      if (sn.IsSequence()) {
        for (std::size_t i = 0; i < sn.size(); ++i) {
          auto v = r.Str(sn[i], path + ".networks[" + std::to_string(i) + "]");
          if (!v) return std::unexpected(v.error());
          wanted.push_back(*v);
        }
      } else if (sn.IsMap()) {
        for (const auto& kv : sn) wanted.push_back(kv.first.Scalar());
      } else {
        return r.Err(sn, path + ".networks", "expected a list or a mapping of network names");
      }
    } else {
      wanted.push_back("default");
    }
    for (const std::string& w : wanted) {
      if (!nets.contains(w)) {
        if (w != "default") return r.Err(n["networks"], path + ".networks", "refers to undefined network " + w);
        nets[w] = NetDef{w, stack + "_default", false, std::nullopt};
      }
      used_nets.insert(w);
      p.spec.networks.push_back(nets[w].name);
    }
    planned.push_back(std::move(p));
  }
  if (!ignored.empty()) {
    std::string list;
    for (const auto& k : ignored) list += (list.empty() ? "" : ", ") + k;
    r.notes().push_back("ignored as docker stack deploy ignores them: " + list);
  }

  // The networks onto the cluster: external ones must be there; the stack's
  // own are created unless they exist already (a redeploy keeps them).
  for (const auto& [key, d] : nets) {
    const bool exists = std::any_of(s.networks.begin(), s.networks.end(), [&](const auto& x) { return x.name == d.name; });
    if (d.external) {
      if (!exists) return std::unexpected(file + ": networks." + key + ": external network " + d.name + " is not in the cluster");
      continue;
    }
    if (exists || !used_nets.contains(key)) continue;
    model::NetworkSpec net;
    net.name = d.name;
    if (d.subnet) {
      net.subnet = *d.subnet;
    } else {
      auto c = AutoSubnet(s);
      if (!c) return std::unexpected(file + ": networks." + key + ": no free /24 left in 10.0.0.0/8 for it");
      net.subnet = *c;
      r.notes().push_back("network " + d.name + " gets " + c->ToString() +
                          " (no subnet in the file: the first free /24 of swarm's default pool)");
    }
    s.networks.push_back(net);
  }

  // The services: created, or changed as a redeploy changes them.
  for (Planned& p : planned) {
    auto it = std::find_if(s.services.begin(), s.services.end(), [&](const ServiceSpec& v) { return v.name == p.spec.name; });
    if (it == s.services.end() || !it->deployed) {
      p.spec.deployed = false;
      if (it == s.services.end()) s.services.push_back(p.spec); else *it = p.spec;
      out.order.push_back("create:" + p.spec.name);
      continue;
    }
    ServiceSpec& cur = *it;
    const std::string path = "services." + p.spec.name.substr(stack.size() + 1);
    const std::size_t order_before = out.order.size();
    if (p.spec.mode != cur.mode) return std::unexpected(file + ": " + path + ".deploy.mode: a service's mode cannot change (docker refuses it)");
    if (p.spec.mode == model::ServiceMode::kReplicated && p.spec.replicas != cur.replicas) {
      out.order.push_back("scale:" + cur.name + "=" + std::to_string(p.spec.replicas));
    }
    for (const std::string& w : p.spec.networks) {
      if (std::find(cur.networks.begin(), cur.networks.end(), w) == cur.networks.end()) out.order.push_back("network-add:" + cur.name + ":" + w);
    }
    for (const std::string& w : cur.networks) {
      if (std::find(p.spec.networks.begin(), p.spec.networks.end(), w) == p.spec.networks.end()) out.order.push_back("network-rm:" + cur.name + ":" + w);
    }
    // A changed spec is a rolling update (docker sends the whole spec;
    // swarmkit's IsTaskDirty compares each task's spec with the service's):
    // what the containers run, the restart policy, the stop grace period,
    // the reservations, the placement. A field the file leaves out takes
    // docker's default, as docker's converter does. A network change rolls
    // every task already and carries the rest with it.
    const bool rolled = std::any_of(out.order.begin() + static_cast<std::ptrdiff_t>(order_before), out.order.end(),
                                    [](const std::string& w) { return w.rfind("network-", 0) == 0; });
    std::vector<std::string> changes;
    if (!cur.container) {
      r.notes().push_back(path + ": the cluster's description does not say what its containers run (swarmplan "
                          "import records it), so whether this deploy changes them cannot be told: planned as the "
                          "rolling update docker performs if they changed" +
                          std::string(rolled ? " (with the network change)" : ""));
    } else {
      changes = ContainerChanges(*cur.container, *p.spec.container);
      if (cur.container->image.find('@') != std::string::npos && p.spec.container->image.find('@') == std::string::npos &&
          ComparableImage(cur.container->image, p.spec.container->image) == p.spec.container->image) {
        r.notes().push_back(path + ": the running image is pinned to a digest (" + cur.container->image +
                            "); docker pins " + p.spec.container->image +
                            " again from the registry, and rolls the service out if the tag has moved: assumed not");
      }
    }
    const bool restart = p.spec.restart_condition != cur.restart_condition ||
                         p.spec.restart_delay != cur.restart_delay ||
                         p.spec.restart_max_attempts != cur.restart_max_attempts;
    const bool resources = p.spec.reserve_nano_cpus != cur.reserve_nano_cpus ||
                           p.spec.reserve_memory_bytes != cur.reserve_memory_bytes;
    const bool constraints = ConstraintTexts(p.spec) != ConstraintTexts(cur);
    const bool max_replicas = p.spec.max_replicas_per_node != cur.max_replicas_per_node;
    if (restart) changes.push_back("restart_policy");
    if (p.spec.stop_grace_period != cur.stop_grace_period) changes.push_back("stop_grace_period");
    if (resources) changes.push_back("resources");
    if (constraints) changes.push_back("constraints");
    if (max_replicas) changes.push_back("max_replicas_per_node");
    if ((constraints || max_replicas) && cur.mode == model::ServiceMode::kGlobal) {
      return std::unexpected(file + ": " + path + ": the placement of a global service differs from the running "
                             "service; a redeploy that changes it is not modelled yet");
    }
    const bool placement_only = changes.size() == static_cast<std::size_t>(constraints) + max_replicas && !rolled;
    if (!changes.empty() || !cur.container) {
      auto next = std::make_shared<ServiceSpec>(cur);
      model::CopyRolloutFields(*next, p.spec);
      next->exits_on_sigterm = cur.exits_on_sigterm;  // the scenario's assumption; Compose has no such field
      next->update_to.reset();
      cur.update_to = std::move(next);
      if (!rolled) out.order.push_back("update:" + cur.name);
    }
    if (!changes.empty()) {
      std::string what;
      for (const auto& c : changes) what += (what.empty() ? "" : ", ") + c;
      r.notes().push_back(path + ": its " + what + (changes.size() == 1 ? " changes" : " change") + ": a rolling update" +
                          (rolled ? " (with the network change)"
                           : placement_only ? " of the tasks on nodes that no longer meet its placement"
                                            : ""));
    }
    if (!p.uncompared.empty() && cur.container) {
      std::string list;
      for (const auto& k : p.uncompared) list += (list.empty() ? "" : ", ") + k;
      r.notes().push_back(path + ": " + list + " not compared with the running service; if changed, docker rolls the "
                          "service out, which this plan does not include");
    }
    const auto differs = [&](const char* field, bool changed) -> std::expected<void, std::string> {
      if (p.given.contains(field) && changed) {
        return std::unexpected(file + ": " + path + ": " + field +
                               " differs from the running service; a redeploy that changes it is not modelled yet");
      }
      return {};
    };
    for (const auto& check : {differs("endpoint_mode", p.spec.endpoint_mode != cur.endpoint_mode),
                              differs("ports", p.spec.publish_ingress != cur.publish_ingress)}) {
      if (!check) return std::unexpected(check.error());
    }
    // Rolling-update settings take effect with this deploy's own updates.
    if (p.given.contains("update_config")) cur.update = p.spec.update;
    if (p.given.contains("rollback_config")) cur.rollback = p.spec.rollback;
  }
  if (out.order.empty()) r.notes().push_back("the stack runs as the file says already: the deploy changes nothing");
  out.order.push_back("wait");
  if (auto ok = s.Validate(); !ok) return std::unexpected(file + ": the stack on this cluster: " + ok.error());
  out.notes = r.notes();
  return out;
}

}  // namespace

std::expected<Stack, std::string> DeployFile(const Scenario& cluster, const std::string& path, const std::string& stack) {
  // Bounded as a scenario is: /dev/zero or a FIFO is an error, not a hang.
  auto text = model::ReadInputFile(path, model::kMaxJsonBytes, "Compose file");
  if (!text) return std::unexpected(text.error());
  return Deploy(cluster, *text, path, stack, [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  });
}

}  // namespace swarmplan::compose
