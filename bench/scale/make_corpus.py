#!/usr/bin/env python3
"""Generates a synthetic corpus of N passages as Markdown files, from the sentences of a BEIR
corpus.jsonl such as SciFact's ({"_id", "title", "text"} per line), for the scale benchmark
(bench/scale/README.md).

Why recombined real sentences: the lexical index's cost depends on term statistics (how many
distinct terms, how long the posting lists of common and rare terms are). Real scientific
sentences keep a natural vocabulary and sentence length; recombining them gives as many
passages as wanted while each passage still reads like a paragraph of an abstract.

Layout, chosen so that `rag-server index` with its default splitter (docs/index.md: 3
paragraphs per chunk, 1 shared between neighbours, paragraphs under 100 characters dropped,
over 2,000 cut) makes exactly one chunk per passage:

  OUT/d0000/f000000.md ... (1,000 files per folder)
  # <title>                      one per file, 20-50 passages per file
  ## <section heading>           3-6 sections per file
  <paragraph> x (2k + 1)         a section of k passages: the splitter's chunks are
                                 paragraphs [0..2], [2..4], ... [2k-2..2k]

Every paragraph is one line of 1-3 sentences (about 330 characters, never under 120), so a
passage (a chunk) is about 1 KB. Sentences that Markdown could read as markup (starting with
anything but a capital letter, or holding `*_<>[]#|` and the like) are left out of the pool,
so the text the indexer sees is the text written here. `passages()` reads the passages back
with the same rule (used by fts5_reference.py and by --check).

Deterministic: the same source file, N and --seed give the same bytes. Each file is a function
of (seed, file number) alone, so one file can be rewritten without the others.

--touch rewrites 1 % of the files (chosen by the seed), replacing one paragraph of each with
new sentences: the number of passages stays the same, their content changes, as after an
edit. --restore writes those files back as generated. A finished corpus carries
OUT/.corpus.json (hidden files are not indexed); running again with the same parameters only
restores the touched files, so a cached corpus is reused as is.

  make_corpus.py --source corpus.jsonl --n 100000 --out DIR [--seed 1]
  make_corpus.py --source corpus.jsonl --n 100000 --out DIR --touch     (then --restore)
  make_corpus.py --out DIR --check      (counts the passages and bytes)
"""
import argparse
import json
import os
import random
import re
import shutil
import sys
import time

FORMAT_VERSION = 1
FILES_PER_DIR = 1000
PASSAGES_PER_FILE = (20, 50)
SECTIONS_PER_FILE = (3, 6)
PARAGRAPH_CHARS = (220, 440)  # target length, drawn per paragraph
MIN_PARAGRAPH_CHARS = 120  # the indexer drops paragraphs under 100 characters
SENTENCE_CHARS = (40, 400)
TOUCH_SHARE = 0.01

# A sentence starting with a capital and free of Markdown's inline and block markers.
SAFE_SENTENCE = re.compile(r"[A-Z][^<>`*_|#\[\]\\{}~]*[.!?]")
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")
HEADING_UNSAFE = re.compile(r"[<>`*_|#\[\]\\{}~]")


def load_pool(source):
    """Sentences and short headings of the source corpus, in file order (deterministic)."""
    sentences, headings = [], []
    with open(source, encoding="utf-8") as f:
        for line in f:
            doc = json.loads(line)
            for s in SENTENCE_END.split(doc.get("text", "")):
                s = " ".join(s.split())
                if SENTENCE_CHARS[0] <= len(s) <= SENTENCE_CHARS[1] and SAFE_SENTENCE.fullmatch(s):
                    sentences.append(s)
            title = " ".join(HEADING_UNSAFE.sub(" ", doc.get("title", "")).split()).rstrip(".")
            if title and title[0].isalnum():
                headings.append(title)
    if len(sentences) < 1000 or len(headings) < 100:
        sys.exit(f"{source}: too few usable sentences ({len(sentences)}) or titles ({len(headings)})")
    return sentences, headings


def plan(n, seed):
    """Passages per file: a list of counts summing to n."""
    rng = random.Random(f"{seed}:plan")
    counts = []
    left = n
    while left > 0:
        c = min(left, rng.randint(*PASSAGES_PER_FILE))
        counts.append(c)
        left -= c
    return counts


def file_path(out, i):
    return os.path.join(out, f"d{i // FILES_PER_DIR:04d}", f"f{i:06d}.md")


def paragraph(rng, sentences):
    target = rng.randint(*PARAGRAPH_CHARS)
    parts, length = [], 0
    while length < target or length < MIN_PARAGRAPH_CHARS:
        s = rng.choice(sentences)
        parts.append(s)
        length += len(s) + 1
    return " ".join(parts)


def heading(rng, headings, max_words):
    words = rng.choice(headings).split()
    return " ".join(words[: rng.randint(3, max_words)])


