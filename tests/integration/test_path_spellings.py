"""One spelling per path: every way of writing a limited route's path (trailing slash, `//`,
`/./`, `..`, percent-encoded unreserved characters) reaches the same handler and counts against
the same rate limit; a spelling that is not served (a path climbing above the root, a malformed
escape, `%2F` as a separator) is refused before any handler runs (src/http/path.hpp)."""
import json
import unittest

from harness import Server

JSON = {"Content-Type": "application/json"}
SEARCH_SPELLINGS = ["/search", "/search/", "//search", "/%73earch", "/./search", "/x/../search",
                    "/%73%65%61%72%63%68/", "///search//."]


class PathSpellings(unittest.TestCase):
    def test_every_spelling_of_search_counts_against_the_search_limit(self):
        limit = len(SEARCH_SPELLINGS)
        with Server(env={"RATE_LIMIT_SEARCH": f"{limit}/minute"}) as server:
            for i, path in enumerate(SEARCH_SPELLINGS):
                with self.subTest(path=path):
                    status, headers, body = server.request("POST", path, body=b'{"query": "port"}',
                                                           headers=JSON)
                    self.assertEqual(status, 200, (path, body[:200]))
                    self.assertEqual(headers.get("x-ratelimit-limit"), str(limit), path)
                    self.assertEqual(headers.get("x-ratelimit-remaining"), str(limit - 1 - i), path)
            # The budget is spent whichever spelling comes next.
            for path in SEARCH_SPELLINGS:
                with self.subTest(path=path, spent=True):
                    status, _, body = server.request("POST", path, body=b'{"query": "port"}',
                                                     headers=JSON)
                    self.assertEqual(status, 429, (path, body[:200]))

    def test_chat_and_the_openai_face_count_whatever_the_spelling(self):
        with Server(env={"RATE_LIMIT_CHAT": "3/minute"}) as server:
            openai = json.dumps({"messages": [{"role": "user", "content": "hi"}]}).encode()
            chat = json.dumps({"message": "hi"}).encode()
            for path, body in (("/chat/", chat), ("/v1/chat/completions/", openai),
                               ("/v1//chat/%63ompletions", openai)):
                with self.subTest(path=path):
                    status, headers, reply = server.request("POST", path, body=body, headers=JSON)
                    self.assertEqual(status, 200, (path, reply))
                    self.assertEqual(headers.get("x-ratelimit-limit"), "3", path)
            self.assertEqual(server.request("POST", "//chat", body=chat, headers=JSON)[0], 429)
            self.assertEqual(server.request("POST", "/chat", body=chat, headers=JSON)[0], 429)

    def test_the_health_limit_covers_other_spellings_of_the_root(self):
        with Server(env={"RATE_LIMIT_HEALTH": "2/minute"}) as server:
            self.assertEqual(server.request("GET", "//")[0], 200)
            self.assertEqual(server.request("GET", "/./")[0], 200)
            self.assertEqual(server.request("GET", "/x/..")[0], 429)

    def test_spellings_that_are_not_served_are_refused_before_any_handler(self):
        with Server(env={"RATE_LIMIT_SEARCH": "1/minute"}) as server:
            refused = {"/../search": 400, "/%2e%2e/search": 400, "/search%zz": 400,
                       "/search%2F": 404, "/search%2f": 404, "/%2Fsearch": 404}
            for path, expected in refused.items():
                with self.subTest(path=path):
                    status, headers, body = server.request("POST", path, body=b'{"query": "port"}',
                                                           headers=JSON)
                    self.assertEqual(status, expected, (path, body[:200]))
                    self.assertNotIn("x-ratelimit-limit", headers)
                    self.assertIn("x-request-id", headers)
            # None of them touched the budget.
            self.assertEqual(server.request("POST", "/search", body=b'{"query": "port"}',
                                            headers=JSON)[0], 200)


if __name__ == "__main__":
    unittest.main()
