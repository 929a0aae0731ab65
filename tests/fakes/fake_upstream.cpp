// The fake upstream's HTTP server (see fake_upstream.hpp): an acceptor and one coroutine per
// connection, each on its own strand; delays and hangs are timers or pending reads, never
// sleeping threads, so a few threads hold thousands of slow requests.
#include "fake_upstream.hpp"

#include <utility>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cstdio>
#include <stdexcept>
#include <thread>

#include "fake_state.hpp"

namespace rag::fakes {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Request = http::request<http::string_body>;

struct FakeUpstream::Server {
  asio::io_context ioc;
  tcp::acceptor acceptor{ioc};  // used on accept_strand only
  asio::strand<asio::io_context::executor_type> accept_strand = asio::make_strand(ioc);
  std::optional<asio::ssl::context> ssl;
  std::vector<std::thread> threads;
  std::uint16_t port = 0;
};

namespace {

asio::awaitable<void> wait_ms(int ms) {
  if (ms <= 0) co_return;
  asio::steady_timer timer(co_await asio::this_coro::executor, std::chrono::milliseconds(ms));
  beast::error_code ec;
  co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
}

std::pair<int, std::string> control(const Request& req, FakeUpstream::State& state) {
  const std::string path(req.target().substr(0, req.target().find('?')));
  const bool post = req.method() == http::verb::post;
  if (path == "/_fake/script" && post)
    return state.add_faults(req.body()) ? std::pair{200, state.config_json()}
                                        : std::pair{400, R"({"error":"bad fault JSON"})"};
  if (path == "/_fake/config" && post)
    return state.apply_config(req.body()) ? std::pair{200, state.config_json()}
                                          : std::pair{400, R"({"error":"bad config JSON"})"};
  if (path == "/_fake/config") return {200, state.config_json()};
  if (path == "/_fake/requests") return {200, state.requests_json()};
  if (path == "/_fake/reset" && post) {
    state.reset();
    return {200, R"({"status":"reset"})"};
  }
  if (path == "/_fake/health") return {200, R"({"status":"ok"})"};
  return {404, R"({"error":"unknown control endpoint"})"};
}

template <class Stream>
void cut(Stream& stream, bool rst) {
  auto& socket = beast::get_lowest_layer(stream).socket();
  beast::error_code ec;
  if (rst) socket.set_option(asio::socket_base::linger(true, 0), ec);
  socket.close(ec);
}

// Sends an SSE answer; returns false when the connection was cut on purpose.
template <class Stream>
asio::awaitable<bool> write_stream(Stream& stream, const Plan& plan) {
  beast::error_code ec;
  std::string head =
      "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
      "Transfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n";
  co_await asio::async_write(stream, asio::buffer(head), asio::redirect_error(asio::use_awaitable, ec));
  int deltas = 0;
  for (std::size_t i = 0; i < plan.events.size() && !ec; ++i) {
    if (plan.truncate_after >= 0 && plan.is_delta[i] && deltas >= plan.truncate_after) {
      if (plan.cut_mid_event) {  // a whole HTTP chunk holding the first half of an SSE event
        const std::string event = "data: " + plan.events[i];
        const std::string half = event.substr(0, event.size() / 2);
        char size[32];
        std::snprintf(size, sizeof size, "%zx\r\n", half.size());
        const std::string chunk = size + half + "\r\n";
        co_await asio::async_write(stream, asio::buffer(chunk),
                                   asio::redirect_error(asio::use_awaitable, ec));
      }
      cut(stream, plan.reset);
      co_return false;
    }
    if (plan.is_delta[i]) ++deltas;
    const std::string payload = "data: " + plan.events[i] + "\n\n";
    char size[32];
    std::snprintf(size, sizeof size, "%zx\r\n", payload.size());
    const std::string chunk = size + payload + "\r\n";
    co_await asio::async_write(stream, asio::buffer(chunk), asio::redirect_error(asio::use_awaitable, ec));
    if (plan.is_delta[i]) co_await wait_ms(plan.stream_delay_ms);
  }
  if (ec) co_return false;
  static const std::string end = "0\r\n\r\n";
  co_await asio::async_write(stream, asio::buffer(end), asio::redirect_error(asio::use_awaitable, ec));
  co_return !ec;
}

template <class Stream>
asio::awaitable<bool> answer(Stream& stream, const Request& req, FakeUpstream::State& state,
                             std::uint64_t connection) {
  const std::string target(req.target());
  FakeUpstream::Recorded rec{std::string(req.method_string()), target, {}, req.body(), 0,
                             connection};
  for (const auto& field : req) {
    std::string name(field.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    rec.headers.emplace_back(std::move(name), std::string(field.value()));
  }
  rec.time_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - state.started).count();
  state.record(std::move(rec));
  const Plan plan = plan_answer(std::string(req.method_string()), target, req.body(),
                                state.current(), state.take_fault(target));
  co_await wait_ms(plan.delay_ms);
  if (plan.hang) {  // answer never: wait until the client goes away
    char byte;
    beast::error_code ec;
    while (!ec)
      co_await stream.async_read_some(asio::buffer(&byte, 1), asio::redirect_error(asio::use_awaitable, ec));
    co_return false;
  }
  if (plan.reset && plan.truncate_after < 0) {
    cut(stream, true);
    co_return false;
  }
  if (plan.stream && plan.status == 200) co_return co_await write_stream(stream, plan);
  http::response<http::string_body> res{static_cast<http::status>(plan.status), req.version()};
  for (const auto& [name, value] : plan.headers) res.set(name, value);
  res.keep_alive(req.keep_alive());
  beast::error_code ec;
  if (plan.truncate_after >= 0) {  // a non-stream answer cut in the middle of its body
    res.body() = plan.body.substr(0, plan.body.size() / 2);
    res.content_length(plan.body.size());
    http::serializer<false, http::string_body> sr{res};
    co_await http::async_write(stream, sr, asio::redirect_error(asio::use_awaitable, ec));
    cut(stream, plan.reset);
    co_return false;
  }
  res.body() = plan.body;
  res.prepare_payload();
  co_await http::async_write(stream, res, asio::redirect_error(asio::use_awaitable, ec));
  co_return !ec && req.keep_alive() && !plan.close_after;
}

template <class Stream>
asio::awaitable<void> serve(Stream& stream, std::shared_ptr<FakeUpstream::State> state) {
  beast::flat_buffer buffer;
  const std::uint64_t connection = ++state->connections;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(256u << 20);
    beast::error_code ec;
    co_await http::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
    Request req = parser.release();
    if (req.target().starts_with("/_fake/")) {
      auto [status, body] = control(req, *state);
      http::response<http::string_body> res{static_cast<http::status>(status), req.version()};
      res.set(http::field::content_type, "application/json");
      res.keep_alive(req.keep_alive());
      res.body() = std::move(body);
      res.prepare_payload();
      co_await http::async_write(stream, res, asio::redirect_error(asio::use_awaitable, ec));
      if (ec || !req.keep_alive()) break;
      continue;
    }
    if (!co_await answer(stream, req, *state, connection)) co_return;
  }
  beast::error_code ec;
  beast::get_lowest_layer(stream).socket().shutdown(tcp::socket::shutdown_send, ec);
}

asio::awaitable<void> session(tcp::socket socket, FakeUpstream::Server* server,
                              std::shared_ptr<FakeUpstream::State> state) {
  beast::error_code ec;
  if (!server->ssl) {
    beast::tcp_stream stream(std::move(socket));
    co_await serve(stream, state);
    stream.socket().close(ec);
    ++state->closed_connections;
    co_return;
  }
  beast::ssl_stream<beast::tcp_stream> stream(std::move(socket), *server->ssl);
  co_await stream.async_handshake(asio::ssl::stream_base::server,
                                  asio::redirect_error(asio::use_awaitable, ec));
  if (!ec) co_await serve(stream, state);
  beast::get_lowest_layer(stream).socket().close(ec);
  ++state->closed_connections;
}

asio::awaitable<void> accept_loop(FakeUpstream::Server* server,
                                  std::shared_ptr<FakeUpstream::State> state) {
  for (;;) {
    beast::error_code ec;
    tcp::socket socket = co_await server->acceptor.async_accept(
        asio::make_strand(server->ioc), asio::redirect_error(asio::use_awaitable, ec));
    if (!server->acceptor.is_open()) co_return;
    if (ec) {
      co_await wait_ms(10);  // e.g. out of file descriptors: do not spin
      continue;
    }
    auto executor = socket.get_executor();
    asio::co_spawn(executor, session(std::move(socket), server, state),
                   [](std::exception_ptr) {});
  }
}

}  // namespace