def file_text(i, passages, seed, pool, revision=0):
    """The Markdown of file i holding `passages` passages; revision > 0 replaces one paragraph
    (the --touch edit) and leaves the structure as it is."""
    sentences, headings = pool
    rng = random.Random(f"{seed}:file:{i}")
    title = heading(rng, headings, 12)
    sections = min(passages, rng.randint(*SECTIONS_PER_FILE))
    # k passages per section, each at least 1, summing to `passages`.
    cuts = sorted(rng.sample(range(1, passages), sections - 1)) if sections > 1 else []
    sizes = [b - a for a, b in zip([0] + cuts, cuts + [passages])]
    blocks = []  # (kind, text)
    for k in sizes:
        blocks.append(("h2", heading(rng, headings, 8)))
        for _ in range(2 * k + 1):
            blocks.append(("p", paragraph(rng, sentences)))
    if revision:
        edit = random.Random(f"{seed}:touch:{i}:{revision}")
        where = edit.choice([j for j, (kind, _) in enumerate(blocks) if kind == "p"])
        blocks[where] = ("p", paragraph(edit, sentences))
    lines = [f"# {title}", ""]
    for kind, text in blocks:
        lines += [f"## {text}" if kind == "h2" else text, ""]
    return "\n".join(lines)


def touched_files(nfiles, seed):
    count = max(1, round(nfiles * TOUCH_SHARE))
    return sorted(random.Random(f"{seed}:touch").sample(range(nfiles), count))


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def passages(out):
    """(path, title, section, body) of every passage of a generated corpus, by the splitter's
    rule for this layout: a section of 2k + 1 paragraphs holds k passages of 3 paragraphs."""
    for d in sorted(os.listdir(out)):
        folder = os.path.join(out, d)
        if d.startswith(".") or not os.path.isdir(folder):
            continue
        for name in sorted(os.listdir(folder)):
            if not name.endswith(".md"):
                continue
            path = os.path.join(folder, name)
            title, section, paras = "", "", []

            def flush():
                if not paras:
                    return
                for start in range(0, max(len(paras) - 1, 1), 2):
                    yield path, title, section, "\n\n".join(paras[start:start + 3])

            with open(path, encoding="utf-8") as f:
                for line in f:
                    line = line.rstrip("\n")
                    if not line:
                        continue
                    if line.startswith("# "):
                        title = line[2:]
                    elif line.startswith("## "):
                        yield from flush()
                        section, paras = line[3:], []
                    else:
                        paras.append(line)
            yield from flush()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--source", help="a BEIR corpus.jsonl such as SciFact's")
    ap.add_argument("--n", type=int, help="number of passages")
    ap.add_argument("--out", required=True, help="folder to write (created)")
    ap.add_argument("--seed", type=int, default=1)
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--touch", action="store_true", help="rewrite 1%% of the files (an edit)")
    mode.add_argument("--restore", action="store_true", help="undo --touch")
    mode.add_argument("--check", action="store_true", help="count passages, files and bytes")
    args = ap.parse_args()
    marker = os.path.join(args.out, ".corpus.json")

    if args.check:
        n = size = 0
        files = set()
        for path, _, _, body in passages(args.out):
            n += 1
            files.add(path)
        size = sum(os.path.getsize(p) for p in files)
        print(json.dumps({"passages": n, "files": len(files), "bytes": size}))
        return

    if not args.source or not args.n or args.n < 1:
        ap.error("--source and --n (>= 1) are required")
    want = {"version": FORMAT_VERSION, "n": args.n, "seed": args.seed,
            "source_bytes": os.path.getsize(args.source)}
    counts = plan(args.n, args.seed)
    have = None
    if os.path.exists(marker):
        with open(marker) as f:
            have = json.load(f)
    if (args.touch or args.restore) and have != want:
        sys.exit(f"{args.out}: no finished corpus with these parameters; generate it first")

    pool = load_pool(args.source)
    t0 = time.time()
    if args.touch or args.restore or have == want:
        # A cached corpus: make sure the touched files are as generated (a run stopped between
        # --touch and --restore leaves them edited), or edit them.
        touched = touched_files(len(counts), args.seed)
        for i in touched:
            write(file_path(args.out, i), file_text(i, counts[i], args.seed, pool, int(args.touch)))
        what = "touched" if args.touch else "restored"
        print(f"{what} {len(touched)} of {len(counts)} files in {args.out}", file=sys.stderr)
        return

    # A stale or partial corpus (other parameters, or a run that stopped): start afresh, removing
    # only this script's own folders.
    if os.path.exists(marker):
        os.remove(marker)
    if os.path.isdir(args.out):
        for d in os.listdir(args.out):
            if re.fullmatch(r"d\d{4}", d):
                shutil.rmtree(os.path.join(args.out, d))
    for i, c in enumerate(counts):
        write(file_path(args.out, i), file_text(i, c, args.seed, pool))
    with open(marker, "w") as f:
        json.dump(want, f)
    print(f"wrote {args.n} passages in {len(counts)} files to {args.out} in "
          f"{time.time() - t0:.1f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
