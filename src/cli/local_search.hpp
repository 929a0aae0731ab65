// The server's retrieval, run from a command (`search`, `eval`): the index at a folder loaded
// into a snapshot, searched lexically or, when the index has vectors and an embeddings
// upstream is configured, hybrid, with the query embedded on a local io_context.
//
// Thread-safety: one thread.
#pragma once

#include <boost/asio/io_context.hpp>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "config/config.hpp"
#include "retrieval/live_index.hpp"
#include "retrieval/searcher.hpp"

namespace rag::upstream {
class Embedder;
}

namespace rag::cli {

class LocalSearch {
 public:
  // Loads the index in `vector_db_path`; `lexical_only` ignores its vectors.
  static Result<std::unique_ptr<LocalSearch>> open(const config::Config& config,
                                                   const std::filesystem::path& vector_db_path,
                                                   bool lexical_only = false);
  LocalSearch(const LocalSearch&) = delete;
  LocalSearch& operator=(const LocalSearch&) = delete;
  ~LocalSearch();

  Result<std::vector<retrieval::Hit>> search(const std::string& query, int k);
  bool hybrid() const { return embedder_ != nullptr; }
  const retrieval::Snapshot& snapshot() const { return *live_.current(); }

 private:
  LocalSearch(const config::Config& config, const std::filesystem::path& vector_db_path);

  boost::asio::io_context io_;
  retrieval::LiveIndex live_;
  std::unique_ptr<upstream::Embedder> embedder_;
  std::unique_ptr<retrieval::Searcher> searcher_;
};

}  // namespace rag::cli
