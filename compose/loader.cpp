#include "compose/loader.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <memory>
#include <set>
#include <sstream>

#include "model/utf8.hpp"

namespace swarmplan::compose::detail {

// Go's strconv.Atoi: an optional sign and decimal digits.
std::optional<long double> DecimalInt(const std::string& s) {
  std::size_t i = s.size() > 0 && (s[0] == '+' || s[0] == '-') ? 1 : 0;
  if (i == s.size() || s.size() > 40) return std::nullopt;
  long double v = 0;
  for (std::size_t k = i; k < s.size(); ++k) {
    if (!std::isdigit(static_cast<unsigned char>(s[k]))) return std::nullopt;
    v = v * 10 + (s[k] - '0');
  }
  return s[0] == '-' ? -v : v;
}

// A plain YAML scalar's number as docker's YAML decoder resolves it: an
// integer in Go's base-prefixed syntax (0x 0o 0b, a leading 0 for octal,
// underscores between digits), else a decimal float. nullopt: a string.
std::optional<long double> YamlNumber(const std::string& s) {
  if (s.empty() || s.size() > 100) return std::nullopt;
  // Only a value that starts like a number is one; its underscores are
  // dropped, wherever they are ("1__0" is 10, "_10" a string).
  if (!(std::isdigit(static_cast<unsigned char>(s[0])) || s[0] == '+' || s[0] == '-' || s[0] == '.')) return std::nullopt;
  std::size_t i = s[0] == '+' || s[0] == '-' ? 1 : 0;
  const bool neg = s[0] == '-';
  std::string body;
  for (std::size_t k = i; k < s.size(); ++k) {
    if (s[k] != '_') body += s[k];
  }
  auto integer = [&]() -> std::optional<long double> {
    int base = 10;
    std::string digits = body;
    if (body.size() > 1 && body[0] == '0') {
      const char p = static_cast<char>(std::tolower(static_cast<unsigned char>(body[1])));
      if (p == 'x' || p == 'o' || p == 'b') {
        base = p == 'x' ? 16 : p == 'o' ? 8 : 2;
        digits = body.substr(2);
      } else {
        base = 8;
        digits = body.substr(1);
      }
    }
    if (digits.empty()) return base == 8 && body == "0" ? std::optional<long double>(0) : std::nullopt;
    long double v = 0;
    for (std::size_t k = 0; k < digits.size(); ++k) {
      const char c = digits[k];
      int d = std::isdigit(static_cast<unsigned char>(c)) ? c - '0'
              : std::isxdigit(static_cast<unsigned char>(c)) ? std::tolower(static_cast<unsigned char>(c)) - 'a' + 10
                                                              : 99;
      if (d >= base) return std::nullopt;
      v = v * base + d;
    }
    return neg ? -v : v;
  };
  if (auto v = integer()) return v;
  // [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
  std::size_t k = 0, digits = 0;
  while (k < body.size() && std::isdigit(static_cast<unsigned char>(body[k]))) ++k, ++digits;
  if (k < body.size() && body[k] == '.') {
    ++k;
    while (k < body.size() && std::isdigit(static_cast<unsigned char>(body[k]))) ++k, ++digits;
  }
  if (digits == 0) return std::nullopt;
  if (k < body.size() && (body[k] == 'e' || body[k] == 'E')) {
    ++k;
    if (k < body.size() && (body[k] == '+' || body[k] == '-')) ++k;
    const std::size_t b = k;
    while (k < body.size() && std::isdigit(static_cast<unsigned char>(body[k]))) ++k;
    if (k == b) return std::nullopt;
  }
  if (k != body.size()) return std::nullopt;
  const long double v = std::strtold(body.c_str(), nullptr);
  return neg ? -v : v;
}

// Flow collections nested deeper than any Compose file needs ("[[[[..."):
// refused before the YAML parser recurses into them.
bool NestedTooDeeply(const std::string& yaml) {
  int depth = 0;
  for (char c : yaml) {
    if (c == '[' || c == '{') {
      if (++depth > 200) return true;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return false;
}

// A key given twice in one mapping (`deploy: {replicas: 2, replicas: 40}`,
// `services:` twice, a doubled `subnet`): docker's loader refuses the file
// ("mapping key already defined"; its older one kept the last key, yaml-cpp
// the first), so whichever swarmplan took, it would judge another deploy
// than the one that runs. The error names both lines. Read before merge
// keys are resolved; aliases are not followed twice (`budget`).
std::expected<void, std::string> CheckDuplicateKeys(const YAML::Node& n, const std::string& file, const std::string& path,
                                                    std::uint64_t& budget, int depth) {
  if (depth > 250 || budget == 0) return {};  // bounded elsewhere (ResolveMerges), with its own error
  --budget;
  if (n.IsSequence()) {
    for (std::size_t i = 0; i < n.size(); ++i) {
      if (auto ok = CheckDuplicateKeys(n[i], file, path + "[" + std::to_string(i) + "]", budget, depth + 1); !ok) return ok;
    }
    return {};
  }
  if (!n.IsMap()) return {};
  std::map<std::string, YAML::Mark> seen;
  for (const auto& kv : n) {
    if (!kv.first.IsScalar()) continue;
    const std::string k = kv.first.Scalar();
    const std::string where = path.empty() ? k : path + "." + k;
    const YAML::Mark m = kv.first.Mark();
    auto [it, fresh] = seen.emplace(k, m);
    if (!fresh) {
      return std::unexpected(file + ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1) + ": " + where +
                             ": the key \"" + k + "\" is given twice in one mapping (line " +
                             std::to_string(it->second.line + 1) + " and line " + std::to_string(m.line + 1) +
                             "); docker refuses such a file (mapping key already defined): keep one");
    }
    if (auto ok = CheckDuplicateKeys(kv.second, file, where, budget, depth + 1); !ok) return ok;
  }
  return {};
}

// YAML merge keys (<<: *anchor, or a list of them), resolved in place: the
// mapping's own keys win, then the merged mappings' in order. yaml-cpp
// leaves them as keys. In place, so that every node keeps its line.
// False once `budget` values were visited (aliases of aliases expand
// exponentially).
// Throws MergeError where a merge key's value is not a mapping (docker: "map
// merge requires map or sequence of maps as the value").
bool ResolveMerges(YAML::Node n, std::uint64_t& budget, int depth) {
  if (depth > 250 || budget-- == 0) return false;
  if (n.IsSequence()) {
    for (auto x : n) {
      if (!ResolveMerges(x, budget, depth + 1)) return false;
    }
    return true;
  }
  if (!n.IsMap()) return true;
  std::vector<YAML::Node> from;
  for (auto kv : n) {
    if (kv.first.IsScalar() && kv.first.Scalar() == "<<") {
      if (kv.second.IsSequence()) {
        for (auto x : kv.second) from.push_back(x);
      } else {
        from.push_back(kv.second);
      }
    } else if (!ResolveMerges(kv.second, budget, depth + 1)) {
      return false;
    }
  }
  if (from.empty()) return true;
  n.remove("<<");
  for (YAML::Node m : from) {
    if (!ResolveMerges(m, budget, depth + 1)) return false;
    if (!m.IsMap()) throw MergeError(m.Mark());
    for (auto e : m) {
      if (!n[e.first.Scalar()]) n[e.first.Scalar()] = e.second;
    }
  }
  return true;
}

// The file as text: UTF-8 without NUL or other control characters than
// tab and line breaks, as YAML (and so docker) requires. "" if it is.
std::string TextProblem(const std::string& t) {
  std::size_t line = 1;
  for (std::size_t i = 0; i < t.size();) {
    const unsigned char c = static_cast<unsigned char>(t[i]);
    if (c == '\n') ++line;
    if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f) {
      return "line " + std::to_string(line) + ": a control character (byte " + std::to_string(c) + ") is not allowed in YAML";
    }
    const std::size_t len = model::Utf8SequenceAt(t, i);
    if (len == 0) return "line " + std::to_string(line) + ": not valid UTF-8 (docker reads Compose files as UTF-8)";
    i += len;
  }
  return {};
}

}  // namespace swarmplan::compose::detail
