// The lexical index file: what is saved is what is loaded, a file for another content
// generation or a damaged one is refused (at once, or when a lazily verified piece is first
// read: then nothing is answered until the live index has reloaded it whole), and a snapshot
// over a loaded file answers exactly as one built from the chunks.
#include "retrieval/lexical_file.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <iterator>

#include "observability/telemetry.hpp"
#include "retrieval/live_index.hpp"
#include "retrieval/snapshot.hpp"
#include "retrieval/testing/fake_index_reader.hpp"
#include "retrieval/testing/test_corpus.hpp"

namespace rag::retrieval {
namespace {

using testing::make_chunk;
using testing::ScratchDir;
using testing::small_corpus;

std::vector<store::StoredChunk> corpus_with_urls() {
  auto chunks = small_corpus(false);
  chunks.push_back(
      make_chunk(4, "More about the PORT setting and its default.", "Configuration", "/config"));
  chunks.push_back(make_chunk(5, "A chunk without a citation.", "Misc", ""));
  chunks[4].metadata.overlap = 12;
  chunks[4].metadata.published = "2026-01-02";
  return chunks;
}

std::string read_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

void write_file(const std::filesystem::path& file, const std::string& bytes) {
  std::ofstream(file, std::ios::binary | std::ios::trunc) << bytes;
}

TEST(LexicalFile, LoadsWhatWasSaved) {
  ScratchDir dir;
  const auto file = lexical_index_path(dir.path());
  const auto chunks = corpus_with_urls();
  const auto built = LexicalIndex::build(chunks);
  ASSERT_TRUE(save_lexical_index(built, "id:7", {}, file).has_value());
  EXPECT_FALSE(std::filesystem::exists(file.string() + ".tmp"));
  EXPECT_EQ(saved_lexical_generation(file), "id:7");

  auto loaded = load_lexical_index(file, "id:7");
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message;
  ASSERT_EQ(loaded->size(), chunks.size());
  EXPECT_GE(loaded->chunk_parts().strings_fd, 0);
  for (std::uint32_t doc = 0; doc < chunks.size(); ++doc) {
    const auto chunk = loaded->chunk(doc);  // its strings read from the file, not the map
    EXPECT_EQ(chunk.chunk_id, chunks[doc].chunk_id);
    EXPECT_EQ(chunk.text(), chunks[doc].text);
    EXPECT_EQ(chunk.url(), chunks[doc].metadata.citation_url);
    EXPECT_EQ(chunk.metadata(), chunks[doc].metadata);
  }
  const auto& by_url = loaded->chunk_parts().by_url;
  EXPECT_EQ(std::vector<std::uint32_t>(by_url.begin(), by_url.end()),
            (std::vector<std::uint32_t>{0, 4, 3, 2, 1}));  // /config, /index, /limits, ...
  const std::vector<std::string> query{"port", "server"};
  const auto a = built.bm25().search(query, 10);
  const auto b = loaded->bm25().search(query, 10);
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].doc, b[i].doc);
    EXPECT_EQ(a[i].score, b[i].score);
  }
}

TEST(LexicalFile, AnEmptyIndexRoundTrips) {
  ScratchDir dir;
  const auto file = lexical_index_path(dir.path());
  ASSERT_TRUE(save_lexical_index(LexicalIndex::build({}), "g", {}, file).has_value());
  auto loaded = load_lexical_index(file, "g");
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message;
  EXPECT_EQ(loaded->size(), 0u);
  EXPECT_TRUE(loaded->bm25().search({"port"}, 5).empty());
}

TEST(LexicalFile, AFileForAnotherGenerationOrNoneIsNotFound) {
  ScratchDir dir;
  const auto file = lexical_index_path(dir.path());
  auto missing = load_lexical_index(file, "g");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(saved_lexical_generation(file), "");

  ASSERT_TRUE(save_lexical_index(LexicalIndex::build(small_corpus(false)), "old", {}, file));
  auto stale = load_lexical_index(file, "new");
  ASSERT_FALSE(stale.has_value());
  EXPECT_EQ(stale.error().code, ErrorCode::kNotFound);
  EXPECT_NE(stale.error().message.find("another index generation"), std::string::npos);
}

