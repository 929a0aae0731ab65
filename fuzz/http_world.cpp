// Builds the `http_request` target's server (see http_world.hpp).
#include "http_world.hpp"

#include <fcntl.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <memory>

#include "app/services.hpp"
#include "config/loader.hpp"
#include "fuzz_target.hpp"
#include "ingest/chunk_metadata.hpp"
#include "ingest/loaders.hpp"
#include "ingest/splitter.hpp"
#include "retrieval/live_index.hpp"
#include "store/index_writer.hpp"

namespace rag::fuzz {
namespace {

namespace fs = std::filesystem;

struct SeedDoc {
  const char* path;
  const char* markdown;
};

constexpr SeedDoc kDocs[] = {
    {"docs/install.md",
     "---\ntitle: Installing\nurl: https://example.com/install\n---\n# Installing\n\n"
     "Install the server with the package manager, then run the index command once.\n\n"
     "## Configuration\n\nSet VECTOR_DB_PATH to the folder of the index. The server reads "
     "the index at start-up and reloads it on SIGHUP.\n"},
    {"docs/chat.md",
     "# Conversations\n\nA chat keeps its history in a session. Sessions expire after "
     "SESSION_TIMEOUT seconds of inactivity.\n\n## Streaming\n\nAsk for text/event-stream "
     "to receive the answer token by token.\n\n```\ncurl -N localhost:8000/chat\n```\n"},
    {"docs/limits.md",
     "# Limits\n\nRequests above the rate limit get 429 with Retry-After. Bodies over "
     "MAX_BODY_BYTES get 413; headers over MAX_HEADER_BYTES get 431.\n"},
};

// The index: the real loader, splitter, metadata and writer, as `rag-server index` would.
void write_index(const fs::path& dir) {
  auto writer = store::IndexWriter::open(dir);
  check(writer.has_value(), "cannot create the fuzz index");
  check((*writer)->begin_batch().has_value(), "index begin_batch");
  ingest::SplitOptions split{.chunk_paragraphs = 1, .chunk_overlap = 0,
                             .min_paragraph_chars = 0, .chunk_max_chars = 2000};
  for (const auto& seed : kDocs) {
    auto doc = ingest::load_markdown(seed.markdown, false);
    check(doc.has_value(), "seed document does not load");
    ingest::ChunkContext ctx{seed.path, doc->url, ingest::page_title(*doc, seed.path), &*doc};
    std::vector<store::NewChunk> chunks;
    for (const auto& chunk : ingest::split(*doc, split))
      chunks.push_back(
          {chunk.text, ingest::chunk_metadata(chunk, ctx, ingest::sha256_hex(chunk.text))});
    store::DocumentRecord record{seed.path, ingest::sha256_hex(seed.markdown), 0,
                                 static_cast<std::int64_t>(std::string_view(seed.markdown).size())};
    check((*writer)->replace_document(record, chunks, "").has_value(), "index replace_document");
  }
  check((*writer)->commit_batch().has_value(), "index commit_batch");
  check((*writer)->finish().has_value(), "index finish");
}

// A fresh folder for the index, removed once the index is loaded.
fs::path index_dir() {
  char pattern[] = "/tmp/rag-fuzz-index-XXXXXX";
  check(::mkdtemp(pattern) != nullptr, "mkdtemp");
  return pattern;
}

// The feedback store's folder (POST /feedback is fuzzed too): kept while the process lives,
// since SQLite refuses to write a database whose file was removed, and removed at exit. A
// plain array, not a path, so that it outlives every static destructor the exit runs.
char state_dir[] = "/tmp/rag-fuzz-state-XXXXXX";

void remove_state_dir() {
  std::error_code ec;
  fs::remove_all(state_dir, ec);
}

config::Config fuzz_config(const fs::path& dir) {
  config::Config c;
  c.vector_db_path = dir;
  c.state_dir = state_dir;
  c.log_dir = dir / "logs";
  c.max_sessions = 32;
  c.max_conversation_history = 6;
  c.max_message_chars = 2000;
  c.allowed_origins = {"http://localhost:3000", "https://app.example.com"};
  c.trusted_proxies = {*config::parse_cidr("127.0.0.0/8"), *config::parse_cidr("::1/128")};
  // Limits high enough never to trigger: each input must behave the same whatever ran before
  // it in this process (replays run a whole corpus in one process).
  for (auto* spec : {&c.rate_limit_health, &c.rate_limit_search, &c.rate_limit_chat,
                     &c.rate_limit_feedback})
    *spec = config::RateLimitSpec{true, 1'000'000, 60, "minute"};
  return c;
}

void quiet_process_output() {
  const int devnull = ::open("/dev/null", O_WRONLY);
  if (devnull >= 0) {
    ::dup2(devnull, STDOUT_FILENO);  // the JSON access log
    ::close(devnull);
  }
  auto logger = std::make_shared<spdlog::logger>("fuzz", std::make_shared<spdlog::sinks::null_sink_mt>());
  logger->set_level(spdlog::level::trace);
  spdlog::set_default_logger(std::move(logger));
}

HttpWorld* build_world() {
  quiet_process_output();
  const auto dir = index_dir();
  write_index(dir);
  check(::mkdtemp(state_dir) != nullptr, "mkdtemp");
  std::atexit(remove_state_dir);

  auto* world = new HttpWorld;  // never destroyed: see http_world.hpp
  world->config = fuzz_config(dir);
  auto services = app::Services::build(world->config, world->ioc);
  check(services.has_value(), "the services do not build");
  world->services = std::move(*services);
  auto& index = world->services->index();
  auto loaded = index.reload();  // at once, rather than waiting for the reloader
  check(loaded.has_value() && index.current() != nullptr, "fuzz index does not load");
  // Loaded into memory: remove the folder now, so an abort (a finding) leaves nothing behind.
  // The reloader's polls then fail quietly and keep the loaded snapshot.
  std::error_code ec;
  fs::remove_all(dir, ec);
  world->handler = world->services->handler();
  return world;
}

}  // namespace

HttpWorld& http_world() {
  static HttpWorld* world = build_world();
  return *world;
}

}  // namespace rag::fuzz
