"""`rag-server eval` (docs/eval.md) on collections small enough to compute by hand: a BEIR
folder indexed into a temporary folder, and a questions file against pages given with --corpus,
with an unanswerable question; exit statuses for a missing collection and a corpus that cannot
be indexed."""
import json
import math
import os
import shutil
import tempfile
import unittest

import test_chat_support as chat
from harness import run_cli

FILLER = " It is written for this test, long enough to pass the splitter's paragraph floor."
CORPUS = [
    {"_id": "d1", "title": "Cats", "text": "Cats purr when they are content and calm." + FILLER},
    {"_id": "d2", "title": "Dogs", "text": "Dogs bark at night when strangers pass by." + FILLER},
    {"_id": "d3", "title": "Birds", "text": "Birds sing at dawn to mark their territory." + FILLER},
]
QUERIES = [
    {"_id": "q1", "text": "why do cats purr"},            # d1 first: every metric 1
    {"_id": "q2", "text": "dogs barking at night"},       # d2 first of two relevant, d9 absent
    {"_id": "q3", "text": "quantum chromodynamics"},      # nothing matches: no result
    {"_id": "q4", "text": "not judged, not scored"},
]
QRELS = "query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td2\t1\nq2\td9\t1\nq3\td3\t1\n"


class EvalCli(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="rag-eval-cli-")
        self.env = {"LOG_DIR": self.dir, "VECTOR_DB_PATH": os.path.join(self.dir, "no-index")}

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def write(self, rel, text):
        path = os.path.join(self.dir, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path

    def beir(self):
        self.write("beir/corpus.jsonl", "".join(json.dumps(d) + "\n" for d in CORPUS))
        self.write("beir/queries.jsonl", "".join(json.dumps(q) + "\n" for q in QUERIES))
        self.write("beir/qrels/test.tsv", QRELS)
        return os.path.join(self.dir, "beir")

    def test_beir_collection_metrics_match_hand_computed_values(self):
        result = run_cli(["eval", self.beir(), "--json"], env=self.env)
        self.assertEqual(result.returncode, 0, result.stderr)
        report = json.loads(result.stdout)
        self.assertEqual(report["mode"], "lexical")
        self.assertEqual(report["chunks"], 3)
        s = report["summary"]
        self.assertEqual(s["queries"], 3)  # q4 has no judgement
        ndcg_q2 = 1 / (1 + 1 / math.log2(3))  # d2 at rank 1 of an ideal [d2, d9]
        self.assertAlmostEqual(s["ndcg@10"], (1 + ndcg_q2 + 0) / 3, places=6)
        self.assertAlmostEqual(s["recall@5"], (1 + 0.5 + 0) / 3, places=6)
        self.assertAlmostEqual(s["mrr@10"], (1 + 1 + 0) / 3, places=6)
        self.assertAlmostEqual(s["no_result"], 1 / 3, places=6)
        by_id = {q["id"]: q for q in report["queries"]}
        self.assertEqual(by_id["q1"]["ranked"][0], "d1")
        self.assertEqual(by_id["q2"]["ranked"][0], "d2")
        self.assertEqual(sorted(by_id["q2"]["relevant"]), ["d2", "d9"])
        self.assertTrue(by_id["q3"]["no_result"])

    def test_hybrid_scores_what_serve_would_search_with_its_vector_index(self):
        # The temporary index gets the search files `rag-server index` stores, so the scores
        # are those of the approximate vector index VECTOR_INDEX asks for, not of exact search.
        fake = chat.FakeUpstream()
        try:
            env = dict(self.env, VECTOR_INDEX="ivf", **fake.openai_env())
            result = run_cli(["eval", self.beir(), "--json"], env=env)
        finally:
            fake.stop()
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(json.loads(result.stdout)["mode"], "hybrid")
        self.assertIn("Stored the lexical index in", result.stderr)
        self.assertIn("Stored the IVF vector index in", result.stderr)

    def test_text_report_names_the_figures(self):
        result = run_cli(["eval", self.beir()], env=self.env)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("beir: 3 judged queries, lexical search over 3 chunks", result.stdout)
        self.assertIn("MRR@10      0.6667", result.stdout)
        self.assertIn("no result   33.3 % (1 of 3)", result.stdout)

    def test_questions_file_against_a_corpus_with_an_unanswerable_question(self):
        self.write("site/cats.md", "# Cats\n\n" + CORPUS[0]["text"] + "\n")
        self.write("site/dogs.md", "# Dogs\n\n" + CORPUS[1]["text"] + "\n")
        questions = self.write("questions.jsonl", "\n".join(json.dumps(q) for q in [
            {"question": "do cats purr?", "pages": ["/cats"]},
            {"question": "when do dogs bark", "pages": ["site/dogs.md"]},
            {"question": "what is the best time to plant tomatoes?", "pages": []},
        ]) + "\n")
        result = run_cli(["eval", questions, "--corpus", os.path.join(self.dir, "site"), "--json"],
                         env=self.env)
        self.assertEqual(result.returncode, 0, result.stderr)
        s = json.loads(result.stdout)["summary"]
        self.assertEqual(s["queries"], 2)
        self.assertEqual(s["mrr@10"], 1.0)
        self.assertEqual(s["unanswerable"], 1)
        self.assertEqual(s["unanswerable_answered"], 0)

    def test_a_missing_collection_or_index_is_a_usage_error(self):
        result = run_cli(["eval", os.path.join(self.dir, "nothing.jsonl")], env=self.env)
        self.assertEqual(result.returncode, 2)
        self.assertIn("does not exist", result.stderr)
        questions = self.write("q.jsonl", '{"question": "x", "pages": ["/x"]}\n')
        result = run_cli(["eval", questions], env=self.env)  # VECTOR_DB_PATH holds no index
        self.assertEqual(result.returncode, 2)
        self.assertIn("cannot load the index", result.stderr)

    def test_a_malformed_questions_file_names_the_line(self):
        questions = self.write("q.jsonl", '{"question": "x", "pages": ["/x"]}\nnot json\n')
        result = run_cli(["eval", questions, "--corpus", self.dir], env=self.env)
        self.assertEqual(result.returncode, 2)
        self.assertIn("q.jsonl:2", result.stderr)


if __name__ == "__main__":
    unittest.main()
