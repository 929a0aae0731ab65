#include "session/history_bounds.hpp"

namespace rag::session {

std::size_t message_bytes(const Message& message) {
  return message.role.size() + message.content.size() + message.timestamp.size();
}

void trim_history(History& history, const HistoryBounds& bounds) {
  std::size_t drop =
      history.size() > bounds.max_messages ? history.size() - bounds.max_messages : 0;
  std::size_t bytes = 0;
  for (std::size_t i = drop; i < history.size(); ++i) bytes += message_bytes(history[i]);
  while (bytes > bounds.max_bytes && drop < history.size()) bytes -= message_bytes(history[drop++]);
  history.erase(history.begin(), history.begin() + static_cast<long>(drop));
}

}  // namespace rag::session
