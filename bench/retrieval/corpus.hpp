// Benchmark corpora: synthetic chunks (Zipf-distributed English-like words, optional random
// vectors) and a real corpus read from a folder of text/HTML files, split into ~1 kB chunks.
#pragma once

#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "store/index_reader.hpp"

namespace rag::bench {

std::vector<store::StoredChunk> synthetic_chunks(std::size_t count, std::size_t words_per_chunk,
                                                 int dimension, std::mt19937& rng);

// Every .html/.htm/.txt/.md/.rst/README file under `root` (tags stripped), in ~1 kB chunks.
std::vector<store::StoredChunk> folder_chunks(const std::filesystem::path& root,
                                              std::size_t max_chunks);

std::vector<float> random_unit_vectors(std::size_t count, int dimension, std::mt19937& rng);

}  // namespace rag::bench
