#include "observability/logging.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <charconv>
#include <condition_variable>
#include <cstdio>
#include <thread>
#include <ctime>
#include <filesystem>
#include <memory>
#include <mutex>

namespace rag::observability {
namespace {

// `%*` is the level as Python's logging names it (LevelName below).
constexpr const char* kHumanPattern = "%Y-%m-%d %H:%M:%S - %* - %v";

// The level in upper case, as the Python design's `%(levelname)s`: DEBUG, INFO, WARNING,
// ERROR, CRITICAL (spdlog's own %l writes "warning", %L a single letter).
class LevelName final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    const std::string_view name = level_name(msg.level);
    dest.append(name.data(), name.data() + name.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<LevelName>();
  }

 private:
  static std::string_view level_name(spdlog::level::level_enum level) {
    switch (level) {
      case spdlog::level::trace:
      case spdlog::level::debug:
        return "DEBUG";
      case spdlog::level::info:
        return "INFO";
      case spdlog::level::warn:
        return "WARNING";
      case spdlog::level::err:
        return "ERROR";
      default:
        return "CRITICAL";
    }
  }
};

spdlog::level::level_enum to_spdlog(config::LogLevel level) {
  switch (level) {
    case config::LogLevel::kDebug: return spdlog::level::debug;
    case config::LogLevel::kInfo: return spdlog::level::info;
    case config::LogLevel::kWarning: return spdlog::level::warn;
    case config::LogLevel::kError: return spdlog::level::err;
  }
  return spdlog::level::info;
}

// Secrets are set once at start-up. std::atomic_load on a shared_ptr takes a pooled mutex in
// libstdc++, so the common case (no secret configured) is decided by a plain atomic first.
std::shared_ptr<const std::vector<std::string>> g_redactions =
    std::make_shared<const std::vector<std::string>>();
std::atomic<bool> g_have_redactions{false};

// Access-log lines are appended to a buffer and written by one thread every 100 ms (or at
// 64 KiB), so a request costs no syscall and no wait on stdout. The buffer is bounded: if
// stdout stops draining, lines past 8 MiB are dropped and counted rather than held.
class AccessLogWriter {
 public:
  AccessLogWriter() : thread_([this] { run(); }) {}
  ~AccessLogWriter() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    wake_.notify_one();
    thread_.join();
  }

  void append(const std::string& line) {
    std::lock_guard lock(mutex_);
    if (buffer_.size() + line.size() > kMaxBuffered) {
      ++dropped_;
      return;
    }
    buffer_ += line;
    if (buffer_.size() >= kFlushAt) wake_.notify_one();
  }

  void flush() {
    std::unique_lock lock(mutex_);
    write_out(lock);
  }

  std::uint64_t dropped() {
    std::lock_guard lock(mutex_);
    return dropped_;
  }

 private:
  static constexpr size_t kFlushAt = 64 * 1024;
  static constexpr size_t kMaxBuffered = 8 * 1024 * 1024;

  void run() {
    std::unique_lock lock(mutex_);
    while (!stop_) {
      wake_.wait_for(lock, std::chrono::milliseconds(100));
      write_out(lock);
    }
    write_out(lock);
  }

  // REQUIRES: lock held; releases it while writing.
  void write_out(std::unique_lock<std::mutex>& lock) {
    if (buffer_.empty()) return;
    std::string out;
    out.swap(buffer_);
    lock.unlock();
    {
      std::lock_guard io(io_mutex_);
      std::fwrite(out.data(), 1, out.size(), stdout);
      std::fflush(stdout);
    }
    lock.lock();
  }

  std::mutex mutex_;     // guards buffer_, dropped_, stop_
  std::mutex io_mutex_;  // one writer to stdout at a time
  std::condition_variable wake_;
  std::string buffer_;
  std::uint64_t dropped_ = 0;
  bool stop_ = false;
  std::thread thread_;
};

AccessLogWriter& access_log_writer() {
  static AccessLogWriter writer;
  return writer;
}

}  // namespace

void flush_access_log() { access_log_writer().flush(); }

std::uint64_t access_log_dropped_lines() { return access_log_writer().dropped(); }

std::unique_ptr<spdlog::formatter> human_formatter() {
  auto formatter = std::make_unique<spdlog::pattern_formatter>();
  formatter->add_flag<LevelName>('*').set_pattern(kHumanPattern);
  return formatter;
}

