#include "api/rate_limit.hpp"

#include <boost/beast/http/field.hpp>
#include <cmath>

#include "api/openai_api.hpp"
#include "observability/logging.hpp"
#include "observability/metrics.hpp"
#include "ratelimit/client_ip.hpp"

namespace rag::api {

http::Filter client_ip(std::vector<config::Cidr> trusted_proxies) {
  return [trusted = std::move(trusted_proxies)](
             http::RequestContext& ctx) -> std::optional<http::Response> {
    std::string forwarded;
    if (!trusted.empty()) {
      auto [it, end] = ctx.request.equal_range("X-Forwarded-For");
      for (; it != end; ++it) {
        if (!forwarded.empty()) forwarded += ',';
        forwarded.append(it->value().data(), it->value().size());
      }
    }
    // Without trusted proxies the client is the peer, which the connection already set.
    if (!trusted.empty())
      ctx.client_ip = ratelimit::resolve_client_ip(ctx.peer_ip, forwarded, trusted);
    return std::nullopt;
  };
}

std::vector<RateLimitRule> default_rate_limit_rules(const config::Config& c) {
  using http::Verb;
  return {{Verb::get, "/", "health", c.rate_limit_health},
          {Verb::post, "/search", "search", c.rate_limit_search},
          {Verb::post, "/chat", "chat", c.rate_limit_chat},
          {Verb::post, "/feedback", "feedback", c.rate_limit_feedback},
          {Verb::post, "/v1/chat/completions", "chat", c.rate_limit_chat, true}};
}

namespace {

std::string whole_seconds(double s) {
  return std::to_string(static_cast<long long>(std::ceil(std::max(0.0, s))));
}

}  // namespace

http::Around rate_limit(ratelimit::RateLimiter& limiter, std::vector<RateLimitRule> rules) {
  std::erase_if(rules, [](const RateLimitRule& r) { return !r.spec.enabled; });
  std::vector<observability::Counter*> refused;
  for (const auto& rule : rules)
    refused.push_back(&observability::Registry::global().counter(
        "rag_rate_limited_total", "Requests refused by the per-IP rate limit, by route.",
        {{"route", rule.route}}));
  auto applies = [rules](const http::RequestContext& ctx) {
    const auto path = ctx.path();
    for (const auto& rule : rules)
      if (rule.method == ctx.request.method() && rule.path == path) return true;
    return false;
  };
  auto step = [&limiter, rules = std::move(rules), refused = std::move(refused)](
             http::RequestContext& ctx,
             const http::Handler& next) -> boost::asio::awaitable<http::Response> {
    const auto method = ctx.request.method();
    const auto path = ctx.path();
    for (size_t i = 0; i < rules.size(); ++i) {
      const auto& rule = rules[i];
      if (rule.method != method || rule.path != path) continue;
      const auto decision = co_await limiter.check(rule.route, ctx.client_ip, rule.spec);
      ctx.response_headers.emplace_back("X-RateLimit-Limit", std::to_string(decision.limit));
      ctx.response_headers.emplace_back("X-RateLimit-Remaining",
                                        std::to_string(decision.remaining));
      ctx.response_headers.emplace_back("X-RateLimit-Reset", whole_seconds(decision.reset_after_s));
      if (decision.allowed) break;
      refused[i]->inc();
      ctx.route = path;
      std::string body;
      if (rule.openai_errors) {
        body = openai_error_body({429, rule.spec.describe(), "rate_limit_error", "",
                                  "rate_limit_exceeded"});
      } else {
        body = "{\"error\":";
        observability::append_json_string(body, rule.spec.describe());
        body += '}';
      }
      auto res = http::json_response(http::Status::too_many_requests, std::move(body),
                                     ctx.request.version());
      res.set(boost::beast::http::field::retry_after,
              whole_seconds(std::max(1.0, decision.retry_after_s)));
      co_return res;
    }
    co_return co_await next(ctx);
  };
  return {std::move(step), std::move(applies), {}};
}

}  // namespace rag::api
