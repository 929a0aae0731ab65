// POST /feedback and the answers it rates (docs/api.md, "Feedback"): each /chat answer is
// recorded in the feedback store under a new `response_id`, which the client sends back with
// a rating. Validation as the other routes (422, pydantic's shapes); an id the store does not
// keep (never issued, or older than FEEDBACK_RETENTION_DAYS) is 404; a store that fails is 503.
// Metrics: rag_feedback_total{rating}.
//
// Thread-safety: the handler and remember_answer() may run concurrently; the store is shared.
#pragma once

#include <utility>  // before Asio: its awaitable.hpp uses std::exchange without it
#include <boost/asio/awaitable.hpp>
#include <expected>
#include <memory>
#include <optional>
#include <string>

#include "api/validation.hpp"
#include "feedback/feedback_store.hpp"
#include "http/types.hpp"
#include "chat/pipeline.hpp"

namespace rag::api {

inline constexpr std::string_view kResponseIdPattern = "^[0-9a-f]{32}$";

struct FeedbackRequest {
  std::string response_id;
  feedback::Rating rating = feedback::Rating::kUp;
  std::string comment;
};

std::expected<FeedbackRequest, ValidationErrors> parse_feedback_request(
    std::string_view body, std::string_view content_type);

http::Handler feedback_handler(feedback::FeedbackStore& store);  // REQUIRES: outlives it

// Records a finished /chat answer (`question` is the user's message) and returns its new
// response_id; nullopt when `store` is null (FEEDBACK=off) or could not record it (logged:
// the answer is still served, without an id).
boost::asio::awaitable<std::optional<std::string>> remember_answer(
    feedback::FeedbackStore* store, std::string question, const chat::ChatOutcome& outcome);

}  // namespace rag::api
