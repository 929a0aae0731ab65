// The embeddings adapter (Azure and OpenAI-compatible): splits the texts into requests of at
// most the current batch size, halves the batch (for good) on a "too many inputs" 400 or a
// 413, and returns the vectors in input order (the wire's `index` decides, not the order).
#include <utility>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <spdlog/spdlog.h>

#include "upstream/adapters.hpp"
#include "upstream/wire.hpp"

namespace rag::upstream {
namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

OpenAiEmbedder::OpenAiEmbedder(Endpoint endpoint, AdapterOptions options,
                               asio::any_io_executor executor)
    : core_(std::move(endpoint), std::move(options), std::move(executor)),
      batch_size_(std::max(1, core_.options().embed_batch_size)) {}

asio::awaitable<Result<std::vector<Vector>>> OpenAiEmbedder::embed(std::vector<std::string> texts,
                                                                  CancelToken cancel) {
  const auto start = Clock::now();
  core_.stats().on_call();
  std::vector<Vector> vectors;
  vectors.reserve(texts.size());
  std::optional<Error> error;
  for (auto& t : texts)
    if (t.empty()) t = " ";  // providers refuse empty inputs
  std::size_t next = 0;
  while (next < texts.size() && !error) {
    const int size = batch_size_.load();
    const std::size_t n = std::min<std::size_t>(size, texts.size() - next);
    std::vector<std::string> batch(texts.begin() + next, texts.begin() + next + n);
    auto response = co_await core_.caller().call(
        core_.request(wire::embeddings_body(batch, core_.endpoint().model)), cancel);
    if (!response) {
      error = core_.clean(response.error());
    } else if (response->status / 100 != 2) {
      if (wire::is_too_many_inputs(response->status, response->body) && n > 1) {
        int expected = size;
        const int halved = std::max<int>(1, static_cast<int>(n) / 2);
        batch_size_.compare_exchange_strong(expected, std::min(size, halved));
        spdlog::warn("Embeddings request with {} inputs refused (HTTP {}); batch size now {}", n,
                     response->status, batch_size_.load());
        continue;
      }
      error = core_.status_error(*response);
    } else if (auto parsed = wire::parse_embeddings(response->body, n); !parsed) {
      error = parsed.error();
    } else {
      for (auto& v : *parsed) vectors.push_back(std::move(v));
      next += n;
    }
  }
  if (!error && !vectors.empty()) {
    for (const auto& v : vectors)
      if (v.size() != vectors.front().size()) {
        error = Error{ErrorCode::kUpstream, "embeddings of different dimensions", 0};
        break;
      }
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  core_.stats().on_done(seconds, error ? &*error : nullptr);
  if (error) co_return std::unexpected(std::move(*error));
  co_return vectors;
}

}  // namespace rag::upstream
