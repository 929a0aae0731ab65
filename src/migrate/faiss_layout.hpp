// The layout of the FAISS files import-faiss accepts, checked byte by byte before libfaiss
// reads one. FAISS 1.7.3 trusts its files: it allocates whatever a length field says, reads a
// bool from any byte, follows an IndexHNSW's storage into any index type (recursively), and
// never checks that the storage's dimension and count agree with the outer header, so a
// crafted IndexHNSWFlat made reconstruct_n write past its buffer. Accepted here, and nothing
// else (little-endian, as FAISS writes on x86-64; faiss/impl/index_write.cpp):
//
//   flat   = tag ("IxFI": inner product, metric 0 | "IxF2": L2, metric 1) header codes
//   header = int32 d (1..65536), int64 ntotal (>= 0), int64, int64, uint8 is_trained (0|1),
//            int32 metric_type (0|1; a flat's agrees with its tag)
//   codes  = uint64 n, then n × 4 bytes, with n = ntotal × d
//   hnsw   = "IHNf" header graph flat, where the nested flat has the outer d, ntotal and metric
//   graph  = five vectors (uint64 count, then count items of 8, 4, 4, 8, 4 bytes: assign_probas,
//            cum_nneighbor_per_level, levels (count = ntotal), offsets (count = ntotal + 1),
//            neighbors), then five int32
//
// and the file ends exactly there. Every count is checked against the bytes left before
// anything is read past it. Refused types are named (IVF, PQ, SQ, LSH, ID maps, ...).
//
// Thread-safety: a pure function over the stream it is given.
#pragma once

#include <cstdint>
#include <istream>
#include <string>

#include "common/result.hpp"

namespace rag::migrate {

struct FaissLayout {
  std::string tag;  // "IxFI", "IxF2" or "IHNf"
  std::int32_t dimension = 0;
  std::int64_t count = 0;
  bool inner_product = true;
};

// `in` holds `size` bytes from its current position; `name` prefixes the messages. Errors:
// kInvalidArgument for a known index type that is not an exact store (the message is only
// the type's name, e.g. "IndexIVFFlat"), kCorrupt for anything else.
Result<FaissLayout> check_faiss_layout(std::istream& in, std::uint64_t size,
                                       const std::string& name);

}  // namespace rag::migrate
