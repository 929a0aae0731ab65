// build_info.json beside the index database, in the Python design's format (its tools read
// it): total_documents, total_chunks, embedding_dimension, build_timestamp.
#pragma once

#include <filesystem>

#include "common/result.hpp"
#include "store/index_writer.hpp"

namespace rag::store {

// Writes dir/build_info.json atomically (temporary file + rename).
Result<void> write_build_info(const std::filesystem::path& dir, const BuildInfo& info);
Result<BuildInfo> read_build_info(const std::filesystem::path& dir);

}  // namespace rag::store
