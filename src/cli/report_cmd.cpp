// `rag-server report`: what readers could not get answered and what they disliked, from the
// feedback store (docs/operations.md, "Improving the answers"): the most frequent unanswered
// questions (refusals, grouped by feedback::normalise_question), the thumbs-down answers with
// their sources and comments, and counts per day. --since DATE (YYYY-MM-DD, UTC; default: all
// that is kept), --format table|json|csv, --limit N entries per list.
// With REDIS_URL it reads the replicas' shared store in Redis, else STATE_DIR/feedback.sqlite.
// Exit status: 0; 1 when there is no feedback store or it cannot be read; 2 on a bad --since.
#include <utility>  // before Asio: its awaitable.hpp uses std::exchange without it
#include <CLI/CLI.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <fmt/chrono.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>

#include "cli/commands.hpp"
#include "feedback/redis_feedback_store.hpp"
#include "feedback/sqlite_feedback_store.hpp"
#include "observability/logging.hpp"
#include "redis/redis_client.hpp"
#include "redis/redis_url.hpp"

namespace rag::cli {
namespace {

constexpr auto kRedisWait = std::chrono::seconds(5);  // for the first connection

struct ReportOptions {
  std::string since;
  std::string format = "table";
  int limit = 20;
};

// "2026-12-06" → Unix seconds at 00:00 UTC; nullopt when malformed.
std::optional<std::int64_t> parse_day(const std::string& text) {
  int y = 0;
  unsigned m = 0, d = 0;
  char tail = 0;
  if (text.size() != 10 || std::sscanf(text.c_str(), "%4d-%2u-%2u%c", &y, &m, &d, &tail) != 3)
    return std::nullopt;
  const std::chrono::year_month_day day{std::chrono::year(y), std::chrono::month(m),
                                        std::chrono::day(d)};
  if (!day.ok()) return std::nullopt;
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::sys_days(day).time_since_epoch())
      .count();
}

std::string utc_time(std::int64_t unix_seconds) {
  return fmt::format("{:%Y-%m-%d %H:%M}", fmt::gmtime(static_cast<std::time_t>(unix_seconds)));
}

std::string csv_field(std::string_view text) {
  std::string out = "\"";
  for (char c : text) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string joined(const std::vector<std::string>& items, std::string_view sep) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : std::string(sep)) + item;
  return out;
}

void print_table(const feedback::Report& r, std::ostream& out) {
  out << "Unanswered questions (the refusal was the answer), most frequent first\n";
  if (r.unanswered.empty()) out << "  none\n";
  for (const auto& q : r.unanswered)
    out << fmt::format("  {:>5}  {}  {}\n", q.count, utc_time(q.last_seen), q.question);
  out << "\nThumbs down, newest first\n";
  if (r.thumbs_down.empty()) out << "  none\n";
  for (const auto& d : r.thumbs_down) {
    out << fmt::format("  {}  {}\n", utc_time(d.rated_at), d.answer.question);
    out << "    answer:  " << d.answer.answer.substr(0, 300) << "\n";
    out << "    sources: " << (d.answer.sources.empty() ? "(none)" : joined(d.answer.sources, ", "))
        << "\n";
    if (!d.comment.empty()) out << "    comment: " << d.comment << "\n";
  }
  out << "\nPer day (UTC)\n  day         answers  refusals    up  down\n";
  for (const auto& d : r.days)
    out << fmt::format("  {}  {:>7}  {:>8}  {:>4}  {:>4}\n", d.day, d.answers, d.refusals, d.up,
                       d.down);
}

void print_json(const feedback::Report& r, std::ostream& out) {
  nlohmann::ordered_json j;
  j["unanswered"] = nlohmann::ordered_json::array();
  for (const auto& q : r.unanswered)
    j["unanswered"].push_back({{"question", q.question}, {"count", q.count},
                               {"last_seen", utc_time(q.last_seen)}});
  j["thumbs_down"] = nlohmann::ordered_json::array();
  for (const auto& d : r.thumbs_down)
    j["thumbs_down"].push_back({{"response_id", d.answer.response_id},
                                {"question", d.answer.question},
                                {"answer", d.answer.answer},
                                {"sources", d.answer.sources},
                                {"comment", d.comment},
                                {"answered", utc_time(d.answer.time)},
                                {"rated", utc_time(d.rated_at)}});
  j["days"] = nlohmann::ordered_json::array();
  for (const auto& d : r.days)
    j["days"].push_back({{"day", d.day}, {"answers", d.answers}, {"refusals", d.refusals},
                         {"up", d.up}, {"down", d.down}});
  out << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
}

