#include "api/sessions_api.hpp"

#include <gtest/gtest.h>

#include "api/testing/handler_call.hpp"
#include "chat/testing/chat_fakes.hpp"

namespace rag::api {
namespace {

using nlohmann::json;
using testing::Call;

class SessionsApiTest : public ::testing::Test {
 protected:
  http::Response get(const std::string& id) {
    Call call(http::Verb::get, "/sessions/" + id + "/history");
    call.ctx.params["id"] = id;
    return call.run(session_history_handler(*store_));
  }
  http::Response del(const std::string& id) {
    Call call(http::Verb::delete_, "/sessions/" + id);
    call.ctx.params["id"] = id;
    return call.run(session_delete_handler(*store_));
  }
  std::shared_ptr<chat::testing::FakeSessionStore> store_ =
      std::make_shared<chat::testing::FakeSessionStore>();
};

TEST_F(SessionsApiTest, UnknownSessionHasAnEmptyHistory) {
  auto res = get("nobody");
  ASSERT_EQ(res.result_int(), 200u);
  EXPECT_EQ(testing::body_json(res), json::parse(R"({"session_id": "nobody", "history": []})"));
}

TEST_F(SessionsApiTest, HistoryListsRoleAndContentOnly) {
  chat::testing::run_coro([&] {
    return store_->append("s1", {"user", "q", "2024-01-01T00:00:00.000000"},
                          {"assistant", "a", "2024-01-01T00:00:00.000000"});
  });
  auto res = get("s1");
  EXPECT_EQ(testing::body_json(res),
            json::parse(R"({"session_id": "s1", "history": [{"role": "user", "content": "q"},
                                                           {"role": "assistant", "content": "a"}]})"));
}

TEST_F(SessionsApiTest, DeleteSaysClearedOrNotFound) {
  chat::testing::run_coro([&] { return store_->replace("s2", {{"user", "q", ""}}); });
  EXPECT_EQ(testing::body_json(del("s2")), json::parse(R"({"message": "Session s2 cleared"})"));
  EXPECT_EQ(testing::body_json(del("s2")), json::parse(R"({"message": "Session s2 not found"})"));
  EXPECT_EQ(testing::body_json(get("s2"))["history"], json::array());
}

TEST_F(SessionsApiTest, InvalidIdsAre422) {
  for (const std::string& bad : {std::string("a%20b"), std::string(129, 'x'), std::string("a/b")}) {
    auto res = get(bad);
    EXPECT_EQ(res.result_int(), 422u) << bad;
    auto j = testing::body_json(res);
    EXPECT_EQ(j["detail"][0]["loc"], json::parse(R"(["path", "session_id"])"));
    EXPECT_EQ(j["detail"][0]["type"], "value_error.str.regex");
    EXPECT_EQ(del(bad).result_int(), 422u);
  }
}

}  // namespace
}  // namespace rag::api
