// Retrieval from a command (see local_search.hpp).
#include "cli/local_search.hpp"

#include <boost/asio/co_spawn.hpp>
#include <optional>

#include "retrieval/lexical_file.hpp"
#include "retrieval/options.hpp"
#include "retrieval/stored_graph.hpp"
#include "store/index_reader.hpp"
#include "upstream/embedder.hpp"
#include "upstream/factory.hpp"

namespace rag::cli {

LocalSearch::LocalSearch(const config::Config& config, const std::filesystem::path& path)
    : live_([path] { return store::IndexReader::open(path); }, retrieval::snapshot_options(config),
            std::make_unique<retrieval::StoredGraph>(retrieval::graph_path(path)),
            retrieval::lexical_index_path(path)) {}

LocalSearch::~LocalSearch() = default;

Result<std::unique_ptr<LocalSearch>> LocalSearch::open(const config::Config& config,
                                                       const std::filesystem::path& path,
                                                       bool lexical_only) {
  std::unique_ptr<LocalSearch> local(new LocalSearch(config, path));
  if (auto loaded = local->live_.reload(); !loaded) return std::unexpected(loaded.error());
  if (!lexical_only && config.has_embeddings_upstream() && local->live_.current()->has_vectors()) {
    local->embedder_ = upstream::make_embedder(config, local->io_.get_executor());
  }
  local->searcher_ =
      std::make_unique<retrieval::Searcher>(local->live_, local->embedder_.get(), nullptr);
  return local;
}

Result<std::vector<retrieval::Hit>> LocalSearch::search(const std::string& query, int k) {
  if (!embedder_) return searcher_->search_lexical(query, k);
  std::optional<Result<std::vector<retrieval::Hit>>> result;
  boost::asio::co_spawn(io_, searcher_->search(query, k, make_cancel_token()),
                        [&](std::exception_ptr e, Result<std::vector<retrieval::Hit>> r) {
                          result = e ? fail(ErrorCode::kInternal, "search failed") : std::move(r);
                        });
  // Until this search completes: pooled upstream connections may keep other work pending.
  io_.restart();
  while (!result && io_.run_one() > 0) {
  }
  if (!result) return fail(ErrorCode::kInternal, "search did not complete");
  return std::move(*result);
}

}  // namespace rag::cli
