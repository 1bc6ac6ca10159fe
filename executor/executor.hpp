// Executor: carries out an upgrade, one operation at a time, on some
// cluster. `swarmplan apply` drives one through the plan's steps; what the
// operations touch is the executor's business:
//   DryRunExecutor  prints the commands a person would run (nothing changes)
//   SimExecutor     performs them on the simulator (tests, rehearsals)
//   DockerExecutor  performs them on a real swarm through the Engine API
// Operations name nodes as the scenario does. Each returns when it is done
// (a drain when the node's tasks stopped, a start when the node is back),
// or an error saying why not.
#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/scenario.hpp"
#include "model/utf8.hpp"

namespace swarmplan::executor {

// `s` as one word of a /bin/sh command line.
inline std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += "'\\''";
    else out += c;
  }
  return out + "'";
}

using model::PrintableUtf8;

// `s` as one word of a /bin/sh command line a person pastes: bare when it
// holds only characters the shell takes literally, quoted otherwise; bytes
// that are not printable UTF-8 (a file name's stray byte, a line break) as
// $'\xHH' escapes (bash, zsh, ksh), so the line stays one line of text
// and JSON can carry it.
inline std::string ShellWord(const std::string& s) {
  if (s.empty()) return "''";
  if (!PrintableUtf8(s)) {
    static const char* hex = "0123456789abcdef";
    std::string out = "$'";
    for (unsigned char c : s) {
      if (c < 0x20 || c >= 0x7f || c == '\\' || c == '\'') {
        out += "\\x";
        out += hex[c >> 4];
        out += hex[c & 15];
      } else {
        out += static_cast<char>(c);
      }
    }
    return out + "'";
  }
  for (unsigned char c : s) {
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                       c == '-' || c == '.' || c == '/' || c == ':' || c == ',' || c == '=' || c == '@' || c == '%' ||
                       c == '+';
    if (!plain) return ShellQuote(s);
  }
  return s;
}

// `s` inside a `# comment` line: control characters (a line break would end
// the comment and start a command) shown as '?'.
inline std::string CommentText(const std::string& s) {
  std::string out = s;
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  }
  return out;
}

// `docker stack deploy --compose-file FILE NAME`.
struct StackDeploy {
  std::string file;
  std::string name;
};

struct Observation {
  std::uint64_t rejected = 0;  // tasks rejected since the executor started
  std::string last_error;      // the newest rejection's error
  bool supported = true;       // false: this executor cannot observe
  std::string error;           // set when observing failed (the cluster did not answer)
};

// What the cluster says of one node now: read when a step was left in doubt
// (executor/journal.hpp) to decide whether to redo it, skip it or stop.
struct NodeSeen {
  bool present = false;  // the swarm lists the node
  std::string state;     // "ready", "down", "unknown", "disconnected"
  model::Availability availability = model::Availability::kActive;
  model::Role role = model::Role::kWorker;
  std::optional<model::EngineVersion> engine;  // the engine it last reported
};

class Executor {
 public:
  virtual ~Executor() = default;
  virtual std::string_view name() const = 0;
  // True if operations change a cluster (a real one, or the simulated one
  // of a rehearsal), so the apply loop's safety gate re-plans before each
  // step. False for the dry-run, which changes nothing.
  virtual bool gated() const = 0;
  // Which cluster the operations act on: the swarm's cluster ID for a real
  // swarm, "sim" or "dry-run" otherwise. A journal is bound to it, so a
  // rehearsal's journal can never make a real run skip a step.
  virtual std::string cluster_id() const = 0;

  // The cluster as it is now: nodes with their current engine and
  // availability, services and networks.
  virtual std::expected<model::Scenario, std::string> Snapshot() = 0;

