#include "planner/plan.hpp"

#include <algorithm>
#include <charconv>
#include <optional>
#include <set>
#include <sstream>

namespace swarmplan::planner {

using model::Role;
using model::Scenario;

std::string_view ToString(Action a) {
  switch (a) {
    case Action::kDrain: return "drain";
    case Action::kStop: return "stop";
    case Action::kInstall: return "install";
    case Action::kStart: return "start";
    case Action::kActivate: return "activate";
    case Action::kPause: return "pause";
    case Action::kPromote: return "promote";
    case Action::kDemote: return "demote";
    case Action::kJoin: return "join";
    case Action::kLeave: return "leave";
    case Action::kNodeRm: return "node-rm";
    case Action::kWait: return "wait";
    case Action::kSleep: return "sleep";
    case Action::kCreate: return "create";
    case Action::kRemove: return "rm";
    case Action::kScale: return "scale";
    case Action::kUpdate: return "update";
    case Action::kRollback: return "rollback";
    case Action::kNetworkAdd: return "network-add";
    case Action::kNetworkRm: return "network-rm";
  }
  return "?";
}

bool Plan::Upgrades() const {
  return std::any_of(steps.begin(), steps.end(), [](const Step& st) { return st.action == Action::kInstall; });
}

std::string Step::Describe(const Scenario& s) const {
  switch (action) {
    case Action::kWait: return "wait for convergence";
    case Action::kSleep: return "sleep " + std::to_string(duration / sim::kSecond) + " s";
    case Action::kInstall: return "install " + version.ToString() + " on " + s.nodes[node].name;
    case Action::kCreate: return "create service " + s.services[service].name;
    case Action::kRemove: return "remove service " + s.services[service].name;
    case Action::kScale: return "scale " + s.services[service].name + " to " + std::to_string(replicas);
    case Action::kUpdate: return "rolling update of " + s.services[service].name;
    case Action::kRollback: return "roll back " + s.services[service].name;
    case Action::kNetworkAdd: return "add " + s.services[service].name + " to network " + s.networks[network].name;
    case Action::kNetworkRm: return "take " + s.services[service].name + " off network " + s.networks[network].name;
    case Action::kJoin: return s.nodes[node].name + " joins as " + std::string(model::ToString(role));
    case Action::kNodeRm: return "remove node " + s.nodes[node].name;
    default: return std::string(ToString(action)) + " " + s.nodes[node].name;
  }
}

namespace {

void NodeKit(std::vector<Step>& out, std::size_t node, model::EngineVersion to, bool activate) {
  out.push_back({Action::kDrain, node, {}, 0});
  out.push_back({Action::kStop, node, {}, 0});
  out.push_back({Action::kInstall, node, to, 0});
  out.push_back({Action::kStart, node, {}, 0});
  if (activate) {
    out.push_back({Action::kActivate, node, {}, 0});
    out.push_back({Action::kWait, 0, {}, 0});
  }
}

// Builds a plan from a node order, activating managers per policy.
Plan FromNodeOrder(const Scenario& s, const std::vector<std::size_t>& order, model::EngineVersion to,
                   bool managers_last) {
  Plan p;
  std::size_t managers_total = 0, managers_seen = 0;
  for (std::size_t n : order) managers_total += s.nodes[n].role == Role::kManager;
  std::vector<std::size_t> deferred;
  for (std::size_t n : order) {
    const bool manager = s.nodes[n].role == Role::kManager;
    if (manager && managers_last) {
      NodeKit(p.steps, n, to, false);
      deferred.push_back(n);
      if (++managers_seen == managers_total) {
        for (std::size_t m : deferred) p.steps.push_back({Action::kActivate, m, {}, 0});
        p.steps.push_back({Action::kWait, 0, {}, 0});
      }
    } else {
      NodeKit(p.steps, n, to, true);
    }
  }
  return p;
}

}  // namespace

namespace {

// A reservation the model cannot check: nodes that declare no memory (or no
// CPUs) take any reservation (swarmkit's resource filter checks what a node
// reports; a scenario node without "memory" reports nothing). Said, never
// silently skipped: for a service's spec and the spec its update rolls out.
void NoteUncheckedReservations(const Scenario& s, Plan& p) {
  std::string no_mem, no_cpu;
  for (const auto& n : s.nodes) {
    if (n.memory_bytes == 0) no_mem += (no_mem.empty() ? "" : ", ") + n.name;
    if (n.nano_cpus == 0) no_cpu += (no_cpu.empty() ? "" : ", ") + n.name;
  }
  for (const auto& v : s.services) {
    const std::vector<std::pair<const model::ServiceSpec*, std::string>> specs = {
        {&v, "service " + v.name}, {v.update_to.get(), "the update of service " + v.name}};
    for (const auto& [spec, what] : specs) {
      if (spec == nullptr) continue;
      if (spec->reserve_memory_bytes > 0 && !no_mem.empty()) {
        p.notes.push_back(what + " reserves " + std::to_string(spec->reserve_memory_bytes >> 20) +
                          " MiB of memory, but nodes " + no_mem +
                          " declare no memory: the reservation is not checked there (give them \"memory_mb\")");
      }
      if (spec->reserve_nano_cpus > 0 && !no_cpu.empty()) {
        p.notes.push_back(what + " reserves CPUs, but nodes " + no_cpu +
                          " declare no CPUs: the reservation is not checked there (give them \"cpus\")");
      }
    }
  }
}

}  // namespace

Plan DefaultPlan(const Scenario& s, model::EngineVersion to) {
  const std::size_t leader = s.InitialLeader().value();
  std::vector<std::size_t> order;
  // A node that is down cannot be drained or restarted: it is left out
  // (the report lists the plan's steps, so the user sees it is missing).
  for (std::size_t i = 0; i < s.nodes.size(); ++i) {
    if (s.nodes[i].role == Role::kManager && i != leader && !s.nodes[i].out()) order.push_back(i);
  }
  order.push_back(leader);
  for (std::size_t i = 0; i < s.nodes.size(); ++i) {
    if (s.nodes[i].role == Role::kWorker && !s.nodes[i].out()) order.push_back(i);
  }
  Plan p = FromNodeOrder(s, order, to, true);
  p.origin = "default: the seed procedure (managers one at a time, leader last, activated together; then each worker)";
  NoteUncheckedReservations(s, p);
  return p;
}

namespace {

// `text` split at each `sep` not escaped by a backslash; escapes are kept
// (Unescape removes them once the word is split all the way).
std::vector<std::string> SplitEscaped(const std::string& text, char sep) {
  std::vector<std::string> out(1);
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 1 < text.size()) {
      out.back() += text[i];
      out.back() += text[++i];
    } else if (text[i] == sep) {
      out.emplace_back();
    } else {
      out.back() += text[i];
    }
  }
  return out;
}

