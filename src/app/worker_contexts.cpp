#include "app/worker_contexts.hpp"

#include <thread>

namespace rag::app {

WorkerContexts::WorkerContexts(int workers) {
  for (int i = 0; i < workers; ++i) {
    contexts_.push_back(std::make_unique<Context>());
    guards_.push_back(boost::asio::make_work_guard(*contexts_.back()));
  }
}

std::vector<boost::asio::io_context*> WorkerContexts::all() {
  std::vector<boost::asio::io_context*> out;
  for (auto& c : contexts_) out.push_back(c.get());
  return out;
}

void WorkerContexts::run() {
  std::vector<std::thread> threads;
  for (size_t i = 1; i < contexts_.size(); ++i)
    threads.emplace_back([ctx = contexts_[i].get()] { ctx->run(); });
  contexts_.front()->run();
  for (auto& t : threads) t.join();
}

void WorkerContexts::stop() {
  for (auto& c : contexts_) c->stop();
}

void WorkerContexts::destroy_pending() {
  for (auto& c : contexts_) c->destroy_pending();
}

}  // namespace rag::app
