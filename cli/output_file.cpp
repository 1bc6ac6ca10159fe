#include "cli/output_file.hpp"

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace swarmplan::cli {

namespace {

std::string Why(const std::string& path, const char* what) { return path + ": " + what + ": " + std::strerror(errno); }

// Writes all of `text` to `fd`; false with errno set on failure.
bool WriteAll(int fd, const std::string& text) {
  std::size_t off = 0;
  while (off < text.size()) {
    const ssize_t n = ::write(fd, text.data() + off, text.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (n == 0) errno = EIO;
      return false;
    }
    off += static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

std::expected<void, std::string> WriteOutputFile(const std::string& path, const std::string& text) {
  if (path.empty()) return std::unexpected(std::string("the output path is empty"));
  struct stat st {};
  const bool exists = ::stat(path.c_str(), &st) == 0;  // follows links
  if (exists && S_ISDIR(st.st_mode)) return std::unexpected(path + ": is a directory");
  if (exists && !S_ISREG(st.st_mode)) {
    // A device, FIFO or socket: write through it.
    const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) return std::unexpected(Why(path, "cannot open for writing"));
    const bool ok = WriteAll(fd, text);
    const int saved = errno;
    ::close(fd);
    errno = saved;
    if (!ok) return std::unexpected(Why(path, "cannot write"));
    return {};
  }
  // The file the path names in the end (through any links), so the rename
  // replaces the target and keeps the link.
  std::string target = path;
  if (exists) {
    char buf[PATH_MAX];
    if (::realpath(path.c_str(), buf) == nullptr) return std::unexpected(Why(path, "cannot resolve"));
    target = buf;
  } else {
    struct stat lst {};
    if (::lstat(path.c_str(), &lst) == 0 && S_ISLNK(lst.st_mode)) {
      // A link to a file not there yet: create it through the link.
      const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      if (fd < 0) return std::unexpected(Why(path, "cannot create"));
      const bool ok = WriteAll(fd, text) && ::fsync(fd) == 0;
      const int saved = errno;
      ::close(fd);
      errno = saved;
      if (!ok) return std::unexpected(Why(path, "cannot write"));
      return {};
    }
  }
  std::string tmpl = target + ".XXXXXX";
  const int fd = ::mkstemp(tmpl.data());
  if (fd < 0) return std::unexpected(Why(target, "cannot create a temporary file beside it"));
  const bool ok = WriteAll(fd, text) && ::fsync(fd) == 0;
  const int saved = errno;
  // Keep the mode of the file being replaced (mkstemp makes 0600).
  ::fchmod(fd, exists ? (st.st_mode & 07777) : 0644);
  ::close(fd);
  if (!ok) {
    ::unlink(tmpl.c_str());
    errno = saved;
    return std::unexpected(Why(target, "cannot write"));
  }
  if (::rename(tmpl.c_str(), target.c_str()) != 0) {
    const std::string e = Why(target, "cannot replace");
    ::unlink(tmpl.c_str());
    return std::unexpected(e);
  }
  return {};
}

}  // namespace swarmplan::cli