FakeUpstream::FakeUpstream(Options options)
    : state_(std::make_shared<State>()), server_(std::make_unique<Server>()) {
  state_->options = options;
  state_->reset();
  if (!options.tls_cert_file.empty() && !options.tls_key_file.empty()) {
    server_->ssl.emplace(asio::ssl::context::tls_server);
    server_->ssl->use_certificate_chain_file(options.tls_cert_file);
    server_->ssl->use_private_key_file(options.tls_key_file, asio::ssl::context::pem);
  }
  beast::error_code ec;
  const tcp::endpoint endpoint(asio::ip::make_address(options.host, ec), options.port);
  if (ec) throw std::runtime_error("fake-upstream: bad host " + options.host);
  server_->acceptor.open(endpoint.protocol(), ec);
  if (!ec) server_->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) server_->acceptor.bind(endpoint, ec);
  if (!ec) server_->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) throw std::runtime_error("fake-upstream: cannot listen: " + ec.message());
  server_->port = server_->acceptor.local_endpoint().port();
  asio::co_spawn(server_->accept_strand, accept_loop(server_.get(), state_),
                 [](std::exception_ptr) {});
  for (int i = 0; i < std::max(1, options.threads); ++i)
    server_->threads.emplace_back([s = server_.get()] { s->ioc.run(); });
}

FakeUpstream::~FakeUpstream() { stop(); }

void FakeUpstream::stop() {
  if (server_->threads.empty()) return;
  asio::post(server_->accept_strand, [s = server_.get()] {
    beast::error_code ec;
    s->acceptor.close(ec);
  });
  server_->ioc.stop();
  for (auto& t : server_->threads) t.join();
  server_->threads.clear();
}

std::uint16_t FakeUpstream::port() const { return server_->port; }

std::string FakeUpstream::base_url() const {
  return std::string(server_->ssl ? "https://" : "http://") + state_->options.host + ":" +
         std::to_string(server_->port);
}

bool FakeUpstream::script(const std::string& faults_json) { return state_->add_faults(faults_json); }
bool FakeUpstream::configure(const std::string& config_json) {
  return state_->apply_config(config_json);
}
std::vector<FakeUpstream::Recorded> FakeUpstream::requests() const {
  std::lock_guard lock(state_->mutex);
  return state_->recorded;
}
std::string FakeUpstream::requests_json() const { return state_->requests_json(); }
std::uint64_t FakeUpstream::closed_connections() const { return state_->closed_connections; }
void FakeUpstream::reset() { state_->reset(); }

}  // namespace rag::fakes
