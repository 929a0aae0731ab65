// Benchmark corpora (see corpus.hpp).
#include "corpus.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

namespace rag::bench {
namespace {

const std::vector<std::string>& vocabulary() {
  static const std::vector<std::string> words = [] {
    // A few hundred real words, then synthetic ones: a Zipf draw over them looks like text.
    std::vector<std::string> w{
        "server", "index", "search", "query", "document", "configuration", "session", "request",
        "response", "upstream", "model", "embedding", "vector", "chunk", "token", "limit",
        "timeout", "retry", "error", "client", "header", "body", "stream", "event", "metric",
        "latency", "thread", "memory", "file", "folder", "path", "port", "host", "proxy", "cache",
        "redis", "docker", "kubernetes", "deployment", "health", "ready", "signal", "reload",
        "the", "of", "and", "to", "in", "is", "for", "with", "that", "on", "as", "by", "this",
        "running", "configured", "loading", "returns", "answers", "citations", "passages"};
    for (int i = 0; i < 20000; ++i) w.push_back("w" + std::to_string(i) + "x");
    return w;
  }();
  return words;
}

std::string strip_tags(const std::string& html) {
  std::string out;
  bool in_tag = false;
  for (char c : html) {
    if (c == '<') in_tag = true;
    else if (c == '>') { in_tag = false; out += ' '; }
    else if (!in_tag) out += c;
  }
  return out;
}

}  // namespace

std::vector<float> random_unit_vectors(std::size_t count, int dimension, std::mt19937& rng) {
  std::normal_distribution<float> normal;
  std::vector<float> v(count * dimension);
  for (auto& x : v) x = normal(rng);
  for (std::size_t i = 0; i < count; ++i) {
    double s = 0;
    for (int d = 0; d < dimension; ++d) s += v[i * dimension + d] * v[i * dimension + d];
    const float inv = static_cast<float>(1 / std::sqrt(s));
    for (int d = 0; d < dimension; ++d) v[i * dimension + d] *= inv;
  }
  return v;
}

std::vector<store::StoredChunk> synthetic_chunks(std::size_t count, std::size_t words_per_chunk,
                                                 int dimension, std::mt19937& rng) {
  const auto& words = vocabulary();
  std::vector<double> weights(words.size());
  for (std::size_t i = 0; i < weights.size(); ++i) weights[i] = 1.0 / (i + 1);
  std::discrete_distribution<std::size_t> zipf(weights.begin(), weights.end());
  std::normal_distribution<float> normal;
  std::vector<store::StoredChunk> chunks(count);
  for (std::size_t c = 0; c < count; ++c) {
    auto& chunk = chunks[c];
    chunk.chunk_id = static_cast<std::int64_t>(c);
    for (std::size_t w = 0; w < words_per_chunk; ++w) {
      chunk.text += words[zipf(rng)];
      chunk.text += (w % 15 == 14) ? ". " : " ";
    }
    chunk.metadata.citation_url = "/page" + std::to_string(c / 10);
    chunk.metadata.page_title = "Page " + std::to_string(c / 10);
    chunk.metadata.section = "Section " + std::to_string(c % 10);
    if (dimension > 0) {
      chunk.embedding.resize(dimension);
      for (auto& x : chunk.embedding) x = normal(rng);
    }
  }
  return chunks;
}

std::vector<store::StoredChunk> folder_chunks(const std::filesystem::path& root,
                                              std::size_t max_chunks) {
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(
           root, std::filesystem::directory_options::skip_permission_denied)) {
    if (!entry.is_regular_file()) continue;
    const auto ext = entry.path().extension().string();
    const auto name = entry.path().filename().string();
    if (ext == ".html" || ext == ".htm" || ext == ".txt" || ext == ".md" || ext == ".rst" ||
        name.starts_with("README")) {
      files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  std::vector<store::StoredChunk> chunks;
  for (const auto& file : files) {
    std::ifstream in(file, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    std::string text = ss.str();
    if (file.extension() == ".html" || file.extension() == ".htm") text = strip_tags(text);
    // ~1 kB chunks cut at paragraph (blank line) or line ends.
    std::size_t start = 0;
    while (start < text.size() && chunks.size() < max_chunks) {
      std::size_t end = std::min(text.size(), start + 1000);
      if (end < text.size()) {
        auto nl = text.find('\n', end);
        end = nl == std::string::npos ? text.size() : nl;
      }
      store::StoredChunk chunk;
      chunk.chunk_id = static_cast<std::int64_t>(chunks.size());
      chunk.text = text.substr(start, end - start);
      chunk.metadata.citation_url = "/" + file.filename().string();
      chunk.metadata.page_title = file.stem().string();
      chunks.push_back(std::move(chunk));
      start = end;
    }
    if (chunks.size() >= max_chunks) break;
  }
  return chunks;
}

}  // namespace rag::bench
