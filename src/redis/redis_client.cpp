// RedisClient: connection state machine, command bookkeeping and timeouts, on one strand.
//
// Invariants (strand-confined): `conn_` is the current connection or null; `pending_` holds every
// command sent on `conn_` that has neither been answered nor timed out; each entry completes
// exactly once (reply, NULL reply on free, timeout, or stop()). hiredis is never re-entered from
// its own callbacks: anything that would free the context is posted to the strand first.
#include "redis/redis_client.hpp"

#include <hiredis/async.h>
#include <openssl/sha.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <functional>
#include <unordered_map>

#include "observability/telemetry.hpp"
#include "redis/hiredis_asio.hpp"

namespace rag::redis {

using Done = std::function<void(Result<RedisReply>)>;

namespace {

RedisReply copy_reply(const redisReply* r) {
  RedisReply out;
  switch (r->type) {
    case REDIS_REPLY_STRING: out.type = RedisReply::Type::kString; break;
    case REDIS_REPLY_STATUS: out.type = RedisReply::Type::kStatus; break;
    case REDIS_REPLY_INTEGER: out.type = RedisReply::Type::kInteger; break;
    case REDIS_REPLY_ARRAY: out.type = RedisReply::Type::kArray; break;
    default: out.type = RedisReply::Type::kNil; break;
  }
  if (r->str) out.str.assign(r->str, r->len);
  out.integer = r->integer;
  for (size_t i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements; ++i) {
    out.elements.push_back(copy_reply(r->element[i]));
  }
  return out;
}

std::string sha1_hex(const std::string& s) {
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(s.data()), s.size(), digest);
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : digest) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

}  // namespace

RedisScript::RedisScript(std::string source) : source_(std::move(source)), sha1_(sha1_hex(source_)) {}

class RedisClient::Impl : public std::enable_shared_from_this<Impl> {
 public:
  using Strand = detail::Strand;

  Impl(asio::any_io_executor ex, RedisEndpoint ep, RedisOptions opt)
      : strand_(asio::make_strand(ex)), ep_(std::move(ep)), opt_(opt),
        reconnect_timer_(strand_), health_timer_(strand_), backoff_(opt.backoff_initial) {}

  ~Impl() {
    pending_.clear();
    close_connection();
  }

  // --- called on the strand -------------------------------------------------------------
  void start() {
    if (started_ || stopped_) return;
    started_ = true;
    connect();
    if (opt_.health_interval.count() > 0) schedule_health();
  }

  void stop() {
    if (stopped_) return;
    stopped_ = true;
    state_ = RedisState::kStopped;
    reconnect_timer_.cancel();
    health_timer_.cancel();
    close_connection();  // NULL replies complete the pending commands
    fail_all("Redis client stopped");
  }

  // `handshake` commands may be sent before the connection is declared up.
  void send(std::vector<std::string> argv, Done done, bool handshake = false) {
    if (stopped_ || !conn_ || conn_->closed() || (!handshake && state_ != RedisState::kUp)) {
      done(fail(ErrorCode::kUnavailable, "Redis unavailable at " + ep_.describe()));
      return;
    }
    std::vector<const char*> args;
    std::vector<size_t> lens;
    for (auto& a : argv) {
      args.push_back(a.data());
      lens.push_back(a.size());
    }
    const std::uint64_t id = next_id_++;
    if (redisAsyncCommandArgv(conn_->context(), &Impl::on_reply, reinterpret_cast<void*>(id),
                              static_cast<int>(args.size()), args.data(), lens.data()) != REDIS_OK) {
      done(fail(ErrorCode::kUnavailable, "Redis connection is closing"));
      return;
    }
    auto timer = std::make_unique<asio::steady_timer>(strand_, opt_.command_timeout);
    timer->async_wait([self = shared_from_this(), id, gen = generation_](
                          const boost::system::error_code& ec) {
      if (!ec) self->on_timeout(id, gen);
    });
    pending_.emplace(id, Pending{std::move(done), std::move(timer)});
  }

  std::atomic<RedisState> state_{RedisState::kConnecting};
  std::atomic<std::uint64_t> attempts_{0};
  Strand strand_;
  RedisEndpoint ep_;

 private:
  struct Pending {
    Done done;
    std::unique_ptr<asio::steady_timer> timer;
  };

