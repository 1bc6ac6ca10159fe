// Writing a file the user named with -o, without ever destroying what the
// path points at:
//   - a regular file (or a symbolic link to one) is replaced atomically:
//     the text goes to a temporary file beside the link's target, is synced,
//     then renamed over the target (the link stays a link);
//   - a path that does not exist is created the same way;
//   - anything else (/dev/stdout, /dev/null, a FIFO, a terminal) is opened
//     and written through, never replaced; a write that fails (/dev/full)
//     is an error.
#pragma once

#include <expected>
#include <string>

namespace swarmplan::cli {

// The error names the path and the reason.
std::expected<void, std::string> WriteOutputFile(const std::string& path, const std::string& text);

}  // namespace swarmplan::cli
