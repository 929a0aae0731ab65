// Starting a connection's coroutine on the socket's executor, for plain TCP or TLS. Each is
// defined in its own translation unit (connection_tcp.cpp, connection_tls.cpp): Connection<>
// is the heaviest template of the build, and two files compile in parallel and apart from the
// server's accept loop. Internal to http/ (server.cpp calls them).
//
// REQUIRES: a slot was taken with state->try_open(); the connection gives it back.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <string>

#include "http/server_state.hpp"

namespace rag::http {

void start_tcp_connection(boost::asio::ip::tcp::socket socket, std::shared_ptr<ServerState> state,
                          std::string peer);
void start_tls_connection(boost::asio::ip::tcp::socket socket, boost::asio::ssl::context& tls,
                          std::shared_ptr<ServerState> state, std::string peer);

}  // namespace rag::http