  void connect() {
    if (stopped_) return;
    ++attempts_;
    ++generation_;
    redisAsyncContext* ac = redisAsyncConnect(ep_.host.c_str(), ep_.port);
    if (!ac || ac->err) {
      std::string why = ac && ac->errstr ? ac->errstr : "out of memory";
      if (ac) redisAsyncFree(ac);
      connection_failed(generation_, why);
      return;
    }
    ac->data = this;
    conn_ = detail::AsioAdapter::attach(ac, strand_, weak_from_this());
    redisAsyncSetConnectCallback(ac, &Impl::on_connect);
    redisAsyncSetDisconnectCallback(ac, &Impl::on_disconnect);
    const auto gen = generation_;
    auto step = [self = shared_from_this(), gen](Result<RedisReply> r) {
      if (!r) self->connection_failed(gen, r.error().message);
    };
    if (!ep_.password.empty()) {
      std::vector<std::string> auth{"AUTH"};
      if (!ep_.username.empty()) auth.push_back(ep_.username);
      auth.push_back(ep_.password);
      send(std::move(auth), step, true);
    }
    if (ep_.db != 0) send({"SELECT", std::to_string(ep_.db)}, step, true);
    send({"PING"}, [self = shared_from_this(), gen](Result<RedisReply> r) {
      if (r) self->connection_up(gen);
      else self->connection_failed(gen, r.error().message);
    }, true);
  }

  void connection_up(std::uint64_t gen) {
    if (gen != generation_ || stopped_) return;
    backoff_ = opt_.backoff_initial;
    const bool was_down = state_ == RedisState::kDown;
    state_ = RedisState::kUp;
    if (was_down) {
      spdlog::info("Redis reachable again at {}, using shared state", ep_.describe());
    } else {
      spdlog::info("Connected to Redis at {}", ep_.describe());
    }
  }

  // Any sign that the current connection is unusable. May run inside a hiredis callback, so the
  // context is freed from a fresh strand turn.
  void connection_failed(std::uint64_t gen, const std::string& why) {
    if (gen != generation_ || stopped_ || lost_scheduled_) return;
    lost_scheduled_ = true;
    asio::post(strand_, [self = shared_from_this(), gen, why] { self->drop(gen, why); });
  }

  void drop(std::uint64_t gen, const std::string& why) {
    lost_scheduled_ = false;
    if (gen != generation_ || stopped_) return;
    ++generation_;  // late callbacks of this connection are ignored from now on
    close_connection();
    fail_all("Redis connection lost");
    if (state_ != RedisState::kDown) {
      state_ = RedisState::kDown;
      spdlog::warn("Redis unreachable at {}, falling back to local state ({})", ep_.describe(),
                   why);
    } else {
      spdlog::debug("Redis still unreachable at {}: {}", ep_.describe(), why);
    }
    reconnect_timer_.expires_after(backoff_);
    backoff_ = std::min(backoff_ * 2, opt_.backoff_max);
    reconnect_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (!ec) self->connect();
    });
  }

  // Our own close: hiredis' connect/disconnect callbacks must not report it as a failure.
  void close_connection() {
    closing_ = true;
    if (conn_) conn_->close();
    conn_.reset();
    closing_ = false;
  }

  void fail_all(const std::string& why) {
    auto pending = std::move(pending_);
    pending_.clear();
    for (auto& [id, p] : pending) {
      p.timer->cancel();
      p.done(fail(ErrorCode::kUnavailable, why));
    }
  }

  void on_timeout(std::uint64_t id, std::uint64_t gen) {
    auto it = pending_.find(id);
    if (it == pending_.end()) return;
    Done done = std::move(it->second.done);
    pending_.erase(it);
    done(fail(ErrorCode::kTimeout, "Redis command timed out after " +
                                       std::to_string(opt_.command_timeout.count()) + " ms"));
    // Replies come in order: a late one would block every later command. Start afresh.
    connection_failed(gen, "command timed out");
  }

  void schedule_health() {
    health_timer_.expires_after(opt_.health_interval);
    health_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (ec || self->stopped_) return;
      if (self->state_ == RedisState::kUp && self->pending_.empty()) {
        self->send({"PING"}, [](Result<RedisReply>) {});  // failures are seen by on_timeout/drop
      }
      self->schedule_health();
    });
  }

  static void on_reply(redisAsyncContext* ac, void* reply, void* privdata) {
    auto* self = static_cast<Impl*>(ac->data);
    auto it = self->pending_.find(reinterpret_cast<std::uint64_t>(privdata));
    if (it == self->pending_.end()) return;  // timed out already
    Pending p = std::move(it->second);
    self->pending_.erase(it);
    p.timer->cancel();
    auto* r = static_cast<redisReply*>(reply);
    if (!r) {
      p.done(fail(ErrorCode::kUnavailable, "Redis connection lost"));
    } else if (r->type == REDIS_REPLY_ERROR) {
      p.done(fail(ErrorCode::kUpstream, std::string(r->str, r->len)));
    } else {
      p.done(copy_reply(r));
    }
  }

  static void on_connect(const redisAsyncContext* ac, int status) {
    auto* self = static_cast<Impl*>(ac->data);
    if (self->closing_) return;
    if (status != REDIS_OK) {
      self->connection_failed(self->generation_, ac->errstr ? ac->errstr : "connect failed");
    }
  }

  static void on_disconnect(const redisAsyncContext* ac, int status) {
    auto* self = static_cast<Impl*>(ac->data);
    if (self->closing_) return;
    self->connection_failed(self->generation_,
                            ac->errstr && ac->err ? ac->errstr : "connection closed");
  }

  RedisOptions opt_;
  asio::steady_timer reconnect_timer_;
  asio::steady_timer health_timer_;
  std::chrono::milliseconds backoff_;
  std::shared_ptr<detail::AsioAdapter> conn_;
  std::unordered_map<std::uint64_t, Pending> pending_;
  std::uint64_t next_id_ = 1;
  std::uint64_t generation_ = 0;
  bool started_ = false;
  bool stopped_ = false;
  bool lost_scheduled_ = false;
  bool closing_ = false;
};

