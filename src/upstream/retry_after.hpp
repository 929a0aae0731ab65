// The waits an upstream suggests in its headers (`Retry-After`, `retry-after-ms`,
// `x-ms-retry-after-ms`), read as data from an untrusted peer: a number must be plain decimal
// (digits, at most one '.'; no sign, exponent, hex, NaN or infinity), an HTTP date one of the
// three forms of RFC 9110 §5.6.7, and every result is clamped to [0, kMaxSuggestedWait], so
// `Retry-After: 1e300` or a date in the year 9999 can reach no arithmetic or cast that
// overflows. A suggestion longer than the retry policy waits is passed on to the client; the
// clamp only bounds what is passed on.
//
// Thread-safety: pure functions.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace rag::upstream {

using Seconds = std::chrono::duration<double>;

// One day: longer suggestions are read as this.
inline constexpr Seconds kMaxSuggestedWait{86400.0};

// A plain decimal number of `unit`s (surrounding spaces allowed), clamped to the maximum; none
// for anything else.
std::optional<Seconds> parse_delay(std::string_view text, Seconds unit);

// An HTTP date (IMF-fixdate, RFC 850 or asctime form), or none.
std::optional<std::chrono::system_clock::time_point> parse_http_date(std::string_view text);

// A `Retry-After` value: delta-seconds or an HTTP date relative to `now` (a past date is 0).
std::optional<Seconds> parse_retry_after(std::string_view value,
                                         std::chrono::system_clock::time_point now);

}  // namespace rag::upstream
