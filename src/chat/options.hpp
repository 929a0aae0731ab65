// PipelineOptions from the server's configuration (docs/configuration.md):
// MAX_CONVERSATION_HISTORY, CHAT_TEMPERATURE, CHAT_MAX_TOKENS and SYSTEM_PROMPT_FILE (read once, at
// start-up; a file that cannot be read is a start-up error naming the variable). The refusal text
// is `refusal_text` if given, else REFUSAL_TEXT, else the built-in default.
//
// Thread-safety: a plain function; call it once in cli/serve.
#pragma once

#include <string>

#include "common/result.hpp"
#include "config/config.hpp"
#include "chat/pipeline.hpp"

namespace rag::chat {

Result<PipelineOptions> pipeline_options(const config::Config& config,
                                         std::string refusal_text = {});

}  // namespace rag::chat
