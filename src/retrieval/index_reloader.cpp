#include "retrieval/index_reloader.hpp"

#include <spdlog/spdlog.h>

namespace rag::retrieval {
namespace {

constexpr std::chrono::milliseconds kDeferredPoll{200};

}  // namespace

IndexReloader::IndexReloader(LiveIndex& index, std::chrono::milliseconds poll)
    : index_(index), poll_(poll), thread_([this] { run(); }) {}

IndexReloader::~IndexReloader() { stop(); }

void IndexReloader::request_reload() {
  {
    std::lock_guard lock(mutex_);
    reload_requested_ = true;
  }
  wake_.notify_one();
}

void IndexReloader::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stop_ && !thread_.joinable()) return;
    stop_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

IndexReloader::FirstLoad IndexReloader::wait_for_first_load(std::chrono::milliseconds bound) {
  std::unique_lock lock(mutex_);
  if (!first_done_.wait_for(lock, bound, [this] { return first_loaded_.has_value(); }))
    return FirstLoad::kPending;
  return *first_loaded_ ? FirstLoad::kLoaded : FirstLoad::kFailed;
}

void IndexReloader::first_attempt_done(bool loaded) {
  {
    std::lock_guard lock(mutex_);
    if (first_loaded_) return;
    first_loaded_ = loaded;
  }
  first_done_.notify_all();
}

void IndexReloader::run() {
  bool forced = true;  // the first load
  bool missing_logged = false;
  bool deferred_logged = false;
  for (;;) {
    auto loaded = forced ? index_.reload() : index_.reload_if_changed();
    if (loaded && loaded->reloaded) {
      spdlog::info("Index loaded: {} chunks, {} with vectors{}, in {:.2f}s (generation {}; {})",
                   loaded->chunks, loaded->vectors,
                   loaded->approximate()
                       ? fmt::format(" ({} vector index as stored by rag-server index)",
                                     kind_name(loaded->kind))
                       : std::string(),
                   loaded->seconds, loaded->generation,
                   loaded->lexical_stored ? "lexical index as stored by rag-server index"
                                          : "lexical index built");
      if (!loaded->lexical_note.empty()) {
        spdlog::warn(
            "Built the lexical index in memory; rag-server index stores it for a faster start: {}",
            loaded->lexical_note);
      }
      if (loaded->awaiting_graph) {
        spdlog::warn(
            "Vector search is exact until rag-server index stores the vector index for "
            "this index: {}",
            loaded->graph_note);
      }
      missing_logged = false;
      deferred_logged = false;
    } else if (loaded && loaded->deferred && !deferred_logged) {
      spdlog::info(
          "The index changed while rag-server index is still running: reloading when "
          "it ends");
      deferred_logged = true;
    } else if (!loaded && (forced || !missing_logged)) {
      spdlog::warn("Index not loaded: {}", loaded.error().message);
      missing_logged = true;
    }
    first_attempt_done(loaded.has_value());
    // While a run of `rag-server index` holds the folder, look often: the new snapshot is then
    // swapped in within a fraction of a second of the run's end, not a whole poll later.
    const bool deferred = loaded && loaded->deferred;
    std::unique_lock lock(mutex_);
    wake_.wait_for(lock, deferred ? std::min(poll_, kDeferredPoll) : poll_,
                   [this] { return stop_ || reload_requested_; });
    if (stop_) return;
    forced = reload_requested_;
    reload_requested_ = false;
  }
}

}  // namespace rag::retrieval
