// `rag-server check`: validates the configuration (already loaded and validated when the
// runner is called), then makes one tiny chat call and one embeddings call, then opens the
// index, and reports each on its own line: OK, FAILED with a reason, or not configured. Keys are
// never printed (adapter errors are redacted). Exit status: 0 all is well, 3 the index is
// missing, unreadable or does not fit the embeddings upstream, otherwise 4 chat failed,
// 5 embeddings failed, 6 both failed. An upstream that is not configured is not a failure
// (docs/configuration.md: the server runs without one).
#include <utility>  // before Boost.Asio (Boost 1.74's Asio uses std::exchange without it)
#include <CLI/CLI.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <ostream>

#include "cli/commands.hpp"
#include "store/index_reader.hpp"
#include "upstream/factory.hpp"

namespace rag::cli {
namespace {

constexpr int kIndexFailed = 3;
constexpr int kChatFailed = 4;
constexpr int kEmbeddingsFailed = 5;
constexpr int kBothFailed = 6;

std::string_view code_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::kRateLimited:
      return "rate limited";
    case ErrorCode::kTimeout:
      return "timed out";
    case ErrorCode::kUnavailable:
      return "unreachable";
    case ErrorCode::kUpstream:
      return "upstream error";
    case ErrorCode::kCancelled:
      return "cancelled";
    default:
      return "error";
  }
}

std::string seconds_text(std::chrono::steady_clock::time_point start) {
  char text[32];
  std::snprintf(text, sizeof text, "%.2f s",
                std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  return text;
}

// Runs one awaitable on `ioc` (single-threaded) and returns its result.
template <class T>
T run(boost::asio::io_context& ioc, boost::asio::awaitable<T> a) {
  auto future = boost::asio::co_spawn(ioc, std::move(a), boost::asio::use_future);
  ioc.restart();
  ioc.run();
  return future.get();
}

// Returns true when the chat upstream is fine or not configured.
bool check_chat(const config::Config& config, boost::asio::io_context& ioc, std::ostream& out) {
  auto chat = upstream::make_chat_model(config, ioc.get_executor());
  if (!chat) {
    out << (config.has_chat_upstream() ? "chat: FAILED (endpoint is not a usable URL)\n"
                                       : "chat: not configured\n");
    return !config.has_chat_upstream();
  }
  const auto start = std::chrono::steady_clock::now();
  upstream::ChatRequest request{{{"user", "Reply with the single word OK."}}, 0.0, 5};
  auto answer = run(ioc, chat->complete(request, {}));
  if (!answer) {
    out << "chat: FAILED (" << chat->describe() << ", " << code_name(answer.error().code) << ": "
        << answer.error().message << ")\n";
    return false;
  }
  out << "chat: OK (" << chat->describe() << ", " << seconds_text(start) << ")\n";
  return true;
}

// `dimension` receives the vectors' dimension when the call succeeds.
bool check_embeddings(const config::Config& config, boost::asio::io_context& ioc, std::ostream& out,
                      std::size_t& dimension) {
  auto embedder = upstream::make_embedder(config, ioc.get_executor());
  if (!embedder) {
    out << (config.has_embeddings_upstream() ? "embeddings: FAILED (endpoint is not a usable URL)\n"
                                             : "embeddings: not configured\n");
    return !config.has_embeddings_upstream();
  }
  const auto start = std::chrono::steady_clock::now();
  auto vectors = run(ioc, embedder->embed({"rag-server check"}, {}));
  if (!vectors) {
    out << "embeddings: FAILED (" << embedder->model_name() << ", "
        << code_name(vectors.error().code) << ": " << vectors.error().message << ")\n";
    return false;
  }
  dimension = vectors->empty() ? 0 : vectors->front().size();
  out << "embeddings: OK (" << embedder->model_name() << ", dimension " << dimension << ", "
      << seconds_text(start) << ")\n";
  return true;
}

// Opens the index the server would load and checks that its vectors fit the embeddings
// upstream (`embedding_dimension` is 0 when that is unknown: not configured or failed).
bool check_index(const config::Config& config, std::size_t embedding_dimension, std::ostream& out) {
  auto reader = store::IndexReader::open(config.vector_db_path);
  if (!reader) {
    out << "index: FAILED (" << reader.error().message << ")\n";
    return false;
  }
  auto info = (*reader)->info();
  if (!info) {
    out << "index: FAILED (" << info.error().message << ")\n";
    return false;
  }
  const bool has_vectors = info->embedded_chunks > 0 && info->dimension > 0;
  if (has_vectors && embedding_dimension != 0 &&
      embedding_dimension != static_cast<std::size_t>(info->dimension)) {
    out << "index: FAILED (its vectors have dimension " << info->dimension << " from "
        << info->embedding_model << ", the embeddings upstream returns " << embedding_dimension
        << ": rebuild the index with `rag-server index`)\n";
    return false;
  }
  out << "index: OK (" << info->documents << " documents, " << info->chunks << " chunks, ";
  if (has_vectors) {
    out << info->embedded_chunks << " with vectors of dimension " << info->dimension << " from "
        << info->embedding_model;
    if (!config.has_embeddings_upstream())
      out << "; lexical search only until embeddings are configured";
  } else {
    out << "lexical only";
  }
  out << ", built " << info->build_timestamp << ")\n";
  return true;
}

}  // namespace

// The check itself, separate from CLI11 so tests can call it.
int run_check(const config::Config& config, std::ostream& out) {
  out << "config: OK\n";
  boost::asio::io_context ioc;
  const bool chat_ok = check_chat(config, ioc, out);
  std::size_t dimension = 0;
  const bool embeddings_ok = check_embeddings(config, ioc, out, dimension);
  const bool index_ok = check_index(config, dimension, out);
  out.flush();
  if (!index_ok) return kIndexFailed;
  if (!chat_ok && !embeddings_ok) return kBothFailed;
  if (!chat_ok) return kChatFailed;
  if (!embeddings_ok) return kEmbeddingsFailed;
  return 0;
}

Runner add_check_command(CLI::App& app) {
  auto* sub = app.add_subcommand(
      "check",
      "validate the config, the index and upstream connectivity "
      "(exit 0 ok, 3 index missing or unusable, 4 chat failed, 5 embeddings failed, 6 both "
      "failed)");
  sub->allow_extras();
  return [](const config::Config& config) { return run_check(config, std::cout); };
}

}  // namespace rag::cli
