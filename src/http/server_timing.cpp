#include "http/server_timing.hpp"

#include <chrono>

#include "observability/logging.hpp"

namespace rag::http {
namespace {

void append_stage(std::string& out, std::string_view name, double ms) {
  if (!out.empty()) out += ", ";
  out += name;
  out += ";dur=";
  observability::append_fixed(out, ms, 1);
}

}  // namespace

double elapsed_ms(const RequestContext& ctx) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - ctx.started)
      .count();
}

std::string server_timing(const RequestContext& ctx) {
  std::string out;
  for (const auto& stage : ctx.timings) append_stage(out, stage.name, stage.ms);
  append_stage(out, "total", elapsed_ms(ctx));
  return out;
}

void set_server_timing(Response& response, const RequestContext& ctx) {
  response.set("Server-Timing", server_timing(ctx));
}

}  // namespace rag::http
