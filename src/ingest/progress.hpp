// Progress of an index run: a redrawn bar on a terminal, periodic log lines otherwise
// (every 5% of the work and at least every 5 s), so a log reader can follow a long run.
//
// Thread-safety: one thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <utility>

namespace rag::ingest {

class Progress {
 public:
  virtual ~Progress() = default;
  // `phase` is "files" or "embeddings"; `extra` is shown after the counts.
  virtual void update(const char* phase, std::size_t done, std::size_t total,
                      const std::string& extra) = 0;
  virtual void done() = 0;
};

// The real one: a bar when `terminal`, else spdlog::info lines ("indexing files: 40/809 (5%)";
// `activity` names what is being done: "indexing", "scoring").
class ConsoleProgress final : public Progress {
 public:
  explicit ConsoleProgress(bool terminal, std::string activity = "indexing")
      : terminal_(terminal), activity_(std::move(activity)) {}
  void update(const char* phase, std::size_t done, std::size_t total,
              const std::string& extra) override;
  void done() override;

 private:
  bool terminal_;
  std::string activity_;
  bool drawn_ = false;
  std::string phase_;
  std::size_t last_step_ = 0;
  std::chrono::steady_clock::time_point last_log_{};
  std::chrono::steady_clock::time_point last_draw_{};
};

// For tests and quiet callers.
class NullProgress final : public Progress {
 public:
  void update(const char*, std::size_t, std::size_t, const std::string&) override {}
  void done() override {}
};

}  // namespace rag::ingest
