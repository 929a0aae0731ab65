// A fake LLM upstream for tests: a real HTTP/1.1 server (Beast, optionally TLS) speaking the
// Azure OpenAI and OpenAI wire formats with deterministic answers and embeddings, scriptable
// faults (statuses, delays, hangs, resets, truncated streams, malformed JSON) and a record of
// every request it received. Control it over HTTP (see README.md) or through the same
// operations on this class when it runs in-process.
//
// Thread-safety: every method may be called from any thread while the server runs.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace rag::fakes {

class FakeUpstream {
 public:
  struct Options {
    std::string host = "127.0.0.1";
    std::uint16_t port = 0;  // 0 = any free port
    int threads = 2;
    int latency_ms = 0;        // added before every API answer (a timer, not a sleep)
    int embedding_dim = 64;
    int stream_delay_ms = 0;   // between stream deltas
    std::string tls_cert_file;  // PEM; both set = serve HTTPS
    std::string tls_key_file;
  };

  struct Recorded {
    std::string method;
    std::string target;  // path + query
    std::vector<std::pair<std::string, std::string>> headers;  // names lower-case
    std::string body;
    double time_s = 0;  // arrival, seconds since the server started
    std::uint64_t connection = 0;  // which TCP connection it came on (1, 2, ...)
    std::string header(const std::string& name) const;
  };

  // Binds and starts serving at once; throws std::runtime_error when it cannot bind.
  explicit FakeUpstream(Options options);
  ~FakeUpstream();
  FakeUpstream(const FakeUpstream&) = delete;
  FakeUpstream& operator=(const FakeUpstream&) = delete;

  std::uint16_t port() const;
  std::string base_url() const;  // "http://127.0.0.1:PORT" (https when TLS)

  // The control API, in-process (same JSON as POST /_fake/script and /_fake/config).
  // Returns false when the JSON is malformed.
  bool script(const std::string& faults_json);
  bool configure(const std::string& config_json);
  std::vector<Recorded> requests() const;
  // Connections whose socket the fake has closed (after either side ended them).
  std::uint64_t closed_connections() const;
  std::string requests_json() const;
  void reset();

  void stop();

  struct State;
  struct Server;

 private:
  std::shared_ptr<State> state_;
  std::unique_ptr<Server> server_;
};

// The deterministic embedding of `text`: feature-hashed lower-cased words, L2-normalised.
std::vector<float> fake_embedding(const std::string& text, int dimension);

}  // namespace rag::fakes
