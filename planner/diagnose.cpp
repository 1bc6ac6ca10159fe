#include "planner/diagnose.hpp"

#include <algorithm>
#include <functional>
#include <optional>

#include "planner/fixes.hpp"
#include "planner/runner.hpp"
#include "planner/trial_stats.hpp"

namespace swarmplan::planner {

namespace {

using model::Scenario;

Step Wait() { return {Action::kWait, 0, {}, 0}; }

// A fix's steps run from the live state over `trials` seeds: proven when
// every trial ends with every replica running and no step failed.
LiveFix Judge(const Scenario& s, std::vector<Step> steps, const DiagnoseOptions& opt) {
  LiveFix f;
  Plan p;
  p.origin = "fix";
  p.steps = std::move(steps);
  if (auto ok = CheckPlan(s, p); !ok) {
    f.cost = "not possible here: " + ok.error();
    return f;
  }
  f.order = PlanWords(s, p);
  const auto results = RunTrials(s, p, opt.seed, {0, opt.fix_trials}, opt.threads);
  double seconds = 0;
  for (const TrialResult& r : results) {
    ++f.trials;
    const bool ok = r.converged && !r.plan_failed;
    f.failing += !ok;
    f.rejected_max = std::max(f.rejected_max, r.metrics.rejected_total());
    seconds += r.plan_s;
  }
  f.proven = f.trials > 0 && f.failing == 0;
  f.p_hi = f.trials > 0 ? Wilson95(f.failing, f.trials).second : 1;
  f.seconds_mean = f.trials > 0 ? seconds / static_cast<double>(f.trials) : 0;
  return f;
}

std::string Quote(const std::string& name) {
  const bool plain = std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
  });
  if (plain && !name.empty()) return name;
  std::string q = "'";
  for (char c : name) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

}  // namespace

std::string Outlook::verdict() const {
  if (trials == 0) return "not simulated";
  if (converges == trials) return "converges";
  if (rejecting == trials) return "rejects again and again";
  if (waiting == trials) return "waits for good";
  return "varies";
}

