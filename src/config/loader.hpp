// Builds a Config from its sources. Pure given its inputs, so tests need no process state.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "config/config.hpp"

namespace rag::config {

// One setting of docs/configuration.md, as the table in loader.cpp defines it.
struct Setting {
  const char* name;          // environment name, e.g. "PORT"
  const char* default_text;  // as shown in --help and docs ("" = unset)
  const char* help;          // one line for --help
  std::string allowed;       // "an integer from 0 to 65535" ("" = any text)
  bool secret;               // a Secret: never echoed, never shown
};

// Every setting, in table order.
const std::vector<Setting>& settings();

// The command-line flag for a setting: PORT → --port, LOG_LEVEL → --log-level.
std::string flag_name(std::string_view env_name);

// Parses a `.env` file's text: KEY=VALUE lines, `export ` prefix, # comments, quotes.
std::map<std::string, std::string> parse_dotenv(std::string_view text);

using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;

// flags > environment > dotenv. The error message is one line naming the variable and the
// expected form, e.g. `PORT="abc": expected an integer from 0 to 65535`.
Result<Config> load(const std::map<std::string, std::string>& flags, const EnvLookup& env,
                    const std::map<std::string, std::string>& dotenv);

// The real process: getenv and ./.env (missing file = empty).
EnvLookup process_env();
std::map<std::string, std::string> read_dotenv_file(const std::string& path = ".env");

// What parse_rate_limit accepts, as its error says.
inline constexpr std::string_view kRateLimitForms = "N/second, N/minute, N/hour or off";
Result<RateLimitSpec> parse_rate_limit(std::string_view text);
Result<Cidr> parse_cidr(std::string_view text);
// Parses an IP literal (v4 or v6) into the 16-byte form Cidr uses.
std::optional<std::array<std::uint8_t, 16>> parse_ip(std::string_view text);

}  // namespace rag::config
