"""Scale-out: two replicas behind the documented HAProxy config, sharing one real Redis.

The chat rate limit holds across replicas, a conversation started on one replica continues on
the other, an answer given by one is rated through the other (one feedback store), and when
Redis stops both keep serving on local state, then return to Redis."""
import http.client
import json
import os
import unittest

from harness import Server, run_cli, SOURCE_DIR
from services import HAProxy, RedisServer, wait_until


def lb_request(lb, method, path, body=None, client_ip=None):
    conn = http.client.HTTPConnection("127.0.0.1", lb.port, timeout=30)
    try:
        headers = {"Content-Type": "application/json"}
        if client_ip:
            headers["X-Forwarded-For"] = client_ip  # the balancer appends its own peer address
        conn.request(method, path, body=json.dumps(body) if body is not None else None,
                     headers=headers)
        res = conn.getresponse()
        return res.status, {k.lower(): v for k, v in res.getheaders()}, json.loads(res.read() or b"null")
    finally:
        conn.close()


class ScaleOut(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.redis = RedisServer()
        import tempfile
        cls.tmp = tempfile.TemporaryDirectory(prefix="rag-scale-")
        db = os.path.join(cls.tmp.name, "vector_db")
        indexed = run_cli(["index", os.path.join(SOURCE_DIR, "docs")], env={"VECTOR_DB_PATH": db,
                                                                          "LOG_DIR": cls.tmp.name})
        if indexed.returncode != 0:
            raise AssertionError("indexing docs/ failed: " + indexed.stderr[-2000:])
        env = {"REDIS_URL": cls.redis.url, "TRUSTED_PROXIES": "127.0.0.1/32", "VECTOR_DB_PATH": db,
               "RATE_LIMIT_CHAT": "20/minute"}
        cls.replicas = [Server(env=env), Server(env=env)]
        cls.lb = HAProxy([r.port for r in cls.replicas])

    @classmethod
    def tearDownClass(cls):
        cls.lb.close()
        for r in cls.replicas:
            r.stop()
        cls.redis.close()
        cls.tmp.cleanup()

    def test_chat_rate_limit_holds_across_replicas(self):
        client = "203.0.113.21"
        statuses = [lb_request(self.lb, "POST", "/chat", {"message": f"How do I configure logging? {i}"},
                               client_ip=client)[0] for i in range(20)]
        self.assertEqual(statuses, [200] * 20)
        status, headers, body = lb_request(self.lb, "POST", "/chat", {"message": "one more"}, client_ip=client)
        self.assertEqual(status, 429)
        self.assertEqual(body, {"error": "Rate limit exceeded: 20 per 1 minute"})
        self.assertIn("retry-after", headers)
        self.assertEqual(headers["x-ratelimit-limit"], "20")
        self.assertEqual(headers["x-ratelimit-remaining"], "0")
        # Round-robin really spread those requests over both replicas.
        for replica in self.replicas:
            replica.stdout.wait_for(r'"path":"/chat"')
        # Another client is unaffected.
        self.assertEqual(lb_request(self.lb, "POST", "/chat", {"message": "hello"},
                                    client_ip="203.0.113.22")[0], 200)

    def test_conversation_continues_on_the_other_replica(self):
        first, second = self.replicas
        status, _, body = first.post_json("/chat", {"message": "What is VECTOR_DB_PATH?",
                                                    "session_id": "scale-conv-1"})
        self.assertEqual(status, 200)
        status, _, history = second.get_json("/sessions/scale-conv-1/history")
        self.assertEqual(status, 200)
        self.assertEqual([m["role"] for m in history["history"]], ["user", "assistant"])
        self.assertEqual(history["history"][0]["content"], "What is VECTOR_DB_PATH?")
        second.post_json("/chat", {"message": "And its default?", "session_id": "scale-conv-1"})
        _, _, history = first.get_json("/sessions/scale-conv-1/history")
        self.assertEqual(len(history["history"]), 4)

    def test_an_answer_given_by_one_replica_is_rated_through_the_other(self):
        first, second = self.replicas
        status, _, body = first.post_json("/chat", {"message": "What is VECTOR_DB_PATH?"})
        self.assertEqual(status, 200)
        status, _, reply = second.post_json("/feedback", {"response_id": body["response_id"],
                                                          "rating": "down", "comment": "scale"})
        self.assertEqual((status, reply), (200, {"status": "recorded"}))
        # The report reads the same shared store (REDIS_URL).
        done = run_cli(["report", "--format", "json"], env={"REDIS_URL": self.redis.url})
        self.assertEqual(done.returncode, 0, done.stderr)
        rated = [d for d in json.loads(done.stdout)["thumbs_down"]
                 if d["response_id"] == body["response_id"]]
        self.assertEqual([(d["question"], d["comment"]) for d in rated],
                         [("What is VECTOR_DB_PATH?", "scale")])

    def test_redis_outage_falls_back_to_local_state_then_returns(self):
        self.redis.stop()
        try:
            for i in range(4):  # both replicas, round-robin
                self.assertEqual(lb_request(self.lb, "GET", "/", client_ip="203.0.113.30")[0], 200)
                status, _, body = lb_request(self.lb, "POST", "/chat", {"message": "What is REDIS_URL?"},
                                             client_ip="203.0.113.30")
                self.assertEqual(status, 200, body)
            for replica in self.replicas:
                wait_until(lambda: replica.request("GET", "/readyz")[0] == 503, what="readyz to report Redis down")
                _, _, body = replica.get_json("/readyz")
                self.assertTrue(any("redis" in r.lower() for r in body["reasons"]), body)
                replica.stderr.wait_for(r"Redis unreachable")
        finally:
            self.redis.start()
        for replica in self.replicas:
            wait_until(lambda: replica.request("GET", "/readyz")[0] == 200, timeout=60,
                       what="readyz to report Redis back")
            replica.stderr.wait_for(r"Redis reachable again")
            self.assertEqual(len([l for l in replica.stderr.lines if "Redis unreachable" in l]), 1)
        first, second = self.replicas
        first.post_json("/chat", {"message": "Back on Redis?", "session_id": "scale-after-outage"})
        _, _, history = second.get_json("/sessions/scale-after-outage/history")
        self.assertEqual(len(history["history"]), 2)


if __name__ == "__main__":
    unittest.main()
