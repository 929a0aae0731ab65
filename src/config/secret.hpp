// A string that must never be printed: logs, error bodies and metrics see "***".
#pragma once

#include <ostream>
#include <string>

namespace rag::config {

class Secret {
 public:
  Secret() = default;
  explicit Secret(std::string value) : value_(std::move(value)) {}

  // The only way to the value: call it where the key goes on the wire, nowhere else.
  const std::string& reveal() const { return value_; }
  bool empty() const { return value_.empty(); }

  friend std::ostream& operator<<(std::ostream& os, const Secret& s) {
    return os << (s.value_.empty() ? "" : "***");
  }

 private:
  std::string value_;
};

}  // namespace rag::config
