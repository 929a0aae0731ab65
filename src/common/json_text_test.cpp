#include "common/json_text.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace rag {
namespace {

std::string written(std::string_view text) {
  std::string out = "x";  // appended to, not replaced
  append_json_text(out, text);
  return out.substr(1);
}

std::string nlohmann_spelling(std::string_view text) {
  return nlohmann::json(text).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

TEST(JsonText, EscapesWhatJsonRequiresAndKeepsTheRest) {
  EXPECT_EQ(written(""), R"("")");
  EXPECT_EQ(written("Curriculum Vitæ (/CV)"), R"x("Curriculum Vitæ (/CV)")x");
  EXPECT_EQ(written(std::string("\0\x01\x1f\x7f", 4)), "\"\\u0000\\u0001\\u001f\x7f\"");
  EXPECT_EQ(written("say \"hi\" \\ bye"), R"("say \"hi\" \\ bye")");
  EXPECT_EQ(written("a\nb\tc\rd\be\ff"), R"("a\nb\tc\rd\be\ff")");
}

TEST(JsonText, EveryByteAndPairOfBytesAsNlohmannWritesThem) {
  // Every single byte and every pair (so every escape, every lead byte cut short, every stray
  // continuation byte), each inside text, as nlohmann's dump() with replace writes it.
  for (int a = 0; a < 256; ++a) {
    const std::string one(1, static_cast<char>(a));
    ASSERT_EQ(written("x" + one + "y"), nlohmann_spelling("x" + one + "y")) << a;
    for (int b = 0; b < 256; ++b) {
      const std::string two = one + static_cast<char>(b);
      ASSERT_EQ(written(two), nlohmann_spelling(two)) << a << " " << b;
    }
  }
  for (const std::string_view text : {"€", "𝄞 clef", "\xE2\x82", "\xED\xA0\x80", "\xC0\xAF",
                                      "\xF4\x90\x80\x80", "ok \xF0\x9F\x98\x80 \xFF end"}) {
    EXPECT_EQ(written(text), nlohmann_spelling(text)) << text;
  }
}

}  // namespace
}  // namespace rag