void init_logging(const config::Config& config) {
  std::vector<spdlog::sink_ptr> sinks;
  sinks.push_back(std::make_shared<spdlog::sinks::stderr_sink_mt>());
  std::string file_problem;
  try {
    std::filesystem::create_directories(config.log_dir);
    sinks.push_back(std::make_shared<spdlog::sinks::rotating_file_sink_mt>(
        (config.log_dir / "rag_server.log").string(), 10 * 1024 * 1024, 5));
  } catch (const std::exception& e) {
    file_problem = e.what();
  }
  auto logger = std::make_shared<spdlog::logger>("rag", sinks.begin(), sinks.end());
  logger->set_formatter(human_formatter());
  logger->set_level(to_spdlog(config.log_level));
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
  if (!file_problem.empty())
    spdlog::warn("Cannot write the log file in {}: {}; logging to stderr only",
                 config.log_dir.string(), file_problem);
}

void init_cli_logging(const config::Config& config) {
  auto logger = std::make_shared<spdlog::logger>(
      "rag", std::make_shared<spdlog::sinks::stderr_sink_mt>());
  logger->set_formatter(human_formatter());
  logger->set_level(to_spdlog(config.log_level));
  spdlog::set_default_logger(logger);
}

void set_redactions(std::vector<std::string> secrets) {
  std::erase_if(secrets, [](const std::string& s) { return s.empty(); });
  const bool any = !secrets.empty();
  std::atomic_store(&g_redactions,
                    std::make_shared<const std::vector<std::string>>(std::move(secrets)));
  g_have_redactions.store(any);
}

std::string redact(std::string_view text) {
  std::string out(text);
  if (!g_have_redactions.load(std::memory_order_relaxed)) return out;
  auto secrets = std::atomic_load(&g_redactions);
  for (const auto& secret : *secrets) {
    for (size_t pos = out.find(secret); pos != std::string::npos; pos = out.find(secret, pos))
      out.replace(pos, secret.size(), "***");
  }
  return out;
}

void append_json_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
          if (c < 0x20) {
            out += "\\u00";
            out += kHex[c >> 4];
            out += kHex[c & 15];
          } else {
            out += static_cast<char>(c);
          }
      }
      ++i;
      continue;
    }
    // Multi-byte UTF-8: copy a valid sequence, else emit U+FFFD for one byte.
    const int len = (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
    bool valid = len > 0 && i + len <= s.size();
    for (int k = 1; valid && k < len; ++k)
      valid = (static_cast<unsigned char>(s[i + k]) & 0xc0) == 0x80;
    if (valid) {
      out.append(s.substr(i, len));
      i += len;
    } else {
      out += "\xef\xbf\xbd";
      ++i;
    }
  }
  out += '"';
}

void append_fixed(std::string& out, double value, int decimals) {
  char digits[32];
  const auto end =
      std::to_chars(digits, digits + sizeof digits, value, std::chars_format::fixed, decimals).ptr;
  out.append(digits, end);
}

void write_access_log(const AccessRecord& r) {
  std::string line;
  line.reserve(256);
  line += "{\"time\":";
  append_json_string(line, iso_timestamp());
  line += ",\"request_id\":";
  append_json_string(line, r.request_id);
  line += ",\"client\":";
  append_json_string(line, r.client);
  line += ",\"method\":";
  append_json_string(line, r.method);
  line += ",\"path\":";
  append_json_string(line, redact(r.path));
  line += ",\"status\":" + std::to_string(r.status);
  line += ",\"bytes\":" + std::to_string(r.bytes);
  line += ",\"duration_ms\":";
  append_fixed(line, r.duration_ms, 3);
  line += ",\"user_agent\":";
  append_json_string(line, r.user_agent);
  if (!r.timings.empty()) {
    line += ",\"timing_ms\":{";
    for (std::size_t i = 0; i < r.timings.size(); ++i) {
      if (i > 0) line += ',';
      append_json_string(line, r.timings[i].name);
      line += ':';
      append_fixed(line, r.timings[i].ms, 3);
    }
    line += '}';
  }
  line += "}\n";
  access_log_writer().append(line);
}

}  // namespace rag::observability
