#include "planner/report.hpp"

#include <Eigen/Dense>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <sstream>

namespace swarmplan::planner {

using nlohmann::json;

namespace {

std::string Fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

std::string Percent(double p) {
  if (p > 0 && p < 0.001) return "<0.1%";
  return Fixed(100.0 * p, 1) + "%";
}

// Quantile of a column (nearest rank).
double Quantile(Eigen::VectorXd v, double q) {
  if (v.size() == 0) return 0;
  std::sort(v.data(), v.data() + v.size());
  const auto idx = static_cast<Eigen::Index>(std::ceil(q * static_cast<double>(v.size()))) - 1;
  return v[std::clamp<Eigen::Index>(idx, 0, v.size() - 1)];
}

model::EngineVersion LeaderEngine(const model::Scenario& s) {
  if (!s.leader.empty()) return s.nodes[*s.FindNode(s.leader)].engine;
  for (const auto& n : s.nodes) {
    if (n.role == model::Role::kManager) return n.engine;
  }
  return s.nodes.front().engine;
}

model::EngineVersion TargetEngine(const model::Scenario& s, const Plan& p) {
  model::EngineVersion v = LeaderEngine(s);
  for (const Step& st : p.steps) {
    if (st.action == Action::kInstall) v = std::max(v, st.version);
  }
  return v;
}

}  // namespace

std::vector<std::string> Hazards(const model::Scenario& s, const Plan& p) {
  using model::Role;
  std::vector<std::string> out;
  const std::size_t n = s.nodes.size();
  std::vector<model::EngineVersion> engine(n);
  std::vector<bool> running(n, true), drained(n);
  for (std::size_t i = 0; i < n; ++i) {
    engine[i] = s.nodes[i].engine;
    drained[i] = s.nodes[i].availability == model::Availability::kDrain;
  }
  // Who may lead: the initial leader until it stops; then any running manager.
  std::set<std::size_t> may_lead;
  for (std::size_t i = 0; i < n; ++i) {
    if (s.nodes[i].role == Role::kManager && (s.leader.empty() ? may_lead.empty() : s.nodes[i].name == s.leader)) {
      may_lead.insert(i);
    }
  }
  std::set<std::string> said;
  for (std::size_t k = 0; k < p.steps.size(); ++k) {
    const Step& st = p.steps[k];
    switch (st.action) {
      case Action::kDrain: drained[st.node] = true; break;
      case Action::kActivate: drained[st.node] = false; break;
      case Action::kInstall: engine[st.node] = st.version; break;
      case Action::kStart: running[st.node] = true; break;
      case Action::kStop:
        running[st.node] = false;
        if (!drained[st.node]) {
          const std::string msg = "step " + std::to_string(k + 1) + " stops " + s.nodes[st.node].name +
                                  "'s engine without draining it first: its tasks end abruptly, their addresses "
                                  "stay taken until the node is marked down, and tasks sent to it right after it "
                                  "restarts can be rejected with \"cannot create a swarm scoped network when "
                                  "swarm is not active\"";
          if (said.insert(msg).second) out.push_back(msg);
        }
        if (s.nodes[st.node].role == Role::kManager) {
          int managers = 0, up = 0;
          for (std::size_t i = 0; i < n; ++i) {
            managers += s.nodes[i].role == Role::kManager;
            up += s.nodes[i].role == Role::kManager && running[i] && !s.nodes[i].down;
          }
          if (up * 2 <= managers) {
            const std::string msg = "step " + std::to_string(k + 1) + " stops " + s.nodes[st.node].name + ": with " +
                                    std::to_string(managers) + " manager" + (managers == 1 ? "" : "s") +
                                    " the swarm loses quorum until it is back (nothing is scheduled or "
                                    "rescheduled meanwhile). Add managers first: 3 tolerate one down";
            if (said.insert("quorum").second) out.push_back(msg);
          }
        }
        if (may_lead.contains(st.node)) {
          may_lead.clear();
          for (std::size_t i = 0; i < n; ++i) {
            if (s.nodes[i].role == Role::kManager && running[i]) may_lead.insert(i);
          }
        }
        break;
      default: break;
    }
    // Any manager that may lead: does it allocate attachments for
    // upgraded workers that will wait for them?
    for (std::size_t l : may_lead) {
      if (!running[l] || engine[l].lb_policy() != model::LbPolicy::kNone) continue;
      for (std::size_t w = 0; w < n; ++w) {
        if (!running[w] || drained[w] || !engine[w].worker_waits_for_attachments() || s.networks.empty()) continue;
        const std::string key = s.nodes[w].name + "/" + s.nodes[l].name;
        if (!said.insert(key).second) continue;
        out.push_back("after step " + std::to_string(k + 1) + " (" + st.Describe(s) + "), " + s.nodes[w].name +
                      " runs " + engine[w].ToString() + " and takes tasks while " + s.nodes[l].name + " (" +
                      engine[l].ToString() + ") may lead: that leader gives no node a load-balancer address, so "
                      "every task placed on " + s.nodes[w].name + " is rejected (\"node is missing network "
                      "attachments\"). Upgrade all managers before activating upgraded nodes");
      }
    }
  }
  return out;
}

Report Aggregate(const model::Scenario& s, const Plan& p, std::uint64_t seed, const std::vector<TrialResult>& r) {
  Report rep;
  rep.scenario_name = s.name;
  rep.seed = seed;
  rep.trials = r.size();
  const model::EngineVersion from = LeaderEngine(s), to = TargetEngine(s, p);
  rep.from = from.ToString();
  rep.to = to.ToString();
  rep.plan_origin = p.origin;
  for (const Step& st : p.steps) rep.plan_steps.push_back(st.Describe(s));
  rep.budget = Budget(s, from, to);
  rep.hazards = Hazards(s, p);
  const auto n = static_cast<Eigen::Index>(r.size());
  if (n == 0) return rep;

  // One row per trial; columns are the metrics summarised below.
  const std::size_t nets = r.front().networks.size(), svcs = r.front().services.size();
  enum Col { kRejected, kRejectAny, kRace, kShortage, kLbMissing, kNotConverged, kPlanFailed, kDeployBad, kPlanS, kEvents, kFixed };
  const Eigen::Index cols = kFixed + static_cast<Eigen::Index>(2 * nets + 3 * svcs);
  Eigen::MatrixXd m(n, cols);
  for (Eigen::Index i = 0; i < n; ++i) {
    const TrialResult& t = r[static_cast<std::size_t>(i)];
    const double rejected = static_cast<double>(t.rejected_attachments + t.rejected_swarm_inactive);
    m(i, kRejected) = rejected;
    m(i, kRejectAny) = rejected > 0;
    m(i, kRace) = t.rejected_race > 0;
    m(i, kShortage) = t.allocation_failures > 0;
    m(i, kLbMissing) = t.attachment_failures > 0;
    m(i, kNotConverged) = !t.converged;
    m(i, kPlanFailed) = t.plan_failed;
    m(i, kDeployBad) = !t.deploy_converged;
    m(i, kPlanS) = t.plan_s;
    m(i, kEvents) = static_cast<double>(t.events);
    for (std::size_t k = 0; k < nets; ++k) {
      m(i, kFixed + static_cast<Eigen::Index>(2 * k)) = static_cast<double>(t.networks[k].peak_used);
      m(i, kFixed + static_cast<Eigen::Index>(2 * k + 1)) = static_cast<double>(t.networks[k].used_before);
    }
    for (std::size_t k = 0; k < svcs; ++k) {
      const Eigen::Index c = kFixed + static_cast<Eigen::Index>(2 * nets + 3 * k);
      m(i, c) = t.services[k].min_running;
      m(i, c + 1) = t.services[k].below_desired_s;
      m(i, c + 2) = t.services[k].running_after;
    }
    rep.rejected_attachments += t.rejected_attachments;
    rep.rejected_swarm_inactive += t.rejected_swarm_inactive;
    rep.rejected_race += t.rejected_race;
    rep.failed_other += t.failed_other;
    if (rep.plan_error.empty() && t.plan_failed) rep.plan_error = t.plan_error;
  }
  const Eigen::RowVectorXd mean = m.colwise().mean();
  const Eigen::RowVectorXd mx = m.colwise().maxCoeff();
  const Eigen::RowVectorXd mn = m.colwise().minCoeff();
  rep.mean_rejected = mean(kRejected);
  rep.p_reject = mean(kRejectAny);
  {
    const double z = 1.96, nn = static_cast<double>(n), ph = rep.p_reject;
    const double denom = 1 + z * z / nn;
    const double centre = (ph + z * z / (2 * nn)) / denom;
    const double half = z * std::sqrt(ph * (1 - ph) / nn + z * z / (4 * nn * nn)) / denom;
    rep.p_reject_lo = std::max(0.0, centre - half);
    rep.p_reject_hi = std::min(1.0, centre + half);
  }
  rep.p_race = mean(kRace);
  rep.p_shortage = mean(kShortage);
  rep.p_node_lb_missing = mean(kLbMissing);
  rep.p_not_converged = mean(kNotConverged);
  rep.p_plan_failed = mean(kPlanFailed);
  rep.p_deploy_unhealthy = mean(kDeployBad);
  rep.plan_s_mean = mean(kPlanS);
  rep.plan_s_p50 = Quantile(m.col(kPlanS), 0.5);
  rep.plan_s_p95 = Quantile(m.col(kPlanS), 0.95);
  rep.plan_s_max = mx(kPlanS);
  rep.events_mean = mean(kEvents);
  for (std::size_t k = 0; k < nets; ++k) {
    const auto c = kFixed + static_cast<Eigen::Index>(2 * k);
    rep.networks.push_back({r.front().networks[k].name, r.front().networks[k].capacity, mean(c + 1),
                            static_cast<std::uint64_t>(mx(c)), mean(c)});
  }
  for (std::size_t k = 0; k < svcs; ++k) {
    const auto c = kFixed + static_cast<Eigen::Index>(2 * nets + 3 * k);
    rep.services.push_back({r.front().services[k].name, r.front().services[k].desired,
                            static_cast<std::uint32_t>(mn(c)), mean(c), mean(c + 1), mx(c + 1),
                            static_cast<std::uint32_t>(mn(c + 2))});
  }
  // Where trouble starts: the most common first risky step.
  std::map<int, int> first;
  for (const TrialResult& t : r) {
    if (t.first_risk_step >= 0) ++first[t.first_risk_step];
  }
  int best = 0;
  for (auto [step, count] : first) {
    if (count > best) {
      best = count;
      rep.first_risk_step = step;
    }
  }
  if (rep.first_risk_step >= 0) {
    rep.first_risk_fraction = static_cast<double>(best) / static_cast<double>(n);
    rep.first_risk_desc = p.steps[static_cast<std::size_t>(rep.first_risk_step)].Describe(s);
  }
  rep.example_seed = r.front().seed;
  std::uint64_t worst = 0;
  for (const TrialResult& t : r) {
    const std::uint64_t bad = t.rejected_attachments + t.rejected_swarm_inactive + t.allocation_failures +
                              (t.converged ? 0 : 1000000);
    if (bad > worst) {
      worst = bad;
      rep.example_seed = t.seed;
    }
  }
  // Waiting in NEW for an address that frees moments later is ordinary swarm
  // behaviour during a drain; rejections and failing to converge are not.
  rep.safe = rep.p_reject == 0 && rep.p_not_converged == 0 && rep.p_plan_failed == 0;

  // What to change.
  for (const NetworkBudget& b : rep.budget) {
    const bool tight = b.free_after() < 0 || b.free_before() < 0;
    const auto ns = std::find_if(rep.networks.begin(), rep.networks.end(), [&](const auto& x) { return x.name == b.name; });
    const bool hit = ns != rep.networks.end() && ns->peak_max >= b.capacity;
    if (!tight && !hit && rep.safe) continue;
    if (!tight && !hit) continue;
    rep.recommendations.push_back("give " + b.name + " a larger subnet: a /" + std::to_string(b.SuggestedPrefix()) +
                                  " holds the " + std::to_string(b.tasks) + " tasks, " + std::to_string(b.vips) +
                                  " VIP(s), " + std::to_string(std::max(b.lb_after, b.lb_before)) +
                                  " node LB addresses and the replacements of one drained node (a subnet cannot "
                                  "be resized in place: create a new overlay and move the services to it)");
    const std::int64_t room = static_cast<std::int64_t>(b.capacity) - 3 - static_cast<std::int64_t>(b.vips + b.lb_after);
    if (b.free_after() < 0 && room > 0) {
      rep.recommendations.push_back("or run at most " + std::to_string(room) + " tasks on " + b.name + " (now " +
                                    std::to_string(b.tasks) + ")");
    }
    const std::int64_t nodes_fit = static_cast<std::int64_t>(b.capacity) - 3 - static_cast<std::int64_t>(b.vips + b.tasks);
    if (b.free_after() < 0 && nodes_fit >= 1 && to.lb_policy() == model::LbPolicy::kOnDemand) {
      rep.recommendations.push_back("or constrain the services on " + b.name + " to at most " +
                                    std::to_string(nodes_fit) + " nodes (each node with a task takes one address)");
    }
  }
  if (!rep.hazards.empty()) {
    rep.recommendations.push_back("fix the order: upgrade and keep drained every manager first, activate them "
                                  "together, then upgrade workers one at a time (the seed procedure, `--order` "
                                  "omitted)");
  }
  if (rep.rejected_swarm_inactive > 0) {
    rep.recommendations.push_back("drain each node before stopping its engine, and activate it only after it is "
                                  "back");
  }
  return rep;
}

json ReportToJson(const Report& r) {
  json j;
  j["schema_version"] = 1;
  j["kind"] = "swarmplan-report";
  j["scenario"] = r.scenario_name;
  j["seed"] = r.seed;
  j["trials"] = r.trials;
  j["upgrade"] = {{"from", r.from}, {"to", r.to}};
  j["plan"] = {{"origin", r.plan_origin}, {"steps", r.plan_steps}};
  j["verdict"] = r.safe ? "safe" : "at-risk";
  json budget = json::array();
  for (const auto& b : r.budget) {
    budget.push_back({{"network", b.name}, {"subnet", b.subnet}, {"capacity", b.capacity}, {"reserved", b.reserved},
                      {"vips", b.vips}, {"tasks", b.tasks}, {"eligible_nodes", b.eligible_nodes},
                      {"lb_before", b.lb_before}, {"lb_after", b.lb_after}, {"free_before", b.free_before()},
                      {"free_after", b.free_after()}, {"sum_before", b.Sum(false)}, {"sum_after", b.Sum(true)},
                      {"suggested_prefix", b.SuggestedPrefix()}});
  }
  j["capacity"] = budget;
  j["hazards"] = r.hazards;
  j["risk"] = {{"p_rejected", r.p_reject},
               {"p_rejected_ci95", {r.p_reject_lo, r.p_reject_hi}},
               {"expected_rejected_tasks", r.mean_rejected},
               {"p_transient_rejection", r.p_race},
               {"p_address_shortage", r.p_shortage},
               {"p_node_lb_missing", r.p_node_lb_missing},
               {"p_not_converged", r.p_not_converged},
               {"p_plan_failed", r.p_plan_failed},
               {"p_unhealthy_before_plan", r.p_deploy_unhealthy}};
  j["rejections"] = {{"node is missing network attachments, ip addresses may be exhausted", r.rejected_attachments},
                     {"cannot create a swarm scoped network when swarm is not active", r.rejected_swarm_inactive},
                     {"transient (address held, not yet seen by the worker)", r.rejected_race},
                     {"failed (other)", r.failed_other}};
  if (!r.plan_error.empty()) j["plan_error"] = r.plan_error;
  json nets = json::array();
  for (const auto& n : r.networks) {
    nets.push_back({{"network", n.name}, {"capacity", n.capacity}, {"used_before_mean", n.used_before},
                    {"peak_used_max", n.peak_max}, {"peak_used_mean", n.peak_mean}});
  }
  j["networks"] = nets;
  json svcs = json::array();
  for (const auto& s : r.services) {
    svcs.push_back({{"service", s.name}, {"desired", s.desired}, {"min_running_worst", s.min_running_worst},
                    {"min_running_mean", s.min_running_mean}, {"below_desired_s_mean", s.below_mean_s},
                    {"below_desired_s_max", s.below_max_s}, {"running_after_worst", s.final_worst}});
  }
  j["services"] = svcs;
  j["duration_s"] = {{"mean", r.plan_s_mean}, {"p50", r.plan_s_p50}, {"p95", r.plan_s_p95}, {"max", r.plan_s_max}};
  if (r.first_risk_step >= 0) {
    j["first_risk_step"] = {{"index", r.first_risk_step + 1}, {"step", r.first_risk_desc},
                            {"fraction_of_trials", r.first_risk_fraction}};
  } else {
    j["first_risk_step"] = nullptr;
  }
  j["example_seed"] = r.example_seed;
  j["events_per_trial_mean"] = r.events_mean;
  j["recommendations"] = r.recommendations;
  return j;
}

std::string RenderText(const Report& r, const std::string& reproduce) {
  std::ostringstream o;
  o << "swarmplan: " << r.scenario_name << "\n";
  o << "upgrade " << r.from << " -> " << r.to << ", " << r.plan_steps.size() << " steps (" << r.plan_origin << ")\n";
  o << "seed " << r.seed << ", " << r.trials << " trials\n\n";
  o << "Address budget per overlay:\n";
  for (const auto& b : r.budget) {
    o << "  " << b.name << " " << b.subnet << "\n";
    o << "    before: " << b.Sum(false) << (b.free_before() < 0 ? "  -> SHORT by " + std::to_string(-b.free_before()) : "  -> fits") << "\n";
    o << "    after:  " << b.Sum(true) << (b.free_after() < 0 ? "  -> SHORT by " + std::to_string(-b.free_after()) : "  -> fits") << "\n";
    if (b.free_after() == -1 && b.lb_after > 0) {
      o << "    (with one node holding no task: " << b.capacity - 3 - b.vips - (b.lb_after - 1) << " for "
        << b.tasks << "; whether that happens depends on the order swarm hands out addresses)\n";
    }
  }
  for (const auto& n : r.networks) {
    o << "  simulated peak on " << n.name << ": " << n.peak_max << " of " << n.capacity << " addresses"
      << (n.peak_max >= n.capacity ? " (exhausted)" : "") << "\n";
  }
  o << "\nVerdict: " << (r.safe ? "SAFE" : "AT RISK") << "\n";
  o << "  P(a task rejected: no address, no attachment, or swarm not active) = " << Percent(r.p_reject) << "  (95% CI " << Percent(r.p_reject_lo) << " - "
    << Percent(r.p_reject_hi) << ")\n";
  o << "  expected rejected tasks per upgrade = " << Fixed(r.mean_rejected, 2) << "\n";
  if (r.rejected_attachments) o << "    \"node is missing network attachments, ip addresses may be exhausted\": " << r.rejected_attachments << " in all trials\n";
  if (r.rejected_swarm_inactive) o << "    \"cannot create a swarm scoped network when swarm is not active\": " << r.rejected_swarm_inactive << " in all trials\n";
  if (r.p_race > 0) {
    o << "  transient rejections in " << Percent(r.p_race) << " of trials (" << r.rejected_race
      << " in all): a task was rejected although its node held the address, because its desired state changed "
         "before the worker saw the new load-balancer address; its replacement ran\n";
  }
  if (r.p_shortage > 0) o << "  tasks waited in NEW for a free address in " << Percent(r.p_shortage) << " of trials\n";
  if (r.p_node_lb_missing > 0) o << "  a node found no address for its load balancer in " << Percent(r.p_node_lb_missing) << " of trials\n";
  if (r.p_not_converged > 0) o << "  did not converge within the wait in " << Percent(r.p_not_converged) << " of trials\n";
  if (r.p_plan_failed > 0) o << "  the plan could not finish in " << Percent(r.p_plan_failed) << " of trials: " << r.plan_error << "\n";
  if (r.p_deploy_unhealthy > 0) o << "  note: the cluster was already unhealthy before the upgrade in " << Percent(r.p_deploy_unhealthy) << " of trials\n";
  for (const auto& s : r.services) {
    o << "  " << s.name << ": lowest running " << s.min_running_worst << "/" << s.desired << " (mean lowest "
      << Fixed(s.min_running_mean, 1) << "), below desired " << Fixed(s.below_mean_s, 0) << " s on average, "
      << Fixed(s.below_max_s, 0) << " s at worst; after: at worst " << s.final_worst << "/" << s.desired << "\n";
  }
  o << "  upgrade takes " << Fixed(r.plan_s_mean / 60, 1) << " min on average (p95 " << Fixed(r.plan_s_p95 / 60, 1) << " min)\n";
  if (r.first_risk_step >= 0) {
    o << "  trouble starts at step " << r.first_risk_step + 1 << " (" << r.first_risk_desc << ") in "
      << Percent(r.first_risk_fraction) << " of trials\n";
  }
  if (!r.hazards.empty()) {
    o << "\nOrder hazards:\n";
    for (const auto& h : r.hazards) o << "  - " << h << "\n";
  }
  if (!r.recommendations.empty()) {
    o << "\nWhat to change:\n";
    for (const auto& h : r.recommendations) o << "  - " << h << "\n";
  }
  o << "\nReproduce one trial: " << reproduce << "\n";
  return o.str();
}

json TrialToJson(const TrialResult& t) {
  json nets = json::array(), svcs = json::array();
  for (const auto& n : t.networks) nets.push_back({n.name, n.capacity, n.used_before, n.peak_used, n.used_after});
  for (const auto& s : t.services) svcs.push_back({s.name, s.desired, s.running_before, s.min_running, s.below_desired_s, s.running_after});
  return {{"seed", t.seed}, {"deploy_converged", t.deploy_converged}, {"converged", t.converged},
          {"plan_failed", t.plan_failed}, {"plan_error", t.plan_error}, {"plan_s", t.plan_s},
          {"rejected_attachments", t.rejected_attachments}, {"rejected_race", t.rejected_race},
          {"rejected_swarm_inactive", t.rejected_swarm_inactive},
          {"failed_other", t.failed_other}, {"allocation_failures", t.allocation_failures},
          {"attachment_failures", t.attachment_failures}, {"max_unallocated", t.max_unallocated},
          {"first_risk_step", t.first_risk_step}, {"events", t.events}, {"networks", nets}, {"services", svcs}};
}

std::expected<TrialResult, std::string> TrialFromJson(const json& j) {
  try {
    TrialResult t;
    t.seed = j.at("seed").get<std::uint64_t>();
    t.deploy_converged = j.at("deploy_converged").get<bool>();
    t.converged = j.at("converged").get<bool>();
    t.plan_failed = j.at("plan_failed").get<bool>();
    t.plan_error = j.at("plan_error").get<std::string>();
    t.plan_s = j.at("plan_s").get<double>();
    t.rejected_attachments = j.at("rejected_attachments").get<std::uint64_t>();
    t.rejected_race = j.at("rejected_race").get<std::uint64_t>();
    t.rejected_swarm_inactive = j.at("rejected_swarm_inactive").get<std::uint64_t>();
    t.failed_other = j.at("failed_other").get<std::uint64_t>();
    t.allocation_failures = j.at("allocation_failures").get<std::uint64_t>();
    t.attachment_failures = j.at("attachment_failures").get<std::uint64_t>();
    t.max_unallocated = j.at("max_unallocated").get<std::uint64_t>();
    t.first_risk_step = j.at("first_risk_step").get<int>();
    t.events = j.at("events").get<std::uint64_t>();
    for (const auto& n : j.at("networks")) {
      t.networks.push_back({n.at(0).get<std::string>(), n.at(1).get<std::uint64_t>(), n.at(2).get<std::uint64_t>(),
                            n.at(3).get<std::uint64_t>(), n.at(4).get<std::uint64_t>()});
    }
    for (const auto& s : j.at("services")) {
      t.services.push_back({s.at(0).get<std::string>(), s.at(1).get<std::uint32_t>(), s.at(2).get<std::uint32_t>(),
                            s.at(3).get<std::uint32_t>(), s.at(4).get<double>(), s.at(5).get<std::uint32_t>()});
    }
    return t;
  } catch (const json::exception& e) {
    return std::unexpected(std::string("malformed trial record: ") + e.what());
  }
}

std::vector<std::string> PlanWords(const model::Scenario& s, const Plan& p) {
  std::vector<std::string> out;
  for (const Step& st : p.steps) {
    switch (st.action) {
      case Action::kWait: out.push_back("wait"); break;
      case Action::kSleep: out.push_back("sleep:" + std::to_string(st.duration / sim::kSecond)); break;
      case Action::kInstall: out.push_back("install:" + s.nodes[st.node].name + ":" + st.version.ToString()); break;
      default: out.push_back(std::string(ToString(st.action)) + ":" + s.nodes[st.node].name); break;
    }
  }
  return out;
}

}  // namespace swarmplan::planner
