#include "executor/docker_executor.hpp"

#include <algorithm>
#include <charconv>
#include <optional>
#include <cctype>
#include <csignal>
#include <cstring>
#include <map>
#include <iostream>
#include <thread>
#include <utility>
#include <vector>

#include "docker/import.hpp"
#include "executor/interrupt.hpp"
#include "model/try.hpp"

namespace swarmplan::executor {

using docker::answers::Obj;
using docker::answers::Num;
using docker::answers::SafeStr;

namespace {
// An update that may succeed when tried again after a fresh read: no answer,
// a server error (503 no leader), or a stale version ("out of sequence").
bool Retryable(const docker::ApiError& e) {
  return e.kind == docker::ApiErrorKind::kNoAnswer || e.kind == docker::ApiErrorKind::kServer ||
         e.kind == docker::ApiErrorKind::kOutOfSequence;
}
// The object's store version, which an update must name (0 if missing).
std::uint64_t VersionIndex(const nlohmann::json& object) {
  const nlohmann::json& v = Obj(object, "Version");
  return v.contains("Index") && v["Index"].is_number_unsigned() ? v["Index"].get<std::uint64_t>() : 0;
}
}  // namespace

using nlohmann::json;

namespace {


bool LiveTaskState(const std::string& s) {
  const auto st = model::ParseTaskState(s);
  return st && !model::IsTerminal(*st);
}


}  // namespace



std::expected<DockerExecutor, std::string> DockerExecutor::Open(const docker::DockerEndpoint& ep, DockerExecutorOptions opt) {
  // Check the templates before anything runs.
  for (const std::string* t : {&opt.upgrade_command, &opt.stop_command, &opt.start_command, &opt.leave_command}) {
    SWARMPLAN_CHECK(ExpandTemplate(*t, "n", "a", "i", "v"));
  }
  if (auto e = ExpandTemplate(opt.join_command, "n", "", "", "", {{"token", "t"}, {"manager", "m"}}); !e) {
    return std::unexpected(e.error());
  }
  SWARMPLAN_CHECK(ExpandStackCommand(opt.stack_command, "f", "s", "h"));
  // The first manager that answers; the others stay fail-over targets.
  std::vector<docker::DockerEndpoint> all = {ep};
  all.insert(all.end(), opt.failover.begin(), opt.failover.end());
  std::optional<docker::DockerApi> first;
  std::string why;
  for (std::size_t i = 0; i < all.size() && !first; ++i) {
    auto api = docker::DockerApi::Connect(all[i]);
    if (api && api->RequireManager()) {
      first.emplace(std::move(*api));
      all.erase(all.begin() + static_cast<std::ptrdiff_t>(i));
    } else {
      why += (why.empty() ? "" : "; ") + (api ? std::string(all[i].host + " is not a manager") : api.error());
    }
  }
  if (!first) return std::unexpected(why);
  opt.failover = std::move(all);
  const docker::DockerEndpoint used = first->endpoint();
  DockerExecutor ex(std::move(*first), std::move(opt));
  ex.host_ = used.socket.empty() ? used.host : "unix://" + used.socket;
  auto tasks = SWARMPLAN_TRY(ex.api_.GetOr("/tasks"));
  if (!tasks.is_array()) return std::unexpected("the task list is not an array");
  try {
    for (const json& t : tasks) {
      if (SafeStr(Obj(t, "Status"), "State") == "rejected") ex.rejected_before_.insert(SafeStr(t, "ID"));
    }
    auto info = SWARMPLAN_TRY(ex.api_.GetOr("/info"));
    ex.cluster_id_ = SafeStr(Obj(Obj(info, "Swarm"), "Cluster"), "ID");
  } catch (const json::exception& e) {
    return std::unexpected("unexpected answer from the Engine API: " + docker::answers::AnswerError(e));
  }
  if (ex.cluster_id_.empty()) return std::unexpected("the manager's /info names no swarm cluster ID");
  return ex;
}

bool DockerExecutor::FailOver(const docker::ApiError& e) {
  if (e.kind != docker::ApiErrorKind::kNoAnswer || opt_.failover.empty()) return false;
  docker::DockerApi::Options quick;
  quick.connect_timeout = std::chrono::milliseconds(2000);
  quick.timeout = std::chrono::milliseconds(5000);
  for (std::size_t i = 0; i < opt_.failover.size(); ++i) {
    auto api = docker::DockerApi::Connect(opt_.failover[i], quick);
    if (!api || !api->RequireManager()) continue;
    // Only a manager of the same swarm: another cluster's would take the
    // plan's steps on the wrong nodes.
    auto info = api->GetOr("/info");
    if (!info || SafeStr(Obj(Obj(*info, "Swarm"), "Cluster"), "ID") != cluster_id_) continue;
    std::cerr << "swarmplan apply: " << api_.endpoint().host << " gives no answer (" << e.message
              << "); going on through the manager at " << opt_.failover[i].host << "\n";
    docker::DockerEndpoint gone = api_.endpoint();
    api_ = std::move(*api);
    const docker::DockerEndpoint& now = api_.endpoint();
    host_ = now.socket.empty() ? now.host : "unix://" + now.socket;
    opt_.failover.erase(opt_.failover.begin() + static_cast<std::ptrdiff_t>(i));
    opt_.failover.push_back(std::move(gone));  // it may come back
    return true;
  }
  return false;
}

std::expected<json, std::string> DockerExecutor::Read(const std::string& path, Clock::time_point deadline) {
  bool said = false;
  while (true) {
    auto r = api_.Get(path);
    if (r) {
      if (said) std::cerr << "swarmplan apply: the manager answers again\n";
      return std::move(*r);
    }
    if (FailOver(r.error())) continue;
    // Unreachable (the manager's engine restarting) or no leader yet (503):
    // wait; anything else is an answer.
    const bool transient = r.error().status == 0 || r.error().status == 503 || r.error().status == 500;
    if (!transient || Clock::now() >= deadline) {
      return std::unexpected(r.error().status == 0 ? r.error().message
                                                   : "GET " + path + " on " + api_.endpoint().host + ": " + r.error().message);
    }
    if (!said) {
      std::cerr << "swarmplan apply: the manager cannot answer yet (" << r.error().message << "); retrying for up to "
                << std::chrono::duration_cast<std::chrono::seconds>(deadline - Clock::now()).count() << " s\n";
      said = true;
    }
    if (const int sig = StopSignal()) return std::unexpected("interrupted by " + SignalName(sig));
    std::this_thread::sleep_for(opt_.poll);
  }
}

namespace {
// Whether node object `n` is the one the scenario calls `name`: its
// hostname, its ID, or hostname.ID-prefix when hostnames repeat (import).
bool NamedAs(const json& n, const std::string& name) {
  const std::string host = SafeStr(Obj(n, "Description"), "Hostname");
  const std::string id = SafeStr(n, "ID");
  return host == name || id == name || host + "." + id.substr(0, 12) == name;
}
}  // namespace

std::expected<json, std::string> DockerExecutor::FindNode(const std::string& name, Clock::time_point deadline) {
  auto nodes = SWARMPLAN_TRY(Read("/nodes", deadline));
  for (const json& n : nodes) {
    if (NamedAs(n, name)) return n;
  }
  return std::unexpected("the swarm has no node named \"" + name + "\"");
}

std::expected<model::Scenario, std::string> DockerExecutor::Snapshot() {
  const auto deadline = Deadline();
  auto st = SWARMPLAN_TRY(docker::FetchState([&](const std::string& path) { return Read(path, deadline); }));
  auto imp = SWARMPLAN_TRY(docker::ImportScenario(st));
  return std::move(imp.scenario);
}

std::expected<void, std::string> DockerExecutor::Update(const std::string& node, const char* availability) {
  return UpdateSpec(node, "Availability", availability);
}

std::expected<void, std::string> DockerExecutor::SetRole(const std::string& node, model::Role r) {
  return UpdateSpec(node, "Role", r == model::Role::kManager ? "manager" : "worker");
}

std::expected<void, std::string> DockerExecutor::UpdateSpec(const std::string& node, const char* field,
                                                            const char* value) {
  const auto deadline = Deadline();
  while (true) {
    auto n = SWARMPLAN_TRY(FindNode(node, deadline));
    json spec = (n)["Spec"];
    spec[field] = value;
    const std::uint64_t version = VersionIndex(n);
    auto r = api_.Post("/nodes/" + docker::UrlEncode(SafeStr(n, "ID")) + "/update?version=" + std::to_string(version), spec);
    if (r) return {};
    // No answer: through another manager, read again (setting the field
    // again is harmless if the first post landed).
    if (FailOver(r.error())) continue;
    // "update out of sequence": someone else changed the node; read again.
    const bool retry = Retryable(r.error());
    if (!retry || Clock::now() >= deadline) {
      return std::unexpected("setting " + node + "'s " + field + " to " + value + ": " + r.error().message);
    }
    if (const int sig = StopSignal()) return std::unexpected("interrupted by " + SignalName(sig));
    std::this_thread::sleep_for(opt_.poll);
  }
}

std::expected<void, std::string> DockerExecutor::Drain(const std::string& node) {
  if (auto ok = Update(node, "drain"); !ok) return ok;
  // Done when no task on the node is still alive (they stop within their
  // grace periods; their replacements are the scheduler's business).
  const auto deadline = Deadline();
  auto n = SWARMPLAN_TRY(FindNode(node, deadline));
  const std::string filter = docker::UrlEncode(json{{"node", {SafeStr(n, "ID")}}}.dump());
  while (true) {
    auto tasks = SWARMPLAN_TRY(Read("/tasks?filters=" + filter, deadline));
    std::size_t live = 0;
    for (const json& t : tasks) live += LiveTaskState(SafeStr(Obj(t, "Status"), "State"));
    if (live == 0) return {};
    if (Clock::now() >= deadline) {
      return std::unexpected(node + " still has " + std::to_string(live) + " live task(s) " +
                             std::to_string(opt_.step_timeout.count()) + " s after the drain");
    }
    if (const int sig = StopSignal()) return std::unexpected("interrupted by " + SignalName(sig));
    std::this_thread::sleep_for(opt_.poll);
  }
}

std::expected<json, std::string> DockerExecutor::FindService(const std::string& name, Clock::time_point deadline) {
  auto services = SWARMPLAN_TRY(Read("/services", deadline));
  if (!services.is_array()) return std::unexpected("the service list is not an array");
  for (const json& v : services) {
    if (SafeStr(Obj(v, "Spec"), "Name") == name) return v;
  }
  return std::unexpected("the swarm has no service named \"" + name + "\"");
}

std::expected<void, std::string> DockerExecutor::CreateService(const model::ServiceSpec& spec) {
  // A scenario describes a service's addresses and placement, not its
  // image, command or mounts: creating it here would create another
  // service than the user's.
  return std::unexpected("creating service " + spec.name + " needs its image and command, which a scenario does not "
                         "hold: create it yourself (docker service create / docker stack deploy), then resume "
                         "this plan from its journal");
}

std::expected<void, std::string> DockerExecutor::DeployStack(const StackDeploy& d) {
  auto cmd = SWARMPLAN_TRY(ExpandStackCommand(opt_.stack_command, d.file, d.name, host_));
  // docker stack deploy returns once the manager took the services; the
  // plan's wait step follows their tasks.
  return RunCommand("stack deploy", d.name, cmd);
}

std::expected<void, std::string> DockerExecutor::RemoveService(const std::string& service) {
  const auto deadline = Deadline();
  auto v = SWARMPLAN_TRY(FindService(service, deadline));
  auto r = api_.Delete("/services/" + docker::UrlEncode(SafeStr(v, "ID")));
  if (!r && FailOver(r.error())) {
    // Through another manager: gone already (the first delete landed), or
    // delete it now.
    auto again = FindService(service, deadline);
    if (!again) return {};
    r = api_.Delete("/services/" + docker::UrlEncode(SafeStr(*again, "ID")));
  }
  if (!r) return std::unexpected("removing service " + service + ": " + r.error().message);
  return {};
}

std::expected<void, std::string> DockerExecutor::ChangeService(
    const std::string& service, const char* what, const std::string& query,
    const std::function<std::expected<void, std::string>(json&)>& change) {
  const auto deadline = Deadline();
  std::optional<json> posted;  // what a post that got no answer sent
  while (true) {
    auto v = SWARMPLAN_TRY(FindService(service, deadline));
    json spec = (v)["Spec"];
    if (!spec.is_object()) return std::unexpected("service " + service + ": the manager's answer has no spec");
    // The post that got no answer landed: the service holds what it sent
    // (a forced update is not forced twice).
    if (posted && spec == *posted) return {};
    if (auto ok = change(spec); !ok) return ok;
    const std::uint64_t version = VersionIndex(v);
    // The spec is posted with the version it was read at: a concurrent
    // change makes the manager refuse it, and it is read again.
    auto r = api_.Post("/services/" + docker::UrlEncode(SafeStr(v, "ID")) + "/update?version=" + std::to_string(version) + query, spec);
    if (r) return {};
    if (r.error().kind == docker::ApiErrorKind::kNoAnswer) posted = spec;
    if (FailOver(r.error())) continue;
    const bool retry = Retryable(r.error());
    if (!retry || Clock::now() >= deadline) return std::unexpected(std::string(what) + " " + service + ": " + r.error().message);
    if (const int sig = StopSignal()) return std::unexpected("interrupted by " + SignalName(sig));
    std::this_thread::sleep_for(opt_.poll);
  }
}

std::expected<void, std::string> DockerExecutor::ScaleService(const std::string& service, std::uint32_t replicas) {
  return ChangeService(service, "scaling", "", [&](json& spec) -> std::expected<void, std::string> {
    if (!spec.contains("Mode") || !spec["Mode"].is_object() || !spec["Mode"].contains("Replicated")) {
      return std::unexpected("service " + service + " is not a replicated service: it cannot be scaled");
    }
    spec["Mode"]["Replicated"]["Replicas"] = replicas;
    return {};
  });
}

std::expected<void, std::string> DockerExecutor::UpdateService(const std::string& service) {
  // `docker service update --force`: ForceUpdate changes, nothing else.
  return ChangeService(service, "updating", "", [](json& spec) -> std::expected<void, std::string> {
    json& tt = spec["TaskTemplate"];
    if (!tt.is_object()) tt = json::object();
    const std::uint64_t force = tt.contains("ForceUpdate") && tt["ForceUpdate"].is_number_unsigned()
                                    ? tt["ForceUpdate"].get<std::uint64_t>() : 0;
    tt["ForceUpdate"] = force + 1;
    return {};
  });
}

std::expected<void, std::string> DockerExecutor::RollbackService(const std::string& service) {
  // `docker service rollback`: the manager takes the previous spec itself.
  return ChangeService(service, "rolling back", "&rollback=previous",
                       [](json&) -> std::expected<void, std::string> { return {}; });
}

std::expected<void, std::string> DockerExecutor::ChangeNetwork(const std::string& service, const std::string& network,
                                                              bool add) {
  // The spec names its networks by ID; the manager resolves a name given in
  // an update (moby daemon/cluster/services.go populateNetworkID), so an
  // added network goes in by name and a removed one is matched by both.
  auto net = Read("/networks/" + docker::UrlEncode(network), Deadline());
  if (!net) return std::unexpected("network " + network + ": " + net.error());
  const std::string id = SafeStr(*net, "Id");
  if (SafeStr(*net, "Scope") != "swarm") return std::unexpected("network " + network + " is not a swarm-scoped overlay");
  return ChangeService(service, add ? "adding a network to" : "removing a network from", "",
                       [&](json& spec) -> std::expected<void, std::string> {
    json& tt = spec["TaskTemplate"];
    if (!tt.is_object()) tt = json::object();
    json& nets = tt["Networks"];
    if (!nets.is_array()) nets = json::array();
    const auto is_it = [&](const json& a) {
      const std::string target = SafeStr(a, "Target");
      return target == id || target == network;
    };
    const bool there = std::any_of(nets.begin(), nets.end(), is_it);
    if (add == there) {
      return std::unexpected("service " + service + (add ? " is already" : " is not") + " on network " + network);
    }
    if (add) {
      nets.push_back(json{{"Target", network}});
    } else {
      json kept = json::array();
      for (const json& a : nets) {
        if (!is_it(a)) kept.push_back(a);
      }
      nets = std::move(kept);
    }
    return {};
  });
}

std::expected<void, std::string> DockerExecutor::SetAvailability(const std::string& node, model::Availability a) {
  return Update(node, a == model::Availability::kPause ? "pause" : a == model::Availability::kDrain ? "drain" : "active");
}

std::expected<void, std::string> DockerExecutor::RunTemplate(const char* what, const std::string& tmpl,
                                                             const std::string& node, const std::string& version) {
  auto n = SWARMPLAN_TRY(FindNode(node, Deadline()));
  const std::string addr = SafeStr(Obj(n, "Status"), "Addr");
  auto cmd = SWARMPLAN_TRY(ExpandTemplate(tmpl, node, addr, SafeStr(n, "ID"), version));
  return RunCommand(what, node, cmd);
}


std::expected<void, std::string> DockerExecutor::RunCommand(const char* what, const std::string& node,
                                                            const std::string& command) {
  return RunNodeCommand(what, node, command, opt_.command_timeout, opt_.interrupt_grace);
}

std::expected<void, std::string> DockerExecutor::JoinNode(const std::string& node, model::Role r) {
  if (opt_.join_command.empty()) {
    return std::unexpected("the plan joins " + node + " to the swarm: give --join-command (e.g. \"ssh {node} docker "
                           "swarm join --token {token} {manager}\")");
  }
  const auto deadline = Deadline();
  auto sw = SWARMPLAN_TRY(Read("/swarm", deadline));
  auto info = SWARMPLAN_TRY(Read("/info", deadline));
  const std::string token = SafeStr(Obj(sw, "JoinTokens"), r == model::Role::kManager ? "Manager" : "Worker");
  std::string manager;
  const json& remote = Obj(Obj(info, "Swarm"), "RemoteManagers");
  if (remote.is_array() && !remote.empty()) manager = SafeStr(remote[0], "Addr");
  if (token.empty() || manager.empty()) return std::unexpected("the manager's answers hold no join token or manager address");
  auto cmd = SWARMPLAN_TRY(ExpandTemplate(opt_.join_command, node, "", "", "", {{"token", token}, {"manager", manager}}));
  if (auto ok = RunCommand("join", node, cmd); !ok) return ok;
  // In: the managers list it ready.
  while (true) {
    auto n = FindNode(node, Clock::now());
    if (n && SafeStr(Obj(*n, "Status"), "State") == "ready") return {};
    if (Clock::now() >= deadline) {
      return std::unexpected(node + " is not a ready node of the swarm " + std::to_string(opt_.step_timeout.count()) +
                             " s after its join");
    }
    if (const int sig = StopSignal()) return std::unexpected("interrupted by " + SignalName(sig));
    std::this_thread::sleep_for(opt_.poll);
  }
}

std::expected<void, std::string> DockerExecutor::LeaveNode(const std::string& node) {
  if (opt_.leave_command.empty()) {
    return std::unexpected("the plan has " + node + " leave the swarm: give --leave-command (e.g. \"ssh {addr} docker swarm leave\")");
  }
  return RunTemplate("leave", opt_.leave_command, node, "");
}

std::expected<void, std::string> DockerExecutor::RemoveNode(const std::string& node) {
  // docker node rm refuses a node that is not down: wait for the managers
  // to see it down, as a person retrying the command would.
  const auto deadline = Deadline();
  while (true) {
    auto n = SWARMPLAN_TRY(FindNode(node, deadline));
    if (SafeStr(Obj(n, "Status"), "State") == "down") {
      auto r = api_.Delete("/nodes/" + docker::UrlEncode(SafeStr(n, "ID")));
      if (!r && FailOver(r.error())) {
        auto again = FindNode(node, deadline);
        if (!again) return {};  // the first delete landed
        r = api_.Delete("/nodes/" + docker::UrlEncode(SafeStr(*again, "ID")));
      }
      if (!r) return std::unexpected("removing node " + node + ": " + r.error().message);
      return {};
    }
    if (Clock::now() >= deadline) {
      return std::unexpected("node " + node + " is not down and can't be removed (" +
                             std::to_string(opt_.step_timeout.count()) + " s)");
    }
    if (const int sig = StopSignal()) return std::unexpected("interrupted by " + SignalName(sig));
    std::this_thread::sleep_for(opt_.poll);
  }
}

std::expected<void, std::string> DockerExecutor::NoteSession(const std::string& node) {
  if (session_before_.contains(node)) return {};
  auto n = SWARMPLAN_TRY(FindNode(node, Deadline()));
  session_before_[node] = VersionIndex(n);
  memos_.push_back("session " + std::to_string(session_before_[node]) + " " + node);
  return {};
}

std::vector<std::string> DockerExecutor::TakeMemos() {
  std::vector<std::string> out;
  out.swap(memos_);
  return out;
}

std::expected<void, std::string> DockerExecutor::Recall(const std::string& memo) {
  // "<word> [<value>] <node>": the node last, since a name may hold spaces.
  const auto sp = memo.find(' ');
  const std::string word = memo.substr(0, sp);
  const std::string rest = sp == std::string::npos ? "" : memo.substr(sp + 1);
  const auto bad = [&] { return std::unexpected("the journal holds a memo this swarmplan cannot read: \"" + memo + "\""); };
  if (word == "back") {
    if (rest.empty()) return bad();
    session_before_.erase(rest);
    installed_.erase(rest);
    return {};
  }
  const auto sp2 = rest.find(' ');
  if (sp2 == std::string::npos || sp2 == 0 || sp2 + 1 >= rest.size()) return bad();
  const std::string value = rest.substr(0, sp2), node = rest.substr(sp2 + 1);
  if (word == "session") {
    std::uint64_t index = 0;
    const auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), index);
    if (ec != std::errc() || p != value.data() + value.size()) return bad();
    session_before_[node] = index;
    return {};
  }
  if (word == "installed") {
    const auto v = model::EngineVersion::Parse(value);
    if (!v) return bad();
    installed_[node] = *v;
    return {};
  }
  return bad();
}