std::string Unescape(const std::string& text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 1 < text.size()) ++i;
    out += text[i];
  }
  return out;
}

std::expected<Plan, std::string> ParseOrderWords(const Scenario& s, const std::vector<std::string>& raw_words,
                                                 model::EngineVersion to, bool activate_managers_last);

// Nodes a plan leaves below the target engine (down nodes excepted: the
// plan cannot reach them), as one note: such a plan may be safe and still
// not be the upgrade the user asked for.
void NoteIncomplete(const Scenario& s, Plan& p, model::EngineVersion to) {
  // A change plan (service steps, no install) is not an upgrade left half done.
  const bool service_steps = std::any_of(p.steps.begin(), p.steps.end(), [](const Step& st) { return st.OnService(); });
  if (service_steps && !p.Upgrades()) return;
  std::vector<model::EngineVersion> engine;
  for (const auto& n : s.nodes) engine.push_back(n.engine);
  for (const Step& st : p.steps) {
    if (st.action == Action::kInstall) engine[st.node] = st.version;
  }
  std::string left;
  std::size_t count = 0;
  for (std::size_t i = 0; i < s.nodes.size(); ++i) {
    if (s.nodes[i].out() || engine[i] >= to) continue;
    ++count;
    if (count <= 5) left += (left.empty() ? "" : ", ") + s.nodes[i].name + " (" + engine[i].ToString() + ")";
  }
  if (count == 0) return;
  if (count > 5) left += " and " + std::to_string(count - 5) + " more";
  p.notes.push_back("the upgrade is incomplete: the plan leaves " + left + " below " + to.ToString());
}

}  // namespace

