// Search: the upgrade plan with the lowest simulated risk, then the
// shortest duration, among the plans the hard rules allow.
//
// The plans live in a graph (Boost.Graph). A vertex is how far the upgrade
// has come: for each class of interchangeable nodes, how many are upgraded
// and back in service, and how many upgraded managers are kept drained. An
// edge is one node's segment of the plan, one of the operator's levers:
//   kit       drain, stop, install, start, activate, wait for convergence
//   kit, no wait  the same without the wait: the next node's segment starts
//             while tasks may still be moving (searched apart, see below)
//   hold      (managers) drain, stop, install, start; the manager stays
//             drained until every manager is upgraded
//   restart   stop, install, start, wait (no drain: faster, and the tasks
//             it held are restarted in place or rejected); searched apart,
//             see below
//   activate  every held manager activated together, wait
// The hard rules are which edges exist: one node out of service at a time
// (Raft quorum is never at stake), nodes that are down or already on the
// target engine are left alone, and across the 18.09 boundary (the load
// balancer rule changes, docs/swarm-semantics.md) no worker is touched
// before every manager is upgraded and active again.
//
// An edge's weight is simulated when Dijkstra first needs it: the best path
// to its source vertex (final by then) followed by the edge's steps, run over
// the same trial seeds for every candidate (common random numbers). The
// weight is -log(1 - q), q the fraction of trials whose trouble began in the
// edge's own steps, plus a small cost per simulated second, so a safe path
// is preferred to any risky one and, among equals, the shorter. A candidate
// that goes wrong in the first quarter of its trials is not run further.
//
// Exhaustive: every node is its own class (up to `exhaustive_limit` nodes).
// Beyond that, nodes with the same role, engine, availability, labels and
// resources are one class (the initial leader always alone), and a class's
// nodes go in their listed order: a heuristic, tested against the
// exhaustive search on small clusters.
//
// The graph is searched twice, without and with the fast levers (restart,
// kit without the wait: their risk can be small, and a few dozen trials per
// candidate cannot tell it from 0),
// and both paths are judged with the seed procedure over more trials (see
// SearchResult): the best of the three is the answer.
#pragma once

#include <cstdint>
#include <expected>
#include <functional>
#include <string>

#include "model/scenario.hpp"
#include "planner/plan.hpp"

namespace swarmplan::planner {

struct SearchOptions {
  model::EngineVersion to;
  std::uint64_t seed = 1;
  std::uint64_t trials = 64;          // per candidate, the same seeds for all
  unsigned threads = 1;
  std::uint64_t verify_trials = 1000;  // the paths found against the seed procedure
  std::size_t exhaustive_limit = 8;  // nodes to upgrade; more: grouped classes
  bool force_grouped = false;
  // Faults every candidate's trials meet (`plan --search --faults 1`: the
  // order with the lowest risk under one fault).
  FaultSpec faults;
  // Called after each simulated candidate with the count so far.
  std::function<void(std::uint64_t evaluated)> progress;
};

struct SearchResult {
  Plan plan;                 // the best path found, as a plan
  bool grouped = false;      // classes of nodes, not single nodes
  std::size_t classes = 0;
  std::size_t vertices = 0, edges = 0;   // of the rule graph
  std::uint64_t evaluated = 0;           // candidates simulated
  std::uint64_t trials_run = 0;
  double risk_cost = 0;                  // sum of -log(1 - q) along the path
  double est_p_reject = 0;               // 1 - exp(-risk_cost)
  double est_seconds = 0;                // simulated duration of the path
  // The last word: the path found and the seed procedure (DefaultPlan) over
  // the same verify_trials seeds; the plan is the one with fewer trials at
  // risk, then fewer rejected tasks, then the shorter. A few dozen trials per
  // candidate cannot tell 0.1% from 0, and a faster lever (a restart without
  // a drain) can hide a small risk: this is where it shows.
  std::uint64_t verified_trials = 0;
  std::uint64_t found_at_risk = 0, default_at_risk = 0;
  double found_seconds = 0, default_seconds = 0;
  bool default_kept = false;  // the seed procedure was as good or better
};

// Nodes a search would upgrade: up and below `to`. With none, there is
// nothing to search.
std::size_t NodesToUpgrade(const model::Scenario& s, model::EngineVersion to);

// REQUIRES: s.Validate() holds.
std::expected<SearchResult, std::string> SearchPlan(const model::Scenario& s, const SearchOptions& opt);

}  // namespace swarmplan::planner