std::expected<void, std::string> DockerExecutor::StopEngine(const std::string& node) {
  if (auto ok = NoteSession(node); !ok) return ok;
  if (opt_.stop_command.empty()) return {};  // the upgrade command restarts the engine itself
  return RunTemplate("stop", opt_.stop_command, node, "");
}

std::expected<void, std::string> DockerExecutor::InstallEngine(const std::string& node, model::EngineVersion v) {
  if (opt_.upgrade_command.empty()) {
    return std::unexpected("the plan upgrades " + node + "'s engine: give --upgrade-command (e.g. \"ssh {addr} apt-get install -y docker-ce=5:{version}*\")");
  }
  if (auto ok = NoteSession(node); !ok) return ok;
  if (auto ok = RunTemplate("upgrade", opt_.upgrade_command, node, v.ToString()); !ok) return ok;
  installed_[node] = v;
  memos_.push_back("installed " + v.ToString() + " " + node);
  return {};
}

std::expected<void, std::string> DockerExecutor::StartEngine(const std::string& node) {
  if (!opt_.start_command.empty()) {
    if (auto ok = RunTemplate("start", opt_.start_command, node, ""); !ok) return ok;
  }
  // Back when the manager sees the node Ready on two polls in a row, in a
  // session its engine opened after it was stopped, on the engine its
  // upgrade installed (a node that comes back on its old engine means the
  // upgrade command did not upgrade). A stopped engine's node stays Ready
  // in the manager's store until its heartbeat expires (about 10 s after
  // the stop on the harness); every new session writes the node's status
  // (swarmkit dispatcher.go register -> markNodeReady), so its store
  // version moves past the one read before the stop: docs/swarm-semantics.md
  // section 11.
  const auto deadline = Deadline();
  const auto want = installed_.find(node);
  // The version the node must move past: the one read before the stop
  // (in this run, or in the run that stopped it: the journal's memo), else
  // the first one seen now. A node that stays Ready longer than a stopped
  // engine's node can (down_detect) is back too, whatever its version: its
  // engine runs, though it may never have stopped (an "upgrade" to the
  // version it had, a start command that found it running).
  const auto before = session_before_.find(node);
  std::optional<std::uint64_t> baseline;
  if (before != session_before_.end()) baseline = before->second;
  const auto since = Clock::now();
  int ready = 0;
  bool fresh = false, ready_throughout = true;
  std::string last = "unknown", engine = "?";
  while (ready < 2) {
    auto n = FindNode(node, deadline);
    if (!n && Clock::now() >= deadline) return std::unexpected(n.error());
    if (n) {
      last = SafeStr(Obj(*n, "Status"), "State");
      if (last.empty()) last = "unknown";
      engine = SafeStr(Obj(Obj(*n, "Description"), "Engine"), "EngineVersion");
      if (engine.empty()) engine = "?";
      const auto v = model::EngineVersion::Parse(engine);
      const bool right_engine = want == installed_.end() || (v && *v == want->second);
      const std::uint64_t index = VersionIndex(*n);
      if (!baseline) baseline = index;
      ready_throughout = ready_throughout && last == "ready";
      fresh = fresh || index > *baseline || (ready_throughout && Clock::now() - since >= opt_.down_detect);
      ready = last == "ready" && right_engine && fresh ? ready + 1 : 0;
    }
    if (ready >= 2) break;
    if (Clock::now() >= deadline) {
      if (last == "ready" && !fresh) {
        return std::unexpected(node + " has not come back: the managers still show the session it had before its engine was stopped, " +
                               std::to_string(opt_.step_timeout.count()) + " s after its engine start (is its engine running?)");
      }
      if (last == "ready" && want != installed_.end()) {
        return std::unexpected(node + " came back on engine " + engine + ", not " + want->second.ToString() +
                               ": did the upgrade command install it?");
      }
      return std::unexpected(node + " is " + last + ", not ready, " + std::to_string(opt_.step_timeout.count()) +
                             " s after its engine start");
    }
    if (const int sig = StopSignal()) return std::unexpected("interrupted by " + SignalName(sig));
    std::this_thread::sleep_for(opt_.poll);
  }
  installed_.erase(node);
  session_before_.erase(node);
  memos_.push_back("back " + node);
  return {};
}