// One table for spreadsheets: `kind` says which columns a row fills.
void print_csv(const feedback::Report& r, std::ostream& out) {
  out << "kind,date,question,count,answers,refusals,up,down,answer,sources,comment\n";
  for (const auto& q : r.unanswered)
    out << "unanswered," << utc_time(q.last_seen) << "," << csv_field(q.question) << ","
        << q.count << ",,,,,,,\n";
  for (const auto& d : r.thumbs_down)
    out << "thumbs_down," << utc_time(d.rated_at) << "," << csv_field(d.answer.question)
        << ",,,,,," << csv_field(d.answer.answer) << ","
        << csv_field(joined(d.answer.sources, " ")) << "," << csv_field(d.comment) << "\n";
  for (const auto& d : r.days)
    out << "day," << d.day << ",,," << d.answers << "," << d.refusals << "," << d.up << ","
        << d.down << ",,,\n";
}

// The kept answers from Redis (REDIS_URL: the replicas' shared store) or from STATE_DIR's file.
Result<std::vector<feedback::StoredAnswer>> read_answers(const config::Config& config,
                                                          std::int64_t since) {
  const auto retention =
      std::chrono::duration_cast<std::chrono::seconds>(config.feedback_retention);
  boost::asio::io_context ioc;
  std::unique_ptr<redis::RedisClient> client;
  std::unique_ptr<feedback::FeedbackStore> store;
  if (!config.redis_url.empty()) {
    auto endpoint = redis::parse_redis_url(config.redis_url);
    if (!endpoint) return std::unexpected(endpoint.error());
    client = std::make_unique<redis::RedisClient>(ioc.get_executor(), *endpoint);
    client->start();
    store = std::make_unique<feedback::RedisFeedbackStore>(*client, retention);
  } else {
    const auto file = config.state_dir / "feedback.sqlite";
    if (!std::filesystem::exists(file))
      return fail(ErrorCode::kNotFound, "no feedback recorded yet: " + file.string() +
                                            " does not exist (STATE_DIR, FEEDBACK: "
                                            "docs/configuration.md)");
    auto opened = feedback::SqliteFeedbackStore::open(file, retention);
    if (!opened) return std::unexpected(opened.error());
    store = std::move(*opened);
  }
  auto read = [&]() -> boost::asio::awaitable<Result<std::vector<feedback::StoredAnswer>>> {
    if (client) {  // wait for the connection, at most kRedisWait
      boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor);
      const auto deadline = std::chrono::steady_clock::now() + kRedisWait;
      while (client->state() != redis::RedisState::kUp &&
             std::chrono::steady_clock::now() < deadline) {
        timer.expires_after(std::chrono::milliseconds(20));
        co_await timer.async_wait(boost::asio::use_awaitable);
      }
    }
    auto answers = co_await store->answers_since(since);
    if (client) client->stop();
    co_return answers;
  };
  auto future = boost::asio::co_spawn(ioc, read(), boost::asio::use_future);
  ioc.run();
  return future.get();
}

int run_report(const config::Config& config, const ReportOptions& opts) {
  std::int64_t since = 0;
  if (!opts.since.empty()) {
    auto day = parse_day(opts.since);
    if (!day) {
      std::cerr << "rag-server report: --since \"" << opts.since
                << "\": expected a date as YYYY-MM-DD\n";
      return 2;
    }
    since = *day;
  }
  auto answers = read_answers(config, since);
  if (!answers) {
    std::cerr << "rag-server report: " << observability::redact(answers.error().message) << "\n";
    return 1;
  }
  const auto report = feedback::make_report(*answers, static_cast<std::size_t>(opts.limit));
  if (opts.format == "json") {
    print_json(report, std::cout);
  } else if (opts.format == "csv") {
    print_csv(report, std::cout);
  } else {
    print_table(report, std::cout);
  }
  return 0;
}

}  // namespace

Runner add_report_command(CLI::App& app) {
  auto* sub = app.add_subcommand(
      "report", "unanswered questions, thumbs-down answers and daily counts from the feedback store");
  auto opts = std::make_shared<ReportOptions>();
  sub->add_option("--since", opts->since, "from this day on (YYYY-MM-DD, UTC; default: all kept)");
  sub->add_option("--format", opts->format, "table, json or csv")
      ->capture_default_str()
      ->check(CLI::IsMember({"table", "json", "csv"}));
  sub->add_option("--limit", opts->limit, "entries per list")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  return [opts](const config::Config& config) { return run_report(config, *opts); };
}

}  // namespace rag::cli
