// How a request's body is framed, as the connection accepts it: Transfer-Encoding absent or
// exactly `chunked` (one field, no other coding: with chunked not last the body's length is
// unknown, RFC 9112 §6.1, and Beast 1.74 would read such a body as the next request), and no
// trailer fields after a chunked body (Beast merges them into the headers, where a trailer
// X-Forwarded-For would be believed). A refused request is answered 400 and its connection
// closed. Shared by the connection and the http_request fuzz target.
//
// Thread-safety: pure functions.
#pragma once

#include <utility>

#include <boost/beast/http/fields.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cstddef>

namespace rag::http {

using RequestParser = boost::beast::http::request_parser<boost::beast::http::string_body>;

// REQUIRES: the parser has read the head.
bool acceptable_transfer_encoding(const RequestParser& parser);

// The number of header fields: a body that changed it brought trailer fields.
std::size_t field_count(const boost::beast::http::fields& fields);

}  // namespace rag::http
