#include "compose/service_fields.hpp"

#include "model/strict_json.hpp"

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

namespace swarmplan::compose::detail {

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

std::expected<model::UpdateConfig, std::string> ReadUpdateConfig(Reader& r, const YAML::Node& n,
                                                                  const std::string& path, bool rollback) {
  model::UpdateConfig c;
  SWARMPLAN_CHECK(r.Keys(n, path, {"parallelism", "delay", "failure_action", "monitor", "max_failure_ratio", "order"}));
  if (n["parallelism"]) {
    auto v = SWARMPLAN_TRY(r.Uint(n["parallelism"], path + ".parallelism", 1'000'000));
    c.parallelism = static_cast<std::uint32_t>(v);
  }
  if (n["delay"]) {
    auto v = SWARMPLAN_TRY(r.Duration(n["delay"], path + ".delay"));
    c.delay = v;
  }
  if (n["monitor"]) {
    auto v = SWARMPLAN_TRY(r.Duration(n["monitor"], path + ".monitor"));
    c.monitor = v;
  }
  if (n["max_failure_ratio"]) {
    auto v = SWARMPLAN_TRY(r.Number(n["max_failure_ratio"], path + ".max_failure_ratio"));
    c.max_failure_ratio = v;
  }
  if (n["failure_action"]) {
    auto v = SWARMPLAN_TRY(r.Str(n["failure_action"], path + ".failure_action"));
    if (v == "pause") c.failure_action = model::FailureAction::kPause;
    else if (v == "continue") c.failure_action = model::FailureAction::kContinue;
    else if (v == "rollback" && !rollback) c.failure_action = model::FailureAction::kRollback;
    else return r.Err(n["failure_action"], path + ".failure_action", "expected pause, continue" + std::string(rollback ? "" : " or rollback") + ", not \"" + v + "\"");
  }
  if (n["order"]) {
    auto v = SWARMPLAN_TRY(r.Str(n["order"], path + ".order"));
    if (v == "stop-first") c.order = model::UpdateOrder::kStopFirst;
    else if (v == "start-first") c.order = model::UpdateOrder::kStartFirst;
    else return r.Err(n["order"], path + ".order", "expected stop-first or start-first, not \"" + v + "\"");
  }
  return c;
}

// A service's deploy section onto `svc`.
std::expected<void, std::string> ReadDeploy(Reader& r, const YAML::Node& d, const std::string& path, ServiceSpec& svc,
                                            std::set<std::string>& given) {
  SWARMPLAN_CHECK(r.Keys(d, path, {"mode", "replicas", "endpoint_mode", "placement", "resources", "restart_policy",
                                    "update_config", "rollback_config", "labels"}));
  if (d["mode"]) {
    auto v = SWARMPLAN_TRY(r.Str(d["mode"], path + ".mode"));
    if (v == "replicated") svc.mode = model::ServiceMode::kReplicated;
    else if (v == "global") svc.mode = model::ServiceMode::kGlobal;
    else if (v == "replicated-job" || v == "global-job") return r.Err(d["mode"], path + ".mode", "jobs are not modelled by swarmplan");
    else return r.Err(d["mode"], path + ".mode", "expected replicated or global, not \"" + v + "\"");
    given.insert("mode");
  }
  if (d["replicas"]) {
    if (svc.mode == model::ServiceMode::kGlobal) return r.Err(d["replicas"], path + ".replicas", "a global service has no replica count");
    auto v = SWARMPLAN_TRY(r.Uint(d["replicas"], path + ".replicas", 1'000'000));
    svc.replicas = static_cast<std::uint32_t>(v);
    given.insert("replicas");
  }
  if (d["endpoint_mode"]) {
    auto v = SWARMPLAN_TRY(r.Str(d["endpoint_mode"], path + ".endpoint_mode"));
    if (v == "vip") svc.endpoint_mode = model::EndpointMode::kVip;
    else if (v == "dnsrr") svc.endpoint_mode = model::EndpointMode::kDnsrr;
    else return r.Err(d["endpoint_mode"], path + ".endpoint_mode", "expected vip or dnsrr, not \"" + v + "\"");
    given.insert("endpoint_mode");
  }
  if (const YAML::Node p = d["placement"]) {
    const std::string pp = path + ".placement";
    SWARMPLAN_CHECK(r.Keys(p, pp, {"constraints", "preferences", "max_replicas_per_node"}));
    if (p["preferences"] && p["preferences"].size() > 0) {
      return r.Err(p["preferences"], pp + ".preferences", "placement preferences (spread) are not modelled by swarmplan");
    }
    if (const YAML::Node c = p["constraints"]) {
      if (!c.IsSequence()) return r.Err(c, pp + ".constraints", "expected a list");
      for (std::size_t i = 0; i < c.size(); ++i) {
        const std::string cp = pp + ".constraints[" + std::to_string(i) + "]";
        auto text = SWARMPLAN_TRY(r.Str(c[i], cp));
        auto parsed = model::Constraint::Parse(text);
        if (!parsed) return r.Err(c[i], cp, parsed.error());
        svc.constraints.push_back(*parsed);
      }
      given.insert("constraints");
    }
    if (p["max_replicas_per_node"]) {
      auto v = SWARMPLAN_TRY(r.Uint(p["max_replicas_per_node"], pp + ".max_replicas_per_node", 1'000'000));
      svc.max_replicas_per_node = static_cast<std::uint32_t>(v);
      given.insert("max_replicas_per_node");
    }
  }
  if (const YAML::Node res = d["resources"]) {
    const std::string rp = path + ".resources";
    SWARMPLAN_CHECK(r.Keys(res, rp, {"limits", "reservations"}));
    if (const YAML::Node rv = res["reservations"]) {
      const std::string vp = rp + ".reservations";
      SWARMPLAN_CHECK(r.Keys(rv, vp, {"cpus", "memory", "generic_resources", "devices"}));
      if (rv["generic_resources"] || rv["devices"]) {
        return r.Err(rv, vp, "generic resources and devices are not modelled by swarmplan");
      }
      if (rv["cpus"]) {
        // docker's schema takes cpus as a string: a plain YAML number is refused.
        if (rv["cpus"].IsScalar() && rv["cpus"].Tag() == "?" && YamlNumber(rv["cpus"].Scalar())) {
          return r.Err(rv["cpus"], vp + ".cpus", "must be a string, as docker's schema says: quote it ('" +
                                                     rv["cpus"].Scalar() + "')");
        }
        auto v = SWARMPLAN_TRY(r.Number(rv["cpus"], vp + ".cpus"));
        if (v * 1e9 >= 9.2e18) {  // docker's NanoCPUs is an int64
          return r.Err(rv["cpus"], vp + ".cpus", "more CPUs than docker can reserve (its nano-CPU count would overflow)");
        }
        svc.reserve_nano_cpus = static_cast<std::int64_t>(std::llround(v * 1e9));
        given.insert("resources");
      }
      if (rv["memory"]) {
        if (rv["memory"].IsScalar() && rv["memory"].Tag() == "?" && YamlNumber(rv["memory"].Scalar())) {
          return r.Err(rv["memory"], vp + ".memory", "must be a string, as docker's schema says: quote it or give a unit ('" +
                                                       rv["memory"].Scalar() + "b')");
        }
        auto v = SWARMPLAN_TRY(r.Bytes(rv["memory"], vp + ".memory"));
        svc.reserve_memory_bytes = v;
        given.insert("resources");
      }
    }
  }
  if (const YAML::Node rp = d["restart_policy"]) {
    const std::string pp = path + ".restart_policy";
    SWARMPLAN_CHECK(r.Keys(rp, pp, {"condition", "delay", "max_attempts", "window"}));
    if (rp["condition"]) {
      auto v = SWARMPLAN_TRY(r.Str(rp["condition"], pp + ".condition"));
      if (v == "any") svc.restart_condition = model::RestartCondition::kAny;
      else if (v == "on-failure") svc.restart_condition = model::RestartCondition::kOnFailure;
      else if (v == "none") svc.restart_condition = model::RestartCondition::kNone;
      else return r.Err(rp["condition"], pp + ".condition", "expected any, on-failure or none, not \"" + v + "\"");
    }
    if (rp["delay"]) {
      auto v = SWARMPLAN_TRY(r.Duration(rp["delay"], pp + ".delay"));
      svc.restart_delay = v;
    }
    if (rp["max_attempts"]) {
      auto v = SWARMPLAN_TRY(r.Uint(rp["max_attempts"], pp + ".max_attempts", 1'000'000));
      svc.restart_max_attempts = static_cast<std::uint32_t>(v);
    }
    if (rp["window"]) r.notes().push_back(pp + ".window: not modelled (every restart counts toward max_attempts)");
    given.insert("restart_policy");
  }
  if (d["update_config"]) {
    auto c = SWARMPLAN_TRY(ReadUpdateConfig(r, d["update_config"], path + ".update_config", false));
    svc.update = c;
    given.insert("update_config");
  }
  if (d["rollback_config"]) {
    auto c = SWARMPLAN_TRY(ReadUpdateConfig(r, d["rollback_config"], path + ".rollback_config", true));
    svc.rollback = c;
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
      SWARMPLAN_CHECK(r.Keys(p, pp, {"target", "published", "protocol", "mode", "host_ip", "name", "app_protocol"}));
      if (!p["target"]) return r.Err(p, pp, "a port needs its target");
      SWARMPLAN_CHECK(r.Uint(p["target"], pp + ".target", 65535));
      std::string mode = "ingress";
      if (p["mode"]) {
        auto m = SWARMPLAN_TRY(r.Str(p["mode"], pp + ".mode"));
        if (m != "ingress" && m != "host") return r.Err(p["mode"], pp + ".mode", "expected ingress or host, not \"" + m + "\"");
        mode = m;
      }
      ingress = ingress || mode == "ingress";
    } else {
      auto s = SWARMPLAN_TRY(r.Str(p, pp));
      // [host_ip:][published:]target[/protocol], ranges allowed.
      const std::string spec = s.substr(0, s.find('/'));
      if (spec.empty() || spec.find_first_not_of("0123456789:.-") != std::string::npos) {
        return r.Err(p, pp, "\"" + s + "\" is not a port (e.g. 8080:80, 80, 8080:80/udp)");
      }
      ingress = true;
    }
  }
  return ingress;
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
      auto v = SWARMPLAN_TRY(r.Str(n[i], path + "[" + std::to_string(i) + "]"));
      out.push_back(v);
    }
    return out;
  }
  auto v = SWARMPLAN_TRY(r.Str(n, path));
  auto words = ShellWords(v);
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
      auto v = SWARMPLAN_TRY(r.Str(n[i], path + "[" + std::to_string(i) + "]"));
      const std::size_t eq = v.find('=');
      if (eq == 0) return r.Err(n[i], path + "[" + std::to_string(i) + "]", "\"" + v + "\" has no name before =");
      if (eq == std::string::npos) out[v] = std::nullopt; else out[v.substr(0, eq)] = v.substr(eq + 1);
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
    auto v = SWARMPLAN_TRY(r.Str(kv.second, path + "." + k));
    out[k] = v;
  }
  return out;
}

