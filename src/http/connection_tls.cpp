// TLS connections (see connection_start.hpp).
#include "http/connection.hpp"
#include "http/connection_start.hpp"

namespace rag::http {

void start_tls_connection(asio::ip::tcp::socket socket, asio::ssl::context& tls,
                          std::shared_ptr<ServerState> state, std::string peer) {
  using TlsStream = beast::ssl_stream<beast::tcp_stream>;
  auto executor = socket.get_executor();
  auto conn = std::make_shared<Connection<TlsStream>>(
      TlsStream(beast::tcp_stream(std::move(socket)), tls), std::move(state), std::move(peer));
  asio::co_spawn(executor, [conn] { return conn->run(); }, asio::detached);
}

}  // namespace rag::http
