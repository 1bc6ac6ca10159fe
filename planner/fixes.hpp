// Fixes for an at-risk plan, each proven by simulation before it is
// offered: the changed scenario (or plan) is run over the same trial seeds
// as the verdict (common random numbers), and a fix counts only if none of
// those trials rejects a task, fails a step or misses convergence. What
// cannot be simulated here (a wider range that overlaps another network) is
// labelled "on paper".
//
// Candidates, for every overlay the plan runs out of:
//   subnet     the smallest widening of the subnet that survives (the
//              widened subnet, as a new overlay would have it)
//   migrate    the move to such a new overlay, simulated before the plan:
//              a free range of that size beside the old one, each service
//              moved with network-add (new), wait, network-rm (old), wait
//   replicas   the most replicas of each replicated service on it that
//              survive, found by bisection
//   scale      the service scaled down before the plan and back after it:
//              the most replicas during the plan that survive
//   empty-node a node that never runs the network's services (a placement
//              constraint node.hostname!=NODE): one load-balancer address less
//   max-replicas  at most ceil(replicas / (nodes - 1)) tasks a node, so
//              that a drain cannot pile replacements on one node
//   dnsrr      DNS round-robin instead of a VIP, for a service that
//              publishes no ingress port: one address less
//   order      the seed procedure, when the given order has hazards
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "model/scenario.hpp"
#include "planner/plan.hpp"

namespace swarmplan::planner {

struct Fix {
  std::string kind;    // "subnet", "migrate", "replicas", "scale", "max-replicas", "empty-node", "dnsrr", "order"
  std::string what;    // what to do, for a person
  std::string cost;    // what it costs
  bool proven = false;  // simulated: no trial went wrong
  std::uint64_t trials = 0, failing = 0;  // the proof's trials, and how many went wrong
  double p_hi = 0;     // Wilson 95% upper bound on P(at risk) after the fix
  std::vector<std::string> order;  // the plan it was proven with, if not the given one (plan words)
};

struct FixOptions {
  std::uint64_t seed = 1;
  std::uint64_t trials = 200;
  unsigned threads = 1;
  // The plan to prove a changed scenario with: by default the plan itself;
  // `plan --search` searches again on the changed cluster. nullopt: no plan.
  std::function<std::optional<Plan>(const model::Scenario&)> plan_for;
};

// A range of the given prefix near `near` that overlaps no network of `s`
// (nor ingress), and a name no network has: where a new overlay could go.
std::optional<model::NetworkSpec> FreeOverlay(const model::Scenario& s, const std::string& name,
                                              const model::Ipv4Cidr& near, int prefix);

// The networks at risk: overlays whose addresses ran out in a trial of the
// plan (peak at capacity) or whose budget on paper does not hold.
// `tight` names them (scenario network names). Only proven fixes are
// returned, then the "on paper" ones, cheapest first within each kind.
std::vector<Fix> ProveFixes(const model::Scenario& s, const Plan& p, const std::vector<std::string>& tight,
                            bool order_hazards, const FixOptions& opt);

}  // namespace swarmplan::planner