std::expected<bool, std::string> DockerExecutor::WaitConverged() {
  const auto deadline = Deadline();
  while (true) {
    auto services = SWARMPLAN_TRY(Read("/services", deadline));
    auto tasks = SWARMPLAN_TRY(Read("/tasks", deadline));
    if (!tasks.is_array() || !services.is_array()) return std::unexpected("the task or service list is not an array");
    bool done = true;
    try {
      std::map<std::string, std::pair<std::uint64_t, std::uint64_t>> running;  // service -> (running, wanted live)
      for (const json& t : tasks) {
        if (SafeStr(t, "DesiredState") != "running") continue;
        auto& r = running[SafeStr(t, "ServiceID")];
        ++r.second;
        r.first += SafeStr(Obj(t, "Status"), "State") == "running";
      }
      for (const json& s : services) {
        const auto& r = running[SafeStr(s, "ID")];
        const json& mode = Obj(Obj(s, "Spec"), "Mode");
        if (mode.contains("Replicated")) {
          const auto want = Num(Obj(mode, "Replicated"), "Replicas", 1);
          done = done && std::cmp_equal(r.first, want) && r.second == r.first;
        } else if (mode.contains("Global")) {
          done = done && r.first == r.second;
        }
      }
    } catch (const json::exception& e) {
      return std::unexpected("unexpected answer from the Engine API: " + docker::answers::AnswerError(e));
    }
    if (done) return true;
    if (Clock::now() >= deadline) return false;
    if (const int sig = StopSignal()) return std::unexpected("interrupted by " + SignalName(sig));
    std::this_thread::sleep_for(opt_.poll);
  }
}

