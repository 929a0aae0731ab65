// Console progress (see progress.hpp).
#include "ingest/progress.hpp"

#include <spdlog/spdlog.h>

#include <cstdio>

namespace rag::ingest {

void ConsoleProgress::update(const char* phase, std::size_t done, std::size_t total,
                             const std::string& extra) {
  auto now = std::chrono::steady_clock::now();
  if (phase_ != phase) {
    phase_ = phase;
    last_step_ = 0;
    last_log_ = now;
  }
  if (terminal_) {
    if (done != total && now - last_draw_ < std::chrono::milliseconds(100)) return;
    last_draw_ = now;
    constexpr int kWidth = 30;
    int filled = total ? static_cast<int>(kWidth * done / total) : kWidth;
    std::string bar(static_cast<std::size_t>(filled), '#');
    bar.resize(kWidth, '-');
    std::fprintf(stderr, "\r%-10s [%s] %zu/%zu %s\x1b[K", phase, bar.c_str(), done, total,
                 extra.c_str());
    std::fflush(stderr);
    drawn_ = true;
    return;
  }
  std::size_t step = total ? 20 * done / total : 20;  // 5% steps
  if (step > last_step_ || now - last_log_ >= std::chrono::seconds(5) || done == total) {
    if (done == total && step == last_step_ && step == 20) return;  // already said 100%
    last_step_ = step;
    last_log_ = now;
    spdlog::info("{} {}: {}/{} ({}%) {}", activity_, phase, done, total,
                 total ? 100 * done / total : 100, extra);
  }
}

void ConsoleProgress::done() {
  if (terminal_ && drawn_) std::fprintf(stderr, "\n");
  drawn_ = false;
}

}  // namespace rag::ingest
