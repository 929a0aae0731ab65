// faiss-fixture: test-only helper around libfaiss (see CMakeLists.txt beside it).
//
//   faiss-fixture write VECTORS.txt OUT.index [FACTORY] [ip|l2]
//       VECTORS.txt: first line "N D", then N lines of D floats. Writes the index built by
//       faiss::index_factory(D, FACTORY, metric) (default "Flat", inner product), trained on
//       the vectors when the type needs it, with the vectors added in file order — what the
//       Python design's faiss.IndexFlatIP(d) + add() + write_index() produced.
//   faiss-fixture search INDEX QUERY.txt K
//       QUERY.txt: one line of D floats. Prints "ID SCORE" per hit, best first, as read back
//       by faiss::read_index (the Python design's own search).
//
// Exit 0 on success, 1 with a message on stderr otherwise.
#include <faiss/Index.h>
#include <faiss/index_factory.h>
#include <faiss/index_io.h>

#include <cstdio>
#include <exception>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

namespace {

int write_index(const std::string& vectors_path, const std::string& out, const std::string& factory,
                const std::string& metric) {
  std::ifstream in(vectors_path);
  long n = 0;
  int d = 0;
  if (!(in >> n >> d) || n < 0 || d <= 0) {
    std::cerr << "faiss-fixture: " << vectors_path << ": expected 'N D' on the first line\n";
    return 1;
  }
  std::vector<float> data(static_cast<std::size_t>(n) * d);
  for (auto& x : data) {
    if (!(in >> x)) {
      std::cerr << "faiss-fixture: " << vectors_path << ": fewer than N*D floats\n";
      return 1;
    }
  }
  std::unique_ptr<faiss::Index> index(faiss::index_factory(
      d, factory.c_str(), metric == "l2" ? faiss::METRIC_L2 : faiss::METRIC_INNER_PRODUCT));
  if (!index->is_trained) index->train(n, data.data());
  index->add(n, data.data());
  faiss::write_index(index.get(), out.c_str());
  return 0;
}

int search_index(const std::string& path, const std::string& query_path, long k) {
  std::unique_ptr<faiss::Index> index(faiss::read_index(path.c_str()));
  std::ifstream in(query_path);
  std::vector<float> q(static_cast<std::size_t>(index->d));
  for (auto& x : q) {
    if (!(in >> x)) {
      std::cerr << "faiss-fixture: " << query_path << ": fewer than D floats\n";
      return 1;
    }
  }
  std::vector<float> scores(static_cast<std::size_t>(k));
  std::vector<faiss::Index::idx_t> ids(static_cast<std::size_t>(k));
  index->search(1, q.data(), k, scores.data(), ids.data());
  for (long i = 0; i < k; ++i) {
    if (ids[i] < 0) break;
    std::printf("%lld %.9g\n", static_cast<long long>(ids[i]), scores[i]);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const std::string cmd = argc > 1 ? argv[1] : "";
    if (cmd == "write" && (argc >= 4 && argc <= 6)) {
      return write_index(argv[2], argv[3], argc > 4 ? argv[4] : "Flat", argc > 5 ? argv[5] : "ip");
    }
    if (cmd == "search" && argc == 5) return search_index(argv[2], argv[3], std::stol(argv[4]));
    std::cerr << "usage: faiss-fixture write VECTORS.txt OUT.index [FACTORY] [ip|l2]\n"
                 "       faiss-fixture search INDEX QUERY.txt K\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "faiss-fixture: " << e.what() << "\n";
    return 1;
  }
}
