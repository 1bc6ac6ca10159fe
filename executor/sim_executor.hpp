// SimExecutor: performs operations on a simulated swarm built from a
// scenario and a seed (deployed and settled at construction). Used by the
// tests to check `apply`'s logic, and to rehearse a plan step by step.
// Operations follow one another at the pace the trials assume
// (operator_step), so a rehearsal and its prediction agree.
#pragma once

#include <memory>

#include "executor/executor.hpp"
#include "model/operator.hpp"
#include "model/swarm.hpp"

namespace swarmplan::executor {

class SimExecutor final : public Executor {
 public:
  SimExecutor(const model::Scenario& s, std::uint64_t seed);

  std::string_view name() const override { return "sim"; }
  bool gated() const override { return true; }
  std::string cluster_id() const override { return "sim"; }
  std::expected<model::Scenario, std::string> Snapshot() override;
  std::expected<void, std::string> Drain(const std::string& node) override;
  std::expected<void, std::string> SetAvailability(const std::string& node, model::Availability a) override;
  std::expected<void, std::string> SetRole(const std::string& node, model::Role r) override;
  std::expected<void, std::string> StopEngine(const std::string& node) override;
  std::expected<void, std::string> InstallEngine(const std::string& node, model::EngineVersion v) override;
  std::expected<void, std::string> StartEngine(const std::string& node) override;
  std::expected<void, std::string> CreateService(const model::ServiceSpec& spec) override;
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
  Observation Observe() override;
  std::expected<NodeSeen, std::string> ReadNode(const std::string& node) override;
  std::expected<std::optional<std::uint32_t>, std::string> ReadService(const std::string& service) override;
  bool ReplaysJournal() const override { return true; }
  bool ReadsNothingReal() const override { return true; }

  const model::Swarm& swarm() const { return *swarm_; }

 private:
  std::expected<model::NodeId, std::string> Find(const std::string& node) const;
  std::expected<model::ServiceId, std::string> FindService(const std::string& name) const;
  void Pace();  // the delay before every operation but the first

  bool first_ = true;

  model::Scenario s_;
  std::unique_ptr<model::Swarm> swarm_;
  std::unique_ptr<model::Operator> op_;
};

}  // namespace swarmplan::executor
