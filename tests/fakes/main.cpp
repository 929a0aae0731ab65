// `fake-upstream`: the fake LLM upstream as a process, for integration tests and benchmarks.
// Prints `listening on HOST:PORT` once ready and serves until SIGINT/SIGTERM.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>

#include "fake_upstream.hpp"

namespace {

void usage() {
  std::fprintf(stderr,
               "usage: fake-upstream [--host 127.0.0.1] [--port 0] [--threads 2] [--latency-ms 0]\n"
               "                     [--dim 64] [--stream-delay-ms 0] [--tls-cert F --tls-key F]\n");
}

}  // namespace

int main(int argc, char** argv) {
  rag::fakes::FakeUpstream::Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      usage();
      return 0;
    }
    if (i + 1 >= argc) {
      usage();
      return 2;
    }
    const std::string value = argv[++i];
    if (arg == "--host") options.host = value;
    else if (arg == "--port") options.port = static_cast<std::uint16_t>(std::atoi(value.c_str()));
    else if (arg == "--threads") options.threads = std::atoi(value.c_str());
    else if (arg == "--latency-ms") options.latency_ms = std::atoi(value.c_str());
    else if (arg == "--dim") options.embedding_dim = std::atoi(value.c_str());
    else if (arg == "--stream-delay-ms") options.stream_delay_ms = std::atoi(value.c_str());
    else if (arg == "--tls-cert") options.tls_cert_file = value;
    else if (arg == "--tls-key") options.tls_key_file = value;
    else {
      usage();
      return 2;
    }
  }
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // before the server's threads start
  try {
    rag::fakes::FakeUpstream fake(options);
    std::printf("listening on %s:%u\n", options.host.c_str(), static_cast<unsigned>(fake.port()));
    std::fflush(stdout);
    int received = 0;
    sigwait(&signals, &received);
    fake.stop();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fake-upstream: %s\n", e.what());
    return 1;
  }
  return 0;
}
