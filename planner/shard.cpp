#include "planner/shard.hpp"

namespace swarmplan::planner {

using nlohmann::json;

json TrialToJson(const TrialResult& t) {
  json nets = json::array(), svcs = json::array();
  for (const auto& n : t.networks) nets.push_back({n.name, n.capacity, n.used_before, n.peak_used, n.used_after});
  for (const auto& s : t.services) {
    svcs.push_back({s.name, s.desired, s.running_before, s.min_running, s.below_desired_s, s.running_after, s.new_after});
  }
  json out = {{"seed", t.seed}, {"unseed", t.unseed}, {"deploy_converged", t.deploy_converged}, {"converged", t.converged},
          {"plan_failed", t.plan_failed}, {"plan_error", t.plan_error}, {"plan_s", t.plan_s},
          {"rejected_attachments", t.metrics.rejected_missing_attachments}, {"rejected_race", t.metrics.rejected_attachment_race},
          {"rejected_swarm_inactive", t.metrics.rejected_swarm_inactive},
          {"failed_other", t.metrics.failed_other}, {"allocation_failures", t.metrics.allocation_failures},
          {"attachment_failures", t.metrics.attachment_failures}, {"max_unallocated", t.metrics.max_unallocated},
          {"first_risk_step", t.first_risk_step}, {"events", t.events}, {"empty_nodes", t.empty_nodes},
          {"networks", nets}, {"services", svcs}};
  // The state at each `--at` time: per network addresses in use, per
  // service running, NEW and rejected so far.
  if (!t.snapshots.empty()) {
    json snaps = json::array();
    for (const StateCounts& c : t.snapshots) snaps.push_back({c.used, c.running, c.waiting_new, c.rejected});
    out["snapshots"] = std::move(snaps);
  }
  return out;
}

std::expected<TrialResult, std::string> TrialFromJson(const json& j) {
  try {
    TrialResult t;
    t.seed = j.at("seed").get<std::uint64_t>();
    t.unseed = j.at("unseed").get<std::uint64_t>();
    t.deploy_converged = j.at("deploy_converged").get<bool>();
    t.converged = j.at("converged").get<bool>();
    t.plan_failed = j.at("plan_failed").get<bool>();
    t.plan_error = j.at("plan_error").get<std::string>();
    t.plan_s = j.at("plan_s").get<double>();
    t.metrics.rejected_missing_attachments = j.at("rejected_attachments").get<std::uint64_t>();
    t.metrics.rejected_attachment_race = j.at("rejected_race").get<std::uint64_t>();
    t.metrics.rejected_swarm_inactive = j.at("rejected_swarm_inactive").get<std::uint64_t>();
    t.metrics.failed_other = j.at("failed_other").get<std::uint64_t>();
    t.metrics.allocation_failures = j.at("allocation_failures").get<std::uint64_t>();
    t.metrics.attachment_failures = j.at("attachment_failures").get<std::uint64_t>();
    t.metrics.max_unallocated = j.at("max_unallocated").get<std::uint64_t>();
    t.first_risk_step = j.at("first_risk_step").get<int>();
    t.events = j.at("events").get<std::uint64_t>();
    t.empty_nodes = j.value("empty_nodes", 0U);  // absent in shards of older versions
    for (const auto& n : j.at("networks")) {
      t.networks.push_back({n.at(0).get<std::string>(), n.at(1).get<std::uint64_t>(), n.at(2).get<std::uint64_t>(),
                            n.at(3).get<std::uint64_t>(), n.at(4).get<std::uint64_t>()});
    }
    for (const auto& s : j.at("services")) {
      t.services.push_back({s.at(0).get<std::string>(), s.at(1).get<std::uint32_t>(), s.at(2).get<std::uint32_t>(),
                            s.at(3).get<std::uint32_t>(), s.at(4).get<double>(), s.at(5).get<std::uint32_t>(),
                            s.size() > 6 ? s.at(6).get<std::uint32_t>() : 0U});
    }
    if (j.contains("snapshots")) {
      for (const auto& c : j.at("snapshots")) {
        t.snapshots.push_back({c.at(0).get<std::vector<std::uint64_t>>(), c.at(1).get<std::vector<std::uint32_t>>(),
                               c.at(2).get<std::vector<std::uint32_t>>(), c.at(3).get<std::vector<std::uint32_t>>()});
      }
    }
    return t;
  } catch (const json::exception& e) {
    return std::unexpected(std::string("malformed trial record: ") + e.what());
  }
}

}  // namespace swarmplan::planner
