// The glue between hiredis' async API and Asio: hiredis tells us when it wants to read or write
// (ev.addRead/delRead/addWrite/delWrite) and we wait for readiness on its socket with a
// posix::stream_descriptor, calling redisAsyncHandleRead/Write when it comes. hiredis owns the
// socket: the descriptor is release()d (never closed) in ev.cleanup, which hiredis calls before
// it closes the fd, so a reused fd number is never touched.
//
// Invariants: every handler runs on the strand given to attach(); once closed() is true the
// adapter never calls into hiredis again (the context is freed or being freed).
// Thread-safety: strand-confined. close() must not be called from inside a hiredis callback
// (hiredis would free the context twice): post to the strand first.
#pragma once

#include <utility>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/strand.hpp>
#include <memory>

struct redisAsyncContext;

namespace rag::redis::detail {

namespace asio = boost::asio;
using Strand = asio::strand<asio::any_io_executor>;

class AsioAdapter : public std::enable_shared_from_this<AsioAdapter> {
 public:
  // Hooks `ac` (a fresh, not yet connected context) to `strand`. `owner` is kept alive by every
  // pending wait, so hiredis callbacks never reach a destroyed owner.
  static std::shared_ptr<AsioAdapter> attach(redisAsyncContext* ac, Strand strand,
                                             std::weak_ptr<void> owner);

  AsioAdapter(redisAsyncContext* ac, Strand strand, std::weak_ptr<void> owner);
  AsioAdapter(const AsioAdapter&) = delete;
  AsioAdapter& operator=(const AsioAdapter&) = delete;

  redisAsyncContext* context() const { return ac_; }
  bool closed() const { return closed_; }
  // Frees the hiredis context (pending callbacks get a NULL reply). Idempotent.
  void close();

 private:
  static void add_read(void* p);
  static void del_read(void* p);
  static void add_write(void* p);
  static void del_write(void* p);
  static void cleanup(void* p);

  void arm_read();
  void arm_write();

  redisAsyncContext* ac_;
  Strand strand_;
  std::weak_ptr<void> owner_;
  asio::posix::stream_descriptor socket_;
  bool want_read_ = false;
  bool want_write_ = false;
  bool reading_ = false;
  bool writing_ = false;
  bool closed_ = false;
};

}  // namespace rag::redis::detail
