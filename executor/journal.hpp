// Journal: the record of an `apply` run's finished steps, so that a run
// stopped at any point (even by kill -9) resumes where it stopped and never
// repeats a finished drain or upgrade. One line per finished step, written
// and flushed to disk before the next step starts; the first line names the
// plan, and a journal of another plan is refused.
#pragma once

#include <cstdint>
#include <expected>
#include <set>
#include <string>

namespace swarmplan::executor {

class Journal {
 public:
  // Opens (creating if needed) the journal at `path` for the plan with
  // this fingerprint. Fails if the file belongs to another plan or is
  // malformed.
  static std::expected<Journal, std::string> Open(const std::string& path, const std::string& fingerprint);

  bool Done(std::size_t step) const { return done_.contains(step); }
  std::size_t finished() const { return done_.size(); }
  // Appends "done <step> <text>" and syncs it to disk.
  std::expected<void, std::string> Record(std::size_t step, const std::string& text);

 private:
  std::string path_;
  std::set<std::size_t> done_;
};

// A stable fingerprint of a plan's text (FNV-1a, hex).
std::string Fingerprint(const std::string& text);

}  // namespace swarmplan::executor