Diagnosis Diagnose(const Scenario& s, const std::vector<std::string>& tight, const DiagnoseOptions& opt) {
  Diagnosis d;
  // What happens if nothing is done: the live state, then the wait for
  // convergence every plan ends with.
  Plan nothing;
  nothing.origin = "nothing done";
  const auto results = RunTrials(s, nothing, opt.seed, {0, opt.trials}, opt.threads);
  Outlook& o = d.next;
  double per_hour = 0;
  for (const auto& svc : s.services) {
    if (svc.deployed) o.ends.push_back({svc.name, 0, UINT32_MAX, 0, UINT32_MAX, 0});
  }
  for (const auto& net : s.networks) o.nets.push_back({net.name, UINT64_MAX, 0});
  for (const TrialResult& r : results) {
    ++o.trials;
    if (r.converged) {
      ++o.converges;
    } else if (r.rejects_forever()) {
      ++o.rejecting;
      if (r.tail_s > 0) per_hour += static_cast<double>(r.tail_rejections) / r.tail_s * 3600;
    } else {
      ++o.waiting;
    }
    for (Outlook::End& e : o.ends) {
      for (const ServiceOutcome& so : r.services) {
        if (so.name != e.service) continue;
        e.desired = so.desired;
        e.running_min = std::min(e.running_min, so.running_after);
        e.running_max = std::max(e.running_max, so.running_after);
        e.new_min = std::min(e.new_min, so.new_after);
        e.new_max = std::max(e.new_max, so.new_after);
      }
    }
    for (Outlook::Net& n : o.nets) {
      for (const NetworkOutcome& no : r.networks) {
        if (no.name != n.network) continue;
        n.used_min = std::min(n.used_min, no.used_after);
        n.used_max = std::max(n.used_max, no.used_after);
      }
    }
  }
  for (Outlook::End& e : o.ends) {
    e.running_min = std::min(e.running_min, e.running_max);
    e.new_min = std::min(e.new_min, e.new_max);
  }
  for (Outlook::Net& n : o.nets) n.used_min = std::min(n.used_min, n.used_max);
  if (o.rejecting > 0) o.rejections_per_hour = per_hour / static_cast<double>(o.rejecting);
  const bool stuck = o.converges != o.trials;
  if (!stuck && !opt.trouble) return d;

  // Fixes, from the cheapest kind of act to the dearest.
  std::vector<LiveFix> tried;
  auto offer = [&](LiveFix f) { tried.push_back(std::move(f)); };
  // A node that is down (or left) and still holds addresses: removing it
  // frees them (swarm-semantics 9 and 12).
  for (std::size_t i = 0; i < s.nodes.size(); ++i) {
    const model::NodeSpec& n = s.nodes[i];
    const bool holds = std::any_of(n.held.begin(), n.held.end(), [](const auto& kv) { return !kv.second.empty(); });
    if (!n.down || !holds || n.role != model::Role::kWorker) continue;
    LiveFix f = Judge(s, {{Action::kNodeRm, i}, Wait()}, opt);
    f.kind = "node-rm";
    f.what = "remove node " + n.name + ", which is down and still holds addresses of its old tasks";
    if (f.cost.empty()) f.cost = "none if it is gone for good (it must join again to come back)";
    f.commands = {"docker node rm " + Quote(n.name)};
    offer(std::move(f));
  }
  // A node whose tasks lack its load-balancer address. Paused, a global
  // task rejected there is not started again (swarmkit's global
  // orchestrator shuts a failed task of a paused node down instead of
  // restarting it, global.go restartTask), and its address goes back;
  // what runs there stays. Drained, its tasks leave it (a global
  // service's are not replaced elsewhere).
  for (std::size_t i = 0; i < s.nodes.size() && stuck; ++i) {
    const model::NodeSpec& n = s.nodes[i];
    const bool missing = std::any_of(n.lb_missing.begin(), n.lb_missing.end(),
                                     [&](const std::string& net) { return std::find(tight.begin(), tight.end(), net) != tight.end(); });
    if (!missing || n.down || n.availability == model::Availability::kDrain) continue;
    if (n.availability == model::Availability::kActive) {
      LiveFix p = Judge(s, {{Action::kPause, i}, Wait()}, opt);
      p.kind = "pause";
      p.what = "pause node " + n.name + ", which has no load-balancer address on " + n.lb_missing.front();
      if (p.cost.empty()) p.cost = "no new task goes to the node until it is made active again (then its tasks need the address again)";
      p.commands = {"docker node update --availability pause " + Quote(n.name)};
      offer(std::move(p));
    }
    LiveFix f = Judge(s, {{Action::kDrain, i}, Wait()}, opt);
    f.kind = "drain";
    f.what = "drain node " + n.name + ", which has no load-balancer address on " + n.lb_missing.front();
    if (f.cost.empty()) f.cost = "the node runs no task until it is made active again (then its tasks need the address again)";
    f.commands = {"docker node update --availability drain " + Quote(n.name)};
    offer(std::move(f));
  }
  for (const std::string& net : stuck ? tight : std::vector<std::string>{}) {
    const auto k = std::find_if(s.networks.begin(), s.networks.end(), [&](const auto& n) { return n.name == net; });
    if (k == s.networks.end()) continue;
    // Fewer replicas of a service on it: the most that still converge,
    // by bisection (fewer tasks never need more addresses here).
    for (std::size_t si = 0; si < s.services.size(); ++si) {
      const model::ServiceSpec& svc = s.services[si];
      if (!svc.deployed || !svc.OnNetwork(net) || svc.mode != model::ServiceMode::kReplicated || svc.replicas < 2) continue;
      auto scale_to = [&](std::uint32_t n) { return Judge(s, {{Action::kScale, 0, {}, 0, si, n}, Wait()}, opt); };
      std::uint32_t good = svc.replicas - 1;
      std::optional<LiveFix> best = scale_to(good);
      if (!best->proven) {
        // One fewer is not enough: the most in [1, replicas - 2] that is.
        std::uint32_t bad = good;
        good = 1;
        best = scale_to(1);
        if (!best->proven) best.reset();
        while (best && bad - good > 1) {
          const std::uint32_t mid = good + (bad - good) / 2;
          LiveFix f = scale_to(mid);
          if (f.proven) {
            good = mid;
            best = std::move(f);
          } else {
            bad = mid;
          }
        }
      }
      if (!best) continue;
      best->kind = "scale";
      best->what = "scale " + svc.name + " to " + std::to_string(good) + " replicas (from " + std::to_string(svc.replicas) + ")";
      best->cost = std::to_string(svc.replicas - good) + " replica(s) fewer until the network has room";
      best->commands = {"docker service scale " + Quote(svc.name) + "=" + std::to_string(good)};
      offer(std::move(*best));
    }
    // A larger overlay beside it, every service on it moved there with a
    // rolling update onto the new one and another off the old one.
    for (int prefix = k->subnet.prefix - 1; prefix >= std::max(8, k->subnet.prefix - 4); --prefix) {
      const auto wide = FreeOverlay(s, net + "-wide", k->subnet, prefix);
      if (!wide) break;
      Scenario with = s;
      with.networks.push_back(*wide);
      const std::size_t wi = with.networks.size() - 1;
      const std::size_t ki = static_cast<std::size_t>(k - s.networks.begin());
      std::vector<Step> moves;
      std::vector<std::string> cmds = {"docker network create --driver overlay --subnet " + wide->subnet.ToString() + " " + Quote(wide->name)};
      std::string names;
      for (std::size_t si = 0; si < s.services.size(); ++si) {
        if (!s.services[si].deployed || !s.services[si].OnNetwork(net)) continue;
        Step add{Action::kNetworkAdd, 0, {}, 0, si};
        add.network = wi;
        Step rm{Action::kNetworkRm, 0, {}, 0, si};
        rm.network = ki;
        moves.insert(moves.end(), {add, Wait(), rm, Wait()});
        cmds.push_back("docker service update --network-add " + Quote(wide->name) + " " + Quote(s.services[si].name));
        cmds.push_back("docker service update --network-rm " + Quote(net) + " " + Quote(s.services[si].name));
        names += (names.empty() ? "" : ", ") + s.services[si].name;
      }
      if (moves.empty()) break;
      LiveFix f = Judge(with, moves, opt);
      f.kind = "migrate";
      f.what = "move " + names + " from " + net + " to a new overlay " + wide->name + " (" + wide->subnet.ToString() + ", " +
               std::to_string(wide->subnet.size()) + " addresses)";
      if (f.cost.empty()) f.cost = std::to_string(moves.size() / 2) + " rolling updates; the range must be free in your address plan";
      f.commands = cmds;
      f.new_networks = {*wide};
      const bool proven = f.proven;
      offer(std::move(f));
      if (proven) break;
    }
  }
  std::stable_partition(tried.begin(), tried.end(), [](const LiveFix& f) { return f.proven; });
  d.fixes = std::move(tried);
  return d;
}

}  // namespace swarmplan::planner
