// Writing a file the user named with -o, --svg, --csv or --html as a shell
// redirection would (`> path`), never destroying what the path points at:
//   - a path the user may not write is refused, as the shell refuses it;
//   - a regular file (or a symbolic link to one) is replaced atomically
//     (temporary file beside the link's target, synced, renamed over it,
//     with the target's mode) when that keeps everything the file was: its
//     owner and group are the writer's and it has one link. Otherwise (a
//     file of another owner that the user may write, a file with hard
//     links, a directory the user may not create files in) it is written
//     in place, truncated first, as `>` does: owner, mode and links stay;
//   - a path that does not exist is created (mode 0644 less the umask);
//   - a device or a terminal is written through, never replaced; a FIFO is
//     written through only when a reader has it open already (otherwise
//     the write would wait for one for ever): refused, saying so.
#pragma once

#include <expected>
#include <string>

namespace swarmplan::cli {

// The error names the path and the reason.
std::expected<void, std::string> WriteOutputFile(const std::string& path, const std::string& text);

// Whether WriteOutputFile(path, ...) can succeed, checked before a long run
// so that minutes of trials are never thrown away on a path that cannot be
// written: a directory, a path in a directory that does not exist, a file
// or a directory the user may not write. Writes nothing.
std::expected<void, std::string> CheckOutputPath(const std::string& path);

}  // namespace swarmplan::cli