std::expected<Plan, std::string> ParseOrder(const Scenario& s, const std::vector<std::string>& raw_words,
                                            model::EngineVersion to, bool activate_managers_last) {
  auto p = ParseOrderWords(s, raw_words, to, activate_managers_last);
  if (p) NoteIncomplete(s, *p, to);
  if (p) NoteUncheckedReservations(s, *p);
  return p;
}

namespace {

std::expected<Plan, std::string> ParseOrderWords(const Scenario& s, const std::vector<std::string>& raw_words,
                                                 model::EngineVersion to, bool activate_managers_last) {
  // Split on commas too, so "--order a,b,c" and JSON arrays both work. A
  // name holding , : = or \ has them escaped with \ (EscapeOrderName).
  std::vector<std::string> words;
  for (const std::string& w : raw_words) {
    for (const std::string& part : SplitEscaped(w, ',')) {
      const auto b = part.find_first_not_of(" \t");
      const auto e = part.find_last_not_of(" \t");
      if (b != std::string::npos) words.push_back(part.substr(b, e - b + 1));
    }
  }
  if (words.empty()) return std::unexpected("the order is empty");
  // Node-name-only orders get the standard kit per node.
  bool names_only = true;
  for (const std::string& w : words) names_only = names_only && SplitEscaped(w, ':').size() == 1 && w != "wait";
  auto node_of = [&](const std::string& name, const std::string& word) -> std::expected<std::size_t, std::string> {
    auto n = s.FindNode(name);
    if (!n) {
      std::string known;
      for (const auto& nd : s.nodes) known += (known.empty() ? "" : ", ") + nd.name;
      return std::unexpected("order word \"" + word + "\": no node is named \"" + name + "\" (nodes: " + known + ")");
    }
    return *n;
  };
  if (names_only) {
    std::vector<std::size_t> order;
    for (const std::string& w : words) {
      auto n = node_of(Unescape(w), w);
      if (!n) return std::unexpected(n.error());
      for (std::size_t o : order) {
        if (o == *n) return std::unexpected("order word \"" + w + "\": node listed twice");
      }
      order.push_back(*n);
    }
    Plan p = FromNodeOrder(s, order, to, activate_managers_last);
    p.origin = "given node order";
    return p;
  }
  Plan p;
  p.origin = "given steps";
  for (const std::string& w : words) {
    std::vector<std::string> f = SplitEscaped(w, ':');
    // The scale count is split off before names are unescaped ("a\=b=3").
    std::string scale_count;
    bool scale_has_count = false;
    if (f.size() == 2 && f[0] == "scale") {
      const std::vector<std::string> eq = SplitEscaped(f[1], '=');
      if (eq.size() == 2) {
        f[1] = eq[0];
        scale_count = eq[1];
        scale_has_count = true;
      }
    }
    for (std::string& x : f) x = Unescape(x);
    if (f.empty()) f.push_back("");
    const std::string& verb = f[0];
    if (verb == "wait" && f.size() == 1) {
      p.steps.push_back({Action::kWait, 0, {}, 0});
      continue;
    }
    if (verb == "sleep") {
      int secs = -1;
      if (f.size() == 2) {
        auto [ptr, ec] = std::from_chars(f[1].data(), f[1].data() + f[1].size(), secs);
        if (ec != std::errc() || ptr != f[1].data() + f[1].size()) secs = -1;
      }
      if (secs < 0 || secs > 86400) return std::unexpected("order word \"" + w + "\": write sleep:SECONDS (0 to 86400)");
      p.steps.push_back({Action::kSleep, 0, {}, sim::Sec(secs)});
      continue;
    }
    const bool net_verb = verb == "network-add" || verb == "network-rm";
    if (verb == "create" || verb == "rm" || verb == "scale" || verb == "update" || verb == "rollback" || net_verb) {
      if (net_verb && (f.size() != 3 || f[1].empty() || f[2].empty())) {
        return std::unexpected("order word \"" + w + "\": write " + verb + ":SERVICE:NETWORK");
      }
      if (!net_verb && (f.size() != 2 || f[1].empty())) {
        return std::unexpected("order word \"" + w + "\": write " + verb + ":SERVICE" + (verb == "scale" ? "=N" : ""));
      }
      std::string name = f[1];
      std::int64_t replicas = -1;
      if (verb == "scale") {
        if (!scale_has_count) return std::unexpected("order word \"" + w + "\": write scale:SERVICE=N");
        const std::string count = scale_count;
        auto [ptr, ec] = std::from_chars(count.data(), count.data() + count.size(), replicas);
        if (count.empty() || ec != std::errc() || ptr != count.data() + count.size() || replicas < 0 || replicas > 1'000'000) {
          return std::unexpected("order word \"" + w + "\": the replica count must be a whole number from 0 to 1000000");
        }
      }
      std::optional<std::size_t> svc;
      for (std::size_t i = 0; i < s.services.size(); ++i) {
        if (s.services[i].name == name) svc = i;
      }
      if (!svc && verb == "rm" && s.FindNode(name)) {
        Step st{Action::kNodeRm, *s.FindNode(name), {}, 0};
        p.steps.push_back(st);
        continue;
      }
      if (!svc) {
        std::string known;
        for (const auto& v : s.services) known += (known.empty() ? "" : ", ") + v.name;
        return std::unexpected("order word \"" + w + "\": no service is named \"" + name + "\" (services: " +
                               (known.empty() ? "none" : known) + ")");
      }
      Step st;
      st.action = verb == "create"        ? Action::kCreate
                  : verb == "rm"          ? Action::kRemove
                  : verb == "scale"       ? Action::kScale
                  : verb == "update"      ? Action::kUpdate
                  : verb == "network-add" ? Action::kNetworkAdd
                  : verb == "network-rm"  ? Action::kNetworkRm
                                          : Action::kRollback;
      st.service = *svc;
      if (net_verb) {
        const auto net = std::find_if(s.networks.begin(), s.networks.end(),
                                      [&](const model::NetworkSpec& n) { return n.name == f[2]; });
        if (net == s.networks.end()) {
          std::string known;
          for (const auto& n : s.networks) known += (known.empty() ? "" : ", ") + n.name;
          return std::unexpected("order word \"" + w + "\": no overlay network is named \"" + f[2] +
                                 "\" in the scenario (networks: " + (known.empty() ? "none" : known) + ")");
        }
        st.network = static_cast<std::size_t>(net - s.networks.begin());
      }
      st.replicas = static_cast<std::uint32_t>(std::max<std::int64_t>(0, replicas));
      p.steps.push_back(st);
      continue;
    }
    if (f.size() < 2 || f.size() > 3 || f[1].empty()) {
      return std::unexpected("order word \"" + w +
                             "\": expected NODE, ACTION:NODE (drain, stop, install, start, upgrade, restart, "
                             "activate, pause, promote, demote, join, leave, node-rm), create:SERVICE, rm:SERVICE, scale:SERVICE=N, update:SERVICE, "
                             "rollback:SERVICE, network-add:SERVICE:NETWORK, network-rm:SERVICE:NETWORK, wait or "
                             "sleep:SECONDS");
    }
    auto n = node_of(f[1], w);
    if (!n) return std::unexpected(n.error());
    model::EngineVersion v = to;
    if (verb == "join") {
      Step st{Action::kJoin, *n, {}, 0};
      st.role = s.nodes[*n].role;
      if (f.size() == 3) {
        auto r = model::ParseName<model::Role>(f[2]);
        if (!r) return std::unexpected("order word \"" + w + "\": the role is manager or worker, not \"" + f[2] + "\"");
        st.role = *r;
      }
      p.steps.push_back(st);
      continue;
    }
    if (f.size() == 3) {
      if (verb != "install" && verb != "upgrade") return std::unexpected("order word \"" + w + "\": only install and upgrade take a version (and join a role)");
      auto pv = model::EngineVersion::Parse(f[2]);
      if (!pv) return std::unexpected("order word \"" + w + "\": " + pv.error());
      v = *pv;
    }
    if (verb == "drain") p.steps.push_back({Action::kDrain, *n, {}, 0});
    else if (verb == "stop") p.steps.push_back({Action::kStop, *n, {}, 0});
    else if (verb == "install") p.steps.push_back({Action::kInstall, *n, v, 0});
    else if (verb == "start") p.steps.push_back({Action::kStart, *n, {}, 0});
    else if (verb == "activate") p.steps.push_back({Action::kActivate, *n, {}, 0});
    else if (verb == "pause") p.steps.push_back({Action::kPause, *n, {}, 0});
    else if (verb == "promote") p.steps.push_back({Action::kPromote, *n, {}, 0});
    else if (verb == "demote") p.steps.push_back({Action::kDemote, *n, {}, 0});
    else if (verb == "leave") p.steps.push_back({Action::kLeave, *n, {}, 0});
    else if (verb == "node-rm") p.steps.push_back({Action::kNodeRm, *n, {}, 0});
    else if (verb == "upgrade") {
      p.steps.push_back({Action::kStop, *n, {}, 0});
      p.steps.push_back({Action::kInstall, *n, v, 0});
      p.steps.push_back({Action::kStart, *n, {}, 0});
    } else if (verb == "restart") {
      p.steps.push_back({Action::kStop, *n, {}, 0});
      p.steps.push_back({Action::kStart, *n, {}, 0});
    } else {
      return std::unexpected("order word \"" + w + "\": unknown action \"" + verb +
                             "\" (drain, stop, install, start, upgrade, restart, activate, pause, promote, demote, "
                             "join, leave, node-rm, wait, sleep, create, rm, scale, update, rollback, network-add, "
                             "network-rm)");
    }
  }
  return p;
}

}  // namespace

