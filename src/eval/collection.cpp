// Reading BEIR folders and questions files (see collection.hpp).
#include "eval/collection.hpp"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

namespace rag::eval {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string at_line(const fs::path& file, std::size_t line) {
  return file.string() + ":" + std::to_string(line);
}

// Calls `each(object, line number)` for every non-blank line, which must be a JSON object.
Result<void> for_each_json_line(const fs::path& file,
                                const std::function<Result<void>(const json&, std::size_t)>& each) {
  std::ifstream in(file);
  if (!in) return fail(ErrorCode::kNotFound, "cannot read " + file.string());
  std::string line;
  for (std::size_t n = 1; std::getline(in, line); ++n) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const auto obj = json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!obj.is_object())
      return fail(ErrorCode::kInvalidArgument, at_line(file, n) + ": not a JSON object");
    auto done = each(obj, n);
    if (!done) return done;
  }
  return {};
}

std::string text_field(const json& obj, const char* key) {
  const auto it = obj.find(key);
  if (it == obj.end()) return {};
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number_integer()) return std::to_string(it->get<long long>());
  return {};
}

Result<fs::path> qrels_file(const fs::path& dir, std::string_view split) {
  const fs::path qrels = dir / "qrels";
  if (!split.empty()) return qrels / (std::string(split) + ".tsv");
  std::vector<fs::path> found;
  std::error_code ec;
  // increment(ec), not ++: a failed read of the folder ends the scan instead of throwing.
  for (fs::directory_iterator it(qrels, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().extension() == ".tsv") found.push_back(it->path());
  }
  if (found.size() == 1) return found.front();
  return qrels / "test.tsv";
}

// query id → judgements, from a TREC-style tab-separated file with a header line.
Result<std::map<std::string, Judgements>> read_qrels(const fs::path& file) {
  std::ifstream in(file);
  if (!in) return fail(ErrorCode::kNotFound, "cannot read " + file.string());
  std::map<std::string, Judgements> out;
  std::string line;
  for (std::size_t n = 1; std::getline(in, line); ++n) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::istringstream fields(line);
    std::string query, doc, grade_text;
    if (!std::getline(fields, query, '\t') || !std::getline(fields, doc, '\t') ||
        !std::getline(fields, grade_text, '\t')) {
      if (line.empty()) continue;
      return fail(ErrorCode::kInvalidArgument,
                  at_line(file, n) + ": expected 3 tab-separated fields");
    }
    int grade = 0;
    const char* const end = grade_text.data() + grade_text.size();
    if (const auto parsed = std::from_chars(grade_text.data(), end, grade);
        parsed.ec != std::errc() || parsed.ptr != end) {
      if (n == 1) continue;  // the header
      return fail(ErrorCode::kInvalidArgument, at_line(file, n) + ": the score is not an integer");
    }
    out[query][doc] = grade;
  }
  return out;
}

Result<Collection> load_beir(const fs::path& dir, std::string_view split) {
  Collection c;
  c.name = dir.filename().empty() ? dir.parent_path().filename().string() : dir.filename().string();
  c.corpus = dir / "corpus.jsonl";
  auto qrels_path = qrels_file(dir, split);
  if (!qrels_path) return std::unexpected(qrels_path.error());
  auto qrels = read_qrels(*qrels_path);
  if (!qrels) return std::unexpected(qrels.error());
  const fs::path queries = dir / "queries.jsonl";
  auto read = for_each_json_line(queries, [&](const json& obj, std::size_t n) -> Result<void> {
    EvalQuery q{text_field(obj, "_id"), text_field(obj, "text"), {}};
    if (q.id.empty())
      return fail(ErrorCode::kInvalidArgument, at_line(queries, n) + ": no \"_id\"");
    const auto it = qrels->find(q.id);
    if (it == qrels->end()) return {};
    const bool relevant = std::any_of(it->second.begin(), it->second.end(),
                                      [](const auto& j) { return j.second > 0; });
    if (!relevant) return {};
    q.judged = it->second;
    c.queries.push_back(std::move(q));
    return {};
  });
  if (!read) return std::unexpected(read.error());
  return c;
}

Result<Collection> load_questions(const fs::path& file) {
  Collection c;
  c.name = file.filename().string();
  auto read = for_each_json_line(file, [&](const json& obj, std::size_t n) -> Result<void> {
    EvalQuery q{std::to_string(n), text_field(obj, "question"), {}};
    const auto pages = obj.find("pages");
    if (q.text.empty() || pages == obj.end() || !pages->is_array()) {
      return fail(ErrorCode::kInvalidArgument,
                  at_line(file, n) + ": expected {\"question\": \"...\", \"pages\": [...]}");
    }
    for (const auto& page : *pages) {
      if (!page.is_string() || page.get<std::string>().empty())
        return fail(ErrorCode::kInvalidArgument, at_line(file, n) + ": a page is not a string");
      q.judged[page.get<std::string>()] = 1;
    }
    c.queries.push_back(std::move(q));
    return {};
  });
  if (!read) return std::unexpected(read.error());
  return c;
}

}  // namespace

Result<Collection> load_collection(const fs::path& path, std::string_view split) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    if (!fs::exists(path / "corpus.jsonl", ec))
      return fail(ErrorCode::kInvalidArgument,
                  path.string() + " is a folder without corpus.jsonl (not a BEIR collection)");
    return load_beir(path, split);
  }
  if (!fs::exists(path, ec)) return fail(ErrorCode::kNotFound, path.string() + " does not exist");
  return load_questions(path);
}

}  // namespace rag::eval