std::expected<void, std::string> DockerExecutor::Sleep(sim::Time d) {
  const auto until = Clock::now() + std::chrono::microseconds(d);
  while (Clock::now() < until) {
    if (const int sig = StopSignal()) return std::unexpected("interrupted by " + SignalName(sig));
    std::this_thread::sleep_for(std::min<Clock::duration>(opt_.poll, until - Clock::now()));
  }
  return {};
}

std::expected<NodeSeen, std::string> DockerExecutor::ReadNode(const std::string& node) {
  auto nodes = SWARMPLAN_TRY(Read("/nodes", Deadline()));
  if (!nodes.is_array()) return std::unexpected("the node list is not an array");
  NodeSeen seen;  // SafeStr and Obj never throw: a member of another type reads as missing
  const auto it = std::find_if(nodes.begin(), nodes.end(), [&](const json& n) { return NamedAs(n, node); });
  if (it == nodes.end()) return seen;  // not in the swarm
  const json& n = *it;
  seen.present = true;
  seen.state = SafeStr(Obj(n, "Status"), "State");
  if (seen.state.empty()) seen.state = "unknown";
  const std::string av = SafeStr(Obj(n, "Spec"), "Availability");
  seen.availability = av == "drain" ? model::Availability::kDrain
                      : av == "pause" ? model::Availability::kPause
                                      : model::Availability::kActive;
  seen.role = SafeStr(Obj(n, "Spec"), "Role") == "manager" ? model::Role::kManager : model::Role::kWorker;
  auto v = model::EngineVersion::Parse(SafeStr(Obj(Obj(n, "Description"), "Engine"), "EngineVersion"));
  if (v) seen.engine = *v;
  return seen;
}

