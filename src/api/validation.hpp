// Request validation with FastAPI/pydantic-1 shaped errors, shared by every JSON endpoint
// (/search, /chat, /v1/...). A handler parses its body with parse_json_object_body(), reads each
// field with the coerce_* helpers (pydantic 1's lenient coercions: "5" → 5, 3.7 → 3, 5 → "5"),
// collects every problem in one ValidationErrors, and answers 422 with errors.body():
//   {"detail": [{"loc": ["body", "query"], "msg": "field required", "type": "value_error.missing"}]}
// The messages and types are pydantic 1.10's (docs/api.md), except value_error.jsondecode, whose
// msg is our own and never echoes the body.
//
// Thread-safety: pure functions and plain values.
#pragma once

#include <cstdint>
#include <expected>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace rag::api {

using LocItem = std::variant<std::string, std::int64_t>;
using Loc = std::vector<LocItem>;

struct FieldError {
  Loc loc;
  std::string msg;
  std::string type;
  nlohmann::ordered_json ctx;  // null when the error has no context
};

// The errors of one request. At most kMaxErrors are kept and reported: pydantic lists them all,
// but a 1 MB body of 250,000 bad history items would then answer ~47 MB. Parsers stop
// validating items once full(), so the work is bounded too.
class ValidationErrors {
 public:
  static constexpr std::size_t kMaxErrors = 16;

  void add(FieldError error) {
    if (!full()) errors_.push_back(std::move(error));
  }
  bool full() const { return errors_.size() >= kMaxErrors; }
  bool empty() const { return errors_.empty(); }
  const std::vector<FieldError>& errors() const { return errors_; }
  nlohmann::ordered_json to_json() const;  // {"detail": [...]}
  std::string body() const;                // to_json().dump()

 private:
  std::vector<FieldError> errors_;
};

// pydantic 1 errors, by type.
FieldError missing_error(Loc loc);                     // value_error.missing
FieldError none_not_allowed_error(Loc loc);            // type_error.none.not_allowed
FieldError not_str_error(Loc loc);                     // type_error.str
FieldError not_int_error(Loc loc);                     // type_error.integer
FieldError not_bool_error(Loc loc);                    // type_error.bool
FieldError not_list_error(Loc loc);                    // type_error.list
FieldError not_dict_error(Loc loc);                    // type_error.dict
FieldError not_ge_error(Loc loc, std::int64_t limit);  // value_error.number.not_ge
FieldError not_le_error(Loc loc, std::int64_t limit);  // value_error.number.not_le
FieldError max_length_error(Loc loc, std::size_t limit);       // value_error.any_str.max_length
FieldError max_items_error(Loc loc, std::size_t limit);        // value_error.list.max_items
FieldError regex_error(Loc loc, std::string_view pattern);     // value_error.str.regex
FieldError enum_error(Loc loc, const std::vector<std::string>& permitted);  // type_error.enum
FieldError json_decode_error(std::int64_t char_offset, std::string msg);    // value_error.jsondecode

struct BodyLimits {
  int max_depth = 64;  // nesting of arrays/objects; deeper → 422 (value_error.jsondecode)
};

// FastAPI's body handling: an empty body is "field required" at ["body"]; a body with a JSON
// content type (application/json, application/*+json) or none is parsed as JSON (invalid UTF-8,
// too deep or malformed → value_error.jsondecode at ["body", char offset]); any other content
// type, or a JSON value that is not an object, is type_error.dict at ["body"]; JSON null is
// "field required".
std::expected<nlohmann::json, ValidationErrors> parse_json_object_body(
    std::string_view body, std::string_view content_type, const BodyLimits& limits = {});

// pydantic 1 coercions; each returns nullopt after adding its error to `errors`.
// str: a string as is; an integer or float → its Python text (5 → "5", 1.5 → "1.5");
// a boolean → "True"/"False"; anything else → type_error.str.
std::optional<std::string> coerce_str(const nlohmann::json& value, const Loc& loc,
                                      ValidationErrors& errors);
// int: an integer; a boolean → 0/1; a finite float → truncated; a string holding a decimal
// integer (surrounding whitespace allowed) → its value; anything else → type_error.integer.
std::optional<std::int64_t> coerce_int(const nlohmann::json& value, const Loc& loc,
                                       ValidationErrors& errors);
// bool: true/false; 0/1; "0/1/true/false/yes/no/on/off/t/f/y/n" in any case.
std::optional<bool> coerce_bool(const nlohmann::json& value, const Loc& loc,
                                ValidationErrors& errors);
// Adds not_ge / not_le errors; true when `value` is within [ge, le].
bool check_range(std::int64_t value, std::optional<std::int64_t> ge,
                 std::optional<std::int64_t> le, const Loc& loc, ValidationErrors& errors);

// A Loc for a body field: {"body", name}.
Loc body_loc(std::string_view field);

// Number of Unicode code points in the first `bytes` bytes of valid UTF-8 `text`.
std::int64_t char_offset(std::string_view text, std::size_t bytes);

}  // namespace rag::api
