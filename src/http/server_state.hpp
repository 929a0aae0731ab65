// State shared by the listener and its connections (internal to http/).
#pragma once

#include <utility>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "http/server.hpp"

namespace rag::http {

// What the server may do to a live connection from outside its strand.
class ConnectionHandle {
 public:
  virtual ~ConnectionHandle() = default;
  virtual void close_if_idle() = 0;
  virtual void force_close() = 0;
};

struct ServerState {
  ServerOptions options;
  Handler handler;
  CompletionHook on_complete;
  std::atomic<bool> stopping{false};
  std::atomic<std::size_t> requests{0};
  std::atomic<std::size_t> open{0};       // connections accepted and not yet destroyed
  std::atomic<std::uint64_t> refused{0};  // connections refused at max_connections

  // Takes one of max_connections (the listener, before a connection exists); false when all
  // are in use. A ConnectionSlot gives it back.
  bool try_open() {
    if (open.fetch_add(1, std::memory_order_relaxed) < options.max_connections) return true;
    open.fetch_sub(1, std::memory_order_relaxed);
    refused.fetch_add(1, std::memory_order_relaxed);
    return false;
  }

  std::mutex mutex;  // guards connections and drained
  std::unordered_map<std::uint64_t, std::weak_ptr<ConnectionHandle>> connections;
  std::uint64_t next_id = 0;
  // Set during shutdown: woken (on its own strand) whenever a connection closes.
  std::shared_ptr<boost::asio::steady_timer> drained;

  std::uint64_t add(std::weak_ptr<ConnectionHandle> connection) {
    std::lock_guard lock(mutex);
    connections.emplace(next_id, std::move(connection));
    return next_id++;
  }

  void remove(std::uint64_t id) {
    std::lock_guard lock(mutex);
    connections.erase(id);
    if (drained)
      boost::asio::post(drained->get_executor(), [timer = drained] { timer->cancel(); });
  }
};

// Owns one slot taken with ServerState::try_open(), for the life of a connection. It shares
// ownership of the state: a connection may outlive the server that accepted it, and the slot
// is given back after whatever else the connection holds has gone.
class ConnectionSlot {
 public:
  explicit ConnectionSlot(std::shared_ptr<ServerState> state) : state_(std::move(state)) {}
  ~ConnectionSlot() { state_->open.fetch_sub(1, std::memory_order_relaxed); }
  ServerState& state() const { return *state_; }
  ConnectionSlot(const ConnectionSlot&) = delete;
  ConnectionSlot& operator=(const ConnectionSlot&) = delete;

 private:
  std::shared_ptr<ServerState> state_;
};

// Keeps ServerState::requests exact across early returns.
class RequestCounter {
 public:
  explicit RequestCounter(std::atomic<std::size_t>& n) : n_(n) { ++n_; }
  ~RequestCounter() { --n_; }
  RequestCounter(const RequestCounter&) = delete;
  RequestCounter& operator=(const RequestCounter&) = delete;

 private:
  std::atomic<std::size_t>& n_;
};

}  // namespace rag::http