RedisClient::RedisClient(asio::any_io_executor executor, RedisEndpoint endpoint,
                         RedisOptions options)
    : impl_(std::make_shared<Impl>(std::move(executor), std::move(endpoint), options)) {}

RedisClient::~RedisClient() { stop(); }

void RedisClient::start() {
  asio::post(impl_->strand_, [impl = impl_] { impl->start(); });
}

void RedisClient::stop() {
  asio::post(impl_->strand_, [impl = impl_] { impl->stop(); });
}

namespace {

// The initiation of command(): a named type rather than a lambda inside a co_await expression
// (g++ 12 destroys some captured temporaries of such expressions twice).
struct CommandInitiation {
  std::shared_ptr<RedisClient::Impl> impl;
  std::vector<std::string> argv;

  template <class Handler>
  void operator()(Handler handler) {
    auto h = std::make_shared<Handler>(std::move(handler));
    Done done = [h](Result<RedisReply> r) {
      auto ex = asio::get_associated_executor(*h);
      asio::post(ex, [h, r = std::move(r)]() mutable { (*h)(std::move(r)); });
    };
    auto impl_copy = impl;
    asio::post(impl->strand_, [impl_copy, argv = std::move(argv), done = std::move(done)]() mutable {
      impl_copy->send(std::move(argv), std::move(done));
    });
  }
};

}  // namespace

asio::awaitable<Result<RedisReply>> RedisClient::command(std::vector<std::string> argv) {
  // Not a coroutine itself: returns the awaitable made by async_initiate.
  return asio::async_initiate<const asio::use_awaitable_t<>&, void(Result<RedisReply>)>(
      CommandInitiation{impl_, std::move(argv)}, asio::use_awaitable);
}

asio::awaitable<Result<RedisReply>> RedisClient::eval(const RedisScript& script,
                                                      std::vector<std::string> keys,
                                                      std::vector<std::string> args) {
  auto build = [&](const char* verb, const std::string& body) {
    std::vector<std::string> argv{verb, body, std::to_string(keys.size())};
    argv.insert(argv.end(), keys.begin(), keys.end());
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  };
  const std::string source = script.source();  // copied before the first suspension
  auto evalsha = build("EVALSHA", script.sha1());
  Result<RedisReply> r = co_await command(std::move(evalsha));
  if (!r && r.error().code == ErrorCode::kUpstream && r.error().message.starts_with("NOSCRIPT")) {
    auto eval = build("EVAL", source);
    r = co_await command(std::move(eval));
  }
  co_return r;
}

bool RedisClient::healthy() const { return impl_->state_ == RedisState::kUp; }
RedisState RedisClient::state() const { return impl_->state_; }
std::string RedisClient::describe() const { return impl_->ep_.describe(); }
std::uint64_t RedisClient::connect_attempts() const { return impl_->attempts_; }

void RedisClient::publish(observability::Telemetry& telemetry) const {
  telemetry.readiness.add({"redis",
                           [this]() -> std::optional<std::string> {
                             if (healthy()) return std::nullopt;
                             return "redis unreachable (serving with local sessions and limits)";
                           },
                           [] { return std::string("connected"); }});
  telemetry.metrics.callback("rag_redis_up", "1 while Redis answers.", "gauge", {},
                             [this] { return healthy() ? 1.0 : 0.0; });
}

}  // namespace rag::redis
