// The layout of the FAISS files this project reads, checked byte by byte before libfaiss reads
// one: import-faiss's `vector.index` and the FAISS part of `vectors.faiss`
// (docs/INDEX-FORMAT.md). FAISS 1.7.3 trusts its files: it allocates whatever a length field
// says, reads a bool from any byte, follows an IndexHNSW's storage into any index type
// (recursively), and never checks that the storage's dimension and count agree with the outer
// header, so a crafted IndexHNSWFlat made reconstruct_n write past its buffer. Accepted here,
// and nothing else (little-endian, as FAISS writes on x86-64; faiss/impl/index_write.cpp):
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
// and, with FaissKinds::kStored only, the IVF index `rag-server index` stores with its lists
// kept outside FAISS's part (an IndexIVFScalarQuantizer of 8 bits a dimension, empty lists):
//
//   ivf    = "IwSq" header (ntotal 0, trained) uint64 nlist (>= 1) uint64 nprobe (1..nlist)
//            flat (the quantizer: the outer d and metric, ntotal = nlist)
//            uint8 0 uint64 0 (no direct map)
//            int32 0 (QT_8bit) int32 rangestat (0..3) float uint64 d uint64 d (code size)
//            uint64 2·d, then 2·d × 4 bytes (the trained ranges)
//            uint64 d (code size) uint8 0 (not by residual)
//            "ilar" uint64 nlist uint64 d "sprs" uint64 0 (every list empty)
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

namespace rag::retrieval {

struct FaissLayout {
  std::string tag;  // "IxFI", "IxF2", "IHNf" or "IwSq"
  std::int32_t dimension = 0;
  std::int64_t count = 0;   // vectors in FAISS's part (0 for "IwSq": its lists are outside it)
  std::uint64_t lists = 0;  // "IwSq": nlist
  bool inner_product = true;
  bool trained = false;
};

// What a caller accepts: kExact, the exact stores import-faiss reads (flat, HNSW over flat);
// kStored, those and the IVF index vectors.faiss holds.
enum class FaissKinds { kExact, kStored };

// `in` holds `size` bytes from its current position; `name` prefixes the messages. Errors:
// kInvalidArgument for a known index type that `kinds` does not take (the message is only the
// type's name, e.g. "IndexIVFFlat"), kCorrupt for anything else.
Result<FaissLayout> check_faiss_layout(std::istream& in, std::uint64_t size,
                                       const std::string& name,
                                       FaissKinds kinds = FaissKinds::kExact);

}  // namespace rag::retrieval
