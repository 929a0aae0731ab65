"""The lexical index files stored by `rag-server index` (retrieval/lexical_file.hpp;
docs/INDEX-FORMAT.md "lexical.idx"): `index` writes VECTOR_DB_PATH/lexical.idx and keeps it when
nothing changed; after a small edit it writes only the changes since it (lexical-changes.idx);
`serve` maps them instead of tokenizing every chunk, and swaps the new index in once the run
has ended; a file that is missing, stale or damaged is never searched: the server builds the
lexical index in memory, says why, and answers exactly the same. Damage in the postings or texts
of a large file is found when a search first reads it: that search and the ones after it get a
503, never an answer from the damaged bytes, until the server has reloaded the index with the
file verified whole. One run at a time per folder.

Readiness is observed through the server's log lines, never slept for.
"""
import fcntl
import os
import signal
import unittest

import harness
import test_chat_support as chat

STORED = r"Index loaded: .*\(generation [^;]*; lexical index as stored by rag-server index\)"
BUILT = r"Index loaded: .*\(generation [^;]*; lexical index built\)"
WARNING = r"Built the lexical index in memory; rag-server index stores it for a faster start: (.*)"
QUERIES = ["which port does the server use", "where are logs written", "session expiry",
           "rate limits per client"]


class LexicalIndexFile(unittest.TestCase):
    def setUp(self):
        self.tmp = chat.tempdir()
        self.docs = os.path.join(self.tmp.name, "docs")
        os.makedirs(self.docs)
        for name, text in chat.DOCS.items():
            with open(os.path.join(self.docs, name), "w", encoding="utf-8") as f:
                f.write(text)
        self.db = os.path.join(self.tmp.name, "vector_db")
        self.file = os.path.join(self.db, "lexical.idx")
        self.env = {"VECTOR_DB_PATH": self.db, "RATE_LIMIT_SEARCH": "off"}

    def tearDown(self):
        self.tmp.cleanup()

    def index(self):
        done = harness.run_cli(["index", self.docs], env=self.env, cwd=self.tmp.name)
        self.assertEqual(done.returncode, 0, done.stderr)
        return done.stderr

    def answers(self, server):
        out = []
        for query in QUERIES:
            status, _, body = server.post_json("/search", {"query": query, "k": 5})
            self.assertEqual(status, 200, body)
            out.append(body["results"])
        self.assertTrue(any(out), "the queries find something")
        return out

    def test_index_stores_it_keeps_it_when_nothing_changed_and_serve_maps_it(self):
        log = self.index()
        self.assertIn("Stored the lexical index in", log)
        with open(self.file, "rb") as f:
            self.assertEqual(f.read(8), b"RAGLEX\0\0")
        stamp = os.stat(self.file).st_mtime_ns
        again = self.index()  # nothing changed: the file is kept as it is
        self.assertNotIn("Stored the lexical index", again)
        self.assertEqual(os.stat(self.file).st_mtime_ns, stamp)

        with harness.Server(env=self.env) as server:
            server.stderr.wait_for(STORED)
            self.assertEqual(server.stderr.count(WARNING), 0)
            mapped = self.answers(server)

            # A changed document: `index` writes the file again and the server maps the new one.
            with open(os.path.join(self.docs, "config.md"), "a", encoding="utf-8") as f:
                f.write("\nThe zeppelin setting names the airship that carries the logs to the archive "
                        "at the end of every day, once the rotation has closed the last file.\n")
            self.assertIn("Stored the lexical index in", self.index())
            server.stderr.wait_for(STORED, count=2)
            status, _, body = server.post_json("/search", {"query": "zeppelin airship"})
            self.assertEqual(status, 200, body)
            self.assertEqual(body["results"][0]["citation_url"], "/config")
        self.assertNotEqual(mapped, [])

    def test_a_missing_stale_or_damaged_file_is_never_searched(self):
        self.index()
        with harness.Server(env=self.env) as server:
            server.stderr.wait_for(STORED)
            mapped = self.answers(server)

        # Damaged in the middle: the checksum refuses it; the answers are the same, built.
        with open(self.file, "r+b") as f:
            f.seek(os.path.getsize(self.file) // 2)
            byte = f.read(1)
            f.seek(-1, os.SEEK_CUR)
            f.write(bytes([byte[0] ^ 0xFF]))
        with harness.Server(env=self.env) as server:
            server.stderr.wait_for(BUILT)
            self.assertIn("checksum mismatch", server.stderr.wait_for(WARNING).group(1))
            self.assertEqual(self.answers(server), mapped)

            # Deleted while serving: a reload builds it again and says so.
            os.remove(self.file)
            server.signal(signal.SIGHUP)
            server.stderr.wait_for(BUILT, count=2)
            self.assertIn("cannot open", server.stderr.wait_for(WARNING, count=2).group(1))
            self.assertEqual(self.answers(server), mapped)

        # Left behind by an index written since (another content generation): not used.
        self.index()  # writes it again, for the current content
        with open(self.file, "rb") as f:
            current = f.read()
        with open(os.path.join(self.docs, "config.md"), "a", encoding="utf-8") as f:
            f.write("\nAnother paragraph, long enough to be kept as a chunk of its own, so that the "
                    "content of the index changes and the old file no longer describes it.\n")
        self.index()
        with open(self.file, "wb") as f:
            f.write(current)
        with harness.Server(env=self.env) as server:
            server.stderr.wait_for(BUILT)
            self.assertIn("another index generation", server.stderr.wait_for(WARNING).group(1))

    def test_damage_found_when_a_search_first_reads_it_is_never_answered(self):
        # Pages enough that the texts span several of the 1 MiB pieces the server verifies when
        # first read rather than at start (docs/INDEX-FORMAT.md); one page in the middle is damaged.
        filler = "Filler words pad every page of this handbook. " * 45
        for i in range(1500):
            animal = "The quokka smiles in the sun. " if i == 750 else ""
            with open(os.path.join(self.docs, f"page{i:04}.md"), "w", encoding="utf-8") as f:
                f.write(f"# Page {i}\n\n{animal}{filler}\n")
        self.index()
        with open(self.file, "rb") as f:
            data = f.read()
        self.assertGreater(len(data), 3 << 20)
        at = data.rfind(b"The quokka smiles")  # its text, after the vocabulary and postings
        with open(self.file, "r+b") as f:
            f.seek(at)
            f.write(b"t")
        with harness.Server(env=self.env) as server:
            server.stderr.wait_for(STORED)  # mapped: the damaged piece was not read yet
            status, _, body = server.post_json("/search", {"query": "where are logs written"})
            self.assertEqual(status, 200, body)
            status, headers, body = server.post_json("/search", {"query": "quokka"})
            self.assertEqual((status, body["detail"]), (503, "Index not loaded"))
            self.assertEqual(headers["retry-after"], "5")
            # The next poll reloads it with the file verified whole: refused, built, right.
            server.stderr.wait_for(BUILT)
            self.assertIn("checksum mismatch", server.stderr.wait_for(WARNING).group(1))
            status, _, body = server.post_json("/search", {"query": "quokka"})
            self.assertEqual(status, 200, body)
            self.assertEqual(body["results"][0]["citation_url"], "/page0750")
            self.assertIn("The quokka smiles", body["results"][0]["content"])

    def test_a_small_edit_stores_the_changes_and_the_server_swaps_them_in(self):
        # Forty pages more, so that one edited page is well under a tenth of the chunks.
        for i in range(40):
            with open(os.path.join(self.docs, f"page{i:02}.md"), "w", encoding="utf-8") as f:
                f.write(f"# Page {i}\n\nThis page describes part {i} of the handbook in a paragraph "
                        "long enough to be kept as a chunk of its own by the splitter.\n")
        edited = os.path.join(self.docs, "page07.md")
        with open(edited, "a", encoding="utf-8") as f:
            f.write("\nThe quokka setting names the animal printed on the first page of every "
                    "report, a choice that readers rarely notice.\n")
        self.assertIn("Stored the lexical index in", self.index())
        with harness.Server(env=self.env) as server:
            server.stderr.wait_for(STORED)
            status, _, body = server.post_json("/search", {"query": "quokka animal report"})
            self.assertEqual(status, 200, body)
            self.assertEqual(body["results"][0]["citation_url"], "/page07")

            with open(edited, "w", encoding="utf-8") as f:
                f.write("# Page 7\n\nThe zeppelin setting names the airship that carries the logs "
                        "to the archive at the end of every day.\n")
            log = self.index()
            self.assertRegex(log, r"Stored the lexical index changes in .*lexical-changes\.idx "
                                  r"\(\d+ chunks: 1 added and 1 removed since the base")
            self.assertNotIn("Stored the lexical index in", log)
            server.stderr.wait_for(STORED, count=2)
            self.assertEqual(server.stderr.count(WARNING), 0)
            status, _, body = server.post_json("/search", {"query": "zeppelin airship"})
            self.assertEqual(status, 200, body)
            self.assertEqual(body["results"][0]["citation_url"], "/page07")
            status, _, body = server.post_json("/search", {"query": "quokka animal report"})
            self.assertEqual(status, 200, body)
            self.assertNotIn("/page07", [r["citation_url"] for r in body["results"]])

        # A restart maps the base and the changes, and answers the same.
        with harness.Server(env=self.env) as server:
            server.stderr.wait_for(STORED)
            status, _, body = server.post_json("/search", {"query": "zeppelin airship"})
            self.assertEqual(body["results"][0]["citation_url"], "/page07")

    def test_one_run_at_a_time_per_folder(self):
        self.index()
        with open(os.path.join(self.db, "index.lock"), "r+b") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # as a run in progress holds it
            done = harness.run_cli(["index", self.docs], env=self.env, cwd=self.tmp.name)
            self.assertEqual(done.returncode, 3, done.stderr)
            self.assertIn("another rag-server index or import-faiss is writing", done.stderr)
        self.index()


if __name__ == "__main__":
    unittest.main()
