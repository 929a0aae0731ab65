// Small text helpers for parsing configuration values.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rag::config {

std::string trim(std::string_view s);
std::string lower(std::string_view s);
std::vector<std::string> split(std::string_view s, char sep);  // items trimmed
std::optional<long long> parse_int(std::string_view s);        // whole string, base 10
std::optional<double> parse_double(std::string_view s);         // whole string, finite
std::string format_number(double x);                            // 2 → "2", 0.5 → "0.5"

}  // namespace rag::config
