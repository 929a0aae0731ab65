#include "api/sessions_api.hpp"

#include <nlohmann/json.hpp>

#include "api/chat_api.hpp"
#include "api/chat_handler.hpp"
#include "api/validation.hpp"

namespace rag::api {
namespace {

namespace asio = boost::asio;

// The id from the path, or a 422 response.
std::optional<http::Response> invalid_id(const http::RequestContext& ctx, std::string& id) {
  auto it = ctx.params.find("id");
  id = it == ctx.params.end() ? std::string() : it->second;
  ValidationErrors errors;
  if (check_session_id(id, Loc{std::string("path"), std::string("session_id")}, errors))
    return std::nullopt;
  return http::json_response(http::Status::unprocessable_entity, errors.body(),
                             ctx.request.version());
}

http::Response store_unavailable(unsigned version) {
  return http::error_response(http::Status::service_unavailable, "Session store unavailable",
                              version);
}

}  // namespace

std::string session_history_body(const std::string& id, const session::History& history) {
  nlohmann::ordered_json out;
  out["session_id"] = id;
  out["history"] = nlohmann::ordered_json::array();
  for (const auto& m : history)
    out["history"].push_back(nlohmann::ordered_json{{"role", m.role}, {"content", m.content}});
  return dump_json(out);
}

std::string session_deleted_body(const std::string& id, bool existed) {
  nlohmann::ordered_json out;
  out["message"] = "Session " + id + (existed ? " cleared" : " not found");
  return dump_json(out);
}

http::Handler session_history_handler(session::SessionStore& store) {
  return [&store](http::RequestContext& ctx) -> asio::awaitable<http::Response> {
    std::string id;
    if (auto bad = invalid_id(ctx, id)) co_return std::move(*bad);
    auto history = co_await store.get(id);
    if (!history) co_return store_unavailable(ctx.request.version());
    co_return http::json_response(http::Status::ok, session_history_body(id, *history),
                                  ctx.request.version());
  };
}

http::Handler session_delete_handler(session::SessionStore& store) {
  return [&store](http::RequestContext& ctx) -> asio::awaitable<http::Response> {
    std::string id;
    if (auto bad = invalid_id(ctx, id)) co_return std::move(*bad);
    auto existed = co_await store.erase(id);
    if (!existed) co_return store_unavailable(ctx.request.version());
    co_return http::json_response(http::Status::ok, session_deleted_body(id, *existed),
                                  ctx.request.version());
  };
}

}  // namespace rag::api
