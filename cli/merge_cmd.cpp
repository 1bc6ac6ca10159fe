#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "planner/report.hpp"
#include "planner/render.hpp"
#include "planner/shard.hpp"
#include "model/scenario_json.hpp"
#include "model/strict_json.hpp"
#include "sim/random.hpp"

namespace swarmplan::cli {

using nlohmann::json;

namespace {

int MergeShares(const std::vector<std::string>& files, bool as_json) {
  if (files.empty()) return Fail("merge needs the share files written by `swarmplan plan --shard I/N --json`");
  json first;
  std::vector<std::pair<std::uint64_t, std::vector<planner::TrialResult>>> parts;
  for (const std::string& f : files) {
    auto text = model::ReadInputFile(f, model::kMaxJsonBytes, "share file");
    if (!text) return Fail(text.error());
    auto parsed = model::ParseStrictJson(*text);
    if (!parsed) return Fail(f + ": " + parsed.error());
    json& j = *parsed;
    if (!j.is_object() || j.value("kind", "") != "swarmplan-shard") return Fail(f + ": not a share written by `swarmplan plan --shard`");
    if (first.is_null()) {
      first = j;
    } else {
      for (const char* key : {"seed", "trials_total", "scenario", "plan", "at_us", "reproduce_args"}) {
        if (j.contains(key) != first.contains(key)) {
          return Fail(f + ": its " + std::string(key) + " differs from " + files[0] + "'s: shares of different runs");
        }
        if (!j.contains(key)) continue;
        if (j.at(key) != first.at(key)) return Fail(f + ": its " + std::string(key) + " differs from " + files[0] + "'s: shares of different runs");
      }
    }
    std::vector<planner::TrialResult> rs;
    const std::uint64_t base = j.at("seed").get<std::uint64_t>();
    const std::uint64_t first_trial = j.at("shard").at("first").get<std::uint64_t>();
    const json& results = j.at("results");
    if (!results.is_array()) return Fail(f + ": /results must be an array");
    for (std::size_t k = 0; k < results.size(); ++k) {
      auto r = planner::TrialFromJson(results[k]);
      if (!r) return Fail(f + ": /results/" + std::to_string(k) + ": " + r.error());
      // Trial i of a run always has seed TrialSeed(base, i): a record with
      // another seed is not a trial of this run.
      if (r->seed != sim::TrialSeed(base, first_trial + k)) {
        return Fail(f + ": /results/" + std::to_string(k) + ": seed " + std::to_string(r->seed) + " is not trial " +
                    std::to_string(first_trial + k) + " of the run with seed " + std::to_string(base));
      }
      rs.push_back(std::move(*r));
    }
    parts.emplace_back(first_trial, std::move(rs));
  }
  std::sort(parts.begin(), parts.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<planner::TrialResult> all;
  for (auto& [start, rs] : parts) {
    if (start != all.size()) {
      return Fail(start < all.size() ? "shares overlap at trial " + std::to_string(start)
                                     : "trials " + std::to_string(all.size()) + " to " + std::to_string(start - 1) + " are missing");
    }
    for (auto& r : rs) all.push_back(std::move(r));
  }
  const std::uint64_t total = first.at("trials_total").get<std::uint64_t>();
  if (all.size() != total) return Fail("the shares hold " + std::to_string(all.size()) + " of " + std::to_string(total) + " trials");
  auto s = model::ScenarioFromJson(first.at("scenario").dump(), "the shares' scenario");
  if (!s) return Fail(s.error());
  // Every record speaks of the scenario's networks and services, in order.
  for (std::size_t i = 0; i < all.size(); ++i) {
    const auto& r = all[i];
    const std::string at = "trial " + std::to_string(i) + " (seed " + std::to_string(r.seed) + ")";
    if (r.networks.size() != s->networks.size() || r.services.size() != s->services.size()) {
      return Fail(at + ": its record lists " + std::to_string(r.networks.size()) + " networks and " +
                  std::to_string(r.services.size()) + " services, not the scenario's " +
                  std::to_string(s->networks.size()) + " and " + std::to_string(s->services.size()));
    }
    for (std::size_t k = 0; k < r.networks.size(); ++k) {
      if (r.networks[k].name != s->networks[k].name || r.networks[k].capacity != s->networks[k].subnet.size()) {
        return Fail(at + ": network " + std::to_string(k) + " of its record (" + r.networks[k].name + ", " +
                    std::to_string(r.networks[k].capacity) + " addresses) is not the scenario's");
      }
    }
    for (std::size_t k = 0; k < r.services.size(); ++k) {
      if (r.services[k].name != s->services[k].name) {
        return Fail(at + ": service " + std::to_string(k) + " of its record (" + r.services[k].name +
                    ") is not the scenario's");
      }
    }
  }
  auto words = first.at("plan").at("words").get<std::vector<std::string>>();
  auto plan = planner::ParseOrder(*s, words, *s->upgrade.to, s->upgrade.activate_managers_last);
  if (!plan) return Fail("the shares' plan: " + plan.error());
  plan->origin = first.at("plan").at("origin").get<std::string>();
  const std::uint64_t seed = first.at("seed").get<std::uint64_t>();
  planner::TrialStats stats;
  for (std::size_t i = 0; i < all.size(); ++i) stats.Add(all[i], i);
  planner::Report rep = planner::Aggregate(*s, *plan, seed, stats);
  // The `--at` snapshots, as the unsharded run reports them.
  if (first.contains("at_us")) {
    for (const auto& t : first.at("at_us")) rep.snapshot_at_s.push_back(sim::ToSeconds(t.get<sim::Time>()));
    for (const auto& r : all) {
      if (r.snapshots.size() != rep.snapshot_at_s.size()) {
        return Fail("a trial record holds " + std::to_string(r.snapshots.size()) + " snapshots, not the " +
                    std::to_string(rep.snapshot_at_s.size()) + " its share's --at names");
      }
    }
    rep.snapshots = stats.snaps;
  }
  // The timing design is bounded and seeded: redone here, it is the one the
  // unsharded run would have made.
  if (first.value("sensitivity", false)) {
    planner::AddSensitivity(rep, *s, *plan, total, std::max(1u, std::thread::hardware_concurrency()));
  }
  // So are the fixes' proofs (the first min(trials, 200) trial seeds).
  if (first.value("fixes", false)) {
    planner::AddFixes(rep, *s, *plan, total, std::max(1u, std::thread::hardware_concurrency()));
  }
  // The reproduce line is built here from the share's words, each checked
  // and quoted: a share can never make merge print a command of its choice.
  std::string prefix = "swarmplan simulate SCENARIO";
  if (first.contains("reproduce_args")) {
    const json& a = first.at("reproduce_args");
    if (!a.is_array()) return Fail(files[0] + ": /reproduce_args must be an array of strings");
    std::vector<std::string> rwords;
    for (std::size_t k = 0; k < a.size(); ++k) {
      const std::string at = files[0] + ": /reproduce_args/" + std::to_string(k);
      if (a[k].is_object() && a[k].size() == 1 && a[k].contains("hex") && a[k]["hex"].is_string()) {
        // A word that is not UTF-8, as its bytes in hex.
        const std::string hex = a[k]["hex"].get<std::string>();
        std::string w;
        for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
          const auto nib = [](char c) { return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1; };
          const int hi = nib(hex[i]), lo = nib(hex[i + 1]);
          if (hi < 0 || lo < 0) return Fail(at + ": /hex is not lowercase hex");
          w += static_cast<char>(hi * 16 + lo);
        }
        if (hex.size() % 2 != 0) return Fail(at + ": /hex has an odd number of digits");
        rwords.push_back(w);
        continue;
      }
      if (!a[k].is_string()) return Fail(at + " must be a string");
      rwords.push_back(a[k].get<std::string>());
    }
    // [FILE] then flag-value pairs of the flags a run repeats.
    std::size_t k = !rwords.empty() && !ScenarioOptions::ReproduceFlags().contains(rwords[0]) ? 1 : 0;
    for (; k < rwords.size(); k += 2) {
      if (!ScenarioOptions::ReproduceFlags().contains(rwords[k]) || k + 1 >= rwords.size()) {
        return Fail(files[0] + ": /reproduce_args/" + std::to_string(k) + ": \"" + rwords[k] +
                    "\" is not a flag a reproduce line repeats (a share not written by swarmplan plan --shard)");
      }
    }
    prefix = ScenarioOptions::ReproduceLine("simulate", rwords);
  }
  const std::string reproduce = prefix + " --seed " + std::to_string(rep.example_seed);
  if (as_json) {
    json out = planner::ReportToJson(rep);
    out["reproduce"] = reproduce;
    std::cout << out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  } else {
    std::cout << planner::RenderText(rep, reproduce);
  }
  return rep.safe ? kExitSafe : kExitAtRisk;
}

}  // namespace

int RunMerge(const std::vector<std::string>& files, bool as_json) {
  try {
    return MergeShares(files, as_json);
  } catch (const json::exception& e) {
    // A field of a share missing or of the wrong type.
    return Fail("a share file is not as `swarmplan plan --shard` writes it: " + std::string(e.what()));
  }
}

}  // namespace swarmplan::cli
