// A cancellation signal for one request. Boost 1.74's Asio has no per-operation cancellation
// slots, so an operation that must stop when its caller goes away registers a callback here
// (typically closing its socket, which completes its pending I/O with operation_aborted).
//
// Thread-safety: cancel() and registration may be called from any thread; callbacks run on
// the thread that calls cancel(), so a callback must only do thread-safe things (post to its
// own executor, or close a socket whose operations run on the same strand as cancel()).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>

namespace rag {

class CancelState {
 public:
  using Callback = std::function<void()>;

  // Runs every registered callback once; later registrations run at once.
  void cancel() {
    std::map<int, Callback> callbacks;
    {
      std::lock_guard lock(mutex_);
      if (cancelled_) return;
      cancelled_ = true;
      callbacks.swap(callbacks_);
    }
    for (auto& [id, cb] : callbacks) cb();
  }

  bool cancelled() const {
    std::lock_guard lock(mutex_);
    return cancelled_;
  }

  // Returns an id for unregister(); runs `cb` immediately (and returns -1) if already cancelled.
  int on_cancel(Callback cb) {
    {
      std::lock_guard lock(mutex_);
      if (!cancelled_) {
        callbacks_.emplace(next_id_, std::move(cb));
        return next_id_++;
      }
    }
    cb();
    return -1;
  }

  void unregister(int id) {
    std::lock_guard lock(mutex_);
    callbacks_.erase(id);
  }

 private:
  mutable std::mutex mutex_;
  bool cancelled_ = false;
  int next_id_ = 0;
  std::map<int, Callback> callbacks_;
};

// Shared handle; a default-constructed token is never cancelled.
using CancelToken = std::shared_ptr<CancelState>;

inline CancelToken make_cancel_token() { return std::make_shared<CancelState>(); }

// RAII registration: unregisters when the guarded operation ends.
class CancelRegistration {
 public:
  CancelRegistration(const CancelToken& token, CancelState::Callback cb) : token_(token) {
    if (token_) id_ = token_->on_cancel(std::move(cb));
  }
  ~CancelRegistration() {
    if (token_ && id_ >= 0) token_->unregister(id_);
  }
  CancelRegistration(const CancelRegistration&) = delete;
  CancelRegistration& operator=(const CancelRegistration&) = delete;

 private:
  CancelToken token_;
  int id_ = -1;
};

}  // namespace rag
