#include "docker/import.hpp"

#include "model/scenario_json.hpp"
#include "model/try.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

namespace swarmplan::docker {

using nlohmann::json;
using namespace answers;

namespace {

// A service's UpdateConfig / RollbackConfig (Engine API, durations in ns);
// swarmkit's defaults where it is absent or a field is left out.
model::UpdateConfig ReadUpdateConfig(const json& spec, const char* key) {
  model::UpdateConfig c;
  if (!spec.contains(key) || !spec[key].is_object()) return c;
  const json& u = spec[key];
  c.parallelism = static_cast<std::uint32_t>(NonNegative(u, "Parallelism", 0, UINT32_MAX));
  c.delay = NonNegative(u, "Delay", 0) / 1000;  // ns -> us
  c.monitor = NonNegative(u, "Monitor", 5'000'000'000) / 1000;
  if (Str(u, "Order") == "start-first") c.order = model::UpdateOrder::kStartFirst;
  const std::string fa = Str(u, "FailureAction");
  if (fa == "continue") c.failure_action = model::FailureAction::kContinue;
  if (fa == "rollback") c.failure_action = model::FailureAction::kRollback;
  if (u.contains("MaxFailureRatio") && u["MaxFailureRatio"].is_number()) {
    c.max_failure_ratio = std::clamp(u["MaxFailureRatio"].get<double>(), 0.0, 1.0);
  }
  return c;
}

// The container part of a task template, as a Compose redeploy is compared
// with it (model::ContainerSpec). Strings of the API that are not strings
// are left out rather than guessed.
model::ContainerSpec ReadContainer(const json& cs) {
  model::ContainerSpec c;
  c.image = Str(cs, "Image");
  c.user = Str(cs, "User");
  c.dir = Str(cs, "Dir");
  c.hostname = Str(cs, "Hostname");
  c.stop_signal = Str(cs, "StopSignal");
  const auto list = [&](const char* key, std::vector<std::string>& out) {
    for (const json& v : Obj(cs, key)) out.push_back(StrAt(v, key));
  };
  list("Command", c.command);
  list("Args", c.args);
  list("Env", c.env);
  std::sort(c.env.begin(), c.env.end());
  const json& labels = Obj(cs, "Labels");
  if (labels.is_object()) {
    for (auto it = labels.begin(); it != labels.end(); ++it) {
      if (it.value().is_string()) c.labels[it.key()] = it.value().get<std::string>();
    }
  }
  return c;
}

}  // namespace

std::expected<Imported, std::string> ImportScenario(const ApiState& st) {
  try {
    Imported out;
    model::Scenario& sc = out.scenario;
    auto f = SWARMPLAN_TRY(Gather(st, &sc.nodes, &sc.leader, &out.notes));
    // Managers first, then by name: the same cluster always reads the same.
    std::stable_sort(sc.nodes.begin(), sc.nodes.end(), [](const model::NodeSpec& a, const model::NodeSpec& b) {
      return std::pair{a.role != model::Role::kManager, a.name} < std::pair{b.role != model::Role::kManager, b.name};
    });
    const std::string cluster_id = Str(Obj(Obj(st.info, "Swarm"), "Cluster"), "ID");
    sc.name = "imported from swarm " + (cluster_id.empty() ? std::string("?") : cluster_id.substr(0, 12));
    std::map<std::string, std::size_t> net_index;  // user overlay name -> scenario index
    for (const Overlay& o : f.overlays) {
      auto c = model::Ipv4Cidr::Parse(o.subnet);
      if (!c) return std::unexpected("overlay network \"" + o.name + "\": subnet " + c.error());
      if (o.ingress) {
        sc.ingress = *c;
      } else {
        net_index[o.name] = sc.networks.size();
        sc.networks.push_back({o.name, *c, {}});
      }
    }
    // An address some object outside the model holds; one the API wrote
    // that is no IPv4 address is an error naming it.
    std::string bad_address;
    auto hold = [&](const std::string& net, const std::string& text) {
      auto it = net_index.find(net);
      if (it == net_index.end()) return;
      auto addr = model::ParseIpv4(text);
      if (!addr) {
        if (bad_address.empty()) bad_address = "network \"" + net + "\": " + addr.error();
        return;
      }
      auto& held = sc.networks[it->second].held;
      if (std::find(held.begin(), held.end(), *addr) == held.end()) held.push_back(*addr);
    };
    for (const json& s : st.services) {
      Reading reading("service " + SafeStr(s, "ID"));
      const json& spec = Obj(s, "Spec");
      model::ServiceSpec v;
      v.name = Str(spec, "Name");
      CurrentObject() = "service " + SafeStr(s, "ID") + " (" + v.name + ")";
      const json& mode = Obj(spec, "Mode");
      if (mode.contains("Replicated")) {
        v.mode = model::ServiceMode::kReplicated;
        v.replicas = static_cast<std::uint32_t>(NonNegative(mode["Replicated"], "Replicas", 1, UINT32_MAX));
      } else if (mode.contains("Global")) {
        v.mode = model::ServiceMode::kGlobal;
      } else {
        // Jobs (API 1.41) run to completion; the model has no such mode.
        out.notes.push_back("service " + v.name + " is a job, which swarmplan does not model: its addresses are kept as held");
        f.skipped_services.insert(Str(s, "ID"));
        for (const json& vip : Obj(Obj(s, "Endpoint"), "VirtualIPs")) {
          hold(f.net_name[Str(vip, "NetworkID")], StripPrefix(Str(vip, "Addr")));
        }
        continue;
      }
      const json& tt = Obj(spec, "TaskTemplate");
      json nets = Obj(tt, "Networks");
      if (nets.empty()) nets = Obj(spec, "Networks");  // before API 1.25 services listed them here
      for (const json& n : nets) {
        const std::string target = Str(n, "Target");
        auto it = f.net_name.find(target);
        if (it == f.net_name.end()) {
          // host, macvlan or another local-scope driver: swarm's IPAM does
          // not give its addresses, so it does not count here.
          out.notes.push_back("service " + v.name + ": network " + target +
                              " is not a swarm overlay network; its addresses are not modelled");
          continue;
        }
        if (it->second == "ingress") continue;
        v.networks.push_back(it->second);
      }
      const json& ep = Obj(spec, "EndpointSpec");
      v.endpoint_mode = Str(ep, "Mode") == "dnsrr" ? model::EndpointMode::kDnsrr : model::EndpointMode::kVip;
      for (const json& p : Obj(ep, "Ports")) {
        const std::string pm = Str(p, "PublishMode");
        if (pm.empty() || pm == "ingress") v.publish_ingress = true;
      }
      const json& placement = Obj(tt, "Placement");
      for (const json& c : Obj(placement, "Constraints")) {
        const std::string text = StrAt(c, "Constraints");
        auto parsed = model::Constraint::Parse(text);
        if (!parsed) {
          out.notes.push_back("service " + v.name + ": constraint \"" + text +
                              "\" is not modelled and was left out, so the model may place its tasks more freely");
          continue;
        }
        v.constraints.push_back(*parsed);
      }
      if (!Obj(placement, "Preferences").empty()) {
        out.notes.push_back("service " + v.name + ": placement preferences are not modelled (spread is by task count only)");
      }
      v.max_replicas_per_node = static_cast<std::uint32_t>(NonNegative(placement, "MaxReplicas", 0, UINT32_MAX));
      const json& rp = Obj(tt, "RestartPolicy");
      const std::string cond = Str(rp, "Condition");
      v.restart_condition = cond == "none" ? model::RestartCondition::kNone
                            : cond == "on-failure" ? model::RestartCondition::kOnFailure
                                                   : model::RestartCondition::kAny;
      v.restart_delay = NonNegative(rp, "Delay", 5'000'000'000) / 1000;  // ns -> us
      v.restart_max_attempts = static_cast<std::uint32_t>(NonNegative(rp, "MaxAttempts", 0, UINT32_MAX));
      v.stop_grace_period = NonNegative(Obj(tt, "ContainerSpec"), "StopGracePeriod", 10'000'000'000) / 1000;
      const json& resv = Obj(Obj(tt, "Resources"), "Reservations");
      // Bounded so that rounding up cannot overflow.
      v.reserve_nano_cpus = (NonNegative(resv, "NanoCPUs", 0, INT64_MAX / 2) + 999'999) / 1'000'000 * 1'000'000;
      const std::int64_t mb = 1024 * 1024;
      v.reserve_memory_bytes = (NonNegative(resv, "MemoryBytes", 0, INT64_MAX / 2) + mb - 1) / mb * mb;
      if (v.endpoint_mode == model::EndpointMode::kVip) {
        for (const json& vip : Obj(Obj(s, "Endpoint"), "VirtualIPs")) {
          const std::string net = f.net_name[Str(vip, "NetworkID")];
          const std::string addr = StripPrefix(Str(vip, "Addr"));
          if (addr.empty() || !v.OnNetwork(net)) continue;
          auto ip = model::ParseIpv4(addr);
          if (!ip) return std::unexpected("service " + v.name + ": its VIP on " + net + ": " + ip.error());
          v.vips[net] = *ip;
        }
      }
      v.update = ReadUpdateConfig(spec, "UpdateConfig");
      v.rollback = ReadUpdateConfig(spec, "RollbackConfig");
      v.previous_spec = s.contains("PreviousSpec") && s["PreviousSpec"].is_object();
      v.container = ReadContainer(Obj(tt, "ContainerSpec"));
      sc.services.push_back(std::move(v));
    }
    if (!st.tasks.is_array()) return std::unexpected("the task list is not an array");
    // Recent failures per service and node (the leader's scheduler
    // underweights those nodes for failure_window, swarmkit nodeInfo
    // taskFailed): failed or rejected tasks of the last 5 minutes before the
    // daemon's own clock.
    const auto now = ApiSeconds(Str(st.info, "SystemTime"));
    const double window = static_cast<double>(model::Timings{}.failure_window) / sim::kSecond;
    for (const json& t : st.tasks) {
      Reading reading("task " + SafeStr(t, "ID"));
      const json& status = Obj(t, "Status");
      const std::string state = Str(status, "State");
      // The API always sends a task's status: one without is not an answer
      // of a manager, and dropping the task would hide what it holds.
      if (state.empty()) throw json::type_error::create(302, CurrentObject() + ": it has no Status.State", nullptr);
      if (!now || (state != "failed" && state != "rejected")) continue;
      const auto when = ApiSeconds(Str(status, "Timestamp"));
      const auto svc = f.service_name.find(Str(t, "ServiceID"));
      const auto node = f.node_name.find(Str(t, "NodeID"));
      if (!when || *now - *when > window || svc == f.service_name.end() || node == f.node_name.end()) continue;
      for (auto& v : sc.services) {
        if (v.name == svc->second) ++v.recent_failures[node->second];
      }
    }
    for (const json& t : st.tasks) {
      Reading reading("task " + SafeStr(t, "ID"));
      const std::string state = Str(Obj(t, "Status"), "State");
      if (!LiveState(state)) continue;
      const std::string sid = Str(t, "ServiceID");
      const std::string desired = Str(t, "DesiredState");
      std::map<std::string, std::string> addrs;
      for (const json& a : Obj(t, "NetworksAttachments")) {
        const std::string net = f.net_name[Str(Obj(Obj(a, "Network"), "Spec"), "Name")];
        const json& list = Obj(a, "Addresses");
        if (!net.empty() && list.is_array() && !list.empty()) addrs[net] = StripPrefix(StrAt(list[0], "Addresses"));
      }
      const auto live = model::ParseTaskState(state);
      // A task on its way out (or of a service the model skips) still holds
      // its addresses: they are kept as held, not as a task to place.
      const bool leaving = desired != "running" && desired != "ready";
      if (leaving || f.skipped_services.contains(sid) || !f.service_name.contains(sid)) {
        // A down (or left) node's tasks never report an end: what they
        // hold is the node's until it is removed (swarm-semantics 12).
        const auto node = f.node_name.find(Str(t, "NodeID"));
        model::NodeSpec* down = nullptr;
        for (auto& n : sc.nodes) down = node != f.node_name.end() && n.name == node->second && n.down ? &n : down;
        for (const auto& [net, a] : addrs) {
          if (down == nullptr || !net_index.contains(net)) {
            hold(net, a);
            continue;
          }
          auto ip = model::ParseIpv4(a);
          if (!ip) return std::unexpected("task " + Str(t, "ID") + ", network \"" + net + "\": " + ip.error());
          auto& list = down->held[net];
          if (std::find(list.begin(), list.end(), *ip) == list.end()) list.push_back(*ip);
        }
        continue;
      }
      model::TaskSpec ts;
      ts.service = f.service_name[sid];
      ts.slot = static_cast<std::uint32_t>(NonNegative(t, "Slot", 0, UINT32_MAX));
      const std::string nid = Str(t, "NodeID");
      if (!nid.empty()) {
        auto it = f.node_name.find(nid);
        if (it == f.node_name.end()) return std::unexpected("task " + Str(t, "ID") + " is on node " + nid + ", which the node list lacks");
        ts.node = it->second;
      }
      ts.state = *live;  // LiveState() above: a live state
      for (const auto& [net, text] : addrs) {
        auto addr = model::ParseIpv4(text);
        if (!addr) return std::unexpected("task " + Str(t, "ID") + ", network \"" + net + "\": " + addr.error());
        ts.addresses[net] = *addr;
      }
      const auto svc = std::find_if(sc.services.begin(), sc.services.end(), [&](const auto& s) { return s.name == ts.service; });
      if (svc != sc.services.end() && svc->mode == model::ServiceMode::kGlobal) ts.slot = 0;
      if (svc != sc.services.end() && !svc->publish_ingress) ts.addresses.erase("ingress");
      sc.tasks.push_back(std::move(ts));
    }
    if (!bad_address.empty()) return std::unexpected("an address the API gave is not IPv4: " + bad_address);
    // Nodes without their load-balancer address on an overlay: a task of
    // theirs there was rejected for want of it in the failure window, and
    // none of theirs runs there now (swarm-semantics 12).
    std::set<std::pair<std::string, std::string>> running_on;  // (node, network)
    for (const model::TaskSpec& ts : sc.tasks) {
      if (ts.state != model::TaskState::kRunning) continue;
      for (const auto& [net, a] : ts.addresses) running_on.insert({ts.node, net});
    }
    for (const json& t : st.tasks) {
      Reading reading("task " + SafeStr(t, "ID"));
      const json& status = Obj(t, "Status");
      if (!now || Str(status, "Err").find(model::kErrMissingAttachments) == std::string::npos) continue;
      const auto when = ApiSeconds(Str(status, "Timestamp"));
      const auto node = f.node_name.find(Str(t, "NodeID"));
      if (!when || *now - *when > window || node == f.node_name.end()) continue;
      for (auto& n : sc.nodes) {
        if (n.name != node->second) continue;
        for (const json& a : Obj(t, "NetworksAttachments")) {
          const std::string net = f.net_name[Str(Obj(Obj(a, "Network"), "Spec"), "Name")];
          if (!net_index.contains(net) || running_on.contains({n.name, net})) continue;
          if (std::find(n.lb_missing.begin(), n.lb_missing.end(), net) == n.lb_missing.end()) n.lb_missing.push_back(net);
        }
      }
    }
    std::sort(sc.tasks.begin(), sc.tasks.end(), [](const auto& a, const auto& b) {
      return std::tie(a.service, a.slot, a.node) < std::tie(b.service, b.slot, b.node);
    });
    if (auto ok = sc.Validate(); !ok) return std::unexpected("the imported cluster does not make a valid scenario: " + ok.error());
    // What import writes, plan reads: the scenario goes through the very
    // reader `plan FILE` uses, so `import` never writes a file `plan`
    // refuses and `plan --host` never simulates one.
    const std::string text = model::ScenarioToJson(sc).dump();
    auto back = model::ScenarioFromJson(text, "the imported cluster");
    if (!back) return std::unexpected("the swarm's answers make a scenario swarmplan cannot plan: " + back.error());
    return out;
  } catch (const json::exception& e) {
    return std::unexpected(UnexpectedAnswer(e));
  }
}

}  // namespace swarmplan::docker
