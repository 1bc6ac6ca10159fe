#include "planner/fixes.hpp"

#include <algorithm>
#include <functional>
#include <optional>

#include "model/constraint.hpp"
#include "planner/runner.hpp"
#include "planner/trial_stats.hpp"

namespace swarmplan::planner {

namespace {

using model::Scenario;

constexpr const char* kOnPaper = "on paper";

struct Judged {
  std::uint64_t trials = 0, failing = 0;
  double mean_seconds = 0;
  std::vector<std::uint32_t> lowest_running;  // per service, over every trial
  std::vector<std::string> order;  // the plan judged, when it is not the given one
  bool safe() const { return failing == 0 && trials > 0; }
};

class Prover {
 public:
  Prover(const FixOptions& opt, const Plan& given) : opt_(opt), given_(given) {}

  // The plan on the scenario, over the verdict's trial seeds.
  Judged Judge(const Scenario& s, const Plan& p) const {
    Judged j;
    if (!s.Validate()) {
      j.failing = 1;
      return j;
    }
    const TrialsJudged t = JudgeTrials(s, p, opt_.seed, {0, opt_.trials}, opt_.threads);
    j.trials = t.trials;
    j.failing = t.at_risk;
    j.mean_seconds = t.mean_seconds;
    j.lowest_running = t.lowest_running;
    return j;
  }
  // A changed scenario with the plan made for it (`wrap` adds steps around
  // it, e.g. a scale down and back).
  Judged JudgeChanged(const Scenario& s, const std::function<Plan(Plan)>& wrap = {}) const {
    std::optional<Plan> p = opt_.plan_for && s.Validate() ? opt_.plan_for(s) : std::optional<Plan>(given_);
    if (!p) return Judged{0, 1, 0, {}, {}};
    const bool other = p->steps.size() != given_.steps.size() || PlanWords(s, *p) != PlanWords(s, given_);
    if (wrap) p = wrap(*p);
    Judged j = Judge(s, *p);
    if (other) j.order = PlanWords(s, *p);
    return j;
  }
  // `before` with `moves` (steps) first, then the plan made for `after`
  // (the cluster as the moves leave it).
  Judged JudgeMoved(const Scenario& before, const Scenario& after, const std::vector<Step>& moves) const {
    std::optional<Plan> p = opt_.plan_for && after.Validate() ? opt_.plan_for(after) : std::optional<Plan>(given_);
    if (!p) return Judged{0, 1, 0, {}, {}};
    Plan q;
    q.origin = p->origin;
    q.faults = given_.faults;
    q.steps = moves;
    q.steps.insert(q.steps.end(), p->steps.begin(), p->steps.end());
    if (auto ok = CheckPlan(before, q); !ok) return Judged{0, 1, 0, {}, {}};
    Judged j = Judge(before, q);
    j.order = PlanWords(before, q);
    return j;
  }

  Fix Make(std::string kind, std::string what, std::string cost, const Judged& j) const {
    Fix f{std::move(kind), std::move(what), std::move(cost), j.safe(), j.trials, j.failing, 1.0, j.order};
    if (j.trials > 0) f.p_hi = Wilson95(j.failing, j.trials).second;
    return f;
  }

  // The largest n in [lo, hi] for which judge(n) is safe: every n from hi
  // down when there are at most 16, else by bisection, which assumes fewer
  // is never worse (not always so: fewer tasks pile differently); nullopt
  // if none is.
  std::optional<std::pair<std::uint32_t, Judged>> Largest(std::uint32_t lo, std::uint32_t hi,
                                                          const std::function<Judged(std::uint32_t)>& judge) const {
    if (lo > hi) return std::nullopt;
    if (hi - lo < 16) {
      for (std::uint32_t n = hi + 1; n-- > lo;) {
        Judged j = judge(n);
        if (j.safe()) return std::pair{n, j};
      }
      return std::nullopt;
    }
    Judged at_lo = judge(lo);
    if (!at_lo.safe()) return std::nullopt;
    std::pair<std::uint32_t, Judged> best{lo, at_lo};
    std::uint32_t bad = hi + 1;
    while (bad - best.first > 1) {
      const std::uint32_t mid = best.first + (bad - best.first) / 2;
      Judged j = judge(mid);
      if (j.safe()) {
        best = {mid, j};
      } else {
        bad = mid;
      }
    }
    return best;
  }