std::expected<void, std::string> CheckPlan(const Scenario& s, const Plan& p) {
  if (p.steps.empty()) return std::unexpected("the plan has no steps");
  // Each node's engine follows its lifecycle (running -> stop -> install*
  // -> start -> running), walked in the listed order: a step that does not
  // fit the engine's state at that point is refused. A node that starts down
  // may be started (it comes back), but not stopped.
  std::set<std::size_t> stopped_by_plan;
  std::vector<bool> running(s.nodes.size(), true);
  std::vector<model::EngineVersion> engine;
  // Membership: in the swarm, and left (down for good until removed).
  std::vector<bool> member(s.nodes.size(), true), left(s.nodes.size(), false);
  for (std::size_t i = 0; i < s.nodes.size(); ++i) {
    running[i] = !s.nodes[i].out();
    member[i] = s.nodes[i].joined;
    engine.push_back(s.nodes[i].engine);
  }
  std::vector<Role> role;  // as the steps so far leave each node
  for (const auto& n : s.nodes) role.push_back(n.role);
  int managers = static_cast<int>(std::count_if(s.nodes.begin(), s.nodes.end(), [](const auto& n) {
    return n.role == Role::kManager && n.joined;
  }));
  const int down_managers = static_cast<int>(std::count_if(s.nodes.begin(), s.nodes.end(), [](const auto& n) {
    return n.role == Role::kManager && n.joined && n.down;
  }));
  int managers_up = managers - down_managers;
  std::vector<bool> deployed;
  for (const auto& v : s.services) deployed.push_back(v.deployed);
  std::vector<bool> updated;
  for (const auto& v : s.services) updated.push_back(v.previous_spec);
  // Each service's overlays as the steps so far leave them.
  std::vector<std::set<std::string>> on_net;
  for (const auto& v : s.services) on_net.emplace_back(v.networks.begin(), v.networks.end());
  for (std::size_t i = 0; i < p.steps.size(); ++i) {
    const Step& st = p.steps[i];
    const std::string where = "step " + std::to_string(i + 1) + " (" + st.Describe(s) + ")";
    if (st.OnNode() && st.action != Action::kJoin) {
      const std::string& name = s.nodes[st.node].name;
      if (!member[st.node]) {
        return std::unexpected(where + ": " + name + " is not in the swarm at that point (join:" + name + " first)");
      }
      if (left[st.node] && st.action != Action::kNodeRm) {
        return std::unexpected(where + ": " + name + " left the swarm; what is left to do is node-rm:" + name);
      }
    }
    switch (st.action) {
      case Action::kJoin:
        if (member[st.node]) return std::unexpected(where + ": " + s.nodes[st.node].name + " is already in the swarm");
        member[st.node] = true;
        left[st.node] = false;
        running[st.node] = true;
        role[st.node] = st.role;
        if (st.role == Role::kManager) {
          ++managers;
          ++managers_up;
        }
        break;
      case Action::kLeave:
        if (role[st.node] == Role::kManager) return std::unexpected(where + ": a manager leaves only once demoted (demote:" + s.nodes[st.node].name + " first)");
        if (!running[st.node]) return std::unexpected(where + ": its engine is not running, so nothing can run `docker swarm leave` on it");
        left[st.node] = true;
        running[st.node] = false;
        break;
      case Action::kNodeRm:
        if (role[st.node] == Role::kManager) return std::unexpected(where + ": docker removes a manager only once demoted (demote:" + s.nodes[st.node].name + " first)");
        if (running[st.node] && !left[st.node]) {
          return std::unexpected(where + ": docker node rm refuses a node that is not down: leave:" + s.nodes[st.node].name +
                                 " or stop:" + s.nodes[st.node].name + " first");
        }
        member[st.node] = false;
        left[st.node] = false;
        running[st.node] = false;
        break;
      case Action::kStop:
        if (!running[st.node]) {
          return std::unexpected(where + (s.nodes[st.node].down && !stopped_by_plan.contains(st.node)
                                              ? ": the node is down; bring it back (or leave it out of the order) first"
                                              : ": the engine is already stopped"));
        }
        running[st.node] = false;
        stopped_by_plan.insert(st.node);
        if (role[st.node] == Role::kManager) {
          --managers_up;
          // With one or two managers, any manager's restart loses quorum
          // for its duration and nothing avoids it but adding managers: the
          // plan is allowed (the trials show the cost). With three or more,
          // losing quorum is the order's fault.
          const bool unavoidable = managers < 3 && managers_up == managers - 1 - down_managers;
          if (managers_up <= managers / 2 && !unavoidable) {
            return std::unexpected(where + ": would leave " + std::to_string(managers_up) + " of " +
                                   std::to_string(managers) + " managers up, and Raft needs " +
                                   std::to_string(managers / 2 + 1) +
                                   " for quorum: the swarm could not schedule. Upgrade fewer managers at once" +
                                   (managers < 3 ? ", or add managers first (3 tolerate one down)" : ""));
          }
        }
        break;
      case Action::kInstall:
        if (running[st.node]) return std::unexpected(where + ": the engine must be stopped first (stop:" + s.nodes[st.node].name + ")");
        // Engines are not downgraded in place: a manager's Raft data and
        // the swarm's objects may not be readable by an older engine.
        if (st.version < engine[st.node]) {
          return std::unexpected(where + ": " + st.version.ToString() + " is older than the " +
                                 engine[st.node].ToString() + " " + s.nodes[st.node].name +
                                 " runs; swarmplan plans upgrades, not downgrades");
        }
        engine[st.node] = st.version;
        break;
      case Action::kStart:
        if (running[st.node]) return std::unexpected(where + ": the engine is already running");
        running[st.node] = true;
        if (role[st.node] == Role::kManager) ++managers_up;
        break;
      case Action::kPromote:
        if (role[st.node] == Role::kManager) return std::unexpected(where + ": the node is already a manager");
        role[st.node] = Role::kManager;
        ++managers;
        if (running[st.node]) ++managers_up;
        break;
      case Action::kDemote:
        if (role[st.node] != Role::kManager) return std::unexpected(where + ": the node is not a manager");
        if (managers == 1) return std::unexpected(where + ": it is the last manager; promote another node first");
        role[st.node] = Role::kWorker;
        --managers;
        if (running[st.node]) --managers_up;
        // Raft shrinks with the demotion: the managers left up must still
        // be a majority of the managers left.
        if (managers_up <= managers / 2) {
          return std::unexpected(where + ": would leave " + std::to_string(managers_up) + " of " +
                                 std::to_string(managers) + " managers up, short of Raft's quorum of " +
                                 std::to_string(managers / 2 + 1));
        }
        break;
      case Action::kCreate:
        if (deployed[st.service]) return std::unexpected(where + ": the service already exists (give it \"deployed\": false in the scenario to plan its creation)");
        deployed[st.service] = true;
        updated[st.service] = false;  // a new service has no previous spec
        break;
      case Action::kRemove:
        if (!deployed[st.service]) return std::unexpected(where + ": the service does not exist at that point");
        deployed[st.service] = false;
        break;
      case Action::kScale:
        if (!deployed[st.service]) return std::unexpected(where + ": the service does not exist at that point");
        if (s.services[st.service].mode != model::ServiceMode::kReplicated) {
          return std::unexpected(where + ": a global service runs one task per node and cannot be scaled");
        }
        break;
      case Action::kUpdate:
        if (!deployed[st.service]) return std::unexpected(where + ": the service does not exist at that point");
        updated[st.service] = true;
        break;
      case Action::kNetworkAdd:
      case Action::kNetworkRm: {
        if (!deployed[st.service]) return std::unexpected(where + ": the service does not exist at that point");
        const std::string& net = s.networks[st.network].name;
        const bool add = st.action == Action::kNetworkAdd;
        if (add == on_net[st.service].contains(net)) {
          return std::unexpected(where + ": the service is " + (add ? "already" : "not") + " on " + net +
                                 " at that point");
        }
        if (add) on_net[st.service].insert(net); else on_net[st.service].erase(net);
        updated[st.service] = true;
        break;
      }
      case Action::kRollback:
        if (!deployed[st.service]) return std::unexpected(where + ": the service does not exist at that point");
        // Something to roll back to: a previous spec in the cluster
        // ("previous_spec", from import) or an update made by the plan.
        if (!updated[st.service]) {
          return std::unexpected(where + ": the service has no previous spec to roll back to (put an update:" +
                                 s.services[st.service].name + " step before it)");
        }
        break;
      default:
        break;
    }
  }
  for (std::size_t i = 0; i < s.nodes.size(); ++i) {
    if (!running[i] && !s.nodes[i].down && member[i] && !left[i]) {
      return std::unexpected("the plan leaves " + s.nodes[i].name + "'s engine stopped at the end");
    }
  }
  return {};
}

