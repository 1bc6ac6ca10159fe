// Strict JSON text: the parser every input of swarmplan goes through
// (scenario files, shards, journals' companions, Engine API answers).
// Beyond nlohmann's own checks it refuses a key given twice in one object
// (nlohmann keeps the last, silently), nesting deeper than kMaxJsonDepth
// (copying or destroying such a value recurses once per level), and text
// longer than kMaxJsonBytes.
#pragma once

#include <cstddef>
#include <expected>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace swarmplan::model {

inline constexpr int kMaxJsonDepth = 64;
inline constexpr std::size_t kMaxJsonBytes = 64u << 20;  // 64 MiB

// The value `text` holds, or an error (without the origin: callers prefix
// the file or the request) such as "malformed JSON: ..." or
// "/services/0: key \"name\" appears twice".
// `max_bytes`: the longest text accepted.
std::expected<nlohmann::json, std::string> ParseStrictJson(std::string_view text,
                                                           std::size_t max_bytes = kMaxJsonBytes);

// A JSON library error for a person: e.what() without nlohmann's
// "[json.exception.type_error.302] " prefix.
inline std::string JsonErrorText(const nlohmann::json::exception& e) {
  std::string m = e.what();
  if (m.rfind("[json.exception.", 0) == 0 && m.find("] ") != std::string::npos) m = m.substr(m.find("] ") + 2);
  return m;
}

// How long ReadInputFile waits for the next bytes of a FIFO, pipe or device.
inline constexpr int kInputIdleTimeoutMs = 10'000;

// The whole content of a file, at most `max_bytes` of it; an error names
// the path and says why (not found, a directory, too large, unreadable).
// A pipe, FIFO or device is read too (process substitution works), but
// when nothing comes from it for kInputIdleTimeoutMs (a FIFO nobody
// writes) it is an error, never a wait for ever.
std::expected<std::string, std::string> ReadInputFile(const std::string& path, std::size_t max_bytes,
                                                      const std::string& what);

}  // namespace swarmplan::model
