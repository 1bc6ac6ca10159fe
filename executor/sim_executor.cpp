#include "executor/sim_executor.hpp"

#include <cctype>

#include "model/try.hpp"

namespace swarmplan::executor {

SimExecutor::SimExecutor(const model::Scenario& s, std::uint64_t seed)
    : s_(s), swarm_(std::make_unique<model::Swarm>(s, seed)), op_(std::make_unique<model::Operator>(*swarm_)) {
  swarm_->Deploy();
  op_->Sleep(s.timings.settle);
  swarm_->StartMeasuring();
}

std::expected<model::NodeId, std::string> SimExecutor::Find(const std::string& node) const {
  for (const auto& n : swarm_->nodes) {
    if (n.name == node) return n.id;
  }
  return std::unexpected("no node is named \"" + node + "\"");
}

std::expected<model::Scenario, std::string> SimExecutor::Snapshot() {
  model::Scenario now = s_;
  for (std::size_t i = 0; i < now.nodes.size(); ++i) {
    now.nodes[i].engine = swarm_->nodes[i].engine;
    now.nodes[i].availability = swarm_->nodes[i].availability;
  }
  if (swarm_->HasLeader()) now.leader = swarm_->nodes[swarm_->leader()].name;
  for (std::size_t i = 0; i < now.services.size(); ++i) {
    now.services[i].deployed = swarm_->services[i].active;
    now.services[i].replicas = swarm_->services[i].spec.replicas;
  }
  // The placement as it is now, as an import of a real cluster would read it.
  now.tasks.clear();
  for (const auto& t : swarm_->tasks) {
    if (model::IsTerminal(t.state) || t.desired != model::TaskState::kRunning) continue;
    const auto& svc = swarm_->services[t.service];
    model::TaskSpec ts;
    ts.service = svc.spec.name;
    ts.slot = svc.spec.mode == model::ServiceMode::kGlobal ? 0 : t.slot;
    if (t.node != model::kNoId && t.state >= model::TaskState::kAssigned) ts.node = swarm_->nodes[t.node].name;
    ts.state = t.state;
    now.tasks.push_back(std::move(ts));
  }
  return now;
}

void SimExecutor::Pace() {
  if (!first_) op_->Think();
  first_ = false;
}

#define SIM_NODE(var, name)              \
  Pace();                                \
  auto var##_r = Find(name);             \
  if (!var##_r) return std::unexpected(var##_r.error()); \
  const model::NodeId var = *var##_r

std::expected<void, std::string> SimExecutor::Drain(const std::string& node) {
  SIM_NODE(n, node);
  return op_->Drain(n);
}

std::expected<void, std::string> SimExecutor::SetAvailability(const std::string& node, model::Availability a) {
  SIM_NODE(n, node);
  return op_->SetAvailability(n, a);
}

std::expected<void, std::string> SimExecutor::SetRole(const std::string& node, model::Role r) {
  SIM_NODE(n, node);
  return op_->SetRole(n, r);
}

std::expected<void, std::string> SimExecutor::StopEngine(const std::string& node) {
  SIM_NODE(n, node);
  return op_->Stop(n);
}

std::expected<void, std::string> SimExecutor::InstallEngine(const std::string& node, model::EngineVersion v) {
  SIM_NODE(n, node);
  return op_->Install(n, v);
}

std::expected<void, std::string> SimExecutor::StartEngine(const std::string& node) {
  SIM_NODE(n, node);
  return op_->Start(n);
}

std::expected<model::ServiceId, std::string> SimExecutor::FindService(const std::string& name) const {
  for (const auto& v : swarm_->services) {
    if (v.spec.name == name) return v.id;
  }
  return std::unexpected("no service is named \"" + name + "\"");
}

std::expected<void, std::string> SimExecutor::CreateService(const model::ServiceSpec& spec) {
  Pace();
  auto id = FindService(spec.name);
  if (!id) return std::unexpected(id.error() + " in the simulated cluster's scenario");
  return op_->CreateService(*id);
}

std::expected<void, std::string> SimExecutor::RemoveService(const std::string& service) {
  Pace();
  auto id = SWARMPLAN_TRY(FindService(service));
  return op_->RemoveService(id);
}

std::expected<void, std::string> SimExecutor::ScaleService(const std::string& service, std::uint32_t replicas) {
  Pace();
  auto id = SWARMPLAN_TRY(FindService(service));
  return op_->ScaleService(id, replicas);
}

std::expected<void, std::string> SimExecutor::UpdateService(const std::string& service) {
  Pace();
  auto id = SWARMPLAN_TRY(FindService(service));
  return op_->UpdateService(id);
}

std::expected<void, std::string> SimExecutor::RollbackService(const std::string& service) {
  Pace();
  auto id = SWARMPLAN_TRY(FindService(service));
  return op_->RollbackService(id);
}

std::expected<void, std::string> SimExecutor::ChangeNetwork(const std::string& service, const std::string& network,
                                                           bool add) {
  Pace();
  auto id = SWARMPLAN_TRY(FindService(service));
  const model::Swarm& w = *swarm_;
  for (model::NetworkId k = 1; k < w.networks.size(); ++k) {
    if (w.networks[k].name == network) return op_->ChangeNetwork(id, k, add);
  }
  return std::unexpected("the swarm has no overlay network named \"" + network + "\"");
}

std::expected<void, std::string> SimExecutor::JoinNode(const std::string& node, model::Role r) {
  Pace();
  auto id = SWARMPLAN_TRY(Find(node));
  return op_->Join(id, r);
}

std::expected<void, std::string> SimExecutor::LeaveNode(const std::string& node) {
  Pace();
  auto id = SWARMPLAN_TRY(Find(node));
  return op_->Leave(id);
}

std::expected<void, std::string> SimExecutor::RemoveNode(const std::string& node) {
  Pace();
  auto id = SWARMPLAN_TRY(Find(node));
  return op_->RemoveNode(id);
}

std::expected<bool, std::string> SimExecutor::WaitConverged() {
  Pace();
  return op_->WaitConverged();
}

std::expected<void, std::string> SimExecutor::Sleep(sim::Time d) {
  Pace();
  op_->Sleep(d);
  return {};
}

Observation SimExecutor::Observe() {
  Observation o;
  o.rejected = swarm_->metrics.rejected_total();
  for (const auto& t : swarm_->tasks) {
    if (t.state == model::TaskState::kRejected) o.last_error = t.err;
  }
  return o;
}

std::expected<NodeSeen, std::string> SimExecutor::ReadNode(const std::string& node) {
  NodeSeen seen;
  auto id = Find(node);
  if (!id) return seen;
  const auto& n = swarm_->nodes[*id];
  seen.present = n.member;
  seen.state = n.state == model::NodeState::kReady ? "ready" : "down";
  seen.availability = n.availability;
  seen.role = n.role;
  seen.engine = n.engine;
  return seen;
}

std::expected<std::optional<std::uint32_t>, std::string> SimExecutor::ReadService(const std::string& service) {
  auto id = FindService(service);
  if (!id || !swarm_->services[*id].active) return std::optional<std::uint32_t>();
  return std::optional<std::uint32_t>(swarm_->services[*id].spec.replicas);
}

}  // namespace swarmplan::executor
