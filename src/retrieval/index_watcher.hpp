// Polls the index on disk and reloads the LiveIndex when its generation changes (a finished
// `rag-server index` run), so a server picks up a new index without SIGHUP.
//
// Usage (cli/serve): asio::co_spawn(executor, watch_index(live, std::chrono::seconds(5), stop),
// asio::detached); stop->cancel() ends it (its pending wait is cancelled at once).
// Thread-safety: the coroutine runs on the executor it is spawned on; `stop` may be cancelled
// from any thread. The reload itself runs inline on that executor's thread (see live_index.hpp);
// spawn it on a dedicated io_context/thread if a worker must never be held for a reload.
#pragma once

#include <utility>
#include <boost/asio/awaitable.hpp>
#include <chrono>

#include "common/cancel.hpp"
#include "retrieval/live_index.hpp"

namespace rag::retrieval {

boost::asio::awaitable<void> watch_index(LiveIndex& index,
                                         std::chrono::steady_clock::duration interval,
                                         CancelToken stop);

}  // namespace rag::retrieval
