// The embeddings phase (see embed_phase.hpp): a fixed number of coroutine workers pull the
// next batch from a shared cursor on a single-threaded io_context, so no locking is needed.
#include "ingest/embed_phase.hpp"

#include <utility>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "ingest/progress.hpp"
#include "store/index_writer.hpp"
#include "upstream/embedder.hpp"

namespace rag::ingest {
namespace {

namespace asio = boost::asio;

struct Shared {
  std::vector<store::PendingChunk> pending;
  std::size_t batch_size = 16;
  std::size_t next = 0;  // index into pending of the next batch
  std::size_t made = 0;
  std::string upstream_error;
  std::optional<Error> store_error;
  CancelToken cancel = make_cancel_token();
  std::string model;
  bool stopped() const { return !upstream_error.empty() || store_error.has_value(); }
};

asio::awaitable<void> worker(Shared& s, upstream::Embedder& embedder, store::IndexWriter& writer,
                             Progress& progress) {
  while (!s.stopped() && s.next < s.pending.size()) {
    std::size_t begin = s.next;
    std::size_t end = std::min(begin + s.batch_size, s.pending.size());
    s.next = end;
    std::vector<std::string> texts;
    std::vector<std::int64_t> ids;
    for (std::size_t i = begin; i < end; ++i) {
      texts.push_back(s.pending[i].text);
      ids.push_back(s.pending[i].row_id);
    }
    auto vectors = co_await embedder.embed(std::move(texts), s.cancel);
    if (s.stopped()) co_return;
    if (!vectors) {
      s.upstream_error = vectors.error().message;
      s.cancel->cancel();
      co_return;
    }
    if (vectors->size() != ids.size()) {
      s.upstream_error = "the embeddings upstream returned " + std::to_string(vectors->size()) +
                         " vectors for " + std::to_string(ids.size()) + " texts";
      s.cancel->cancel();
      co_return;
    }
    if (auto r = writer.store_embeddings(ids, *vectors, s.model); !r) {
      // A dimension other than the index's is the upstream's answer, not a store failure: the
      // run ends like any embeddings failure (lexical index kept, "run again" hint).
      if (r.error().code == ErrorCode::kInvalidArgument) {
        s.upstream_error = r.error().message;
        s.cancel->cancel();
        co_return;
      }
      s.store_error = r.error();
      s.cancel->cancel();
      co_return;
    }
    s.made += ids.size();
    progress.update("embeddings", s.made, s.pending.size(), "");
  }
}

}  // namespace

Result<EmbedOutcome> embed_missing(store::IndexWriter& writer, upstream::Embedder& embedder,
                                   asio::io_context& io, EmbedLimits limits, Progress& progress) {
  Shared s;
  s.model = embedder.model_name();
  auto pending = writer.chunks_needing_embedding(s.model);
  if (!pending) return std::unexpected(pending.error());
  s.pending = std::move(*pending);
  s.batch_size = static_cast<std::size_t>(std::max(1, limits.batch_size));
  if (s.pending.empty()) return EmbedOutcome{};
  spdlog::info("embedding {} chunks with {} ({} per request, {} in flight)", s.pending.size(),
               s.model, s.batch_size, limits.concurrency);
  const int workers = std::max(1, limits.concurrency);
  for (int i = 0; i < workers; ++i) {
    asio::co_spawn(io, worker(s, embedder, writer, progress), asio::detached);
  }
  io.restart();
  io.run();
  if (s.store_error) return std::unexpected(*s.store_error);
  if (!s.upstream_error.empty()) {
    spdlog::error("embedding stopped after {} of {} chunks: {}; the index keeps them and a "
                  "later run embeds the rest", s.made, s.pending.size(), s.upstream_error);
  }
  return EmbedOutcome{s.made, s.upstream_error};
}

}  // namespace rag::ingest
