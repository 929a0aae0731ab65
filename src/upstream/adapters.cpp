// The shared adapter core and the factories (see adapters.hpp and factory.hpp).
#include "upstream/adapters.hpp"

#include <algorithm>
#include <spdlog/spdlog.h>

#include "upstream/wire.hpp"

namespace rag::upstream {
namespace {

std::chrono::milliseconds to_ms(config::Seconds s) {
  return std::chrono::milliseconds(static_cast<std::int64_t>(s.count() * 1000.0));
}

// "/openai/deployments/{name}/..." → name; "" when absent.
std::string azure_deployment(const Url& url) {
  const std::string marker = "/deployments/";
  const auto at = url.target.find(marker);
  if (at == std::string::npos) return {};
  const auto start = at + marker.size();
  return url.target.substr(start, url.target.find_first_of("/?", start) - start);
}

std::optional<Endpoint> azure_endpoint(const std::string& url_text, const config::Secret& key,
                                       const char* variable) {
  auto url = parse_url(url_text);
  if (!url) {
    spdlog::error("{} is not a usable URL: {}", variable, url.error().message);
    return std::nullopt;
  }
  Endpoint e;
  e.url = std::move(*url);
  e.auth_header = "api-key";
  e.auth_value = key.reveal();
  e.model_name = azure_deployment(e.url);
  e.description = "azure:" + (e.model_name.empty() ? e.url.host : e.model_name);
  return e;
}

std::optional<Endpoint> openai_endpoint(const config::Config& config, const char* path,
                                        const std::string& model) {
  auto url = join_url(config.openai_base_url, path);
  if (!url) {
    spdlog::error("OPENAI_BASE_URL is not a usable URL: {}", url.error().message);
    return std::nullopt;
  }
  Endpoint e;
  e.url = std::move(*url);
  if (!config.openai_api_key.empty()) {
    e.auth_header = "authorization";
    e.auth_value = "Bearer " + config.openai_api_key.reveal();
  }
  e.model = model;
  e.model_name = model;
  e.description = "openai:" + model;
  return e;
}

}  // namespace

AdapterOptions AdapterOptions::from_config(const config::Config& config) {
  AdapterOptions o;
  o.retry.max_attempts = std::max(1, config.llm_max_retries);
  o.retry.base_delay = Seconds(config.llm_base_delay.count());
  o.retry.max_delay = Seconds(config.llm_max_delay.count());
  o.call.attempt_timeout = to_ms(config.llm_timeout);
  // Room for every attempt plus the longest waits we are willing to honour between them.
  const auto wait = std::max(to_ms(config.llm_max_delay), std::chrono::milliseconds(120000));
  o.call.deadline = o.call.attempt_timeout * o.retry.max_attempts + wait * (o.retry.max_attempts - 1);
  o.breaker.failure_threshold = std::max(1, config.llm_breaker_failures);
  o.breaker.cool_down = to_ms(config.llm_breaker_cooldown);
  o.embed_batch_size = std::max(1, config.embed_batch_size);
  return o;
}

std::string redact(std::string text, const std::vector<std::string>& secrets) {
  for (const auto& secret : secrets) {
    if (secret.empty()) continue;
    for (auto at = text.find(secret); at != std::string::npos; at = text.find(secret, at + 3))
      text.replace(at, secret.size(), "***");
  }
  return text;
}

AdapterCore::AdapterCore(Endpoint endpoint, AdapterOptions options,
                         boost::asio::any_io_executor executor)
    : endpoint_(std::move(endpoint)),
      options_(std::move(options)),
      breaker_(options_.breaker),
      client_(executor, options_.http),
      caller_(client_, RetryPolicy(options_.retry, options_.random), breaker_, stats_,
              options_.call, options_.sleeper) {
  if (!endpoint_.auth_value.empty()) {
    secrets_.push_back(endpoint_.auth_value);
    if (endpoint_.auth_value.starts_with("Bearer "))
      secrets_.push_back(endpoint_.auth_value.substr(7));
  }
}

HttpRequest AdapterCore::request(std::string body) const {
  HttpRequest r;
  r.url = endpoint_.url;
  r.body = std::move(body);
  r.headers.emplace_back("content-type", "application/json");
  if (!endpoint_.auth_header.empty())
    r.headers.emplace_back(endpoint_.auth_header, endpoint_.auth_value);
  return r;
}

Error AdapterCore::status_error(const HttpResponse& response) const {
  std::string message = "upstream answered HTTP " + std::to_string(response.status);
  if (response.status == 401 || response.status == 403)
    message += " (credentials refused)";
  if (auto detail = wire::error_message(response.body); !detail.empty())
    message += ": " + detail;
  return Error{ErrorCode::kUpstream, redact(std::move(message), secrets_), 0};
}

Error AdapterCore::clean(Error error) const {
  error.message = redact(std::move(error.message), secrets_);
  return error;
}

std::unique_ptr<ChatModel> make_chat_model(const config::Config& config,
                                           boost::asio::any_io_executor executor) {
  return make_chat_model(config, std::move(executor), AdapterOptions::from_config(config));
}

std::unique_ptr<ChatModel> make_chat_model(const config::Config& config,
                                           boost::asio::any_io_executor executor,
                                           AdapterOptions options) {
  std::optional<Endpoint> endpoint;
  if (config.has_azure_chat())
    endpoint = azure_endpoint(config.azure_chat_endpoint, config.azure_chat_api_key,
                              "AZURE_OPENAI_CHAT_ENDPOINT");
  else if (config.has_openai_chat())
    endpoint = openai_endpoint(config, "/chat/completions", config.chat_model);
  if (!endpoint) return nullptr;
  return std::make_unique<OpenAiChatModel>(std::move(*endpoint), std::move(options),
                                           std::move(executor));
}

std::unique_ptr<Embedder> make_embedder(const config::Config& config,
                                        boost::asio::any_io_executor executor) {
  return make_embedder(config, std::move(executor), AdapterOptions::from_config(config));
}

std::unique_ptr<Embedder> make_embedder(const config::Config& config,
                                        boost::asio::any_io_executor executor,
                                        AdapterOptions options) {
  std::optional<Endpoint> endpoint;
  if (config.has_azure_embeddings())
    endpoint = azure_endpoint(config.azure_embeddings_endpoint, config.azure_embeddings_api_key,
                              "AZURE_OPENAI_EMBEDDINGS_ENDPOINT");
  else if (config.has_openai_embeddings())
    endpoint = openai_endpoint(config, "/embeddings", config.embeddings_model);
  if (!endpoint) return nullptr;
  return std::make_unique<OpenAiEmbedder>(std::move(*endpoint), std::move(options),
                                          std::move(executor));
}

}  // namespace rag::upstream
