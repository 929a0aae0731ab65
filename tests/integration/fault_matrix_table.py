#!/usr/bin/env python3
"""Renders the upstream fault matrix observed by tests/integration/test_fault_matrix*.py as the
Markdown table of docs/RELIABILITY.md.

    python3 tests/integration/fault_matrix_table.py [build/test-output/fault_matrix.json] > table.md

Every figure comes from the JSON the tests write (status, body, attempts counted by the fake
upstream, breaker state read from /metrics), so the table is reproducible: run the tests
(`ctest -R fault_matrix` or `python3 -m unittest test_fault_matrix ...` with RAG_BUILD_DIR set),
then this script.
"""
import json
import os
import sys

OPERATIONS = ["chat", "chat_stream", "openai /v1/chat/completions",
              "openai /v1/chat/completions stream", "search (query embedding)",
              "chat (query embedding)",
              "index (embeddings)", "chat, breaker", "search, breaker"]
FAULTS = ["429 + Retry-After: 1", "429 + Retry-After: 600", "429, no Retry-After",
          "429 + retry-after-ms: 300", "408", "500", "503", "400", "401",
          "413 once (batch halves)", "hang", "connection reset", "body cut short", "reset mid-body",
          "cut before the first token", "cut after 2 tokens", "cut mid-event after 2 tokens",
          "reset after 2 tokens", "malformed JSON", "wrong dimension"]


def _order(values, known):
    return sorted(values, key=lambda v: (known.index(v) if v in known else len(known), v))


def _cell(value):
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text.replace("|", "\\|").replace("\n", " ")


def _flag(o, field, shown):
    """`shown`, plus what docs/api.md expects when the observation differs from it."""
    expected = (o.get("expected") or {}).get(field)
    if expected is not None and expected != o.get(field):
        return f"{shown} **(expected {expected})**"
    return shown


def _status(o):
    status = str(o.get("status"))
    if o.get("retry_after"):
        status += f" (Retry-After: {o['retry_after']})"
    return _flag(o, "status", status)


def _body(o):
    body = o.get("body")
    if o.get("operation") == "chat_stream" and isinstance(body, dict):
        events = body.get("events", [])
        shown = []
        for e in events:  # "sources, token ×2, error"
            if shown and shown[-1][0] == e:
                shown[-1][1] += 1
            else:
                shown.append([e, 1])
        names = ", ".join(e if n == 1 else f"{e} ×{n}" for e, n in shown)
        return f"SSE: {names}; error data `{_cell(body.get('error'))}`"
    if isinstance(body, (dict, list)):
        return f"`{_cell(body)}`"
    return _cell(body if body is not None else "")


def _notes(o, usual_config):
    notes = list(o.get("notes") or [])
    counted = o.get("attempts_in_metrics")
    if counted is not None and counted != o.get("attempts"):
        notes.append(f"rag_upstream_attempts_total counted {counted:g}")
    gaps = o.get("gaps_s") or []
    if gaps and max(gaps) >= 0.2:
        notes.append("attempts " + ", ".join(f"{g:.2f} s" for g in gaps) + " apart")
    if o.get("config") and o["config"] != usual_config:
        notes.append(o["config"])
    return "; ".join(_cell(n) for n in notes)


def render(observations):
    configs = [o.get("config") for o in observations if o.get("config")]
    usual = max(set(configs), key=configs.count) if configs else None
    by_op = {}
    for o in observations:
        by_op.setdefault(o["operation"], {})[o["fault"]] = o
    lines = ["| operation | fault (every attempt) | client status | client body "
             "| upstream attempts | breaker after | healthy after | notes |",
             "|---|---|---|---|---|---|---|---|"]
    for op in _order(by_op, OPERATIONS):
        for fault in _order(by_op[op], FAULTS):
            o = by_op[op][fault]
            healthy = "yes" if o.get("next_request_ok") else "**NO**"
            attempts = _flag(o, "attempts", str(o.get("attempts")))
            lines.append(f"| {op} | {fault} | {_status(o)} | {_body(o)} | {attempts} "
                         f"| {o.get('breaker_after') or ''} | {healthy} | {_notes(o, usual)} |")
    text = "\n".join(lines) + "\n"
    if usual:
        text += f"\nUnless a row says otherwise: {usual}.\n"
    return text


def main(argv):
    default = os.path.join(os.environ.get("RAG_BUILD_DIR", "build"), "test-output",
                           "fault_matrix.json")
    path = argv[1] if len(argv) > 1 else default
    with open(path, encoding="utf-8") as f:
        sys.stdout.write(render(json.load(f)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
