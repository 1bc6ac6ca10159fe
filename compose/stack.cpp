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

#include "compose/loader.hpp"
#include "compose/service_fields.hpp"
#include "model/strict_json.hpp"
#include "model/utf8.hpp"

namespace swarmplan::compose {

namespace {

using model::Scenario;
using model::ServiceSpec;
using namespace detail;

struct NetDef {
  std::string key, name;
  bool external = false;
  std::optional<model::Ipv4Cidr> subnet;
};

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

// Service and network names docker's Compose schema accepts.
bool ValidName(const std::string& n) {
  return !n.empty() && std::all_of(n.begin(), n.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '_' || c == '-' || c == '.';
  });
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

// A service of the file as the stack will run it.
struct Planned {
  ServiceSpec spec;
  std::set<std::string> given;          // the fields the file gives
  std::vector<std::string> uncompared;  // fields of kUncompared the file gives
};

// The file's networks, stack-scoped unless named or external.
std::expected<std::map<std::string, NetDef>, std::string> ReadNetworks(Reader& r, const YAML::Node& top,
                                                                       const std::string& stack) {
  std::map<std::string, NetDef> nets;
  if (!top) return nets;
  if (!top.IsMap()) return r.Err(top, "networks", "expected a mapping");
  for (const auto& kv : top) {
    NetDef d;
    d.key = kv.first.Scalar();
    d.name = stack + "_" + d.key;
    const std::string path = "networks." + d.key;
    const YAML::Node n = kv.second;
    if (n && !n.IsNull()) {
      SWARMPLAN_CHECK(r.Keys(n, path, {"driver", "driver_opts", "ipam", "external", "name", "attachable", "internal", "labels", "enable_ipv6"}));
      if (n["driver"]) {
        auto v = SWARMPLAN_TRY(r.Str(n["driver"], path + ".driver"));
        if (v != "overlay") return r.Err(n["driver"], path + ".driver", "a stack's network is an overlay; swarmplan models only \"overlay\", not \"" + v + "\"");
      }
      if (n["name"]) {
        auto v = SWARMPLAN_TRY(r.Str(n["name"], path + ".name"));
        d.name = v;
      }
      if (const YAML::Node ex = n["external"]) {
        if (ex.IsMap()) {
          SWARMPLAN_CHECK(r.Keys(ex, path + ".external", {"name"}));
          d.external = true;
          if (ex["name"]) {
            auto v = SWARMPLAN_TRY(r.Str(ex["name"], path + ".external.name"));
            d.name = v;
          } else {
            d.name = d.key;
          }
        } else {
          auto v = SWARMPLAN_TRY(r.Bool(ex, path + ".external"));
          d.external = v;
          if (d.external && !n["name"]) d.name = d.key;
        }
      }
      if (n["enable_ipv6"]) return r.Err(n["enable_ipv6"], path + ".enable_ipv6", "IPv6 is not modelled by swarmplan");
      if (const YAML::Node ipam = n["ipam"]) {
        if (d.external) return r.Err(ipam, path + ".ipam", "an external network's addresses are the cluster's: leave ipam out");
        SWARMPLAN_CHECK(r.Keys(ipam, path + ".ipam", {"driver", "config", "options"}));
        if (ipam["driver"]) {
          auto v = SWARMPLAN_TRY(r.Str(ipam["driver"], path + ".ipam.driver"));
          if (v != "default") return r.Err(ipam["driver"], path + ".ipam.driver", "only the default IPAM driver is modelled");
        }
        if (const YAML::Node cfg = ipam["config"]) {
          if (!cfg.IsSequence()) return r.Err(cfg, path + ".ipam.config", "expected a list");
          if (cfg.size() > 1) return r.Err(cfg, path + ".ipam.config", "more than one subnet on a network is not modelled by swarmplan");
          if (cfg.size() == 1) {
            const std::string cp = path + ".ipam.config[0]";
            SWARMPLAN_CHECK(r.Keys(cfg[0], cp, {"subnet", "ip_range", "gateway", "aux_addresses"}));
            if (cfg[0]["ip_range"] || cfg[0]["aux_addresses"]) {
              return r.Err(cfg[0], cp, "ip_range and aux_addresses are not modelled by swarmplan");
            }
            if (cfg[0]["subnet"]) {
              auto v = SWARMPLAN_TRY(r.Str(cfg[0]["subnet"], cp + ".subnet"));
              auto c = model::Ipv4Cidr::Parse(v);
              if (!c) return r.Err(cfg[0]["subnet"], cp + ".subnet", c.error());
              d.subnet = *c;
            }
          }
        }
      }
    }
    nets[d.key] = d;
  }
  return nets;
}

// Service `key` of the file (its networks looked up in, or the default
// added to, `nets`); the fields docker ignores for a stack go to `ignored`.
std::expected<Planned, std::string> ReadService(Reader& r, const YAML::Node& services, const std::string& key,
                                                const std::string& file, const std::string& stack,
                                                std::map<std::string, NetDef>& nets, std::set<std::string>& used_nets,
                                                std::set<std::string>& ignored) {
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
  auto container = SWARMPLAN_TRY(ReadContainer(r, n, path, file, stack));
  p.spec.container = std::move(container);
  for (const auto& kv : n) {
    if (kUncompared.contains(kv.first.Scalar())) p.uncompared.push_back(kv.first.Scalar());
  }
  if (n["stop_grace_period"]) {
    auto v = SWARMPLAN_TRY(r.Duration(n["stop_grace_period"], path + ".stop_grace_period"));
    p.spec.stop_grace_period = v;
    p.given.insert("stop_grace_period");
  }
  if (n["deploy"]) {
    SWARMPLAN_CHECK(ReadDeploy(r, n["deploy"], path + ".deploy", p.spec, p.given));
  }
  if (n["ports"]) {
    auto ing = SWARMPLAN_TRY(ReadPorts(r, n["ports"], path + ".ports"));
    p.spec.publish_ingress = ing;
    p.given.insert("ports");
  }
  std::vector<std::string> wanted;
  if (const YAML::Node sn = n["networks"]) {
    if (sn.IsSequence()) {
      for (std::size_t i = 0; i < sn.size(); ++i) {
        auto v = SWARMPLAN_TRY(r.Str(sn[i], path + ".networks[" + std::to_string(i) + "]"));
        wanted.push_back(v);
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
  return p;
}

// A redeploy of running service `cur` as the file now plans it (`p`): the
// steps that change it (scale, network-add/-rm, a rolling update) onto
// `order`, and what the user should know into the notes.
std::expected<void, std::string> Redeploy(Reader& r, const Planned& p, ServiceSpec& cur, const std::string& file,
                                          const std::string& stack, std::vector<std::string>& order) {
  const std::string path = "services." + p.spec.name.substr(stack.size() + 1);
  const std::size_t order_before = order.size();
  if (p.spec.mode != cur.mode) return std::unexpected(file + ": " + path + ".deploy.mode: a service's mode cannot change (docker refuses it)");
  if (p.spec.mode == model::ServiceMode::kReplicated && p.spec.replicas != cur.replicas) {
    order.push_back("scale:" + cur.name + "=" + std::to_string(p.spec.replicas));
  }
  for (const std::string& w : p.spec.networks) {
    if (std::find(cur.networks.begin(), cur.networks.end(), w) == cur.networks.end()) order.push_back("network-add:" + cur.name + ":" + w);
  }
  for (const std::string& w : cur.networks) {
    if (std::find(p.spec.networks.begin(), p.spec.networks.end(), w) == p.spec.networks.end()) order.push_back("network-rm:" + cur.name + ":" + w);
  }
  // A changed spec is a rolling update (docker sends the whole spec;
  // swarmkit's IsTaskDirty compares each task's spec with the service's):
  // what the containers run, the restart policy, the stop grace period,
  // the reservations, the placement. A field the file leaves out takes
  // docker's default, as docker's converter does. A network change rolls
  // every task already and carries the rest with it.
  const bool rolled = std::any_of(order.begin() + static_cast<std::ptrdiff_t>(order_before), order.end(),
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
    if (!rolled) order.push_back("update:" + cur.name);
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
  return {};
}

std::expected<Stack, std::string> DeployYaml(const Scenario& cluster, const std::string& yaml, const std::string& file,
                                             const std::string& stack, const Environment& env) {
  YAML::Node root = YAML::Load(yaml);
  std::uint64_t dup_budget = 1'000'000;
  SWARMPLAN_CHECK(CheckDuplicateKeys(root, file, "", dup_budget));
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
  SWARMPLAN_CHECK(r.InterpolateTree(root, ""));
  SWARMPLAN_CHECK(r.Keys(root, "(top level)", {"version", "name", "services", "networks", "volumes", "configs", "secrets"}));
  const YAML::Node services = root["services"];
  if (!services || !services.IsMap() || services.size() == 0) return std::unexpected(file + ": services: the stack has no services");

  Stack out;
  out.scenario = cluster;
  Scenario& s = out.scenario;
  s.name = "stack " + stack + " on " + cluster.name;
  s.upgrade.order.clear();

  auto nets = SWARMPLAN_TRY(ReadNetworks(r, root["networks"], stack));

  // Services, in name order (docker's loader sorts them).
  std::vector<std::string> keys;
  for (const auto& kv : services) keys.push_back(kv.first.Scalar());
  std::sort(keys.begin(), keys.end());
  std::set<std::string> used_nets, ignored;
  std::vector<Planned> planned;
  for (const std::string& key : keys) {
    planned.push_back(SWARMPLAN_TRY(ReadService(r, services, key, file, stack, nets, used_nets, ignored)));
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
    SWARMPLAN_CHECK(Redeploy(r, p, *it, file, stack, out.order));
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
  auto text = SWARMPLAN_TRY(model::ReadInputFile(path, model::kMaxJsonBytes, "Compose file"));
  return Deploy(cluster, text, path, stack, [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  });
}

}  // namespace swarmplan::compose
