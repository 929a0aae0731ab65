// Plain-TCP connections (see connection_start.hpp).
#include "http/connection.hpp"
#include "http/connection_start.hpp"

namespace rag::http {

void start_tcp_connection(asio::ip::tcp::socket socket, std::shared_ptr<ServerState> state,
                          std::string peer) {
  auto executor = socket.get_executor();
  auto conn = std::make_shared<Connection<beast::tcp_stream>>(
      beast::tcp_stream(std::move(socket)), std::move(state), std::move(peer));
  asio::co_spawn(executor, [conn] { return conn->run(); }, asio::detached);
}

}  // namespace rag::http
