#include "api/feedback_api.hpp"

#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>

#include "common/utf8.hpp"
#include "observability/logging.hpp"
#include "observability/metrics.hpp"
#include "session/session_store.hpp"

namespace rag::api {
namespace {

bool is_response_id(std::string_view id) {
  if (id.size() != 32) return false;
  for (char c : id)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

observability::Counter& feedback_counter(feedback::Rating rating) {
  return observability::Registry::global().counter(
      "rag_feedback_total", "Ratings received by POST /feedback.",
      {{"rating", std::string(feedback::to_string(rating))}});
}

}  // namespace

std::expected<FeedbackRequest, ValidationErrors> parse_feedback_request(
    std::string_view body, std::string_view content_type) {
  auto parsed = parse_json_object_body(body, content_type);
  if (!parsed) return std::unexpected(std::move(parsed.error()));
  const nlohmann::json& obj = *parsed;
  ValidationErrors errors;
  FeedbackRequest out;

  const Loc id_loc = body_loc("response_id");
  if (auto it = obj.find("response_id"); it == obj.end() || it->is_null()) {
    errors.add(missing_error(id_loc));
  } else if (auto id = coerce_str(*it, id_loc, errors)) {
    if (is_response_id(*id)) {
      out.response_id = std::move(*id);
    } else {
      errors.add(regex_error(id_loc, kResponseIdPattern));
    }
  }

  const Loc rating_loc = body_loc("rating");
  if (auto it = obj.find("rating"); it == obj.end() || it->is_null()) {
    errors.add(missing_error(rating_loc));
  } else if (auto rating = coerce_str(*it, rating_loc, errors)) {
    if (*rating == "up" || *rating == "down") {
      out.rating = *rating == "up" ? feedback::Rating::kUp : feedback::Rating::kDown;
    } else {
      errors.add(enum_error(rating_loc, {"up", "down"}));
    }
  }

  const Loc comment_loc = body_loc("comment");
  if (auto it = obj.find("comment"); it != obj.end() && !it->is_null()) {
    if (auto comment = coerce_str(*it, comment_loc, errors)) {
      if (utf8_length(*comment) > feedback::kMaxCommentChars) {
        errors.add(max_length_error(comment_loc, feedback::kMaxCommentChars));
      } else {
        out.comment = std::move(*comment);
      }
    }
  }
  if (!errors.empty()) return std::unexpected(std::move(errors));
  return out;
}

http::Handler feedback_handler(feedback::FeedbackStore& store) {
  for (auto rating : {feedback::Rating::kUp, feedback::Rating::kDown}) feedback_counter(rating);
  return [&store](
             http::RequestContext& ctx) -> boost::asio::awaitable<http::Response> {
    const auto version = ctx.request.version();
    auto request = parse_feedback_request(ctx.request.body(), ctx.header("Content-Type"));
    if (!request)
      co_return http::json_response(http::Status::unprocessable_entity, request.error().body(),
                                    version);
    auto rated = co_await store.rate(request->response_id, request->rating,
                                      std::move(request->comment));
    if (!rated) {
      if (rated.error().code == ErrorCode::kNotFound)
        co_return http::error_response(http::Status::not_found,
                                       "Unknown or expired response_id", version);
      spdlog::error("Feedback not stored (request {}): {}", ctx.request_id,
                    observability::redact(rated.error().message));
      co_return http::error_response(http::Status::service_unavailable,
                                     "Feedback could not be stored", version);
    }
    feedback_counter(request->rating).inc();
    co_return http::json_response(http::Status::ok, R"({"status":"recorded"})", version);
  };
}

boost::asio::awaitable<std::optional<std::string>> remember_answer(
    feedback::FeedbackStore* store, std::string question, const chat::ChatOutcome& outcome) {
  if (store == nullptr) co_return std::nullopt;
  feedback::AnswerRecord record;
  record.response_id = session::new_session_id();
  record.time = feedback::unix_now();
  record.question = std::move(question);
  record.answer = outcome.response;
  for (const auto& s : outcome.sources) record.sources.push_back(s.url);
  record.refused = outcome.mode == chat::AnswerMode::kRefusal;
  std::string id = record.response_id;
  // Logged when recording starts to fail and when it works again, not once per answer (a Redis
  // outage would flood the log).
  static std::atomic<bool> failing{false};
  if (auto stored = co_await store->record(std::move(record)); !stored) {
    if (!failing.exchange(true))
      spdlog::warn("Answers are not recorded for feedback (they go without a response_id): {}",
                   observability::redact(stored.error().message));
    co_return std::nullopt;
  }
  if (failing.exchange(false)) spdlog::info("Answers are recorded for feedback again");
  co_return id;
}

}  // namespace rag::api
