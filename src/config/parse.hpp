// Small text helpers for parsing configuration values.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/text.hpp"

namespace rag::config {

// rag::trim (common/text.hpp) as an owned string, which is what the loader keeps.
inline std::string trim(std::string_view s) { return std::string(rag::trim(s)); }
using rag::lower;
std::vector<std::string> split(std::string_view s, char sep);  // items trimmed
std::optional<long long> parse_int(std::string_view s);        // whole string, base 10
std::optional<double> parse_double(std::string_view s);         // whole string, finite
std::string format_number(double x);                            // 2 → "2", 0.5 → "0.5"

// The user-info of a URL ("user:password" in scheme://user:password@host/...), or "" when the
// text is not a URL or has none. Any scheme: a value that fails validation is still a secret.
std::string_view url_credentials(std::string_view text);
// `text` with its URL user-info replaced by "***": scheme://***@host/... (safe to print).
std::string without_credentials(std::string_view text);

}  // namespace rag::config