std::expected<std::optional<std::uint32_t>, std::string> DockerExecutor::ReadService(const std::string& service) {
  auto services = SWARMPLAN_TRY(Read("/services", Deadline()));
  if (!services.is_array()) return std::unexpected("the service list is not an array");
  try {
    for (const json& v : services) {
      if (SafeStr(Obj(v, "Spec"), "Name") != service) continue;
      const json& mode = Obj(Obj(v, "Spec"), "Mode");
      const std::int64_t want = mode.contains("Replicated") ? Num(Obj(mode, "Replicated"), "Replicas", 1) : 0;
      return std::optional<std::uint32_t>(static_cast<std::uint32_t>(std::clamp<std::int64_t>(want, 0, UINT32_MAX)));
    }
  } catch (const json::exception& e) {
    return std::unexpected("unexpected answer from the Engine API: " + docker::answers::AnswerError(e));
  }
  return std::optional<std::uint32_t>();
}

Observation DockerExecutor::Observe() {
  Observation o;
  auto tasks = Read("/tasks", Deadline());
  if (!tasks) {
    o.error = tasks.error();
    return o;
  }
  std::string newest;
  if (!tasks->is_array()) {
    o.error = "the task list is not an array";
    return o;
  }
  try {
    for (const json& t : *tasks) {
      const json& st = Obj(t, "Status");
      if (SafeStr(st, "State") != "rejected" || rejected_before_.contains(SafeStr(t, "ID"))) continue;
      ++o.rejected;
      const std::string when = SafeStr(st, "Timestamp");
      if (when >= newest) {
        newest = when;
        o.last_error = SafeStr(st, "Err");
      }
    }
  } catch (const json::exception& e) {
    o.error = "unexpected answer from the Engine API: " + docker::answers::AnswerError(e);
  }
  return o;
}

}  // namespace swarmplan::executor
