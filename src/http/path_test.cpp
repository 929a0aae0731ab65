#include "http/path.hpp"

#include <gtest/gtest.h>

namespace rag::http {
namespace {

// The canonical spelling, or "!" for a refused path.
std::string canonical(std::string_view path) {
  std::string out = "untouched";
  switch (canonicalize_path(path, out)) {
    case PathForm::kCanonical:
      return std::string(path);
    case PathForm::kRewritten:
      return out;
    case PathForm::kInvalid:
      return "!";
  }
  return "?";
}

TEST(CanonicalPath, LeavesCanonicalPathsAloneWithoutWriting) {
  for (std::string_view p : {"/", "/search", "/v1/chat/completions", "/sessions/a.b_c~d/history",
                             "/ui/app.js", "/a/...", "/a/.b"}) {
    std::string out = "untouched";
    EXPECT_EQ(canonicalize_path(p, out), PathForm::kCanonical) << p;
    EXPECT_EQ(out, "untouched") << p;
  }
}

TEST(CanonicalPath, EverySpellingOfSearchIsSearch) {
  for (std::string_view p : {"/search/", "//search", "/search//", "/./search", "/search/.",
                             "/%73earch", "/%73%65%61%72%63%68", "/x/../search", "/%2e/search",
                             "/x/%2E%2E/search", "/x/y/../../search/", "///search///"}) {
    EXPECT_EQ(canonical(p), "/search") << p;
  }
  EXPECT_EQ(canonical("/v1//chat/./completions/"), "/v1/chat/completions");
  EXPECT_EQ(canonical("/chat/"), "/chat");
}

TEST(CanonicalPath, KeepsReservedEscapesAsDataAndUpperCasesThem) {
  EXPECT_EQ(canonical("/search%2F"), "/search%2F");  // not a separator: no route matches
  EXPECT_EQ(canonical("/a%2fb"), "/a%2Fb");
  EXPECT_EQ(canonical("/sessions/abc%00/history"), "/sessions/abc%00/history");  // no NUL made
  EXPECT_EQ(canonical("/a%2e%2e%2fb"), "/a..%2Fb");  // one segment, not a climb
  EXPECT_EQ(canonical("/%252e"), "/%252e");          // decoded once only
  EXPECT_EQ(canonical("/%c3%a9"), "/%C3%A9");
}

TEST(CanonicalPath, RootStaysRoot) {
  EXPECT_EQ(canonical("//"), "/");
  EXPECT_EQ(canonical("/."), "/");
  EXPECT_EQ(canonical("/a/.."), "/");
  EXPECT_EQ(canonical("/%2e"), "/");
}

TEST(CanonicalPath, RefusesClimbingAboveTheRoot) {
  for (std::string_view p : {"/..", "/../search", "/%2e%2e/etc/passwd", "/a/../../b",
                             "/ui/app.js/../../../etc/passwd", "/.%2e/x"}) {
    EXPECT_EQ(canonical(p), "!") << p;
  }
}

TEST(CanonicalPath, RefusesMalformedEscapesAndOtherForms) {
  for (std::string_view p :
       {"", "search", "*", "http://host/search", "/%", "/%4", "/%zz", "/a%g0", "/a%0"}) {
    EXPECT_EQ(canonical(p), "!") << p;
  }
}

TEST(CanonicalPath, IsIdempotent) {
  for (std::string_view p : {"/search/", "/x/../%41b//c/", "/a%2fb/./", "/%7e%7E"}) {
    const std::string once = canonical(p);
    std::string out;
    EXPECT_EQ(canonicalize_path(once, out), PathForm::kCanonical) << p << " -> " << once;
  }
}

}  // namespace
}  // namespace rag::http
