// DryRunExecutor: writes, in order, the commands a person runs for each
// operation, in the style of the seed procedure. Changes nothing.
#pragma once

#include <ostream>

#include "executor/executor.hpp"

namespace swarmplan::executor {

class DryRunExecutor final : public Executor {
 public:
  // `out` receives the commands; it must outlive the executor.
  DryRunExecutor(model::Scenario s, std::ostream& out) : s_(std::move(s)), out_(out) {}

  std::string_view name() const override { return "dry-run"; }
  bool gated() const override { return false; }
  std::string cluster_id() const override { return "dry-run"; }
  std::expected<model::Scenario, std::string> Snapshot() override { return s_; }
  std::expected<void, std::string> Drain(const std::string& node) override;
  std::expected<void, std::string> SetAvailability(const std::string& node, model::Availability a) override;
  std::expected<void, std::string> SetRole(const std::string& node, model::Role r) override;
  std::expected<void, std::string> StopEngine(const std::string& node) override;
  std::expected<void, std::string> InstallEngine(const std::string& node, model::EngineVersion v) override;
  std::expected<void, std::string> StartEngine(const std::string& node) override;
  std::expected<void, std::string> CreateService(const model::ServiceSpec& spec) override;
  bool DeploysStacks() const override { return true; }
  std::expected<void, std::string> DeployStack(const StackDeploy& d) override;
  std::expected<void, std::string> RemoveService(const std::string& service) override;
  std::expected<void, std::string> ScaleService(const std::string& service, std::uint32_t replicas) override;
  std::expected<void, std::string> UpdateService(const std::string& service) override;
  std::expected<void, std::string> RollbackService(const std::string& service) override;
  std::expected<void, std::string> ChangeNetwork(const std::string& service, const std::string& network,
                                                 bool add) override;
  std::expected<void, std::string> JoinNode(const std::string& node, model::Role r) override;
  std::expected<void, std::string> LeaveNode(const std::string& node) override;
  std::expected<void, std::string> RemoveNode(const std::string& node) override;
  std::expected<bool, std::string> WaitConverged() override;
  std::expected<void, std::string> Sleep(sim::Time d) override;
  Observation Observe() override { return {0, "", false, ""}; }
  bool ReadsNothingReal() const override { return true; }

 private:
  model::Scenario s_;
  std::ostream& out_;
};

}  // namespace swarmplan::executor
