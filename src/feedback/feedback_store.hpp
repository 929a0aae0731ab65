// What readers think of the answers, and which questions went unanswered (docs/operations.md,
// "Improving the answers"): every chat answer is recorded under its `response_id` (the question,
// a prefix of the answer, the sources shown, whether it was the refusal), a reader may rate it
// (`POST /feedback`; a later rating of the same answer replaces the earlier), and `rag-server report` reads the records back. No client address is
// ever stored; records older than FEEDBACK_RETENTION_DAYS are deleted.
//
// Thread-safety: a FeedbackStore is shared by all requests; every method may run concurrently.
#pragma once

#include <utility>  // before Asio: its awaitable.hpp uses std::exchange without it
#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace rag::feedback {

inline constexpr std::size_t kMaxCommentChars = 2000;  // longer: 422
inline constexpr std::size_t kStoredAnswerChars = 1000;  // the answer's prefix kept

enum class Rating { kUp, kDown };
std::string_view to_string(Rating rating);

struct AnswerRecord {
  std::string response_id;  // 32 lower-case hex (session::new_session_id())
  std::int64_t time = 0;    // Unix seconds
  std::string question;
  std::string answer;       // at most kStoredAnswerChars code points are kept
  std::vector<std::string> sources;  // the urls shown with the answer
  bool refused = false;              // the "nothing relevant" answer
};

// An answer as kept, with its rating when it got one.
struct StoredAnswer {
  AnswerRecord answer;
  std::optional<Rating> rating;
  std::string comment;
  std::int64_t rated_at = 0;
};

struct UnansweredQuestion {
  std::string question;     // the most recent spelling of the group
  std::size_t count = 0;    // refusals of questions that normalise alike (normalise_question)
  std::int64_t last_seen = 0;
};

struct DailyCounts {
  std::string day;  // YYYY-MM-DD, UTC
  std::size_t answers = 0, refusals = 0, up = 0, down = 0;
};

struct Report {
  std::vector<UnansweredQuestion> unanswered;  // most frequent first
  std::vector<StoredAnswer> thumbs_down;       // newest rating first
  std::vector<DailyCounts> days;               // oldest first
};

class FeedbackStore {
 public:
  virtual ~FeedbackStore() = default;

  virtual boost::asio::awaitable<Result<void>> record(AnswerRecord answer) = 0;
  // kNotFound when no answer of that id is kept (never issued, or expired).
  virtual boost::asio::awaitable<Result<void>> rate(std::string response_id, Rating rating,
                                                   std::string comment) = 0;
  // The answers kept that were given at or after `since` (Unix seconds), oldest first.
  virtual boost::asio::awaitable<Result<std::vector<StoredAnswer>>> answers_since(
      std::int64_t since) = 0;
};

// What `rag-server report` prints, from answers_since() in its order: refusals grouped by
// normalise_question (the latest spelling names the group), most frequent first; thumbs-down
// answers, newest rating first; counts per UTC day of the answer. At most `limit` entries in
// each of the first two lists.
Report make_report(const std::vector<StoredAnswer>& answers, std::size_t limit);

// The current time as Unix seconds (the records' `time` and `rated_at`).
std::int64_t unix_now();

// How the report groups questions: ASCII lower-cased, apostrophes dropped, other punctuation
// and white space between words as one space, trimmed. "How do I set the PORT?" and "how do i set the port" are one question.
std::string normalise_question(std::string_view question);

}  // namespace rag::feedback
