// Logging set-up. The human log (file + stderr, `2024-01-15 10:30:45 - WARNING - message`,
// the level named as Python's logging does) is spdlog's default logger, used everywhere as
// spdlog::info(...). The access log is one JSON object per
// request on stdout, written through AccessLog.
//
// Thread-safety: init_logging() once at start-up, before threads; the rest from any thread.
#pragma once

#include <spdlog/formatter.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "common/stage_timing.hpp"
#include "common/timestamp.hpp"
#include "config/config.hpp"

namespace rag::observability {

// Human log to stderr and LOG_DIR/rag_server.log (rotating, 10 MiB × 5). A log folder that
// cannot be created is not fatal: the log goes to stderr only, with a warning.
void init_logging(const config::Config& config);

// The human log's line format: `2024-01-15 10:30:45 - INFO - message` (DEBUG, INFO, WARNING,
// ERROR, CRITICAL).
std::unique_ptr<spdlog::formatter> human_formatter();

// For the other subcommands (index, search, check): the same format and level, stderr only.
void init_cli_logging(const config::Config& config);

// Registers strings that must never appear in a log line (API keys); each is replaced by ***.
void set_redactions(std::vector<std::string> secrets);

// Replaces every registered secret in `text` by "***".
std::string redact(std::string_view text);

struct AccessRecord {
  std::string_view request_id;
  std::string_view client;
  std::string_view method;
  std::string_view path;
  unsigned status = 0;
  std::size_t bytes = 0;
  double duration_ms = 0;
  std::string_view user_agent;
  std::span<const StageTiming> timings;  // the handler's stages; none for most routes
};

// Writes one JSON line to stdout: time, request_id, client, method, path, status, bytes,
// duration_ms, user_agent, and `timing_ms` ({"embed": 12.1, "retrieve": 0.8, ...}) when the
// handler measured stages.
// The line is buffered and written within 100 ms by a background thread (see logging.cpp).
void write_access_log(const AccessRecord& record);
// Writes out buffered access-log lines now (at shutdown).
void flush_access_log();
// Lines dropped because stdout did not drain (the buffer is bounded at 8 MiB).
std::uint64_t access_log_dropped_lines();

// Appends `value` to `out` in fixed notation with `decimals` digits after the point.
void append_fixed(std::string& out, double value, int decimals);

// Appends `text` to `out` as a JSON string literal (quotes included), escaping as RFC 8259
// requires and replacing invalid UTF-8 by U+FFFD.
void append_json_string(std::string& out, std::string_view text);

}  // namespace rag::observability
