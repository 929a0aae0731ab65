// Two middlewares over ratelimit/: the client's address (the socket peer, or the right-most
// untrusted X-Forwarded-For hop when the peer is a trusted proxy), then per-route limits.
// A limited route's responses carry X-RateLimit-Limit/Remaining/Reset; a refusal is 429
// {"error": "Rate limit exceeded: 20 per 1 minute"} with Retry-After (on the /v1 face, the
// same message in OpenAI's error shape, code "rate_limit_exceeded").
#pragma once

#include <string>
#include <vector>

#include "config/config.hpp"
#include "http/types.hpp"
#include "ratelimit/rate_limiter.hpp"

namespace rag::api {

// Sets ctx.client_ip. Several X-Forwarded-For header lines are joined in order first.
http::Filter client_ip(std::vector<config::Cidr> trusted_proxies);

struct RateLimitRule {
  http::Verb method;
  std::string path;   // exact
  std::string route;  // the limiter's key and the metrics label, e.g. "chat"
  config::RateLimitSpec spec;
  // The refusal in OpenAI's error shape (the /v1 face) instead of {"error": "<describe>"}.
  bool openai_errors = false;
};

// The product's rules: GET / (HEALTH), POST /search (SEARCH), POST /chat and
// POST /v1/chat/completions (CHAT, OpenAI-shaped refusals). Probes (/healthz, /readyz) are
// never limited.
std::vector<RateLimitRule> default_rate_limit_rules(const config::Config& config);

// REQUIRES: `limiter` outlives the middleware. Applies only to requests a rule matches.
http::Around rate_limit(ratelimit::RateLimiter& limiter, std::vector<RateLimitRule> rules);

}  // namespace rag::api
