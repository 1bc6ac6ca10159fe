#include "executor/dry_run.hpp"

namespace swarmplan::executor {

std::expected<void, std::string> DryRunExecutor::Drain(const std::string& node) {
  out_ << "# on any manager: drain " << CommentText(node) << ", then check that its containers have stopped\n"
       << "docker node update --availability drain " << ShellWord(node) << "\n"
       << "docker node ps " << ShellWord(node) << " --filter desired-state=running   # until empty\n";
  return {};
}

std::expected<void, std::string> DryRunExecutor::SetAvailability(const std::string& node, model::Availability a) {
  out_ << "docker node update --availability " << model::ToString(a) << " " << ShellWord(node) << "\n";
  return {};
}

std::expected<void, std::string> DryRunExecutor::SetRole(const std::string& node, model::Role r) {
  out_ << "docker node " << (r == model::Role::kManager ? "promote " : "demote ") << ShellWord(node) << "\n";
  return {};
}

std::expected<void, std::string> DryRunExecutor::StopEngine(const std::string& node) {
  out_ << "# on " << CommentText(node) << ":\nsudo service docker stop\n";
  return {};
}

std::expected<void, std::string> DryRunExecutor::InstallEngine(const std::string& node, model::EngineVersion v) {
  out_ << "# on " << CommentText(node) << ": install Docker Engine " << v.ToString()
       << " (package or binaries; back up the old ones first)\n";
  return {};
}

std::expected<void, std::string> DryRunExecutor::StartEngine(const std::string& node) {
  out_ << "# on " << CommentText(node) << ":\nsudo service docker start\n"
       << "docker node ls   # until " << CommentText(node) << " is Ready\n";
  return {};
}

namespace {
// `--update-*` or `--rollback-*` flags, when the config is not docker's default.
void UpdateFlags(std::ostream& out, const char* kind, const model::UpdateConfig& c) {
  if (c == model::UpdateConfig{}) return;
  const std::string f = std::string(" --") + kind + "-";
  out << f << "parallelism " << c.parallelism << f << "delay " << c.delay / sim::kMillisecond << "ms" << f << "order "
      << model::ToString(c.order) << f << "failure-action " << model::ToString(c.failure_action) << f << "monitor "
      << c.monitor / sim::kMillisecond << "ms" << f << "max-failure-ratio " << c.max_failure_ratio;
}
}  // namespace

std::expected<void, std::string> DryRunExecutor::CreateService(const model::ServiceSpec& spec) {
  out_ << "docker service create --name " << ShellWord(spec.name);
  if (spec.mode == model::ServiceMode::kGlobal) out_ << " --mode global";
  else out_ << " --replicas " << spec.replicas;
  for (const auto& n : spec.networks) out_ << " --network " << ShellWord(n);
  if (spec.endpoint_mode == model::EndpointMode::kDnsrr) out_ << " --endpoint-mode dnsrr";
  for (const auto& c : spec.constraints) out_ << " --constraint " << ShellQuote(c.text);
  if (spec.max_replicas_per_node != 0) out_ << " --replicas-max-per-node " << spec.max_replicas_per_node;
  UpdateFlags(out_, "update", spec.update);
  UpdateFlags(out_, "rollback", spec.rollback);
  out_ << " IMAGE   # the service's image and command\n";
  return {};
}

std::expected<void, std::string> DryRunExecutor::RemoveService(const std::string& service) {
  out_ << "docker service rm " << ShellWord(service) << "\n";
  return {};
}

std::expected<void, std::string> DryRunExecutor::DeployStack(const StackDeploy& d) {
  out_ << "docker stack deploy --compose-file " << ShellWord(d.file) << " " << ShellWord(d.name) << "\n";
  return {};
}

std::expected<void, std::string> DryRunExecutor::ScaleService(const std::string& service, std::uint32_t replicas) {
  out_ << "docker service scale --detach " << ShellWord(service + "=" + std::to_string(replicas)) << "\n";
  return {};
}

std::expected<void, std::string> DryRunExecutor::UpdateService(const std::string& service) {
  out_ << "docker service update --detach --force " << ShellWord(service) << "\n";
  return {};
}

std::expected<void, std::string> DryRunExecutor::RollbackService(const std::string& service) {
  out_ << "docker service rollback --detach " << ShellWord(service) << "\n";
  return {};
}

std::expected<void, std::string> DryRunExecutor::ChangeNetwork(const std::string& service, const std::string& network,
                                                              bool add) {
  out_ << "docker service update --detach " << (add ? "--network-add " : "--network-rm ") << ShellWord(network) << " " << ShellWord(service)
       << "\n";
  return {};
}

std::expected<void, std::string> DryRunExecutor::JoinNode(const std::string& node, model::Role r) {
  out_ << "docker swarm join --token \"$(docker swarm join-token -q " << model::ToString(r)
       << ")\" MANAGER_ADDR:2377   # on " << CommentText(node) << "\n";
  return {};
}

std::expected<void, std::string> DryRunExecutor::LeaveNode(const std::string& node) {
  out_ << "docker swarm leave   # on " << CommentText(node) << "\n";
  return {};
}

std::expected<void, std::string> DryRunExecutor::RemoveNode(const std::string& node) {
  out_ << "docker node rm " << ShellWord(node) << "   # once docker node ls shows it Down\n";
  return {};
}

std::expected<bool, std::string> DryRunExecutor::WaitConverged() {
  out_ << "docker service ls   # until every service shows all its replicas running\n";
  return true;
}

std::expected<void, std::string> DryRunExecutor::Sleep(sim::Time d) {
  out_ << "sleep " << d / sim::kSecond << "\n";
  return {};
}

}  // namespace swarmplan::executor
