#include "planner/shard.hpp"

#include <algorithm>
#include <cmath>

#include "model/scenario_json.hpp"
#include "model/strict_json.hpp"
#include "model/utf8.hpp"
#include "sim/random.hpp"
#include "model/try.hpp"

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
          {"tail_s", t.tail_s}, {"tail_rejections", t.tail_rejections}, {"still_rejecting", t.still_rejecting},
          {"networks", nets}, {"services", svcs}};
  // The faults that struck (kind, node or -1, step, at us, duration us,
  // slow percent) and, paired, the same seed without them (at risk,
  // converged).
  if (!t.faults.empty()) {
    json fs = json::array();
    for (const StruckFault& f : t.faults) {
      fs.push_back({std::string(ToString(f.kind)), f.node, f.step, f.at, f.duration, f.slow_pct});
    }
    out["faults"] = std::move(fs);
  }
  if (t.calm_run) out["calm"] = {t.calm_at_risk, t.calm_converged};
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
    t.tail_s = j.contains("tail_s") ? Seconds(j.at("tail_s"), "/tail_s") : 0.0;                   // absent in older shards
    t.tail_rejections = j.contains("tail_rejections") ? Count(j.at("tail_rejections"), "/tail_rejections") : 0;
    if (j.contains("still_rejecting")) {
      if (!j.at("still_rejecting").is_boolean()) throw BadField{"/still_rejecting must be true or false"};
      t.still_rejecting = j.at("still_rejecting").get<bool>();
    }
    if (j.contains("faults")) {
      const json& fs = j.at("faults");
      if (!fs.is_array() || fs.size() > 16) throw BadField{"/faults must be a list of at most 16 faults"};
      for (std::size_t i = 0; i < fs.size(); ++i) {
        const std::string at = "/faults/" + std::to_string(i);
        const json& f = Tuple(fs[i], at, 6, 6);
        StruckFault x;
        const std::string kind = Text(f[0], at + "/0");
        const auto k = FaultKindNamed(kind);
        if (!k) throw BadField{at + "/0: \"" + kind + "\" is not a fault kind"};
        x.kind = *k;
        if (!f[1].is_number_integer() || f[1].get<std::int64_t>() < -1 || f[1].get<std::int64_t>() > 1'000'000) {
          throw BadField{at + "/1 must be -1 or a node's index, not " + f[1].dump()};
        }
        x.node = static_cast<int>(f[1].get<std::int64_t>());
        x.step = static_cast<int>(Count(f[2], at + "/2", 10'000'000));
        x.at = static_cast<sim::Time>(Count(f[3], at + "/3", std::uint64_t{1} << 62));
        x.duration = static_cast<sim::Time>(Count(f[4], at + "/4", std::uint64_t{1} << 62));
        x.slow_pct = Count32(f[5], at + "/5");
        t.faults.push_back(x);
      }
    }
    if (j.contains("calm")) {
      const json& c = Tuple(j.at("calm"), "/calm", 2, 2);
      t.calm_run = true;
      t.calm_at_risk = Bool(c[0], "/calm/0");
      t.calm_converged = Bool(c[1], "/calm/1");
    }
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

