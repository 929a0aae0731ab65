#include "chat/options.hpp"

namespace rag::chat {

Result<PipelineOptions> pipeline_options(const config::Config& config, std::string refusal_text) {
  PipelineOptions o;
  o.max_history = static_cast<std::size_t>(std::max(0, config.max_conversation_history));
  o.temperature = config.chat_temperature;
  o.max_tokens = config.chat_max_tokens;
  if (!config.system_prompt_file.empty()) {
    auto text = load_system_template(config.system_prompt_file);
    if (!text) return std::unexpected(text.error());
    o.system_template = std::move(*text);
  }
  if (!refusal_text.empty()) o.refusal_text = std::move(refusal_text);
  else if (!config.refusal_text.empty()) o.refusal_text = config.refusal_text;
  return o;
}

}  // namespace rag::chat
