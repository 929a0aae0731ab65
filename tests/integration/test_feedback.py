"""Feedback and unanswered questions (docs/api.md, "Feedback"; docs/operations.md, "Improving
the answers"), end to end over loopback: chat answers carry a response_id that POST /feedback
rates; bad input is 422, an unknown id 404; refusals and thumbs-down reach `rag-server report`
in its three formats; the store survives a restart; FEEDBACK=off turns it all off; an
unwritable STATE_DIR leaves the server serving without feedback; no client address is stored;
/metrics counts refusals and ratings.
"""
import csv
import io
import json
import os
import re
import unittest

import harness
from test_chat_support import FakeUpstream, build_index, read_sse, start_server, tempdir

QUESTION = "How do I change the port the server listens on?"
OFF_TOPIC = ["How do I plant tomatoes in spring?", "how do I plant TOMATOES in spring",
             "Who won the 1998 world cup final?"]


def metric(server, line_start):
    _, _, body = server.request("GET", "/metrics")
    for line in body.decode().splitlines():
        if line.startswith(line_start + " "):
            return float(line.split()[-1])
    raise AssertionError(f"{line_start} not in /metrics")


class FeedbackTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempdir()
        cls.db = build_index(cls.tmp.name)
        cls.state = os.path.join(cls.tmp.name, "state")
        cls.fake = FakeUpstream()
        cls.server = cls.start()

    @classmethod
    def start(cls, **env):
        return start_server(cls.db, cls.fake, extra_env={"STATE_DIR": cls.state, **env})

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.fake.stop()
        cls.tmp.cleanup()

    def chat(self, message, server=None):
        status, _, body = (server or self.server).post_json("/chat", {"message": message})
        self.assertEqual(status, 200, body)
        return body

    def rate(self, payload, server=None):
        return (server or self.server).post_json("/feedback", payload)

    def report(self, *args):
        done = harness.run_cli(["report", *args], env={"STATE_DIR": self.state})
        return done.returncode, done.stdout, done.stderr

    def test_an_answer_can_be_rated_and_the_rating_is_counted(self):
        body = self.chat(QUESTION)
        self.assertRegex(body["response_id"], r"^[0-9a-f]{32}$")
        before = metric(self.server, 'rag_feedback_total{rating="up"}')
        status, _, reply = self.rate({"response_id": body["response_id"], "rating": "up"})
        self.assertEqual((status, reply), (200, {"status": "recorded"}))
        self.assertEqual(metric(self.server, 'rag_feedback_total{rating="up"}'), before + 1)

    def test_a_streamed_answer_carries_its_id_in_done(self):
        conn = self.server.connection()
        conn.request("POST", "/chat", body=json.dumps({"message": QUESTION, "stream": True}),
                     headers={"Content-Type": "application/json"})
        events = read_sse(conn.getresponse())
        conn.close()
        done = json.loads(next(d for e, d in events if e == "done"))
        status, _, _ = self.rate({"response_id": done["response_id"], "rating": "down"})
        self.assertEqual(status, 200)

    def test_openai_face_answers_can_be_rated_too(self):
        payload = {"model": "rag-server", "messages": [{"role": "user", "content": QUESTION}]}
        status, _, body = self.server.post_json("/v1/chat/completions", payload)
        self.assertEqual(status, 200, body)
        self.assertEqual(self.rate({"response_id": body["response_id"], "rating": "up"})[0], 200)
        conn = self.server.connection()
        conn.request("POST", "/v1/chat/completions", body=json.dumps({**payload, "stream": True}),
                     headers={"Content-Type": "application/json"})
        chunks = [json.loads(d) for e, d in read_sse(conn.getresponse()) if d.startswith("{")]
        conn.close()
        self.assertEqual(self.rate({"response_id": chunks[-1]["response_id"], "rating": "up"})[0],
                         200)

    def test_bad_input_is_422_and_an_unknown_id_404(self):
        good = self.chat(QUESTION)["response_id"]
        for payload, field in [({"rating": "up"}, "response_id"),
                               ({"response_id": good}, "rating"),
                               ({"response_id": good, "rating": "meh"}, "rating"),
                               ({"response_id": "../../etc", "rating": "up"}, "response_id"),
                               ({"response_id": good.upper(), "rating": "up"}, "response_id"),
                               ({"response_id": good, "rating": "up", "comment": "x" * 2001},
                                "comment")]:
            status, _, body = self.rate(payload)
            self.assertEqual(status, 422, payload)
            self.assertIn(field, [e["loc"][-1] for e in body["detail"]], body)
        status, _, body = self.server.request("POST", "/feedback", body="[1]",
                                              headers={"Content-Type": "application/json"})
        self.assertEqual(status, 422)
        status, _, body = self.rate({"response_id": "0" * 32, "rating": "up"})
        self.assertEqual((status, body), (404, {"detail": "Unknown or expired response_id"}))

    def test_refusals_and_thumbs_down_reach_the_report(self):
        refusals = metric(self.server, "rag_refusals_total")
        for q in OFF_TOPIC:
            body = self.chat(q)
            self.assertEqual(body["sources"], [])  # the refusal
        self.assertEqual(metric(self.server, "rag_refusals_total"), refusals + len(OFF_TOPIC))
        disliked = self.chat(QUESTION)
        status, _, _ = self.rate({"response_id": disliked["response_id"], "rating": "down",
                                  "comment": "it says 8000 but we use 9000"})
        self.assertEqual(status, 200)

        code, out, err = self.report("--format", "json")
        self.assertEqual(code, 0, err)
        report = json.loads(out)
        top = report["unanswered"][0]
        self.assertEqual((top["question"], top["count"]), (OFF_TOPIC[1], 2))  # grouped
        self.assertIn(OFF_TOPIC[2], [q["question"] for q in report["unanswered"]])
        down = next(d for d in report["thumbs_down"] if d["response_id"] == disliked["response_id"])
        self.assertEqual(down["question"], QUESTION)
        self.assertEqual(down["comment"], "it says 8000 but we use 9000")
        self.assertEqual(down["sources"], [s["url"] for s in disliked["sources"]])
        self.assertGreaterEqual(report["days"][-1]["refusals"], len(OFF_TOPIC))

        code, out, _ = self.report()
        self.assertEqual(code, 0)
        self.assertIn("Unanswered questions", out)
        self.assertRegex(out, r"\n\s+2\s+\d{4}-\d\d-\d\d \d\d:\d\d\s+" + re.escape(OFF_TOPIC[1]))
        self.assertIn("comment: it says 8000 but we use 9000", out)

        code, out, _ = self.report("--format", "csv")
        self.assertEqual(code, 0)
        rows = list(csv.DictReader(io.StringIO(out)))
        self.assertIn(OFF_TOPIC[1], [r["question"] for r in rows if r["kind"] == "unanswered"])
        self.assertIn("it says 8000 but we use 9000",
                      [r["comment"] for r in rows if r["kind"] == "thumbs_down"])

        code, out, _ = self.report("--since", "2999-01-01", "--format", "json")
        self.assertEqual((code, json.loads(out)["unanswered"]), (0, []))
        code, _, err = self.report("--since", "yesterday")
        self.assertEqual(code, 2)
        self.assertIn("YYYY-MM-DD", err)

    def test_no_client_address_is_stored(self):
        self.chat(QUESTION)
        for name in os.listdir(self.state):
            with open(os.path.join(self.state, name), "rb") as f:
                self.assertNotIn(b"127.0.0.1", f.read(), name)

    def test_ratings_survive_a_restart(self):
        issued = self.chat(QUESTION)["response_id"]
        restarted = self.start()
        try:
            status, _, _ = self.rate({"response_id": issued, "rating": "up"}, server=restarted)
            self.assertEqual(status, 200)
        finally:
            restarted.stop()

    def test_the_route_has_its_own_rate_limit(self):
        limited = self.start(RATE_LIMIT_FEEDBACK="2/minute")
        try:
            issued = self.chat(QUESTION, server=limited)["response_id"]
            statuses = [self.rate({"response_id": issued, "rating": "up"}, server=limited)[0]
                        for _ in range(3)]
            self.assertEqual(statuses, [200, 200, 429])
            self.assertEqual(limited.post_json("/chat", {"message": QUESTION})[0], 200)
        finally:
            limited.stop()


