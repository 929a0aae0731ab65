"""The configured upstreams show in /readyz and /metrics; `rag-server check` reaches them
(against the fake upstream) and never prints a key."""
import unittest

import harness
from harness import Server, run_cli
from test_chat_support import FakeUpstream


class UpstreamWiring(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.fake = FakeUpstream()

    @classmethod
    def tearDownClass(cls):
        cls.fake.stop()

    def test_readyz_and_metrics_describe_the_configured_upstreams(self):
        with Server(env=self.fake.openai_env()) as server:
            status, _, body = server.get_json("/readyz")
            self.assertEqual(status, 200, body)
            self.assertIn("circuit closed", body["checks"]["chat_upstream"])
            self.assertIn("circuit closed", body["checks"]["embeddings_upstream"])
            text = server.request("GET", "/metrics")[2].decode()
            self.assertIn('rag_upstream_circuit_open{upstream="chat"} 0', text)
            self.assertIn('rag_upstream_calls_total{upstream="embeddings"} 0', text)
            self.assertEqual(text.count("# TYPE rag_upstream_call_duration_seconds histogram"), 1)
            self.assertNotIn(harness.CANARY_OPENAI_KEY, text + body.__repr__() + server.stderr.text())

    def test_without_upstreams_the_server_is_ready_in_extractive_mode(self):
        with Server() as server:
            status, _, body = server.get_json("/readyz")
            self.assertEqual(status, 200)
            self.assertEqual(body["checks"]["chat_upstream"], "not configured: extractive answers")

    def test_check_reaches_both_upstreams_without_printing_keys(self):
        for env in (self.fake.openai_env("sk-secret-1"), self.fake.azure_env("azure-secret-2")):
            result = run_cli(["check"], env={**env, "VECTOR_DB_PATH": harness.shared_index()})
            self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
            self.assertRegex(result.stdout, r"chat: OK")
            self.assertRegex(result.stdout, r"embeddings: OK")
            self.assertRegex(result.stdout, r"index: OK \(\d+ documents, \d+ chunks, lexical only")
            self.assertNotIn("secret", result.stdout + result.stderr)

    def test_check_exit_code_names_the_failing_upstream(self):
        dead = {"OPENAI_BASE_URL": "http://127.0.0.1:9/v1", "CHAT_MODEL": "m", "EMBEDDINGS_MODEL": "e",
                "LLM_MAX_RETRIES": "1", "LLM_TIMEOUT": "2", "VECTOR_DB_PATH": harness.shared_index()}
        result = run_cli(["check"], env=dead)
        self.assertEqual(result.returncode, 6, result.stdout)

    def test_check_exit_code_says_the_index_is_missing(self):
        result = run_cli(["check"], env={"VECTOR_DB_PATH": "/nonexistent/vector_db"})
        self.assertEqual(result.returncode, 3, result.stdout)
        self.assertRegex(result.stdout, r"index: FAILED \(")


if __name__ == "__main__":
    unittest.main()
