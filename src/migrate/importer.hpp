// `rag-server import-faiss DIR`: converts the Python design's vector_db/ (vector.index,
// metadata.json, documents.pkl, build_info.json) into this project's index, keeping vectors,
// texts and metadata, so a site switches servers without re-embedding.
//
// Nothing is written unless everything checks out: the three counts agree (and
// build_info.json's total_chunks and embedding_dimension, when present), the pickle is a plain
// list of str, the FAISS type is exact. The new index is built in a temporary folder inside the
// target (`.import-faiss-PID/`) and renamed into place on success, so a failed or killed import
// never leaves a half index; leftovers of a killed import are removed by the next one. An
// existing index is replaced only with `force`. The Python design's files are never modified;
// its build_info.json is kept as build_info.python.json when the import lands in the same
// folder.
//
// The embedding model recorded in the index (what `serve` compares with its embeddings
// upstream) is, in order: `model` (--model), `configured_model` (the model name of the
// embeddings upstream configured for the server), build_info.json's model field; with none of
// them the import fails and says so.
//
// Thread-safety: one import at a time per target folder; the function itself is reentrant.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>

#include "common/result.hpp"

namespace rag::migrate {

struct ImportOptions {
  std::filesystem::path source_dir;  // the Python design's vector_db/
  std::filesystem::path out_dir;     // this project's VECTOR_DB_PATH (may be source_dir)
  bool force = false;                // replace an existing index
  std::string model;                 // explicit model name (--model); "" = not given
  std::string configured_model;      // the configured embeddings upstream's model, or ""
};

struct ImportSummary {
  std::size_t documents = 0;
  std::size_t chunks = 0;
  int dimension = 0;
  std::string model;
  std::string index_type;            // "IndexFlatIP", ...
  std::size_t non_unit_vectors = 0;  // vectors whose length is not 1 (see faiss_file.hpp)
  std::filesystem::path index_file;  // the index written

  // "imported 120 chunks (34 documents), dimension 1536, model 'emb' from IndexFlatIP into …"
  std::string describe() const;
};

// Error codes: kNotFound (a source file is missing), kInvalidArgument (inputs that cannot be
// imported: counts differ, a refused pickle or FAISS type, an existing index without force, no
// model name), kCorrupt (unreadable input), kIo (the index cannot be written).
Result<ImportSummary> import_faiss(const ImportOptions& options);

}  // namespace rag::migrate