  virtual std::expected<void, std::string> Drain(const std::string& node) = 0;
  virtual std::expected<void, std::string> SetAvailability(const std::string& node, model::Availability a) = 0;
  // `docker node promote / demote`.
  virtual std::expected<void, std::string> SetRole(const std::string& node, model::Role r) = 0;
  virtual std::expected<void, std::string> StopEngine(const std::string& node) = 0;
  virtual std::expected<void, std::string> InstallEngine(const std::string& node, model::EngineVersion v) = 0;
  virtual std::expected<void, std::string> StartEngine(const std::string& node) = 0;
  // `docker service create / rm / scale`. `spec` is the service as the
  // scenario defines it (create needs it whole).
  virtual std::expected<void, std::string> CreateService(const model::ServiceSpec& spec) = 0;
  virtual std::expected<void, std::string> RemoveService(const std::string& service) = 0;
  virtual std::expected<void, std::string> ScaleService(const std::string& service, std::uint32_t replicas) = 0;
  // `docker service update --force` (a rolling update with the service's
  // own update_config) and `docker service rollback`; both return once the
  // manager took the change (a `wait` step waits for the update to finish).
  virtual std::expected<void, std::string> UpdateService(const std::string& service) = 0;
  virtual std::expected<void, std::string> RollbackService(const std::string& service) = 0;
  // `docker service update --network-add NET` (add) or `--network-rm NET`:
  // a rolling update onto (or off) an existing overlay.
  virtual std::expected<void, std::string> ChangeNetwork(const std::string& service, const std::string& network,
                                                         bool add) = 0;
  // Membership: `docker swarm join` / `docker swarm leave` run on the node,
  // `docker node rm` once the managers see it down.
  virtual std::expected<void, std::string> JoinNode(const std::string& node, model::Role r) = 0;
  virtual std::expected<void, std::string> LeaveNode(const std::string& node) = 0;
  virtual std::expected<void, std::string> RemoveNode(const std::string& node) = 0;
  // A Compose plan's deploy steps (services created, scaled, moved between
  // networks) as docker's own `docker stack deploy` does them, all at once.
  // An executor that cannot (the simulator) performs the steps one by one.
  virtual bool DeploysStacks() const { return false; }
  virtual std::expected<void, std::string> DeployStack(const StackDeploy& d) {
    return std::unexpected("the " + std::string(name()) + " executor cannot run docker stack deploy for " + d.name);
  }
  // Waits until every service runs as desired; false if the deadline passed.
  virtual std::expected<bool, std::string> WaitConverged() = 0;
  virtual std::expected<void, std::string> Sleep(sim::Time d) = 0;
  virtual Observation Observe() = 0;

  // For a step left in doubt: the node as the cluster sees it now, and a
  // service's replicas (nullopt: no such service). An executor that cannot
  // read the cluster says so with an error; apply then redoes the step only
  // where the executor changes nothing real (ReadsNothingReal()).
  virtual std::expected<NodeSeen, std::string> ReadNode(const std::string& node) {
    return std::unexpected("the " + std::string(name()) + " executor cannot read node " + node);
  }
  virtual std::expected<std::optional<std::uint32_t>, std::string> ReadService(const std::string& service) {
    return std::unexpected("the " + std::string(name()) + " executor cannot read service " + service);
  }
  // True for an executor whose cluster does not outlive the process (the
  // simulator): a resume replays the journal's finished steps on it before
  // going on, so the rehearsal goes on from the cluster those steps made.
  virtual bool ReplaysJournal() const { return false; }
  // True if no operation changes anything real (the dry-run), so a step in
  // doubt can always be done again.
  virtual bool ReadsNothingReal() const { return false; }

  // What the executor learned during the last operations that a run
  // resumed after a crash needs (the docker executor: a node's store
  // version read before its engine stopped, and the engine its upgrade
  // installed), as one-line memos; taken once. apply writes them to the
  // journal with the step, and a resumed run hands them back to Recall in
  // the order written, before its first step.
  virtual std::vector<std::string> TakeMemos() { return {}; }
  virtual std::expected<void, std::string> Recall(const std::string& memo) {
    return std::unexpected("the " + std::string(name()) + " executor keeps no memos: \"" + memo + "\"");
  }
};

}  // namespace swarmplan::executor