TEST(LexicalFile, EveryDamagedByteIsRefused) {
  ScratchDir dir;
  const auto file = lexical_index_path(dir.path());
  ASSERT_TRUE(save_lexical_index(LexicalIndex::build(corpus_with_urls()), "g", {}, file));
  const std::string good = read_file(file);
  // Every byte but the header's magic and checksum (whose damage is refused by name or by the
  // checksum too), flipped one at a time.
  for (std::size_t at = 0; at < good.size(); at += 1 + at / 64) {
    std::string bad = good;
    bad[at] = static_cast<char>(bad[at] ^ 0x10);
    write_file(file, bad);
    auto loaded = load_lexical_index(file, "g");
    ASSERT_FALSE(loaded.has_value()) << "byte " << at;
    EXPECT_EQ(loaded.error().code, ErrorCode::kCorrupt) << "byte " << at;
  }
  for (const std::size_t size : {std::size_t{0}, std::size_t{10}, good.size() - 1}) {
    write_file(file, good.substr(0, size));
    auto loaded = load_lexical_index(file, "g");
    ASSERT_FALSE(loaded.has_value());
    EXPECT_EQ(loaded.error().code, ErrorCode::kCorrupt) << size << " bytes";
  }
  write_file(file, good + "extra");
  EXPECT_FALSE(load_lexical_index(file, "g").has_value());
}

TEST(LexicalFile, StructureChecksAloneRefuseInconsistentSections) {
  ScratchDir dir;
  const auto file = lexical_index_path(dir.path());
  ASSERT_TRUE(save_lexical_index(LexicalIndex::build(corpus_with_urls()), "g", {}, file));
  std::string bytes = read_file(file);
  // The first section's offset (the header's section table) pointed past the end.
  constexpr std::size_t kFirstSection = 8 + 8 + 4 + 4 + 8 + 8;  // 40
  std::uint64_t past = bytes.size() + 8;
  std::memcpy(bytes.data() + kFirstSection, &past, sizeof past);
  std::vector<std::uint64_t> aligned((bytes.size() + 7) / 8);
  std::memcpy(aligned.data(), bytes.data(), bytes.size());
  auto parsed = parse_lexical_index(std::as_bytes(std::span(aligned)).first(bytes.size()), "g",
                                    false, nullptr);
  ASSERT_FALSE(parsed.has_value());
  EXPECT_EQ(parsed.error().code, ErrorCode::kCorrupt);
  EXPECT_NE(parsed.error().message.find("section 0"), std::string::npos);
}

TEST(LexicalFile, ASnapshotOverTheLoadedFileAnswersAsOneBuiltFromTheChunks) {
  ScratchDir dir;
  const auto file = lexical_index_path(dir.path());
  const auto chunks = corpus_with_urls();
  ASSERT_TRUE(save_lexical_index(LexicalIndex::build(chunks), "g", {}, file));
  auto loaded = load_lexical_index(file, "g");
  ASSERT_TRUE(loaded.has_value());
  auto from_file = Snapshot::assemble(std::move(*loaded), {}, {}, "g");
  auto from_chunks = Snapshot::build(chunks, {}, "g");
  ASSERT_TRUE(from_file.has_value() && from_chunks.has_value());
  for (const char* query : {"which port does the server listen on?", "rate limits", "index"}) {
    auto a = (*from_chunks)->search(query, nullptr, 5);
    auto b = (*from_file)->search(query, nullptr, 5);
    ASSERT_TRUE(a.has_value() && b.has_value());
    ASSERT_EQ(a->size(), b->size()) << query;
    for (std::size_t i = 0; i < a->size(); ++i) {
      EXPECT_EQ((*a)[i].chunk_id, (*b)[i].chunk_id);
      EXPECT_EQ((*a)[i].score, (*b)[i].score);
      EXPECT_EQ((*a)[i].content, (*b)[i].content);
      EXPECT_EQ((*a)[i].metadata, (*b)[i].metadata);
    }
  }
  EXPECT_EQ((*from_file)->source("/config")->size(), 2u);
}

TEST(LexicalFile, LiveIndexLoadsTheFileForItsGenerationAndBuildsOtherwise) {
  ScratchDir dir;
  const auto file = lexical_index_path(dir.path());
  auto state = std::make_shared<testing::FakeIndexState>();
  state->set(small_corpus(false), "gen-1");
  LiveIndex live(testing::fake_opener(state), {}, nullptr, file);

  auto built = live.reload();  // no file yet
  ASSERT_TRUE(built.has_value());
  EXPECT_FALSE(built->lexical_stored);
  EXPECT_NE(built->lexical_note.find("cannot open"), std::string::npos);

  ASSERT_TRUE(save_lexical_index(LexicalIndex::build(small_corpus(false)), "gen-1", {}, file));
  auto stored = live.reload();
  ASSERT_TRUE(stored.has_value());
  EXPECT_TRUE(stored->lexical_stored);
  EXPECT_TRUE(stored->lexical_note.empty());
  auto hits = live.current()->search("which port does the server listen on?", nullptr, 1);
  ASSERT_TRUE(hits.has_value() && !hits->empty());
  EXPECT_EQ(hits->front().chunk_id, 0);

  state->set(small_corpus(false), "gen-2");  // the index changed; the file did not
  auto stale = live.reload();
  ASSERT_TRUE(stale.has_value());
  EXPECT_FALSE(stale->lexical_stored);
  EXPECT_NE(stale->lexical_note.find("another index generation"), std::string::npos);
  EXPECT_EQ(live.current()->size(), 4u);
}

