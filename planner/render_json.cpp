#include "planner/render.hpp"

namespace swarmplan::planner {

using nlohmann::json;

json ReportToJson(const Report& r) {
  json j;
  j["schema_version"] = 1;
  j["kind"] = "swarmplan-report";
  j["scenario"] = r.scenario_name;
  j["seed"] = r.seed;
  j["unseed"] = r.unseed;
  j["trials"] = r.trials;
  if (!r.stopped_early.empty()) j["stopped_early"] = {{"trials_budget", r.trials_budget}, {"why", r.stopped_early}};
  j["upgrade"] = {{"from", r.from}, {"to", r.to}};
  j["kind_of_change"] = r.upgrade ? "upgrade" : "change";
  if (!r.change.empty()) j["change"] = r.change;
  j["plan"] = {{"origin", r.plan_origin}, {"steps", r.plan_steps}, {"notes", r.plan_notes}};
  j["verdict"] = r.safe ? "safe" : "at-risk";
  json budget = json::array();
  for (const auto& b : r.budget) {
    budget.push_back({{"network", b.name}, {"subnet", b.subnet}, {"capacity", b.capacity}, {"reserved", b.reserved}, {"held", b.held},
                      {"vips", b.vips}, {"tasks", b.tasks}, {"vips_after", b.vips_after}, {"tasks_after", b.tasks_after}, {"eligible_nodes", b.eligible_nodes}, {"eligible_nodes_after", b.eligible_after},
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
               {"p_rejecting_forever", r.p_rejecting_forever},
               {"rejections_per_hour_forever", r.forever_per_hour},
               {"p_plan_failed", r.p_plan_failed},
               {"p_unhealthy_before_plan", r.p_deploy_unhealthy}};
  j["rejections"] = {{"node is missing network attachments, ip addresses may be exhausted", r.rejected_attachments},
                     {"cannot create a swarm scoped network when swarm is not active", r.rejected_swarm_inactive},
                     {"of which transient (address held, not yet seen by the worker)", r.rejected_race},
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
  // Distributions over the trials: {"value": trials}, values as strings.
  auto hist = [](const TrialStats::Histogram& h) {
    json o = json::object();
    for (const auto& [v, n] : h) o[std::to_string(v)] = n;
    return o;
  };
  json dist_nets = json::array(), dist_svcs = json::array();
  for (const auto& n : r.networks) dist_nets.push_back({{"network", n.name}, {"used_after", hist(n.used_after)}});
  for (const auto& s : r.services) {
    dist_svcs.push_back({{"service", s.name}, {"running_after", hist(s.running_after)}, {"new_after", hist(s.new_after)}});
  }
  j["distributions"] = {{"rejected_per_trial", hist(r.rejected_per_trial)},
                        {"nodes_without_tasks_after", hist(r.empty_nodes)},
                        {"networks", dist_nets},
                        {"services", dist_svcs}};
  if (!r.snapshot_at_s.empty()) {
    json snaps = json::array();
    for (std::size_t i = 0; i < r.snapshot_at_s.size() && i < r.snapshots.size(); ++i) {
      const auto& sn = r.snapshots[i];
      json snap_nets = json::object(), snap_svcs = json::object();
      for (std::size_t k = 0; k < r.networks.size() && k < sn.used.size(); ++k) {
        snap_nets[r.networks[k].name] = {{"used", hist(sn.used[k])}};
      }
      for (std::size_t k = 0; k < r.services.size() && k < sn.running.size(); ++k) {
        snap_svcs[r.services[k].name] = {{"running", hist(sn.running[k])},
                                    {"new", hist(sn.waiting_new[k])},
                                    {"rejected_so_far", hist(sn.rejected[k])}};
      }
      snaps.push_back({{"at_s", r.snapshot_at_s[i]}, {"networks", snap_nets}, {"services", snap_svcs}});
    }
    j["snapshots"] = snaps;
  }
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
  j["paper_fixes"] = r.has_fixes ? std::vector<std::string>{} : r.paper_fixes;
  if (r.has_fixes) {
    json fixes = json::array();
    for (const auto& f : r.fixes) {
      fixes.push_back({{"kind", f.kind}, {"what", f.what}, {"cost", f.cost}, {"proven", f.proven},
                       {"trials", f.trials}, {"failing", f.failing}, {"p_at_risk_hi", f.p_hi},
                       {"order", f.order}});
    }
    j["fixes"] = fixes;
  }
  if (r.faults) {
    const auto& f = *r.faults;
    nlohmann::json weakest = nlohmann::json::array();
    for (const auto& m : f.weakest) {
      weakest.push_back({{"kind", m.kind}, {"step", m.step + 1}, {"step_desc", m.step_desc}, {"trials", m.trials},
                         {"at_risk", m.at_risk}, {"made_at_risk", m.made_at_risk}, {"hurt", m.hurt}, {"made_hurt", m.made_hurt},
                         {"stopped", m.stopped}, {"not_recovered", m.not_recovered}, {"p", m.p},
                         {"example_seed", m.example_seed}});
    }
    nlohmann::json by_kind = nlohmann::json::array();
    for (const auto& k : f.by_kind) {
      by_kind.push_back({{"kind", k.kind}, {"trials", k.trials}, {"at_risk", k.at_risk}, {"made_at_risk", k.made_at_risk},
                         {"hurt", k.hurt}, {"made_hurt", k.made_hurt}, {"stopped", k.stopped},
                         {"not_recovered", k.not_recovered}});
    }
    j["faults"] = {{"per_trial", f.count},
                   {"by_kind", by_kind},
                   {"kinds", f.kinds},
                   {"struck_trials", f.struck_trials},
                   {"p_at_risk", {{"with", f.p_with}, {"ci95", {f.p_with_lo, f.p_with_hi}}}},
                   {"p_recovered", f.p_recovered},
                   {"weakest", weakest}};
    if (f.has_without) {
      j["faults"]["p_at_risk_without"] = {{"p", f.p_without}, {"ci95", {f.p_without_lo, f.p_without_hi}}};
      j["faults"]["p_recovered_without"] = f.p_recovered_without;
    }
  }
  if (r.has_sensitivity) {
    json effects = json::array();
    for (const auto& e : r.sensitivity.effects) effects.push_back({{"timing", e.key}, {"p_rejected_change", e.change}});
    j["sensitivity"] = {{"points", r.sensitivity.points},
                        {"trials_per_point", r.sensitivity.trials_per_point},
                        {"p_rejected_range", {r.sensitivity.p_min, r.sensitivity.p_max}},
                        {"effects", effects}};
  }
  return j;
}

nlohmann::json SearchToJson(const SearchResult& found, const std::string& order, std::uint64_t trials_per_candidate) {
  return {{"order", order},
          {"grouped", found.grouped},
          {"classes", found.classes},
          {"states", found.vertices},
          {"moves", found.edges},
          {"candidates_simulated", found.evaluated},
          {"trials_per_candidate", trials_per_candidate},
          {"trials_run", found.trials_run},
          {"estimated_p_at_risk", found.est_p_reject},
          {"estimated_seconds", found.est_seconds},
          {"verified_trials", found.verified_trials},
          {"found_at_risk", found.found_at_risk},
          {"seed_procedure_at_risk", found.default_at_risk},
          {"found_seconds", found.found_seconds},
          {"seed_procedure_seconds", found.default_seconds},
          {"seed_procedure_kept", found.default_kept}};
}

}  // namespace swarmplan::planner
