// Writing a scenario file: ScenarioToJson, which ScenarioFromJson reads
// back as the same scenario (the tests round-trip every data/ file).
#include <algorithm>
#include <memory>

#include "model/scenario_json.hpp"
#include "model/scenario_json_table.hpp"

namespace swarmplan::model {

using nlohmann::json;
using namespace keys;

namespace {

json RangeJson(const Range& r) {
  if (r.lo == r.hi) return r.lo / sim::kMillisecond;
  return json::array({r.lo / sim::kMillisecond, r.hi / sim::kMillisecond});
}

json TimingsToJson(const Timings& t) {
  json j = json::object();
  for (const TimingField& f : TimingTable()) {
    const std::string key(f.key);
    if (f.range) j[key] = RangeJson(t.*(f.range));
    else if (f.time) j[key] = t.*(f.time) / sim::kMillisecond;
    else j[key] = t.*(f.count);
  }
  return j;
}

json UpdateConfigToJson(const UpdateConfig& c) {
  return {{"parallelism", c.parallelism},
          {"delay_ms", c.delay / sim::kMillisecond},
          {"order", ToString(c.order)},
          {"failure_action", ToString(c.failure_action)},
          {"monitor_ms", c.monitor / sim::kMillisecond},
          {"max_failure_ratio", c.max_failure_ratio}};
}

json ContainerToJson(const ContainerSpec& c) {
  json o = json::object();
  using Text = std::pair<const char*, const std::string*>;
  for (auto [key, field] : {Text{"image", &c.image}, Text{"user", &c.user}, Text{"dir", &c.dir},
                            Text{"hostname", &c.hostname}, Text{"stop_signal", &c.stop_signal}}) {
    if (!field->empty()) o[key] = *field;
  }
  using List = std::pair<const char*, const std::vector<std::string>*>;
  for (auto [key, field] : {List{"command", &c.command}, List{"args", &c.args}, List{"env", &c.env}}) {
    if (!field->empty()) o[key] = *field;
  }
  if (!c.labels.empty()) o["labels"] = c.labels;
  return o;
}

}  // namespace

json ScenarioToJson(const Scenario& s) {
  json j;
  j["schema_version"] = 1;
  j["name"] = s.name;
  if (s.ingress) j["ingress"] = s.ingress->ToString();
  j["networks"] = json::array();
  for (const auto& n : s.networks) {
    json o{{"name", n.name}, {"subnet", n.subnet.ToString()}};
    if (!n.held.empty()) {
      o["held"] = json::array();
      for (std::uint32_t a : n.held) o["held"].push_back(FormatIpv4(a));
    }
    j["networks"].push_back(o);
  }
  j["nodes"] = json::array();
  for (const auto& n : s.nodes) {
    json o{{"name", n.name}, {"role", ToString(n.role)}, {"availability", ToString(n.availability)},
           {"engine", n.engine.ToString()}};
    if (n.down) o["state"] = ToString(NodeState::kDown);
    if (!n.joined) o["joined"] = false;
    if (n.live_restore) o["live_restore"] = true;
    if (!n.labels.empty()) o["labels"] = n.labels;
    if (n.nano_cpus) o["cpus"] = n.nano_cpus / 1'000'000'000;
    if (n.memory_bytes) o["memory_mb"] = n.memory_bytes / (1024 * 1024);
    if (!n.held.empty()) {
      o["held"] = json::object();
      for (const auto& [net, list] : n.held) {
        o["held"][net] = json::array();
        for (std::uint32_t a : list) o["held"][net].push_back(FormatIpv4(a));
      }
    }
    if (!n.lb_missing.empty()) o["lb_missing"] = n.lb_missing;
    j["nodes"].push_back(o);
  }
  j["services"] = json::array();
  for (const auto& v : s.services) {
    json o{{"name", v.name}, {"mode", ToString(v.mode)}, {"networks", v.networks},
           {"endpoint_mode", ToString(v.endpoint_mode)}};
    if (v.mode == ServiceMode::kReplicated) o["replicas"] = v.replicas;
    json cs = json::array();
    for (const auto& c : v.constraints) cs.push_back(c.text);
    o["constraints"] = cs;
    o["max_replicas_per_node"] = v.max_replicas_per_node;
    o["restart"] = {{"condition", ToString(v.restart_condition)},
                    {"delay_ms", v.restart_delay / sim::kMillisecond},
                    {"max_attempts", v.restart_max_attempts}};
    o["stop_grace_period_ms"] = v.stop_grace_period / sim::kMillisecond;
    o["exits_on_sigterm"] = v.exits_on_sigterm;
    o["publish_ingress"] = v.publish_ingress;
    if (v.reserve_nano_cpus) o["reserve_cpus_milli"] = v.reserve_nano_cpus / 1'000'000;
    if (v.reserve_memory_bytes) o["reserve_memory_mb"] = v.reserve_memory_bytes / (1024 * 1024);
    if (!v.deployed) o["deployed"] = false;
    if (v.previous_spec) o["previous_spec"] = true;
    if (!v.recent_failures.empty()) o["recent_failures"] = v.recent_failures;
    if (!v.vips.empty()) {
      o["vips"] = json::object();
      for (const auto& [net, a] : v.vips) o["vips"][net] = FormatIpv4(a);
    }
    if (v.container) o["container"] = ContainerToJson(*v.container);
    if (v.update_to) {
      const ServiceSpec& u = *v.update_to;
      json to_constraints = json::array();
      for (const auto& c : u.constraints) to_constraints.push_back(c.text);
      json to{{"restart", {{"condition", ToString(u.restart_condition)},
                           {"delay_ms", u.restart_delay / sim::kMillisecond},
                           {"max_attempts", u.restart_max_attempts}}},
              {"stop_grace_period_ms", u.stop_grace_period / sim::kMillisecond},
              {"exits_on_sigterm", u.exits_on_sigterm},
              {"reserve_cpus_milli", u.reserve_nano_cpus / 1'000'000},
              {"reserve_memory_mb", u.reserve_memory_bytes / (1024 * 1024)},
              {"constraints", to_constraints},
              {"max_replicas_per_node", u.max_replicas_per_node}};
      if (u.container) to["container"] = ContainerToJson(*u.container);
      o["update_to"] = to;
    }
    if (v.update != UpdateConfig{}) o["update_config"] = UpdateConfigToJson(v.update);
    if (v.rollback != UpdateConfig{}) o["rollback_config"] = UpdateConfigToJson(v.rollback);
    j["services"].push_back(o);
  }
  if (!s.tasks.empty()) {
    j["tasks"] = json::array();
    for (const auto& t : s.tasks) {
      json o{{"service", t.service}, {"state", ApiName(t.state)}};
      if (t.slot != 0) o["slot"] = t.slot;
      if (!t.node.empty()) o["node"] = t.node;
      if (!t.addresses.empty()) {
        o["addresses"] = json::object();
        for (const auto& [net, a] : t.addresses) o["addresses"][net] = FormatIpv4(a);
      }
      j["tasks"].push_back(o);
    }
  }
  if (!s.leader.empty()) j["leader"] = s.leader;
  json up = json::object();
  if (s.upgrade.to) up["to"] = s.upgrade.to->ToString();
  if (!s.upgrade.order.empty()) up["order"] = s.upgrade.order;
  up["activate_managers"] = s.upgrade.activate_managers_last ? "after-all" : "each";
  j["upgrade"] = up;
  j["timings"] = TimingsToJson(s.timings);
  return j;
}

}  // namespace swarmplan::model
