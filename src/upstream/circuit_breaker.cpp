// Implementation of the circuit breaker (see circuit_breaker.hpp).
#include "upstream/circuit_breaker.hpp"

namespace rag::upstream {

std::string_view to_string(CircuitState state) {
  switch (state) {
    case CircuitState::kClosed: return "closed";
    case CircuitState::kOpen: return "open";
    case CircuitState::kHalfOpen: return "half_open";
  }
  return "closed";
}

CircuitBreaker::CircuitBreaker(Options options, Now now)
    : options_(options), now_(now ? std::move(now) : Now([] { return Clock::now(); })) {}

CircuitState CircuitBreaker::state_locked(Clock::time_point now) const {
  if (!open_) return CircuitState::kClosed;
  if (probe_in_flight_ || now - opened_at_ >= options_.cool_down) return CircuitState::kHalfOpen;
  return CircuitState::kOpen;
}

bool CircuitBreaker::allow() {
  std::lock_guard lock(mutex_);
  switch (state_locked(now_())) {
    case CircuitState::kClosed: return true;
    case CircuitState::kOpen: return false;
    case CircuitState::kHalfOpen:
      if (probe_in_flight_) return false;
      probe_in_flight_ = true;
      return true;
  }
  return false;
}

void CircuitBreaker::record_success() {
  std::lock_guard lock(mutex_);
  consecutive_failures_ = 0;
  open_ = false;
  probe_in_flight_ = false;
}

void CircuitBreaker::record_failure() {
  std::lock_guard lock(mutex_);
  const auto now = now_();
  if (open_) {
    // A failed probe (or a straggler from before opening): stay open, restart the cool-down.
    if (probe_in_flight_) opened_at_ = now;
    probe_in_flight_ = false;
    return;
  }
  if (++consecutive_failures_ >= options_.failure_threshold) {
    open_ = true;
    opened_at_ = now;
  }
}

void CircuitBreaker::record_neutral() {
  std::lock_guard lock(mutex_);
  probe_in_flight_ = false;
}

CircuitState CircuitBreaker::state() const {
  std::lock_guard lock(mutex_);
  return state_locked(now_());
}

double CircuitBreaker::retry_after_s() const {
  std::lock_guard lock(mutex_);
  const auto now = now_();
  if (state_locked(now) != CircuitState::kOpen) return 0;
  return std::chrono::duration<double>(opened_at_ + options_.cool_down - now).count();
}

}  // namespace rag::upstream
