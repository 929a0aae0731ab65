#include "upstream/bounded_chat_model.hpp"

#include "observability/telemetry.hpp"

namespace rag::upstream {
namespace {

struct Release {
  std::atomic<std::size_t>& n;
  ~Release() { n.fetch_sub(1); }
};

Error overloaded() { return Error{ErrorCode::kOverloaded, "too many upstream calls in flight", 1}; }

}  // namespace

bool BoundedChatModel::admit() {
  if (in_flight_.fetch_add(1) < max_) return true;
  in_flight_.fetch_sub(1);
  refused_.fetch_add(1);
  return false;
}

boost::asio::awaitable<Result<ChatAnswer>> BoundedChatModel::complete(const ChatRequest& request,
                                                                      CancelToken cancel) {
  if (!admit()) co_return std::unexpected(overloaded());
  Release release{in_flight_};
  co_return co_await inner_->complete(request, std::move(cancel));
}

boost::asio::awaitable<Result<ChatAnswer>> BoundedChatModel::stream(const ChatRequest& request,
                                                                    DeltaSink sink,
                                                                    CancelToken cancel) {
  if (!admit()) co_return std::unexpected(overloaded());
  Release release{in_flight_};
  co_return co_await inner_->stream(request, std::move(sink), std::move(cancel));
}

void BoundedChatModel::publish(observability::Telemetry& telemetry) const {
  telemetry.metrics.callback(
      "rag_upstream_calls_refused_total",
      "Chat calls refused with 503 because MAX_UPSTREAM_CALLS were in flight.", "counter", {},
      [this] { return static_cast<double>(refused()); });
}

}  // namespace rag::upstream
