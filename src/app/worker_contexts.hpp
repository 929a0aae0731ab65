// One single-threaded io_context per worker thread (see http/server.hpp). The first also runs
// the shared services: upstream clients, Redis, sweeps, signals. Work guards keep idle contexts
// running until stop().
//
// Thread-safety: run() on the thread that owns the server; stop() from any thread (the
// shutdown coroutine calls it).
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <memory>
#include <utility>
#include <vector>

namespace rag::app {

class WorkerContexts {
 public:
  explicit WorkerContexts(int workers);
  WorkerContexts(const WorkerContexts&) = delete;
  WorkerContexts& operator=(const WorkerContexts&) = delete;

  boost::asio::io_context& main() { return *contexts_.front(); }
  std::vector<boost::asio::io_context*> all();

  // Runs every context (the first on the calling thread) until stop().
  void run();
  void stop();

  // After run(): destroys the work still queued. The coroutine frames of connections still
  // open when the grace period ended sit in those queues and reference the server's parts, so
  // they must go while the parts live. Posting afterwards is safe (queued, then destroyed with
  // the context).
  void destroy_pending();

 private:
  // An io_context whose pending work can be destroyed on demand (shutdown() is protected).
  class Context : public boost::asio::io_context {
   public:
    Context() : boost::asio::io_context(1) {}
    void destroy_pending() { shutdown(); }  // idempotent; the destructor calls it again
  };

  std::vector<std::unique_ptr<Context>> contexts_;
  std::vector<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> guards_;
};

}  // namespace rag::app
