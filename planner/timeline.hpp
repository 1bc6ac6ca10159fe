// Timeline: one trial of a plan as series over time, for people who would
// rather look than read: addresses in use per overlay against its capacity,
// and per service the tasks running, waiting in NEW for an address, and
// rejected so far, with the plan's steps marked. Written as CSV, as an SVG
// picture, and inside the HTML report (planner/html.hpp).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/scenario.hpp"
#include "planner/plan.hpp"

namespace swarmplan::planner {

struct Timeline {
  std::uint64_t seed = 0;  // the trial's own seed (`simulate --seed`)
  std::vector<std::string> networks;
  std::vector<std::uint64_t> capacity;
  std::vector<std::string> services;
  std::vector<std::uint32_t> desired;  // at the start of the plan
  std::vector<std::string> nodes;
  struct Point {
    double t = 0;  // seconds since the plan started
    std::vector<std::uint64_t> used;  // per network
    std::vector<std::uint32_t> running, waiting_new, rejected;  // per service; rejected: so far
    // Per node: ready with its engine running; holding a load-balancer
    // address on a user overlay; its tasks running, and on their way
    // (assigned to starting).
    std::vector<std::uint8_t> node_up, node_lb;
    std::vector<std::uint32_t> node_running, node_starting;
  };
  std::vector<Point> points;  // one per change
  struct Mark {
    double t = 0;
    std::size_t index = 0;  // step number, from 0
    std::string step;
  };
  std::vector<Mark> marks;
  double end = 0;  // when the trial ended (converged or gave up)
};

// Text for SVG or HTML: &, <, >, " escaped; control characters (other
// than newline and tab), which XML 1.0 does not allow, left out.
std::string MarkupEscape(const std::string& text);

// Runs trial `seed` of the plan (the seed `simulate --seed` takes) and
// records its timeline from the first step to the end.
Timeline RecordTimeline(const model::Scenario& s, const Plan& p, std::uint64_t seed);

// One row per change: t_s, then used:<net> per network, then
// running:<svc>, new:<svc>, rejected:<svc> per service; steps in a last
// column where one starts.
std::string TimelineCsv(const Timeline& tl);

// A self-contained SVG: one panel per network (addresses in use, the
// capacity as a line) and one per service (running, NEW, rejected), on a
// shared time axis with the steps marked.
std::string TimelineSvg(const Timeline& tl, const std::string& title);

}  // namespace swarmplan::planner