// Chunks whose strings span several 1 MiB checksum pieces: a wombat near the start, a quokka
// in the middle, two kilobytes of filler each.
std::vector<store::StoredChunk> corpus_of_pieces() {
  std::string filler;
  while (filler.size() < 2048) filler += "Filler words pad every page of this handbook. ";
  std::vector<store::StoredChunk> chunks;
  for (int i = 0; i < 1500; ++i) {
    const std::string animal = i == 3 ? "The wombat digs. " : i == 750 ? "The quokka smiles. " : "";
    chunks.push_back(make_chunk(i, animal + filler, "Page", "/page" + std::to_string(i)));
  }
  return chunks;
}

TEST(LexicalFile, ADamagedPieceReadLazilyAnswersNothingUntilTheLiveIndexReloadsItWhole) {
  ScratchDir dir;
  const auto file = lexical_index_path(dir.path());
  const auto chunks = corpus_of_pieces();
  ASSERT_TRUE(save_lexical_index(LexicalIndex::build(chunks), "g", {}, file));
  std::string bytes = read_file(file);
  const auto quokka = bytes.rfind("The quokka smiles.");  // in the strings, not the vocabulary
  ASSERT_NE(quokka, std::string::npos);
  bytes[quokka] = 't';
  write_file(file, bytes);

  EXPECT_EQ(load_lexical_index(file, "g").error().code, ErrorCode::kCorrupt);  // whole
  auto lazily = load_lexical_index(file, "g", nullptr, LexicalCheck::kLazily);
  ASSERT_TRUE(lazily.has_value()) << lazily.error().message;
  auto snapshot = Snapshot::assemble(std::move(*lazily), {}, {}, "g");
  ASSERT_TRUE(snapshot.has_value());
  auto wombat = (*snapshot)->search("wombat", nullptr, 3);  // other pieces: answered
  ASSERT_TRUE(wombat.has_value() && !wombat->empty());
  EXPECT_EQ(wombat->front().chunk_id, 3);
  EXPECT_TRUE((*snapshot)->intact());
  const auto damaged = (*snapshot)->search("quokka", nullptr, 3);
  ASSERT_FALSE(damaged.has_value());
  EXPECT_EQ(damaged.error().code, ErrorCode::kIndexUnavailable);
  EXPECT_FALSE((*snapshot)->intact());
  EXPECT_FALSE((*snapshot)->search("wombat", nullptr, 3).has_value());  // nothing from now on
  EXPECT_FALSE((*snapshot)->source("/page3").has_value());

  // The live index maps it lazily, finds the damage when the quokka's text is read, and then
  // reloads with the file verified whole: refused, so built from the chunks, and right.
  auto state = std::make_shared<testing::FakeIndexState>();
  state->set(chunks, "g");
  LiveIndex live(testing::fake_opener(state), {}, nullptr, file);
  observability::Registry metrics;
  observability::Readiness readiness;
  observability::Telemetry telemetry{metrics, readiness};
  live.publish(telemetry);
  auto first = live.reload();
  ASSERT_TRUE(first.has_value() && first->lexical_stored);
  EXPECT_TRUE(readiness.evaluate().ready);
  EXPECT_FALSE(live.current()->search("quokka", nullptr, 3).has_value());
  const auto unready = readiness.evaluate();
  EXPECT_FALSE(unready.ready);
  ASSERT_EQ(unready.reasons.size(), 1u);
  EXPECT_EQ(unready.reasons[0], "index: lexical index file damaged; reloading");
  auto again = live.reload_if_changed();  // the same generation, but damaged
  ASSERT_TRUE(again.has_value() && again->reloaded);
  EXPECT_FALSE(again->lexical_stored);
  EXPECT_NE(again->lexical_note.find("checksum mismatch"), std::string::npos);
  auto quokkas = live.current()->search("quokka", nullptr, 3);
  ASSERT_TRUE(quokkas.has_value() && !quokkas->empty());
  EXPECT_EQ(quokkas->front().chunk_id, 750);
  EXPECT_TRUE(live.current()->intact());
  EXPECT_TRUE(readiness.evaluate().ready);
  EXPECT_FALSE(live.reload_if_changed()->reloaded);
}

}  // namespace
}  // namespace rag::retrieval
