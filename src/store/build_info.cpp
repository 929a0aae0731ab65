// Reading and writing build_info.json (see build_info.hpp).
#include "store/build_info.hpp"

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "store/schema.hpp"

namespace rag::store {

Result<void> write_build_info(const std::filesystem::path& dir, const BuildInfo& info) {
  nlohmann::ordered_json j;
  j["total_documents"] = info.total_documents;
  j["total_chunks"] = info.total_chunks;
  j["embedding_dimension"] = info.embedding_dimension;
  j["build_timestamp"] = info.build_timestamp;
  auto final_path = dir / std::string(kBuildInfoFileName);
  auto tmp = final_path;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << j.dump(2) << '\n';
    if (!out.flush()) return fail(ErrorCode::kIo, "cannot write " + tmp.string());
  }
  std::error_code ec;
  std::filesystem::rename(tmp, final_path, ec);
  if (ec) return fail(ErrorCode::kIo, "cannot write " + final_path.string() + ": " + ec.message());
  return {};
}

Result<BuildInfo> read_build_info(const std::filesystem::path& dir) {
  auto path = dir / std::string(kBuildInfoFileName);
  std::ifstream in(path);
  if (!in) return fail(ErrorCode::kNotFound, "no " + path.string());
  std::stringstream ss;
  ss << in.rdbuf();
  try {
    auto j = nlohmann::json::parse(ss.str());
    BuildInfo info;
    info.total_documents = j.at("total_documents").get<std::size_t>();
    info.total_chunks = j.at("total_chunks").get<std::size_t>();
    info.embedding_dimension = j.value("embedding_dimension", 0);
    info.build_timestamp = j.value("build_timestamp", std::string());
    return info;
  } catch (const nlohmann::json::exception& e) {
    return fail(ErrorCode::kCorrupt, path.string() + ": " + e.what());
  }
}

}  // namespace rag::store
