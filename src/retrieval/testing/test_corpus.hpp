// Test helpers: small in-memory corpora of StoredChunks and a scratch folder (tests only).
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "store/index_reader.hpp"

namespace rag::retrieval::testing {

inline store::StoredChunk make_chunk(std::int64_t id, std::string text, std::string title,
                                     std::string url, std::vector<float> embedding = {}) {
  store::StoredChunk c;
  c.chunk_id = id;
  c.text = std::move(text);
  c.metadata.page_title = std::move(title);
  c.metadata.citation_url = std::move(url);
  c.metadata.section = "Intro";
  c.metadata.section_level = "h2";
  c.embedding = std::move(embedding);
  return c;
}

// Four chunks about different topics; with 3-dimensional vectors when `vectors`.
inline std::vector<store::StoredChunk> small_corpus(bool vectors) {
  auto v = [&](std::vector<float> x) { return vectors ? x : std::vector<float>{}; };
  return {
      make_chunk(0, "Set the PORT variable to change the port the server listens on.",
                 "Configuration", "/config", v({1, 0, 0})),
      make_chunk(1, "Sessions expire after SESSION_TIMEOUT_HOURS of inactivity.", "Sessions",
                 "/sessions", v({0, 1, 0})),
      make_chunk(2, "Rate limits are counted per client address and route.", "Rate limits",
                 "/limits", v({0.7f, 0.7f, 0})),
      make_chunk(3, "The index is rebuilt incrementally by the index command.", "Indexing",
                 "/index", v({0, 0, 1})),
  };
}

// A fresh folder named after the running test, removed at the end of the scope.
class ScratchDir {
 public:
  ScratchDir()
      : path_(std::filesystem::temp_directory_path() /
              ("rag_retrieval_" + std::to_string(::getpid()) + "_" +
               ::testing::UnitTest::GetInstance()->current_test_info()->name())) {
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace rag::retrieval::testing