namespace swarmplan::planner {

namespace {

// A word that is not UTF-8 (a file name's stray byte) goes as its bytes in
// hex, so JSON carries it unchanged.
json WordToJson(const std::string& w) {
  if (model::PrintableUtf8(w)) return w;
  std::string hex;
  for (unsigned char c : w) {
    hex += "0123456789abcdef"[c >> 4];
    hex += "0123456789abcdef"[c & 15];
  }
  return {{"hex", hex}};
}

std::expected<std::string, std::string> WordFromJson(const json& a, const std::string& at) {
  if (a.is_object() && a.size() == 1 && a.contains("hex") && a["hex"].is_string()) {
    const std::string hex = a["hex"].get<std::string>();
    if (hex.size() % 2 != 0) return std::unexpected(at + ": /hex has an odd number of digits");
    std::string w;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
      const auto nib = [](char c) { return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1; };
      const int hi = nib(hex[i]), lo = nib(hex[i + 1]);
      if (hi < 0 || lo < 0) return std::unexpected(at + ": /hex is not lowercase hex");
      w += static_cast<char>(hi * 16 + lo);
    }
    return w;
  }
  if (!a.is_string()) return std::unexpected(at + " must be a string");
  return a.get<std::string>();
}

std::expected<MergedRun, std::string> Merge(const std::vector<std::string>& files,
                                            const std::function<bool(const std::string&)>& is_flag) {
  if (files.empty()) return std::unexpected("merge needs the share files written by `swarmplan plan --shard I/N --json`");
  json first;
  std::vector<std::pair<std::uint64_t, std::vector<TrialResult>>> parts;
  for (const std::string& f : files) {
    auto text = SWARMPLAN_TRY(model::ReadInputFile(f, model::kMaxJsonBytes, "share file"));
    auto parsed = model::ParseStrictJson(text);
    if (!parsed) return std::unexpected(f + ": " + parsed.error());
    json& j = *parsed;
    if (!j.is_object() || j.value("kind", "") != "swarmplan-shard") {
      return std::unexpected(f + ": not a share written by `swarmplan plan --shard`");
    }
    if (first.is_null()) {
      first = j;
    } else {
      for (const char* key : {"seed", "trials_total", "scenario", "plan", "at_us", "reproduce_args"}) {
        if (j.contains(key) != first.contains(key) || (j.contains(key) && j.at(key) != first.at(key))) {
          return std::unexpected(f + ": its " + std::string(key) + " differs from " + files[0] +
                                 "'s: shares of different runs");
        }
      }
    }
    std::vector<TrialResult> rs;
    const std::uint64_t base = j.at("seed").get<std::uint64_t>();
    const std::uint64_t first_trial = j.at("shard").at("first").get<std::uint64_t>();
    const json& results = j.at("results");
    if (!results.is_array()) return std::unexpected(f + ": /results must be an array");
    for (std::size_t k = 0; k < results.size(); ++k) {
      auto r = TrialFromJson(results[k]);
      if (!r) return std::unexpected(f + ": /results/" + std::to_string(k) + ": " + r.error());
      // Trial i of a run always has seed TrialSeed(base, i): a record with
      // another seed is not a trial of this run.
      if (r->seed != sim::TrialSeed(base, first_trial + k)) {
        return std::unexpected(f + ": /results/" + std::to_string(k) + ": seed " + std::to_string(r->seed) +
                               " is not trial " + std::to_string(first_trial + k) + " of the run with seed " +
                               std::to_string(base));
      }
      rs.push_back(std::move(*r));
    }
    parts.emplace_back(first_trial, std::move(rs));
  }
  std::sort(parts.begin(), parts.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<TrialResult> all;
  for (auto& [start, rs] : parts) {
    if (start != all.size()) {
      return std::unexpected(start < all.size() ? "shares overlap at trial " + std::to_string(start)
                                                : "trials " + std::to_string(all.size()) + " to " +
                                                      std::to_string(start - 1) + " are missing");
    }
    for (auto& r : rs) all.push_back(std::move(r));
  }
  MergedRun run;
  ShareHead& h = run.head;
  h.trials_total = first.at("trials_total").get<std::uint64_t>();
  if (all.size() != h.trials_total) {
    return std::unexpected("the shares hold " + std::to_string(all.size()) + " of " + std::to_string(h.trials_total) +
                           " trials");
  }
  h.range = {0, h.trials_total};
  auto s = SWARMPLAN_TRY(model::ScenarioFromJson(first.at("scenario").dump(), "the shares' scenario"));
  h.scenario = std::move(s);
  const model::Scenario& sc = h.scenario;
  // Every record speaks of the scenario's networks and services, in order.
  for (std::size_t i = 0; i < all.size(); ++i) {
    const auto& r = all[i];
    const std::string at = "trial " + std::to_string(i) + " (seed " + std::to_string(r.seed) + ")";
    if (r.networks.size() != sc.networks.size() || r.services.size() != sc.services.size()) {
      return std::unexpected(at + ": its record lists " + std::to_string(r.networks.size()) + " networks and " +
                             std::to_string(r.services.size()) + " services, not the scenario's " +
                             std::to_string(sc.networks.size()) + " and " + std::to_string(sc.services.size()));
    }
    for (std::size_t k = 0; k < r.networks.size(); ++k) {
      if (r.networks[k].name != sc.networks[k].name || r.networks[k].capacity != sc.networks[k].subnet.size()) {
        return std::unexpected(at + ": network " + std::to_string(k) + " of its record (" + r.networks[k].name + ", " +
                               std::to_string(r.networks[k].capacity) + " addresses) is not the scenario's");
      }
    }
    for (std::size_t k = 0; k < r.services.size(); ++k) {
      if (r.services[k].name != sc.services[k].name) {
        return std::unexpected(at + ": service " + std::to_string(k) + " of its record (" + r.services[k].name +
                               ") is not the scenario's");
      }
    }
  }
  auto words = first.at("plan").at("words").get<std::vector<std::string>>();
  auto plan = ParseOrder(sc, words, *sc.upgrade.to, sc.upgrade.activate_managers_last);
  if (!plan) return std::unexpected("the shares' plan: " + plan.error());
  h.plan = std::move(*plan);
  h.plan.origin = first.at("plan").at("origin").get<std::string>();
  if (first.at("plan").contains("faults")) {
    const json& f = first.at("plan").at("faults");
    if (!f.is_object() || !f.contains("count") || !f.contains("kinds") || !f.at("count").is_number_unsigned() ||
        f.at("count").get<std::uint64_t>() > 16 || !f.at("kinds").is_string()) {
      return std::unexpected("the shares' /plan/faults must be {\"count\": 0 to 16, \"kinds\": \"kill,...\"}");
    }
    h.plan.faults.count = f.at("count").get<std::uint32_t>();
    auto kinds = ParseFaultKinds(f.at("kinds").get<std::string>());
    if (!kinds) return std::unexpected("the shares' /plan/faults: " + kinds.error());
    h.plan.faults.kinds = std::move(*kinds);
  }
  for (std::size_t i = 0; i < all.size(); ++i) {
    for (const StruckFault& f : all[i].faults) {
      if (f.node >= static_cast<int>(sc.nodes.size()) || static_cast<std::size_t>(f.step) > h.plan.steps.size()) {
        return std::unexpected("trial " + std::to_string(i) + ": a fault names node " + std::to_string(f.node) +
                               " or step " + std::to_string(f.step) + ", which the scenario and plan do not have");
      }
    }
    if (!all[i].faults.empty() && h.plan.faults.count == 0) {
      return std::unexpected("trial " + std::to_string(i) + " holds faults, but the shares' plan has none");
    }
  }
  h.seed = first.at("seed").get<std::uint64_t>();
  for (std::size_t i = 0; i < all.size(); ++i) run.stats.Add(all[i], i);
  // The `--at` snapshots, as the unsharded run reports them.
  if (first.contains("at_us")) {
    for (const auto& t : first.at("at_us")) h.at.push_back(t.get<sim::Time>());
    for (const auto& r : all) {
      if (r.snapshots.size() != h.at.size()) {
        return std::unexpected("a trial record holds " + std::to_string(r.snapshots.size()) + " snapshots, not the " +
                               std::to_string(h.at.size()) + " its share's --at names");
      }
    }
  }
  h.sensitivity = first.value("sensitivity", false);
  h.fixes = first.value("fixes", false);
  // The reproduce line's words, each checked: [FILE] then flag-value pairs
  // of the flags a run repeats.
  h.has_reproduce_args = first.contains("reproduce_args");
  if (h.has_reproduce_args) {
    const json& a = first.at("reproduce_args");
    if (!a.is_array()) return std::unexpected(files[0] + ": /reproduce_args must be an array of strings");
    for (std::size_t k = 0; k < a.size(); ++k) {
      auto w = SWARMPLAN_TRY(WordFromJson(a[k], files[0] + ": /reproduce_args/" + std::to_string(k)));
      h.reproduce_args.push_back(std::move(w));
    }
    const auto& rw = h.reproduce_args;
    for (std::size_t k = !rw.empty() && !is_flag(rw[0]) ? 1 : 0; k < rw.size(); k += 2) {
      if (!is_flag(rw[k]) || k + 1 >= rw.size()) {
        return std::unexpected(files[0] + ": /reproduce_args/" + std::to_string(k) + ": \"" + rw[k] +
                               "\" is not a flag a reproduce line repeats (a share not written by swarmplan plan --shard)");
      }
    }
  }
  return run;
}

}  // namespace

json ShareToJson(const ShareHead& h, const std::vector<TrialResult>& results) {
  json j;
  j["schema_version"] = 1;
  j["kind"] = "swarmplan-shard";
  j["seed"] = h.seed;
  j["trials_total"] = h.trials_total;
  j["shard"] = {{"index", h.index}, {"count", h.count}, {"first", h.range.first}, {"trials", h.range.count}};
  j["scenario"] = model::ScenarioToJson(h.scenario);
  j["plan"] = {{"origin", h.plan.origin}, {"words", PlanWords(h.scenario, h.plan)}};
  if (h.plan.faults.count > 0) {
    j["plan"]["faults"] = {{"count", h.plan.faults.count}, {"kinds", FaultKindsText(h.plan.faults.kinds)}};
  }
  j["reproduce_args"] = json::array();
  for (const std::string& w : h.reproduce_args) j["reproduce_args"].push_back(WordToJson(w));
  j["sensitivity"] = h.sensitivity;
  j["fixes"] = h.fixes;
  j["at_us"] = h.at;  // `--at`, for merge to name the snapshots' times
  j["results"] = json::array();
  for (const auto& r : results) j["results"].push_back(TrialToJson(r));
  return j;
}

std::expected<MergedRun, std::string> MergeShares(const std::vector<std::string>& paths,
                                                  const std::function<bool(const std::string&)>& is_flag) {
  try {
    return Merge(paths, is_flag);
  } catch (const json::exception& e) {
    // A field of a share missing or of the wrong type.
    return std::unexpected("a share file is not as `swarmplan plan --shard` writes it: " + std::string(e.what()));
  }
}

}  // namespace swarmplan::planner
