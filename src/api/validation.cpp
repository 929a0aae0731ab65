// pydantic-1 shaped validation errors, FastAPI's body handling, and pydantic 1's coercions.
#include "api/validation.hpp"

#include "common/json_depth.hpp"
#include "common/text.hpp"
#include "common/utf8.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>

namespace rag::api {
namespace {

using json = nlohmann::json;

FieldError make(Loc loc, std::string msg, std::string type,
                nlohmann::ordered_json ctx = nullptr) {
  return FieldError{std::move(loc), std::move(msg), std::move(type), std::move(ctx)};
}

// FastAPI parses the body as JSON when there is no content type or it is application/json or
// application/<anything>+json (parameters such as charset ignored).
bool is_json_content_type(std::string_view content_type) {
  const std::string media = lower(trim(content_type.substr(0, content_type.find(';'))));
  if (media.empty()) return true;
  if (!media.starts_with("application/")) return false;
  const std::string_view subtype = std::string_view(media).substr(12);
  return subtype == "json" || subtype.ends_with("+json");
}

// Python's int("...") for decimal text: sign, digits, single underscores between digits.
// Values beyond int64 saturate (the range check then reports them).
std::optional<std::int64_t> parse_python_int(std::string_view s) {
  s = trim(s);
  bool negative = false;
  if (!s.empty() && (s.front() == '+' || s.front() == '-')) {
    negative = s.front() == '-';
    s.remove_prefix(1);
  }
  if (s.empty() || !std::isdigit(static_cast<unsigned char>(s.front())) ||
      !std::isdigit(static_cast<unsigned char>(s.back()))) {
    return std::nullopt;
  }
  constexpr auto kMax = std::numeric_limits<std::int64_t>::max();
  std::int64_t value = 0;
  bool saturated = false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '_') {
      if (s[i - 1] == '_') return std::nullopt;
      continue;
    }
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
    if (value > (kMax - (c - '0')) / 10) saturated = true;
    if (!saturated) value = value * 10 + (c - '0');
  }
  if (saturated) return negative ? std::numeric_limits<std::int64_t>::min() : kMax;
  return negative ? -value : value;
}

std::int64_t saturate(double v) {
  if (v >= 9.2e18) return std::numeric_limits<std::int64_t>::max();
  if (v <= -9.2e18) return std::numeric_limits<std::int64_t>::min();
  return static_cast<std::int64_t>(v);  // truncates toward zero, as Python's int()
}

}  // namespace

nlohmann::ordered_json ValidationErrors::to_json() const {
  nlohmann::ordered_json detail = nlohmann::ordered_json::array();
  for (const auto& e : errors_) {
    nlohmann::ordered_json loc = nlohmann::ordered_json::array();
    for (const auto& item : e.loc) {
      std::visit([&](const auto& v) { loc.push_back(v); }, item);
    }
    nlohmann::ordered_json entry{{"loc", std::move(loc)}, {"msg", e.msg}, {"type", e.type}};
    if (!e.ctx.is_null()) entry["ctx"] = e.ctx;
    detail.push_back(std::move(entry));
  }
  return nlohmann::ordered_json{{"detail", std::move(detail)}};
}