class FeedbackOffTest(unittest.TestCase):
    def test_off_means_no_id_no_route_and_no_file(self):
        with tempdir() as tmp:
            db = build_index(tmp)
            state = os.path.join(tmp, "state")
            server = start_server(db, extra_env={"FEEDBACK": "off", "STATE_DIR": state})
            try:
                status, _, body = server.post_json("/chat", {"message": QUESTION})
                self.assertEqual(status, 200)
                self.assertNotIn("response_id", body)
                status, _, _ = server.post_json("/feedback", {"response_id": "0" * 32,
                                                              "rating": "up"})
                self.assertEqual(status, 404)
            finally:
                server.stop()
            self.assertFalse(os.path.exists(state))

    def test_an_unusable_state_dir_serves_without_feedback(self):
        with tempdir() as tmp:
            db = build_index(tmp)
            blocker = os.path.join(tmp, "a-file")  # a folder cannot be made under a file, even by root
            with open(blocker, "w", encoding="utf-8") as f:
                f.write("x")
            server = start_server(db, extra_env={"STATE_DIR": os.path.join(blocker, "state")})
            try:
                server.stderr.wait_for(r"ERROR - Feedback is off: ")
                status, _, body = server.post_json("/chat", {"message": QUESTION})
                self.assertEqual(status, 200)
                self.assertNotIn("response_id", body)
            finally:
                server.stop()

if __name__ == "__main__":
    unittest.main()
