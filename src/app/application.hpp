// The composition root of `rag-server serve`: one object that owns every part of the running
// server, in build order, so that tearing it down runs in reverse by itself:
//   the worker contexts → the services (services.hpp: upstreams, shared state, index, pipeline,
//   routes) → the HTTP server → the signal handler → the heap trimmer.
// The cli/ command only loads the configuration, builds the Application and runs it.
//
// Thread-safety: build and run on one thread (the process's main thread).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "app/services.hpp"
#include "app/signals.hpp"
#include "app/worker_contexts.hpp"
#include "common/result.hpp"
#include "config/config.hpp"
#include "http/router.hpp"
#include "http/server.hpp"
#include "observability/heap_trimmer.hpp"

namespace rag::app {

// What a test build adds to the server (tests/support/); empty in the product.
struct TestHooks {
  std::function<void(http::Router&)> add_routes;
  std::vector<std::string> always_admit;  // paths the load shedder never refuses
};

class Application {
 public:
  // Builds every part. Errors (a malformed REDIS_URL, an unreadable system prompt file...) are
  // fatal at start-up. REQUIRES: `config` outlives the application.
  static Result<std::unique_ptr<Application>> build(const config::Config& config,
                                                    const TestHooks& hooks = {});
  Application(const Application&) = delete;
  Application& operator=(const Application&) = delete;

  // Waits for the first index load (at most INDEX_LOAD_WAIT), opens the port and serves until a
  // signal has stopped the server (signals.hpp). An error: the port could not be opened.
  Result<void> run();

 private:
  Application(const config::Config& config, std::unique_ptr<WorkerContexts> contexts,
              std::unique_ptr<Services> services);
  void wait_for_index();

  const config::Config& config_;
  std::unique_ptr<WorkerContexts> contexts_;
  std::unique_ptr<Services> services_;
  http::Server server_;
  SignalHandler signals_;
  observability::HeapTrimmer heap_trimmer_;  // memory a load spike freed goes back to the system
};

}  // namespace rag::app
