// The prompt of a grounded answer (docs/api.md): the system template with `{context}` replaced by
// the retrieved passages, each fenced as `<passage n="1" url="..." title="...">` ... `</passage>`
// (docs/configuration.md, SYSTEM_PROMPT_FILE), then the conversation's
// history (at most max_history messages, the newest), then the user's message. Also the
// sources of an answer (docs/api.md's source objects, as plain values) made from the same passages.
//
// Thread-safety: pure functions; load_system_template() reads a file.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "retrieval/snapshot.hpp"
#include "session/session_store.hpp"
#include "upstream/chat_model.hpp"

namespace rag::chat {

// Built-in generic template (SYSTEM_PROMPT_FILE unset).
extern const std::string_view kDefaultSystemTemplate;

// The template in `path`; a template without `{context}` gets the context appended.
// kIo when the file cannot be read, kInvalidArgument when it is empty.
Result<std::string> load_system_template(const std::filesystem::path& path);

// One cited passage of an answer.
struct Source {
  std::string url;      // the chunk's citation_url
  std::string title;    // the chunk's page_title
  std::string content;  // the whole passage (content_full)
  double similarity_score = 0;  // in [0, 1]
  std::optional<bool> cited = std::nullopt;  // does the answer cite it? Unknown until generated
};

// The hits as sources, in rank order; neighbouring chunks of one page that share the
// splitter's overlap paragraph(s) become one source (their text joined, the shared part once,
// the better score), so the model and the reader see one passage, not two that repeat.
std::vector<Source> make_sources(const std::vector<retrieval::Hit>& hits);

// The passages numbered from 1 (the numbers the model cites, chat/citations.hpp), each inside a
// <passage> element that its text cannot close: a `<` in the text that would open or close one
// is written `&lt;`, and the url and title are HTML-escaped (common/html_escape.hpp). Instructions inside
// a passage thus stay inside it; the default system prompt tells the model they are data.
std::string format_context(const std::vector<Source>& sources);

// The system template with every `{context}` replaced (or the context appended after a blank
// line when the template has no placeholder).
std::string render_system_prompt(std::string_view system_template, std::string_view context);

// system + the newest `max_history` history messages + {"user", message}.
std::vector<upstream::ChatMessage> build_messages(std::string_view system_template,
                                                  const std::vector<Source>& sources,
                                                  const session::History& history,
                                                  std::size_t max_history,
                                                  std::string_view message);

}  // namespace rag::chat