std::string EscapeOrderName(const std::string& name) {
  std::string out;
  for (char c : name) {
    if (c == '\\' || c == ',' || c == ':' || c == '=') out += '\\';
    out += c;
  }
  return out;
}

std::vector<std::string> PlanWords(const Scenario& s, const Plan& p) {
  std::vector<std::string> out;
  const auto node = [&](std::size_t i) { return EscapeOrderName(s.nodes[i].name); };
  const auto svc = [&](std::size_t i) { return EscapeOrderName(s.services[i].name); };
  for (const Step& st : p.steps) {
    switch (st.action) {
      case Action::kWait: out.push_back("wait"); break;
      case Action::kSleep: out.push_back("sleep:" + std::to_string(st.duration / sim::kSecond)); break;
      case Action::kInstall: out.push_back("install:" + node(st.node) + ":" + st.version.ToString()); break;
      case Action::kCreate: out.push_back("create:" + svc(st.service)); break;
      case Action::kRemove: out.push_back("rm:" + svc(st.service)); break;
      case Action::kScale: out.push_back("scale:" + svc(st.service) + "=" + std::to_string(st.replicas)); break;
      case Action::kUpdate: out.push_back("update:" + svc(st.service)); break;
      case Action::kRollback: out.push_back("rollback:" + svc(st.service)); break;
      case Action::kNetworkAdd:
      case Action::kNetworkRm:
        out.push_back(std::string(ToString(st.action)) + ":" + svc(st.service) + ":" +
                      EscapeOrderName(s.networks[st.network].name));
        break;
      case Action::kJoin:
        out.push_back("join:" + node(st.node) + ":" + std::string(model::ToString(st.role)));
        break;
      default: out.push_back(std::string(ToString(st.action)) + ":" + node(st.node)); break;
    }
  }
  return out;
}

}  // namespace swarmplan::planner
