// docs/configuration.md checked against the settings table of loader.cpp, so the page cannot
// drift from the code: every setting has a `### NAME` section that opens with its default
// ("Default: `8000`", or "Default: empty") and states what the parser allows ("Allowed: an
// integer from 0 to 65535", backticks aside) exactly when the table restricts the value; a secret
// setting's section says it is secret; and every `### NAME` section is a setting of the table.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <map>
#include <sstream>

#include "config/loader.hpp"

namespace rag::config {
namespace {

std::string read_configuration_doc() {
  std::ifstream in(RAG_CONFIGURATION_DOC);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

bool is_setting_name(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](unsigned char c) {
    return std::isupper(c) || std::isdigit(c) || c == '_';
  });
}

// The text of each `### NAME` section (outside code fences), up to the next heading.
std::map<std::string, std::string> setting_sections(const std::string& markdown) {
  std::map<std::string, std::string> out;
  std::istringstream in(markdown);
  std::string line, current;
  bool in_code = false;
  while (std::getline(in, line)) {
    if (line.starts_with("```")) in_code = !in_code;
    if (!in_code && line.starts_with("#")) {
      current = line.starts_with("### ") && is_setting_name(line.substr(4)) ? line.substr(4) : "";
      if (!current.empty()) out[current];
    } else if (!current.empty()) {
      out[current] += line + "\n";
    }
  }
  return out;
}

std::string without_backticks(std::string text) {
  std::erase(text, '`');
  return text;
}

// "Allowed: <allowed>" followed by punctuation or a space, not by more of a longer bound.
bool states_allowed(const std::string& section, const std::string& allowed) {
  const std::string plain = without_backticks(section);
  const std::string phrase = "Allowed: " + allowed;
  const auto at = plain.find(phrase);
  if (at == std::string::npos) return false;
  const auto next = at + phrase.size();
  return next == plain.size() || !std::isalnum(static_cast<unsigned char>(plain[next]));
}

std::string leading_text(const std::string& section) {
  const auto start = section.find_first_not_of('\n');
  return start == std::string::npos ? "" : section.substr(start);
}

TEST(ConfigurationDoc, DescribesEverySettingWithTheTablesDefaultAndAllowedValues) {
  const auto sections = setting_sections(read_configuration_doc());
  ASSERT_GE(sections.size(), 40u) << "cannot read " RAG_CONFIGURATION_DOC;
  for (const auto& setting : settings()) {
    SCOPED_TRACE(setting.name);
    const auto it = sections.find(setting.name);
    if (it == sections.end()) {
      ADD_FAILURE() << "no '### " << setting.name << "' in docs/configuration.md";
      continue;
    }
    const std::string& section = it->second;
    const std::string opening = *setting.default_text
                                    ? std::string("Default: `") + setting.default_text + "`"
                                    : std::string("Default: empty");
    EXPECT_TRUE(leading_text(section).starts_with(opening))
        << "the section should open with \"" << opening << "\":\n"
        << leading_text(section).substr(0, 120);
    if (setting.allowed.empty()) {
      EXPECT_EQ(section.find("Allowed:"), std::string::npos) << "the table allows any text";
    } else {
      EXPECT_TRUE(states_allowed(section, setting.allowed))
          << "the section should say \"Allowed: " << setting.allowed << "\"";
    }
    if (setting.secret) {
      EXPECT_NE(section.find("secret"), std::string::npos) << "a secret should be said to be one";
    }
  }
}

TEST(ConfigurationDoc, NamesNoSettingTheTableLacks) {
  for (const auto& [name, section] : setting_sections(read_configuration_doc())) {
    const bool known = std::any_of(settings().begin(), settings().end(),
                                   [&](const Setting& s) { return name == s.name; });
    EXPECT_TRUE(known) << "'### " << name << "' is not a setting of src/config/loader.cpp";
  }
}

}  // namespace
}  // namespace rag::config
