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

// The directory a path's file lives in ("." for a bare name).
std::string DirOf(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// Opens `path` with `flags`, writes `text`, syncs a regular file, closes.
std::expected<void, std::string> WriteThrough(const std::string& path, int flags, const std::string& text,
                                              const char* open_what) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC | O_NOCTTY, 0644);
  if (fd < 0) {
    if (errno == ENXIO && (flags & O_NONBLOCK)) return std::unexpected(path + ": is a FIFO that no process reads; nothing would read the output");
    return std::unexpected(Why(path, open_what));
  }
  if (flags & O_NONBLOCK) ::fcntl(fd, F_SETFL, O_WRONLY);  // a reader is there: block on writes as usual
  struct stat st {};
  const bool regular = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
  const bool ok = WriteAll(fd, text) && (!regular || ::fsync(fd) == 0);
  const int saved = errno;
  ::close(fd);
  errno = saved;
  if (!ok) return std::unexpected(Why(path, "cannot write"));
  return {};
}

}  // namespace

std::expected<void, std::string> CheckOutputPath(const std::string& path) {
  if (path.empty()) return std::unexpected(std::string("the output path is empty"));
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) {  // follows links
    if (S_ISDIR(st.st_mode)) return std::unexpected(path + ": is a directory");
    if (::access(path.c_str(), W_OK) != 0) return std::unexpected(Why(path, "cannot write"));
    return {};
  }
  if (errno != ENOENT) return std::unexpected(Why(path, "cannot write"));
  // Not there (or a dangling link): its directory must take a new file.
  std::string where = path;
  struct stat lst {};
  if (::lstat(path.c_str(), &lst) == 0 && S_ISLNK(lst.st_mode)) {
    char buf[PATH_MAX];
    const ssize_t n = ::readlink(path.c_str(), buf, sizeof buf - 1);
    if (n > 0) {
      buf[n] = '\0';
      where = buf[0] == '/' ? std::string(buf) : DirOf(path) + "/" + buf;
    }
  }
  const std::string dir = DirOf(where);
  struct stat dst {};
  if (::stat(dir.c_str(), &dst) != 0) return std::unexpected(Why(path, "cannot create (its directory)"));
  if (!S_ISDIR(dst.st_mode)) return std::unexpected(path + ": cannot create: " + dir + " is not a directory");
  if (::access(dir.c_str(), W_OK | X_OK) != 0) return std::unexpected(Why(path, "cannot create"));
  return {};
}

std::expected<void, std::string> WriteOutputFile(const std::string& path, const std::string& text) {
  if (auto ok = CheckOutputPath(path); !ok) return ok;
  struct stat st {};
  const bool exists = ::stat(path.c_str(), &st) == 0;  // follows links
  if (exists && S_ISFIFO(st.st_mode)) return WriteThrough(path, O_WRONLY | O_NONBLOCK, text, "cannot open for writing");
  if (exists && !S_ISREG(st.st_mode)) return WriteThrough(path, O_WRONLY, text, "cannot open for writing");
  if (!exists) {
    struct stat lst {};
    if (::lstat(path.c_str(), &lst) == 0 && S_ISLNK(lst.st_mode)) {
      // A link to a file not there yet: create it through the link.
      return WriteThrough(path, O_WRONLY | O_CREAT | O_TRUNC, text, "cannot create");
    }
  }
  // The file the path names in the end (through any links), so the rename
  // replaces the target and keeps the link.
  std::string target = path;
  if (exists) {
    char buf[PATH_MAX];
    if (::realpath(path.c_str(), buf) == nullptr) return std::unexpected(Why(path, "cannot resolve"));
    target = buf;
    // A rename would give the file the writer's owner and group and split
    // its hard links: write in place instead, as `>` does.
    if (st.st_nlink > 1 || st.st_uid != ::geteuid() || st.st_gid != ::getegid() ||
        ::access(DirOf(target).c_str(), W_OK | X_OK) != 0) {
      return WriteThrough(target, O_WRONLY | O_TRUNC, text, "cannot open for writing");
    }
  }
  std::string tmpl = target + ".XXXXXX";
  const int fd = ::mkstemp(tmpl.data());
  if (fd < 0) return std::unexpected(Why(target, "cannot create a temporary file beside it"));
  // Keep the mode of the file being replaced (mkstemp makes 0600); a new
  // file gets 0644 less the umask, as the shell would create it.
  mode_t mode = st.st_mode & 07777;
  if (!exists) {
    const mode_t mask = ::umask(0);
    ::umask(mask);
    mode = 0644 & ~mask;
  }
  const bool ok = WriteAll(fd, text) && ::fchmod(fd, mode) == 0 && ::fsync(fd) == 0;
  const int saved = errno;
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
