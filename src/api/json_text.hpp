// A string as a JSON literal, written straight into a response body: the bytes nlohmann's
// dump(-1, ' ', false, error_handler_t::replace) writes for it (the project's one JSON
// spelling), without building a JSON value. /search answers carry ~10 passages of ~1 KB; building
// and escaping them through nlohmann::ordered_json was ~10 % of the server's time under load at
// 300k chunks (bench/scale/RESULTS.md).
//
// Thread-safety: a pure function.
#pragma once

#include <string>
#include <string_view>

namespace rag::api {

// Appends `text` as a quoted JSON string: `"` and `\` escaped, control characters as \b \t \n
// \f \r or \u00XX, other bytes as they are. Text that is not well-formed UTF-8 is written as
// nlohmann writes it (each fault replaced by U+FFFD).
void append_json_text(std::string& out, std::string_view text);

}  // namespace rag::api
