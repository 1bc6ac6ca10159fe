// UTF-8, as JSON (nlohmann's dump) and YAML (docker's loader) require it:
// shortest form, no surrogates, at most U+10FFFF. One check for every
// reader and writer that needs to know.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace swarmplan::model {

// The length of the UTF-8 sequence that starts at s[i] (1 for ASCII), or 0
// when none does (a stray or truncated byte, an overlong form, a surrogate,
// a code point past U+10FFFF). REQUIRES: i < s.size().
inline std::size_t Utf8SequenceAt(std::string_view s, std::size_t i) {
  const unsigned char c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) return 1;
  const std::size_t len = (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
  if (len == 0 || i + len > s.size()) return 0;
  std::uint32_t cp = c & (0x7fu >> len);
  for (std::size_t k = 1; k < len; ++k) {
    const unsigned char d = static_cast<unsigned char>(s[i + k]);
    if ((d >> 6) != 2) return 0;
    cp = (cp << 6) | (d & 0x3fu);
  }
  const bool overlong = (len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000);
  if (overlong || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return len;
}

// True if `s` is UTF-8 without control characters: a word a terminal
// shows as it is and JSON carries unchanged.
inline bool PrintableUtf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7f) return false;
    const std::size_t len = Utf8SequenceAt(s, i);
    if (len == 0) return false;
    i += len;
  }
  return true;
}

}  // namespace swarmplan::model
