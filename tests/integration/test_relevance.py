"""The relevance rule on both sides, with real questions over the bundled docs/ (docs/eval.md,
"How relevance is decided"): questions phrased as people ask them find the page that answers
them first or second; questions on topics the documents never mention, and gibberish, find
nothing, and /chat then refuses without calling the model. Also the extractive answer of the
README's example question: the right page, cited once, no sentence twice.

These questions are not those of bench/quality (which measures); they guard the rule."""
import re
import unittest

import harness
from test_chat_support import FakeUpstream, start_server

# question → the pages that answer it (citation urls of docs/).
ANSWERABLE = {
    "What happens when Azure returns 429?": {"/operations", "/configuration"},
    "How do I run several replicas behind a load balancer?": {"/deployment"},
    "Where does the server write its log file?": {"/configuration", "/operations"},
    "How can I make the server reload the index without downtime?": {"/deployment", "/operations"},
    "Can I use Ollama instead of OpenAI?": {"/configuration"},
    "Which file types can be indexed?": {"/"},
    "How do I stream the answer token by token?": {"/api"},
    "Is my API key ever written to the logs?": {"/security", "/configuration"},
    "How do I import the FAISS index of the old Python server?": {"/migration"},
    "What does the readiness probe check?": {"/api", "/deployment"},
    "Why does the chat page say it cannot reach the server?": {"/ui"},
    "How do I limit how many chat requests one client can make?": {"/configuration"},
}

OFF_TOPIC = [
    "How do I bake sourdough bread?",
    "Who won the 2018 football World Cup?",
    "What is the capital of Australia?",
    "How many moons does Jupiter have?",
    "Can you recommend a good pasta recipe for dinner?",
    "What time does the last train to Paris leave?",
    "How do I file a tax return online?",  # "file" and "return" are words of the docs
    "What is the best time to plant tomatoes?",
]
GIBBERISH = ["asdfgh qwerty zxcvb", "blorp fnord wibble", "xyzzy plugh frobozz", "ffffffff"]


def pages(results):
    """Citation urls in rank order, each once."""
    out = []
    for r in results:
        if r["citation_url"] not in out:
            out.append(r["citation_url"])
    return out


class RelevanceOverDocs(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.fake = FakeUpstream()
        cls.server = start_server(harness.shared_index(), fake=cls.fake)

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.fake.stop()

    def search(self, query):
        status, _, body = self.server.post_json("/search", {"query": query, "k": 5})
        self.assertEqual(status, 200, body)
        return body["results"]

    def test_natural_questions_find_their_page_first_or_second(self):
        for question, expected in ANSWERABLE.items():
            with self.subTest(question=question):
                found = pages(self.search(question))
                self.assertTrue(expected & set(found[:2]), f"{found} for {question!r}")
                self.assertGreaterEqual(self.search(question)[0]["score"], 0.3)

    def test_off_topic_questions_and_gibberish_find_nothing(self):
        for question in OFF_TOPIC + GIBBERISH:
            with self.subTest(question=question):
                self.assertEqual(self.search(question), [])

    def test_chat_refuses_off_topic_questions_without_calling_the_model(self):
        self.fake.reset()
        for question in OFF_TOPIC[:3] + GIBBERISH[:1]:
            with self.subTest(question=question):
                status, _, body = self.server.post_json("/chat", {"message": question})
                self.assertEqual(status, 200, body)
                self.assertEqual(body["sources"], [])
                self.assertIn("couldn't find anything", body["response"])
        self.assertEqual(self.fake.chat_requests(), [])

    def test_chat_answers_a_natural_question_through_the_model(self):
        self.fake.reset()
        status, _, body = self.server.post_json(
            "/chat", {"message": "How do I run several replicas behind a load balancer?"})
        self.assertEqual(status, 200, body)
        self.assertIn("/deployment", [s["url"] for s in body["sources"]])
        self.assertEqual(len(self.fake.chat_requests()), 1)


class ExtractiveAnswerOverDocs(unittest.TestCase):
    """The README's quick start: no credentials, extractive answers."""

    @classmethod
    def setUpClass(cls):
        cls.server = start_server(harness.shared_index())

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def test_azure_429_is_answered_from_the_right_page_cited_once(self):
        status, _, body = self.server.post_json(
            "/chat", {"message": "What happens when Azure returns 429?"})
        self.assertEqual(status, 200, body)
        self.assertEqual(body.get("mode"), "extractive")
        answer, _, sources_block = body["response"].partition("\n\nSources:")
        cited = [int(n) for n in re.findall(r"\[(\d+)\]", answer)]
        self.assertTrue(cited, body["response"])
        self.assertEqual(len(cited), len(set(cited)), "a source cited twice: " + answer)
        urls = [body["sources"][n - 1]["url"] for n in cited]
        self.assertIn("/operations", urls, body["response"])
        sentences = [s.strip() for s in re.split(r"(?<=[.!?])\s+|\s*\[\d+\]\s*", answer) if s.strip()]
        self.assertEqual(len(sentences), len(set(sentences)), "a sentence quoted twice: " + answer)
        self.assertIn("Operations guide (/operations)", sources_block)


if __name__ == "__main__":
    unittest.main()
