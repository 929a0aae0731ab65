"""The OpenAI-compatible face (POST /v1/chat/completions, GET /v1/models) against the real
binary and the fake upstream: raw HTTP in the exact wire format, then the official `openai`
npm package (installed into a temporary folder; skipped, saying why, when npm or its registry
is unreachable). Needs the routes wired in cli/serve and `rag-server index`.
"""
import json
import os
import shutil
import subprocess
import tempfile
import unittest

from test_chat_support import ServerWithFakeUpstream, read_sse

QUESTION = "How do I change the port the server listens on?"

NODE_SCRIPT = r"""
const OpenAI = require('openai');
const client = new OpenAI({ baseURL: process.argv[2], apiKey: 'unused-by-rag-server' });
(async () => {
  const models = await client.models.list();
  const ids = models.data.map((m) => m.id);
  const question = process.argv[3];
  const done = await client.chat.completions.create({
    model: ids[0],
    messages: [{ role: 'system', content: 'ignored' }, { role: 'user', content: question }],
  });
  const stream = await client.chat.completions.create({
    model: ids[0], stream: true, messages: [{ role: 'user', content: question }],
  });
  let streamed = '';
  for await (const chunk of stream) streamed += chunk.choices[0]?.delta?.content || '';
  console.log(JSON.stringify({ ids, answer: done.choices[0].message.content,
                               sources: done.sources, streamed }));
})().catch((e) => { console.error(String(e)); process.exit(1); });
"""


class OpenAiFaceTest(ServerWithFakeUpstream):
    def completion(self, payload):
        return self.server.post_json("/v1/chat/completions", payload)

    def test_models_lists_one_model(self):
        status, _, body = self.server.get_json("/v1/models")
        self.assertEqual(status, 200)
        self.assertEqual(body["object"], "list")
        self.assertEqual(len(body["data"]), 1)
        self.assertEqual(body["data"][0]["object"], "model")
        self.assertEqual(body["data"][0]["id"], "rag-server")

    def test_completion_in_the_openai_format_with_sources(self):
        status, _, body = self.completion({
            "model": "rag-server",
            "messages": [{"role": "system", "content": "Talk like a pirate."},
                         {"role": "user", "content": "Tell me about logs"},
                         {"role": "assistant", "content": "They rotate."},
                         {"role": "user", "content": QUESTION}]})
        self.assertEqual(status, 200, body)
        self.assertTrue(body["id"].startswith("chatcmpl-"))
        self.assertEqual(body["object"], "chat.completion")
        self.assertIsInstance(body["created"], int)
        choice = body["choices"][0]
        self.assertEqual(choice["index"], 0)
        self.assertEqual(choice["message"]["role"], "assistant")
        self.assertTrue(choice["message"]["content"].startswith("FAKE-ANSWER:"))
        self.assertEqual(choice["finish_reason"], "stop")
        self.assertEqual(set(body["usage"]), {"prompt_tokens", "completion_tokens", "total_tokens"})
        self.assertEqual(body["sources"][0]["url"], "/config")
        sent = json.loads(self.fake.chat_requests()[-1]["body"])["messages"]
        self.assertNotIn("pirate", json.dumps(sent))  # client system prompts are ignored
        self.assertEqual(sent[1:], [{"role": "user", "content": "Tell me about logs"},
                                    {"role": "assistant", "content": "They rotate."},
                                    {"role": "user", "content": QUESTION}])

    def test_stream_is_chunks_then_done(self):
        conn = self.server.connection()
        conn.request("POST", "/v1/chat/completions", headers={"Content-Type": "application/json"},
                     body=json.dumps({"model": "rag-server", "stream": True,
                                      "messages": [{"role": "user", "content": QUESTION}]}))
        res = conn.getresponse()
        self.assertEqual(res.status, 200)
        self.assertTrue(res.getheader("Content-Type").startswith("text/event-stream"))
        events = [(e, d) for e, d in read_sse(res) if e != ":"]
        conn.close()
        self.assertEqual(events[-1], ("", "[DONE]"))
        chunks = [json.loads(d) for _, d in events[:-1]]
        for c in chunks:
            self.assertEqual(c["object"], "chat.completion.chunk")
            self.assertEqual(c["id"], chunks[0]["id"])
        self.assertEqual(chunks[0]["choices"][0]["delta"]["role"], "assistant")
        self.assertEqual(chunks[-1]["choices"][0]["finish_reason"], "stop")
        self.assertIn("sources", chunks[-1])
        text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks)
        _, _, whole = self.completion({"messages": [{"role": "user", "content": QUESTION}]})
        self.assertEqual(text, whole["choices"][0]["message"]["content"])

    def test_bad_requests_use_openai_errors(self):
        for payload in [{}, {"messages": []}, {"messages": [{"role": "assistant", "content": "x"}]}]:
            status, _, body = self.completion(payload)
            self.assertEqual(status, 400, payload)
            self.assertEqual(body["error"]["type"], "invalid_request_error")

    def test_official_openai_node_client(self):
        npm, node = shutil.which("npm"), shutil.which("node")
        if not npm or not node:
            self.skipTest("npm/node not installed: the official client test needs them")
        with tempfile.TemporaryDirectory(prefix="rag-openai-npm-") as tmp:
            try:
                subprocess.run([npm, "install", "--no-audit", "--no-fund", "--silent", "openai@4"],
                               cwd=tmp, check=True, capture_output=True, timeout=180)
            except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as e:
                self.skipTest(f"npm registry unreachable, cannot install openai: {e}")
            script = os.path.join(tmp, "client.js")
            with open(script, "w") as f:
                f.write(NODE_SCRIPT)
            base = f"http://127.0.0.1:{self.server.port}/v1"
            run = subprocess.run([node, script, base, QUESTION], cwd=tmp, capture_output=True,
                                 text=True, timeout=60)
            self.assertEqual(run.returncode, 0, run.stderr)
            out = json.loads(run.stdout)
            self.assertEqual(out["ids"], ["rag-server"])
            self.assertTrue(out["answer"].startswith("FAKE-ANSWER:"))
            self.assertEqual(out["streamed"], out["answer"])
            self.assertEqual(out["sources"][0]["url"], "/config")


if __name__ == "__main__":
    unittest.main()
