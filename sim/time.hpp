// Simulated time: an integer count of microseconds since the start of a run.
// Never a double, never the wall clock.
#pragma once

#include <cstdint>

namespace swarmplan::sim {

using Time = std::int64_t;  // microseconds

inline constexpr Time kMicrosecond = 1;
inline constexpr Time kMillisecond = 1000;
inline constexpr Time kSecond = 1000 * kMillisecond;
inline constexpr Time kMinute = 60 * kSecond;
inline constexpr Time kHour = 60 * kMinute;

inline constexpr Time Ms(std::int64_t ms) { return ms * kMillisecond; }
inline constexpr Time Sec(std::int64_t s) { return s * kSecond; }
inline constexpr Time Minute(std::int64_t m) { return m * kMinute; }
inline constexpr double ToSeconds(Time t) { return static_cast<double>(t) / kSecond; }

}  // namespace swarmplan::sim
