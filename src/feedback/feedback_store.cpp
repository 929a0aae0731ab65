#include "feedback/feedback_store.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <unordered_map>

namespace rag::feedback {

std::string_view to_string(Rating rating) { return rating == Rating::kUp ? "up" : "down"; }

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string normalise_question(std::string_view question) {
  std::string out;
  bool space = false;
  for (const char c : question) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x80 || (u >= '0' && u <= '9') || (u >= 'a' && u <= 'z')) {
      if (space && !out.empty()) out += ' ';
      space = false;
      out += c;
    } else if (u >= 'A' && u <= 'Z') {
      if (space && !out.empty()) out += ' ';
      space = false;
      out += static_cast<char>(u - 'A' + 'a');
    } else if (u != '\'') {  // an apostrophe joins ("what's" → "whats")
      space = true;           // white space and other punctuation separate words
    }
  }
  return out;
}

namespace {

std::string utc_day(std::int64_t unix_seconds) {
  const std::chrono::sys_seconds t{std::chrono::seconds(unix_seconds)};
  const std::chrono::year_month_day ymd{std::chrono::floor<std::chrono::days>(t)};
  char out[16];
  std::snprintf(out, sizeof out, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return out;
}

}  // namespace

Report make_report(const std::vector<StoredAnswer>& answers, std::size_t limit) {
  Report out;
  std::unordered_map<std::string, std::size_t> group_of;  // normalised question → index
  std::map<std::string, DailyCounts> days;
  for (const auto& stored : answers) {
    const AnswerRecord& a = stored.answer;
    DailyCounts& day = days[utc_day(a.time)];
    ++day.answers;
    if (stored.rating) ++(*stored.rating == Rating::kUp ? day.up : day.down);
    if (stored.rating == Rating::kDown) out.thumbs_down.push_back(stored);
    if (!a.refused) continue;
    ++day.refusals;
    auto [it, fresh] = group_of.try_emplace(normalise_question(a.question), out.unanswered.size());
    if (fresh) out.unanswered.push_back({a.question, 0, a.time});
    UnansweredQuestion& group = out.unanswered[it->second];
    ++group.count;
    if (a.time >= group.last_seen) {  // in answers_since() order: the later one wins a tie
      group.last_seen = a.time;
      group.question = a.question;
    }
  }
  std::stable_sort(out.unanswered.begin(), out.unanswered.end(), [](const auto& x, const auto& y) {
    return x.count != y.count ? x.count > y.count : x.last_seen > y.last_seen;
  });
  std::stable_sort(out.thumbs_down.begin(), out.thumbs_down.end(),
                   [](const auto& x, const auto& y) { return x.rated_at > y.rated_at; });
  if (out.unanswered.size() > limit) out.unanswered.resize(limit);
  if (out.thumbs_down.size() > limit) out.thumbs_down.resize(limit);
  for (auto& [name, counts] : days) {
    counts.day = name;
    out.days.push_back(counts);
  }
  return out;
}

}  // namespace rag::feedback