std::string ValidationErrors::body() const {
  return to_json().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

FieldError missing_error(Loc loc) {
  return make(std::move(loc), "field required", "value_error.missing");
}
FieldError none_not_allowed_error(Loc loc) {
  return make(std::move(loc), "none is not an allowed value", "type_error.none.not_allowed");
}
FieldError not_str_error(Loc loc) {
  return make(std::move(loc), "str type expected", "type_error.str");
}
FieldError not_int_error(Loc loc) {
  return make(std::move(loc), "value is not a valid integer", "type_error.integer");
}
FieldError not_bool_error(Loc loc) {
  return make(std::move(loc), "value could not be parsed to a boolean", "type_error.bool");
}
FieldError not_list_error(Loc loc) {
  return make(std::move(loc), "value is not a valid list", "type_error.list");
}
FieldError not_dict_error(Loc loc) {
  return make(std::move(loc), "value is not a valid dict", "type_error.dict");
}
FieldError not_ge_error(Loc loc, std::int64_t limit) {
  return make(std::move(loc), "ensure this value is greater than or equal to " +
                                  std::to_string(limit),
              "value_error.number.not_ge", {{"limit_value", limit}});
}
FieldError not_le_error(Loc loc, std::int64_t limit) {
  return make(std::move(loc), "ensure this value is less than or equal to " +
                                  std::to_string(limit),
              "value_error.number.not_le", {{"limit_value", limit}});
}
FieldError max_length_error(Loc loc, std::size_t limit) {
  return make(std::move(loc), "ensure this value has at most " + std::to_string(limit) +
                                  " characters",
              "value_error.any_str.max_length", {{"limit_value", limit}});
}
FieldError max_items_error(Loc loc, std::size_t limit) {
  return make(std::move(loc), "ensure this value has at most " + std::to_string(limit) + " items",
              "value_error.list.max_items", {{"limit_value", limit}});
}
FieldError regex_error(Loc loc, std::string_view pattern) {
  return make(std::move(loc), "string does not match regex \"" + std::string(pattern) + "\"",
              "value_error.str.regex", {{"pattern", pattern}});
}
FieldError enum_error(Loc loc, const std::vector<std::string>& permitted) {
  std::string text;
  for (const auto& p : permitted) text += (text.empty() ? "'" : ", '") + p + "'";
  return make(std::move(loc), "value is not a valid enumeration member; permitted: " + text,
              "type_error.enum", {{"enum_values", permitted}});
}
FieldError json_decode_error(std::int64_t char_offset, std::string msg) {
  return make({std::string("body"), char_offset}, std::move(msg), "value_error.jsondecode");
}

Loc body_loc(std::string_view field) { return {std::string("body"), std::string(field)}; }

std::int64_t char_offset(std::string_view text, std::size_t bytes) {
  return static_cast<std::int64_t>(utf8_length(text.substr(0, std::min(bytes, text.size()))));
}

std::expected<json, ValidationErrors> parse_json_object_body(std::string_view body,
                                                             std::string_view content_type,
                                                             const BodyLimits& limits) {
  ValidationErrors errors;
  const auto failed = [&](FieldError e) {
    errors.add(std::move(e));
    return std::unexpected(std::move(errors));
  };
  if (body.empty()) return failed(missing_error({std::string("body")}));
  if (!is_json_content_type(content_type)) return failed(not_dict_error({std::string("body")}));
  if (!is_valid_utf8(body)) return failed(json_decode_error(0, "Body is not valid UTF-8"));
  if (auto at = json_depth_violation(body, limits.max_depth); at != std::string_view::npos) {
    return failed(json_decode_error(char_offset(body, at),
                                    "JSON nested deeper than " + std::to_string(limits.max_depth) +
                                        " levels"));
  }
  json value;
  try {
    value = json::parse(body);
  } catch (const json::parse_error& e) {
    const std::size_t at = e.byte > 0 ? e.byte - 1 : 0;
    const std::string_view before = body.substr(0, std::min(at, body.size()));
    const auto line = 1 + std::count(before.begin(), before.end(), '\n');
    const auto line_start = before.rfind('\n');
    const auto column =
        1 + char_offset(before.substr(line_start == std::string_view::npos ? 0 : line_start + 1),
                        std::string_view::npos);
    const auto pos = char_offset(body, at);
    return failed(json_decode_error(pos, "Invalid JSON: line " + std::to_string(line) +
                                             " column " + std::to_string(column) + " (char " +
                                             std::to_string(pos) + ")"));
  } catch (const json::out_of_range&) {
    // A number beyond double's range (1e400): nlohmann throws out_of_range.406, not a
    // parse_error (fuzz/json_validation_fuzz.cpp feeds such numbers).
    return failed(json_decode_error(0, "Invalid JSON: number out of range"));
  }
  if (value.is_null()) return failed(missing_error({std::string("body")}));
  if (!value.is_object()) return failed(not_dict_error({std::string("body")}));
  return value;
}

std::optional<std::string> coerce_str(const json& value, const Loc& loc,
                                      ValidationErrors& errors) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_boolean()) return value.get<bool>() ? "True" : "False";
  if (value.is_number_integer()) return value.dump();
  if (value.is_number_float()) return value.dump();  // shortest round trip, like Python repr
  errors.add(value.is_null() ? none_not_allowed_error(loc) : not_str_error(loc));
  return std::nullopt;
}

std::optional<std::int64_t> coerce_int(const json& value, const Loc& loc,
                                       ValidationErrors& errors) {
  if (value.is_number_unsigned()) {
    const auto u = value.get<std::uint64_t>();
    return u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())
               ? std::numeric_limits<std::int64_t>::max()
               : static_cast<std::int64_t>(u);
  }
  if (value.is_number_integer()) return value.get<std::int64_t>();
  if (value.is_boolean()) return value.get<bool>() ? 1 : 0;
  if (value.is_number_float() && std::isfinite(value.get<double>())) {
    return saturate(value.get<double>());
  }
  if (value.is_string()) {
    if (auto v = parse_python_int(value.get_ref<const std::string&>())) return v;
  }
  errors.add(value.is_null() ? none_not_allowed_error(loc) : not_int_error(loc));
  return std::nullopt;
}

std::optional<bool> coerce_bool(const json& value, const Loc& loc, ValidationErrors& errors) {
  if (value.is_boolean()) return value.get<bool>();
  if (value.is_number()) {
    const double v = value.get<double>();
    if (v == 0) return false;
    if (v == 1) return true;
  }
  if (value.is_string()) {
    const std::string s = lower(value.get_ref<const std::string&>());
    if (s == "1" || s == "on" || s == "t" || s == "true" || s == "y" || s == "yes") return true;
    if (s == "0" || s == "off" || s == "f" || s == "false" || s == "n" || s == "no") return false;
  }
  errors.add(value.is_null() ? none_not_allowed_error(loc) : not_bool_error(loc));
  return std::nullopt;
}

bool check_range(std::int64_t value, std::optional<std::int64_t> ge,
                 std::optional<std::int64_t> le, const Loc& loc, ValidationErrors& errors) {
  if (ge && value < *ge) {
    errors.add(not_ge_error(loc, *ge));
    return false;
  }
  if (le && value > *le) {
    errors.add(not_le_error(loc, *le));
    return false;
  }
  return true;
}

}  // namespace rag::api
