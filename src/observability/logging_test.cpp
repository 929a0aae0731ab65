#include <gtest/gtest.h>
#include <spdlog/logger.h>
#include <spdlog/sinks/ostream_sink.h>

#include <regex>
#include <sstream>

#include "observability/logging.hpp"

namespace rag::observability {
namespace {

TEST(JsonString, EscapesControlCharactersAndQuotes) {
  std::string out;
  append_json_string(out, "a\"b\\c\n\x01");
  EXPECT_EQ(out, R"("a\"b\\c\n\u0001")");
}

TEST(JsonString, ReplacesInvalidUtf8AndKeepsValid) {
  std::string out;
  append_json_string(out, "caf\xc3\xa9 \xff!");
  EXPECT_EQ(out, "\"caf\xc3\xa9 \xef\xbf\xbd!\"");
}

TEST(Redact, ReplacesEveryRegisteredSecret) {
  set_redactions({"sk-123", ""});
  EXPECT_EQ(redact("key sk-123 and sk-123"), "key *** and ***");
  set_redactions({});
  EXPECT_EQ(redact("sk-123"), "sk-123");
}

TEST(HumanLog, MarksEveryLineWithItsLevelAsPythonNamesIt) {
  std::ostringstream out;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out);
  spdlog::logger logger("test", sink);
  logger.set_formatter(human_formatter());
  logger.set_level(spdlog::level::debug);
  logger.debug("d");
  logger.info("i");
  logger.warn("w");
  logger.error("e");
  logger.critical("c");
  const std::string date = R"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d - )";
  std::istringstream lines(out.str());
  std::string line;
  for (const char* expected :
       {"DEBUG - d", "INFO - i", "WARNING - w", "ERROR - e", "CRITICAL - c"}) {
    ASSERT_TRUE(std::getline(lines, line));
    EXPECT_TRUE(std::regex_match(line, std::regex(date + expected))) << line;
  }
}

}  // namespace
}  // namespace rag::observability
