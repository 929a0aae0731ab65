// See hiredis_asio.hpp. hiredis expects level-triggered watches that stay on until del*, while
// Asio's async_wait is one-shot: each completed wait re-arms itself while the watch is wanted.
#include "redis/hiredis_asio.hpp"

#include <hiredis/async.h>

#include <boost/asio/bind_executor.hpp>

namespace rag::redis::detail {

std::shared_ptr<AsioAdapter> AsioAdapter::attach(redisAsyncContext* ac, Strand strand,
                                                 std::weak_ptr<void> owner) {
  auto adapter = std::make_shared<AsioAdapter>(ac, std::move(strand), std::move(owner));
  ac->ev.data = adapter.get();
  ac->ev.addRead = &AsioAdapter::add_read;
  ac->ev.delRead = &AsioAdapter::del_read;
  ac->ev.addWrite = &AsioAdapter::add_write;
  ac->ev.delWrite = &AsioAdapter::del_write;
  ac->ev.cleanup = &AsioAdapter::cleanup;
  // A non-blocking connect completes when the socket turns writable; hiredis 0.14 only notices
  // it inside redisAsyncHandleWrite, so watch for writability from the start.
  adapter->want_write_ = true;
  adapter->arm_write();
  return adapter;
}

AsioAdapter::AsioAdapter(redisAsyncContext* ac, Strand strand, std::weak_ptr<void> owner)
    : ac_(ac), strand_(strand), owner_(std::move(owner)), socket_(strand) {
  socket_.assign(ac->c.fd);
}

void AsioAdapter::close() {
  if (closed_) return;
  redisAsyncFree(ac_);  // calls cleanup() before closing the fd
  closed_ = true;
  ac_ = nullptr;
}

void AsioAdapter::add_read(void* p) {
  auto* self = static_cast<AsioAdapter*>(p);
  self->want_read_ = true;
  self->arm_read();
}
void AsioAdapter::del_read(void* p) { static_cast<AsioAdapter*>(p)->want_read_ = false; }
void AsioAdapter::add_write(void* p) {
  auto* self = static_cast<AsioAdapter*>(p);
  self->want_write_ = true;
  self->arm_write();
}
void AsioAdapter::del_write(void* p) { static_cast<AsioAdapter*>(p)->want_write_ = false; }

void AsioAdapter::cleanup(void* p) {
  auto* self = static_cast<AsioAdapter*>(p);
  if (self->closed_ && !self->socket_.is_open()) return;
  self->closed_ = true;
  self->ac_ = nullptr;
  self->want_read_ = self->want_write_ = false;
  if (self->socket_.is_open()) self->socket_.release();  // cancels our waits; hiredis closes the fd
}

void AsioAdapter::arm_read() {
  if (reading_ || closed_) return;
  auto owner = owner_.lock();
  if (!owner) return;
  reading_ = true;
  socket_.async_wait(asio::posix::stream_descriptor::wait_read,
                     asio::bind_executor(strand_, [self = shared_from_this(), owner](
                                                      const boost::system::error_code& ec) {
                       self->reading_ = false;
                       if (ec || self->closed_ || !self->want_read_) return;
                       redisAsyncHandleRead(self->ac_);
                       if (!self->closed_ && self->want_read_) self->arm_read();
                     }));
}

void AsioAdapter::arm_write() {
  if (writing_ || closed_) return;
  auto owner = owner_.lock();
  if (!owner) return;
  writing_ = true;
  socket_.async_wait(asio::posix::stream_descriptor::wait_write,
                     asio::bind_executor(strand_, [self = shared_from_this(), owner](
                                                      const boost::system::error_code& ec) {
                       self->writing_ = false;
                       if (ec || self->closed_ || !self->want_write_) return;
                       redisAsyncHandleWrite(self->ac_);
                       if (!self->closed_ && self->want_write_) self->arm_write();
                     }));
}

}  // namespace rag::redis::detail
