#include "config/config.hpp"

#include <arpa/inet.h>

#include <cstring>

#include "config/loader.hpp"
#include "config/parse.hpp"

namespace rag::config {

std::string RateLimitSpec::describe() const {
  return "Rate limit exceeded: " + std::to_string(count) + " per 1 " + unit;
}

bool Cidr::contains(const std::array<std::uint8_t, 16>& ip) const {
  int bits = prefix;
  for (size_t i = 0; i < 16 && bits > 0; ++i, bits -= 8) {
    const std::uint8_t mask = bits >= 8 ? 0xff : static_cast<std::uint8_t>(0xff << (8 - bits));
    if ((ip[i] & mask) != (address[i] & mask)) return false;
  }
  return true;
}

std::string_view to_string(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug: return "debug";
    case LogLevel::kInfo: return "info";
    case LogLevel::kWarning: return "warning";
    case LogLevel::kError: return "error";
  }
  return "info";
}

Result<RateLimitSpec> parse_rate_limit(std::string_view text) {
  const std::string s = lower(trim(text));
  if (s == "off" || s == "none" || s == "disabled") return RateLimitSpec{false, 0, 0, ""};
  auto bad = [] {
    return fail(ErrorCode::kInvalidArgument, "expected " + std::string(kRateLimitForms));
  };
  // Accept "20/minute" and slowapi's "20 per minute".
  std::string count_text, unit;
  if (auto slash = s.find('/'); slash != std::string::npos) {
    count_text = trim(s.substr(0, slash));
    unit = trim(s.substr(slash + 1));
  } else if (auto per = s.find(" per "); per != std::string::npos) {
    count_text = trim(s.substr(0, per));
    unit = trim(s.substr(per + 5));
  } else {
    return bad();
  }
  auto n = parse_int(count_text);
  if (!n || *n < 1 || *n > 1000000000) return bad();
  if (unit.size() > 1 && unit.back() == 's') unit.pop_back();
  int period = 0;
  if (unit == "second") period = 1;
  else if (unit == "minute") period = 60;
  else if (unit == "hour") period = 3600;
  else if (unit == "day") period = 86400;
  else return bad();
  return RateLimitSpec{true, static_cast<int>(*n), period, unit};
}

std::optional<std::array<std::uint8_t, 16>> parse_ip(std::string_view text) {
  std::array<std::uint8_t, 16> out{};
  std::string s(text);
  if (s.size() > 2 && s.front() == '[' && s.back() == ']') s = s.substr(1, s.size() - 2);
  in_addr v4{};
  if (inet_pton(AF_INET, s.c_str(), &v4) == 1) {
    out[10] = 0xff;
    out[11] = 0xff;
    std::memcpy(out.data() + 12, &v4, 4);
    return out;
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, s.c_str(), &v6) == 1) {
    std::memcpy(out.data(), &v6, 16);
    return out;
  }
  return std::nullopt;
}

Result<Cidr> parse_cidr(std::string_view text) {
  auto bad = [&] {
    return fail(ErrorCode::kInvalidArgument,
                "expected comma-separated CIDRs like 10.0.0.0/8 or ::1/128 (got \"" +
                    std::string(text) + "\")");
  };
  const std::string s = trim(text);
  const auto slash = s.find('/');
  auto ip = parse_ip(s.substr(0, slash));
  if (!ip) return bad();
  const bool v4 = s.find(':') == std::string::npos;
  int prefix = v4 ? 32 : 128;
  if (slash != std::string::npos) {
    auto p = parse_int(s.substr(slash + 1));
    if (!p || *p < 0 || *p > prefix) return bad();
    prefix = static_cast<int>(*p);
  }
  return Cidr{*ip, v4 ? prefix + 96 : prefix};
}

}  // namespace rag::config
