#include "http/response_head.hpp"

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/field.hpp>
#include <charconv>

#include "common/text.hpp"

namespace rag::http {
namespace {

namespace bhttp = boost::beast::http;

std::string_view view(boost::beast::string_view s) { return {s.data(), s.size()}; }

bool status_has_body(unsigned status) {
  return !(status < 200 || status == 204 || status == 304);
}

void append_field(std::string& out, std::string_view name, std::string_view value) {
  out.append(name).append(": ").append(value).append("\r\n");
}

}  // namespace

HeadInfo render_head(const Response& response, const RequestContext& ctx, std::string& out) {
  HeadInfo info;
  const unsigned version = response.version();
  out.append(version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ");
  char digits[16];
  const auto status = response.result_int();
  out.append(digits, std::to_chars(digits, digits + sizeof digits, status).ptr);
  out += ' ';
  out.append(view(response.reason()));
  out.append("\r\n");

  bool has_length = false;
  for (const auto& field : response) {
    const auto name = field.name();
    if (name == bhttp::field::content_length) has_length = true;
    if (name == bhttp::field::transfer_encoding) info.chunked = true;
    append_field(out, view(field.name_string()), view(field.value()));
  }
  // A context header goes out unless the response or an earlier context header has its name.
  auto in_response = [&](std::string_view name) {
    return response.find(boost::beast::string_view(name.data(), name.size())) != response.end();
  };
  const auto& views = ctx.header_views;
  const auto& owned = ctx.response_headers;
  for (std::size_t i = 0; i < views.size(); ++i) {
    const auto name = views[i].first;
    bool skip = in_response(name);
    for (std::size_t k = 0; k < i && !skip; ++k) skip = iequals(views[k].first, name);
    if (!skip) append_field(out, name, views[i].second);
  }
  for (std::size_t i = 0; i < owned.size(); ++i) {
    const std::string_view name = owned[i].first;
    bool skip = in_response(name);
    for (std::size_t k = 0; k < views.size() && !skip; ++k) skip = iequals(views[k].first, name);
    for (std::size_t k = 0; k < i && !skip; ++k) skip = iequals(owned[k].first, name);
    if (!skip) append_field(out, name, owned[i].second);
  }
  if (!has_length && !info.chunked && status_has_body(status)) {
    out.append("Content-Length: ");
    out.append(digits, std::to_chars(digits, digits + sizeof digits, response.body().size()).ptr);
    out.append("\r\n");
  }
  out.append("\r\n");
  return info;
}

void apply_context_headers(Response& response, const RequestContext& ctx) {
  for (const auto& [name, value] : ctx.header_views) {
    const boost::beast::string_view n(name.data(), name.size());
    if (response.find(n) == response.end())
      response.set(n, boost::beast::string_view(value.data(), value.size()));
  }
  for (const auto& [name, value] : ctx.response_headers)
    if (response.find(name) == response.end()) response.set(name, value);
}

}  // namespace rag::http
