// A parsed upstream URL (http or https): host, port and request target. Credentials in the
// URL (user:pass@) are refused so they can never reach a log line.
//
// Thread-safety: a plain value.
#pragma once

#include <string>
#include <string_view>

#include "common/result.hpp"

namespace rag::upstream {

struct Url {
  bool tls = false;
  std::string host;    // without brackets for IPv6 literals
  std::string port;    // always set ("443", "80" or explicit)
  std::string target;  // path + query, at least "/"

  // "https://host[:port]": the pool key and a secret-free description.
  std::string origin() const;
  // The Host header value: host, plus ":port" when not the scheme's default.
  std::string host_header() const;
};

Result<Url> parse_url(std::string_view text);

// `base` (e.g. "https://api.openai.com/v1") + `path` ("/chat/completions"), one slash between.
Result<Url> join_url(std::string_view base, std::string_view path);

}  // namespace rag::upstream
