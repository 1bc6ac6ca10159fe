#include "planner/shard.hpp"

#include <cmath>

#include "model/strict_json.hpp"

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

namespace {

// A field of a trial record that is not what a trial can hold: its path
// and why.
struct BadField {
  std::string what;
};

std::uint64_t Count(const json& v, const std::string& path, std::uint64_t hi = UINT64_MAX) {
  if (!v.is_number_unsigned() && !(v.is_number_integer() && v.get<std::int64_t>() >= 0)) {
    throw BadField{path + " must be a whole number from 0, not " + v.dump()};
  }
  const std::uint64_t x = v.get<std::uint64_t>();
  if (x > hi) throw BadField{path + " is " + std::to_string(x) + ", more than " + std::to_string(hi)};
  return x;
}

std::uint32_t Count32(const json& v, const std::string& path) {
  return static_cast<std::uint32_t>(Count(v, path, UINT32_MAX));
}

// Seconds of simulated time: finite, from 0 to a year.
double Seconds(const json& v, const std::string& path) {
  if (!v.is_number()) throw BadField{path + " must be a number of seconds, not " + v.dump()};
  const double x = v.get<double>();
  if (!std::isfinite(x) || x < 0 || x > 365.0 * 86400) {
    throw BadField{path + " is " + v.dump() + " s, outside 0 to a year"};
  }
  return x;
}

bool Bool(const json& v, const std::string& path) {
  if (!v.is_boolean()) throw BadField{path + " must be true or false, not " + v.dump()};
  return v.get<bool>();
}

std::string Text(const json& v, const std::string& path) {
  if (!v.is_string()) throw BadField{path + " must be a string, not " + v.dump()};
  return v.get<std::string>();
}

const json& Tuple(const json& v, const std::string& path, std::size_t min, std::size_t max) {
  if (!v.is_array() || v.size() < min || v.size() > max) {
    throw BadField{path + " must be a list of " + std::to_string(min) + (min == max ? "" : " to " + std::to_string(max)) +
                   " values"};
  }
  return v;
}

}  // namespace

std::expected<TrialResult, std::string> TrialFromJson(const json& j) {
  try {
    if (!j.is_object()) throw BadField{"the record must be an object"};
    TrialResult t;
    t.seed = Count(j.at("seed"), "/seed");
    t.unseed = Count(j.at("unseed"), "/unseed");
    t.deploy_converged = Bool(j.at("deploy_converged"), "/deploy_converged");
    t.converged = Bool(j.at("converged"), "/converged");
    t.plan_failed = Bool(j.at("plan_failed"), "/plan_failed");
    t.plan_error = Text(j.at("plan_error"), "/plan_error");
    t.plan_s = Seconds(j.at("plan_s"), "/plan_s");
    t.metrics.rejected_missing_attachments = Count(j.at("rejected_attachments"), "/rejected_attachments");
    t.metrics.rejected_attachment_race = Count(j.at("rejected_race"), "/rejected_race");
    t.metrics.rejected_swarm_inactive = Count(j.at("rejected_swarm_inactive"), "/rejected_swarm_inactive");
    t.metrics.failed_other = Count(j.at("failed_other"), "/failed_other");
    t.metrics.allocation_failures = Count(j.at("allocation_failures"), "/allocation_failures");
    t.metrics.attachment_failures = Count(j.at("attachment_failures"), "/attachment_failures");
    t.metrics.max_unallocated = Count(j.at("max_unallocated"), "/max_unallocated");
    const json& frs = j.at("first_risk_step");
    if (!frs.is_number_integer() || frs.get<std::int64_t>() < -1 || frs.get<std::int64_t>() > 10'000'000) {
      throw BadField{"/first_risk_step must be -1 or a step number, not " + frs.dump()};
    }
    t.first_risk_step = static_cast<int>(frs.get<std::int64_t>());
    t.events = Count(j.at("events"), "/events");
    t.empty_nodes = j.contains("empty_nodes") ? Count32(j.at("empty_nodes"), "/empty_nodes") : 0U;  // absent in older shards
    // A record whose parts contradict each other is not a trial's.
    if (t.plan_failed != !t.plan_error.empty()) {
      throw BadField{"/plan_failed and /plan_error disagree (a failed plan says why, and only a failed one)"};
    }
    const json& nets = j.at("networks");
    if (!nets.is_array()) throw BadField{"/networks must be a list"};
    for (std::size_t i = 0; i < nets.size(); ++i) {
      const std::string at = "/networks/" + std::to_string(i);
      const json& n = Tuple(nets[i], at, 5, 5);
      NetworkOutcome o{Text(n[0], at + "/0"), Count(n[1], at + "/1", std::uint64_t{1} << 32), Count(n[2], at + "/2"),
                       Count(n[3], at + "/3"), Count(n[4], at + "/4")};
      if (o.used_before > o.capacity || o.peak_used > o.capacity || o.used_after > o.capacity) {
        throw BadField{at + ": more addresses in use than network " + o.name + " has (" + std::to_string(o.capacity) + ")"};
      }
      t.networks.push_back(std::move(o));
    }
    const json& svcs = j.at("services");
    if (!svcs.is_array()) throw BadField{"/services must be a list"};
    for (std::size_t i = 0; i < svcs.size(); ++i) {
      const std::string at = "/services/" + std::to_string(i);
      const json& v = Tuple(svcs[i], at, 6, 7);
      ServiceOutcome o{Text(v[0], at + "/0"),         Count32(v[1], at + "/1"),       Count32(v[2], at + "/2"),
                       Count32(v[3], at + "/3"),      Seconds(v[4], at + "/4"),       Count32(v[5], at + "/5"),
                       v.size() > 6 ? Count32(v[6], at + "/6") : 0U};
      if (o.min_running > o.running_before || o.min_running > o.running_after) {
        throw BadField{at + ": the fewest tasks running (" + std::to_string(o.min_running) +
                       ") is more than were running before or after"};
      }
      t.services.push_back(std::move(o));
    }
    if (j.contains("snapshots")) {
      const json& snaps = j.at("snapshots");
      if (!snaps.is_array()) throw BadField{"/snapshots must be a list"};
      for (std::size_t i = 0; i < snaps.size(); ++i) {
        const std::string at = "/snapshots/" + std::to_string(i);
        const json& c = Tuple(snaps[i], at, 4, 4);
        StateCounts sc;
        for (std::size_t k = 0; k < 4; ++k) {
          const json& list = c[k];
          if (!list.is_array()) throw BadField{at + "/" + std::to_string(k) + " must be a list"};
          const std::size_t want = k == 0 ? t.networks.size() : t.services.size();
          if (list.size() != want) {
            throw BadField{at + "/" + std::to_string(k) + " holds " + std::to_string(list.size()) + " counts, not the " +
                           std::to_string(want) + " of its " + (k == 0 ? "networks" : "services")};
          }
          for (std::size_t x = 0; x < list.size(); ++x) {
            const std::string p = at + "/" + std::to_string(k) + "/" + std::to_string(x);
            if (k == 0) sc.used.push_back(Count(list[x], p));
            else (k == 1 ? sc.running : k == 2 ? sc.waiting_new : sc.rejected).push_back(Count32(list[x], p));
          }
        }
        t.snapshots.push_back(std::move(sc));
      }
    }
    return t;
  } catch (const BadField& e) {
    return std::unexpected("malformed trial record: " + e.what);
  } catch (const json::exception& e) {
    return std::unexpected("malformed trial record: " + model::JsonErrorText(e));
  }
}

}  // namespace swarmplan::planner