// An env_file, read as docker reads one (opts.ParseEnvFile): a line is
// KEY=VALUE (the value as written), or KEY alone (taken from the
// environment, left out if unset); blank lines and # comments skipped.
std::expected<void, std::string> ReadEnvFile(Reader& r, const YAML::Node& n, const std::string& path,
                                             const std::string& file, std::map<std::string, std::optional<std::string>>& env) {
  auto name = SWARMPLAN_TRY(r.Str(n, path));
  std::string full = name;
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
    auto v = SWARMPLAN_TRY(r.Str(n[key], path + "." + key));
    *field = v;
  }
  if (n["entrypoint"]) {
    auto v = SWARMPLAN_TRY(ReadCommand(r, n["entrypoint"], path + ".entrypoint"));
    c.command = v;
  }
  if (n["command"]) {
    auto v = SWARMPLAN_TRY(ReadCommand(r, n["command"], path + ".command"));
    c.args = v;
  }
  std::map<std::string, std::optional<std::string>> env;
  if (const YAML::Node ef = n["env_file"]) {
    if (ef.IsSequence()) {
      for (std::size_t i = 0; i < ef.size(); ++i) {
        SWARMPLAN_CHECK(ReadEnvFile(r, ef[i], path + ".env_file[" + std::to_string(i) + "]", file, env));
      }
    } else if (auto ok = ReadEnvFile(r, ef, path + ".env_file", file, env); !ok) {
      return std::unexpected(ok.error());
    }
  }
  if (n["environment"]) {
    auto v = SWARMPLAN_TRY(ReadPairs(r, n["environment"], path + ".environment"));
    for (auto& [k, val] : v) env[k] = val ? val : r.Lookup(k);
  }
  for (const auto& [k, v] : env) c.env.push_back(v ? k + "=" + *v : k);
  std::sort(c.env.begin(), c.env.end());
  if (n["labels"]) {
    auto v = SWARMPLAN_TRY(ReadPairs(r, n["labels"], path + ".labels"));
    for (const auto& [k, val] : v) c.labels[k] = val.value_or("");
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

}  // namespace swarmplan::compose::detail
