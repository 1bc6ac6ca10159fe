// DockerExecutor: carries out the plan on a real swarm through the Engine
// API of one manager; when it stops answering, through another of the same
// swarm (DockerExecutorOptions::failover).
//   drain / activate / pause   POST /nodes/{id}/update, then (drain) wait
//                              until the node's tasks have stopped
//   upgrade (install step)     runs the user's command template, e.g.
//                              "ssh {addr} apt-get install -y docker-ce=5:{version}*"
//   stop / start               run --stop-command / --start-command if given;
//                              without them the upgrade command is taken to
//                              restart the engine itself (a package upgrade
//                              does); start waits until the node is Ready
//   stack deploy               runs --stack-command (a Compose plan's
//                              create / scale / network steps at once)
//   wait                       until every service runs as desired
//   observe                    tasks rejected since the executor started
// Templates get {node} (name), {addr} (the address the swarm knows the node
// by), {id} (node id) and {version}, each shell-quoted, and run with
// /bin/sh -c in a process group of their own; a non-zero exit or the
// time-out stops the plan. On SIGINT, SIGTERM or SIGHUP (executor/interrupt.hpp)
// the running command's group gets the same signal and interrupt_grace to
// end (then SIGKILL), every wait stops at its next poll, and the operation
// returns an error saying it was interrupted.
// Reads retry while the manager is unreachable or has no leader (its own
// engine may be the one restarting), up to the step's deadline.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "docker/api_client.hpp"
#include "executor/command.hpp"
#include "executor/executor.hpp"

namespace swarmplan::executor {

struct DockerExecutorOptions {
  std::string upgrade_command;  // required when the plan installs an engine
  std::string stop_command;     // optional
  std::string start_command;    // optional
  std::string join_command;     // for join:NODE ({node} {token} {manager})
  std::string leave_command;    // for leave:NODE ({node} {addr} {id})
  // A Compose plan's deploy ({file} {stack} {host}, e.g. "docker -H {host}
  // stack deploy --compose-file {file} {stack}"); empty: deploy steps are
  // refused (a scenario holds no image to create a service from).
  std::string stack_command;
  // Other managers of the same swarm (`apply --host M1,M2,M3`): when the
  // one in use stops answering, the next that answers and belongs to the
  // same cluster takes over, and the step goes on through it.
  std::vector<docker::DockerEndpoint> failover;
  std::chrono::seconds step_timeout{600};     // drain, start, converge deadline
  std::chrono::seconds command_timeout{1800};  // each command
  std::chrono::milliseconds poll{500};
  // How long the managers may take to see a stopped engine's node down
  // (its heartbeat expiry: 3 periods of 5 s plus jitter, 16.5 s at most).
  // A start step takes a node Ready for that long, at one store version,
  // as back (its engine runs); sooner only once its version moves past the
  // one read before the stop.
  std::chrono::milliseconds down_detect{17000};
  // After SIGINT/SIGTERM/SIGHUP, how long a running command has to end
  // once it got the signal; then its process group is killed.
  std::chrono::seconds interrupt_grace{30};
};

class DockerExecutor final : public Executor {
 public:
  static std::expected<DockerExecutor, std::string> Open(const docker::DockerEndpoint& ep, DockerExecutorOptions opt);

  std::string_view name() const override { return "docker"; }
  bool gated() const override { return true; }
  std::vector<std::string> TakeMemos() override;
  std::expected<void, std::string> Recall(const std::string& memo) override;
  std::string cluster_id() const override { return cluster_id_; }
  std::expected<model::Scenario, std::string> Snapshot() override;
  std::expected<void, std::string> Drain(const std::string& node) override;
  std::expected<void, std::string> SetAvailability(const std::string& node, model::Availability a) override;
  std::expected<void, std::string> SetRole(const std::string& node, model::Role r) override;
  std::expected<void, std::string> StopEngine(const std::string& node) override;
  std::expected<void, std::string> InstallEngine(const std::string& node, model::EngineVersion v) override;
  std::expected<void, std::string> StartEngine(const std::string& node) override;
  std::expected<void, std::string> CreateService(const model::ServiceSpec& spec) override;
  bool DeploysStacks() const override { return !opt_.stack_command.empty(); }
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
  Observation Observe() override;
  std::expected<NodeSeen, std::string> ReadNode(const std::string& node) override;
  std::expected<std::optional<std::uint32_t>, std::string> ReadService(const std::string& service) override;

 private:
  DockerExecutor(docker::DockerApi api, DockerExecutorOptions opt) : api_(std::move(api)), opt_(std::move(opt)) {}

  using Clock = std::chrono::steady_clock;
  // GET with retries while the manager cannot answer, until `deadline`.
  std::expected<nlohmann::json, std::string> Read(const std::string& path, Clock::time_point deadline);
  std::expected<nlohmann::json, std::string> FindNode(const std::string& name, Clock::time_point deadline);
  std::expected<void, std::string> Update(const std::string& node, const char* availability);
  // Sets one field of the node's spec (read, change, post at its version).
  std::expected<void, std::string> UpdateSpec(const std::string& node, const char* field, const char* value);
  std::expected<void, std::string> RunTemplate(const char* what, const std::string& tmpl, const std::string& node,
                                               const std::string& version);
  // Runs an expanded command line with /bin/sh, bounded by command_timeout.
  std::expected<void, std::string> RunCommand(const char* what, const std::string& node, const std::string& cmd);
  Clock::time_point Deadline() const { return Clock::now() + opt_.step_timeout; }
  std::expected<nlohmann::json, std::string> FindService(const std::string& name, Clock::time_point deadline);
  // Reads the service, lets `change` edit its spec, posts it back (with
  // `query` appended), retrying while the manager is unreachable.
  std::expected<void, std::string> ChangeService(
      const std::string& service, const char* what, const std::string& query,
      const std::function<std::expected<void, std::string>(nlohmann::json&)>& change);

  // The manager in use gave no answer (`e`): connect to the next of
  // opt_.failover that answers as a manager of this cluster and go on
  // through it. False if none does (or `e` was an answer).
  bool FailOver(const docker::ApiError& e);

  docker::DockerApi api_;
  DockerExecutorOptions opt_;
  std::set<std::string> rejected_before_;  // task ids already rejected at start
  std::string cluster_id_;                  // the swarm's cluster ID (/info)
  std::string host_;                        // the manager, as the docker CLI's -H takes it
  std::map<std::string, model::EngineVersion> installed_;  // node -> engine its upgrade installed
  // node -> its store version before its engine was stopped (StartEngine
  // waits for a session opened after it).
  std::map<std::string, std::uint64_t> session_before_;
  // Memos for the journal (Executor::TakeMemos): "session <version> <node>"
  // when a node's store version is read before its stop, "installed
  // <engine> <node>" after its upgrade command, "back <node>" once it is back.
  std::vector<std::string> memos_;
  std::expected<void, std::string> NoteSession(const std::string& node);
};


}  // namespace swarmplan::executor