 private:
  const FixOptions& opt_;
  const Plan& given_;
};

}  // namespace

std::optional<model::NetworkSpec> FreeOverlay(const Scenario& s, const std::string& name,
                                              const model::Ipv4Cidr& near, int prefix) {
  model::NetworkSpec n;
  n.name = name;
  while (std::any_of(s.networks.begin(), s.networks.end(), [&](const auto& x) { return x.name == n.name; })) {
    n.name += "-2";
  }
  const std::uint64_t size = std::uint64_t{1} << (32 - prefix);
  const std::uint64_t first = (near.base & ~static_cast<std::uint32_t>(size - 1)) + size;
  for (std::uint64_t i = 0; i < 4096; ++i) {
    const std::uint64_t base = first + i * size;
    if (base + size > (std::uint64_t{1} << 32)) break;
    n.subnet = {static_cast<std::uint32_t>(base), prefix};
    Scenario t = s;
    t.networks.push_back(n);
    if (t.Validate()) return n;
  }
  return std::nullopt;
}

namespace {

std::optional<model::EngineVersion> Target(const Plan& p) {
  for (const Step& st : p.steps) {
    if (st.action == Action::kInstall) return st.version;
  }
  return std::nullopt;
}

}  // namespace

std::vector<Fix> ProveFixes(const Scenario& s, const Plan& p, const std::vector<std::string>& tight,
                            bool order_hazards, const FixOptions& opt) {
  const Prover prove(opt, p);
  std::vector<Fix> out;
  for (const std::string& net : tight) {
    const auto k = std::find_if(s.networks.begin(), s.networks.end(), [&](const auto& n) { return n.name == net; });
    if (k == s.networks.end()) continue;
    const std::size_t ki = static_cast<std::size_t>(k - s.networks.begin());
    const model::Ipv4Cidr cur = k->subnet;

    const bool any_deployed = std::any_of(s.services.begin(), s.services.end(), [&](const model::ServiceSpec& v) {
      return v.deployed && v.OnNetwork(net);
    });
    // A wider subnet: the smallest widening (up to 16 times the addresses)
    // that survives, with the same base where it does not overlap.
    bool subnet_found = false, overlap = false;
    int tried_to = cur.prefix;
    for (int prefix = cur.prefix - 1; prefix >= std::max(8, cur.prefix - 4) && !subnet_found; --prefix) {
      Scenario w = s;
      const std::uint32_t mask = ~((std::uint32_t{1} << (32 - prefix)) - 1);
      w.networks[ki].subnet = {cur.base & mask, prefix};
      if (!w.Validate()) {  // overlaps another network: a person has to choose the range
        overlap = true;
        break;
      }
      tried_to = prefix;
      const Judged j = prove.JudgeChanged(w);
      if (!j.safe()) continue;
      subnet_found = true;
      out.push_back(prove.Make("subnet",
                               "give " + net + " a /" + std::to_string(prefix) + " (e.g. " +
                                   w.networks[ki].subnet.ToString() +
                                   (any_deployed ? "): a subnet cannot be resized in place, so create the new overlay "
                                                   "and move the services to it (the move: the \"migrate\" fix, when "
                                                   "it is proven)"
                                                 : ") where the network is defined, before its services are created"),
                               std::to_string(w.networks[ki].subnet.size()) + " addresses instead of " +
                                   std::to_string(cur.size()),
                               j));
      // The move itself, simulated: a new overlay of that size beside the
      // old one, each service on it moved with a rolling update onto the
      // new network and another off the old one, then the plan.
      const auto wide = FreeOverlay(s, net + "-wide", cur, prefix);
      if (!wide) break;
      Scenario before = s, after = s;
      before.networks.push_back(*wide);
      after.networks.push_back(*wide);
      const std::size_t wi = before.networks.size() - 1;
      std::vector<Step> moves;
      std::string names;
      for (std::size_t si = 0; si < s.services.size(); ++si) {
        if (!s.services[si].OnNetwork(net)) continue;
        std::replace(after.services[si].networks.begin(), after.services[si].networks.end(), net, wide->name);
        names += (names.empty() ? "" : ", ") + s.services[si].name;
        if (!s.services[si].deployed) {
          before.services[si].networks = after.services[si].networks;  // created on the new one
          continue;
        }
        Step add{Action::kNetworkAdd, 0, {}, 0, si};
        add.network = wi;
        Step rm{Action::kNetworkRm, 0, {}, 0, si};
        rm.network = ki;
        const Step wait{Action::kWait, 0, {}, 0};
        moves.insert(moves.end(), {add, wait, rm, wait});
      }
      if (moves.empty()) break;
      const Judged m = prove.JudgeMoved(before, after, moves);
      const double extra = std::max(0.0, m.mean_seconds - j.mean_seconds);
      out.push_back(prove.Make("migrate",
                               "create " + wide->name + " (docker network create -d overlay --subnet " +
                                   wide->subnet.ToString() + " " + wide->name + ") and move " + names +
                                   " to it before the plan: docker service update --network-add " + wide->name +
                                   ", wait, then --network-rm " + net + ", wait, one service at a time",
                               std::to_string(moves.size() / 2) + " rolling updates first, about " +
                                   std::to_string(static_cast<int>(extra / 60 + 0.5)) + " min more in the trials; " +
                                   "services still on " + net + " reach these ones only through the new network "
                                   "if they join it too",
                               m));
    }
    if (!subnet_found && overlap) {
      out.push_back({"subnet",
                     "give " + net + " a larger subnet (" +
                         (tried_to < cur.prefix ? "up to a /" + std::to_string(tried_to) + " still fails; " : "") +
                         "a wider one of the same base overlaps another network: choose a free range)",
                     kOnPaper, false, 0, 0, 1.0, {}});
    }
    for (std::size_t si = 0; si < s.services.size(); ++si) {
      const model::ServiceSpec& svc = s.services[si];
      if (!svc.OnNetwork(net) || svc.mode != model::ServiceMode::kReplicated || svc.replicas < 2) continue;
      const std::uint32_t r = svc.replicas;
      // Fewer replicas for good.
      auto fewer = prove.Largest(std::max<std::uint32_t>(1, r / 2), r - 1, [&](std::uint32_t n) {
        Scenario w = s;
        w.services[si].replicas = n;
        return prove.JudgeChanged(w);
      });
      if (fewer) {
        out.push_back(prove.Make("replicas",
                                 "run " + std::to_string(fewer->first) + " replicas of " + svc.name + " instead of " +
                                     std::to_string(r),
                                 std::to_string(r - fewer->first) + " replica(s) fewer for good", fewer->second));
      }
      // Fewer only while the plan runs, back to r after it.
      if (svc.deployed) {
        auto during = prove.Largest(std::max<std::uint32_t>(1, r / 2), r - 1, [&](std::uint32_t n) {
          return prove.JudgeChanged(s, [&](Plan inner) {
            Plan q;
            q.origin = inner.origin;
            q.faults = inner.faults;
            q.steps.push_back({Action::kScale, 0, {}, 0, si, n});
            q.steps.push_back({Action::kWait, 0, {}, 0});
            q.steps.insert(q.steps.end(), inner.steps.begin(), inner.steps.end());
            q.steps.push_back({Action::kScale, 0, {}, 0, si, r});
            q.steps.push_back({Action::kWait, 0, {}, 0});
            return q;
          });
        });
        if (during) {
          out.push_back(prove.Make("scale",
                                   "scale " + svc.name + " to " + std::to_string(during->first) +
                                       " before the plan and back to " + std::to_string(r) + " after it",
                                   std::to_string(r - during->first) + " replica(s) fewer while the plan runs",
                                   during->second));
        }
      }
      // At most ceil(r / (eligible nodes - 1)) tasks a node: one node out
      // of service still leaves room for all, and no node piles up the
      // replacements of a drain (each of which takes an address before the
      // old task frees its own).
      if (svc.max_replicas_per_node == 0) {
        std::uint32_t nodes = 0;
        for (const auto& n : s.nodes) {
          nodes += !n.out() && model::ConstraintsMatch(svc.constraints, n.name, n.role, n.labels);
        }
        if (nodes >= 3) {
          Scenario w = s;
          const std::uint32_t cap = (r + nodes - 2) / (nodes - 1);
          w.services[si].max_replicas_per_node = cap;
          const Judged j = prove.JudgeChanged(w);
          const std::uint32_t low = si < j.lowest_running.size() ? j.lowest_running[si] : 0;
          out.push_back(prove.Make("max-replicas",
                                   "limit " + svc.name + " to " + std::to_string(cap) +
                                       " tasks a node (--replicas-max-per-node " + std::to_string(cap) + ")",
                                   "while nodes are out of service the rest wait in PENDING: as few as " +
                                       std::to_string(low) + " of " + std::to_string(r) + " running in the trials",
                                   j));
        }
      }
      // DNS round-robin: no VIP, where no ingress port needs one.
      if (svc.endpoint_mode == model::EndpointMode::kVip && !svc.publish_ingress) {
        Scenario w = s;
        w.services[si].endpoint_mode = model::EndpointMode::kDnsrr;
        out.push_back(prove.Make("dnsrr", "deploy " + svc.name + " with --endpoint-mode dnsrr",
                                 "one address less; clients resolve the tasks' addresses themselves (no VIP)",
                                 prove.JudgeChanged(w)));
      }
    }

    // A node kept free of the network's services: one load-balancer
    // address less under the 18.09 rule. The last active worker that is up.
    const auto to = Target(p).value_or(s.DefaultTarget());
    if (to.lb_policy() == model::LbPolicy::kOnDemand) {
      std::optional<std::size_t> spare;
      for (std::size_t i = s.nodes.size(); i-- > 0;) {
        const auto& n = s.nodes[i];
        if (!n.out() && n.role == model::Role::kWorker && n.availability == model::Availability::kActive) {
          spare = i;
          break;
        }
      }
      if (spare) {
        Scenario w = s;
        const std::string text = "node.hostname!=" + s.nodes[*spare].name;
        auto c = model::Constraint::Parse(text);
        for (auto& svc : w.services) {
          if (svc.OnNetwork(net) && c) svc.constraints.push_back(*c);
        }
        out.push_back(prove.Make("empty-node",
                                 "keep " + s.nodes[*spare].name + " free of the services on " + net +
                                     " (--constraint-add '" + text + "')",
                                 "one node fewer for those services", prove.JudgeChanged(w)));
      }
    }
  }
  if (order_hazards && p.Upgrades() && !opt.plan_for) {
    Plan d = DefaultPlan(s, Target(p).value_or(s.DefaultTarget()));
    d.faults = p.faults;
    out.push_back(prove.Make("order",
                             "fix the order: every manager first, kept drained and activated together, then each "
                             "worker (the seed procedure, --order omitted)",
                             "none", prove.Judge(s, d)));
  }
  // Only what was proven is a fix; the rest stays as "on paper" advice, and
  // a candidate that was simulated and failed is dropped.
  std::vector<Fix> proven, paper;
  for (auto& f : out) {
    if (f.proven) {
      proven.push_back(std::move(f));
    } else if (f.cost == kOnPaper) {
      paper.push_back(std::move(f));
    }
  }
  proven.insert(proven.end(), std::make_move_iterator(paper.begin()), std::make_move_iterator(paper.end()));
  return proven;
}

}  // namespace swarmplan::planner
