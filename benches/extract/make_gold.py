#!/usr/bin/env python3
"""Build the snippet gold set (gold.json) from the pages and their expected main text.

The method is the one of the public extraction benchmarks (trafilatura's evaluation,
scrapinghub/article-extraction-benchmark): per page, snippets that must be present in the
extracted main text ("with") and snippets of page furniture that must be absent ("without").

- "with": up to 8 paragraphs of the expected text (expected/NAME.txt), spread evenly over it;
  each snippet is the paragraph's first ~70 characters, cut at a word boundary for languages
  that space words.
- "without": visible text blocks of the page (lxml, script/style/template removed) that do
  not occur in the expected text: no 12-character window of the block may occur in it, so a
  block that overlaps the main text is never chosen. Left out as ambiguous: the title and the
  h1, captions and figures, bylines, dates, <time> (extractors differ on keeping them, and the
  expected texts leave them out). Up to 8 blocks, 15-90 characters, spread over the page.

Hand-written pages (pages/*.html with a gold entry marked "hand": true) keep their snippets;
this script only rewrites the generated entries.

Needs lxml (the benchmark's venv has it): target/extract-venv/bin/python make_gold.py
"""

import gzip
import json
import os
import re
import sys

from lxml import html as lhtml

HERE = os.path.dirname(os.path.abspath(__file__))
SKIP_TAGS = {"script", "style", "noscript", "template", "svg", "head", "title", "figcaption", "figure", "time", "h1"}
AMBIGUOUS = re.compile(r"caption|byline|author|date|time|credit", re.I)
UNSPACED = {"zh", "ja", "th", "my"}


def norm(s):
    return " ".join(s.split())


def load_page(name):
    for ext in (".html.gz", ".html"):
        p = os.path.join(HERE, "pages", name + ext)
        if os.path.exists(p):
            raw = gzip.open(p).read() if ext.endswith(".gz") else open(p, "rb").read()
            return raw
    raise SystemExit(f"no page {name}")


def with_snippets(expected, lang):
    paras = [norm(p) for p in re.split(r"\n\s*\n|\n", expected) if len(norm(p)) >= 20]
    if not paras:
        return []
    n = min(8, len(paras))
    picks = [paras[round(i * (len(paras) - 1) / max(n - 1, 1))] for i in range(n)]
    out = []
    for p in picks:
        if lang in UNSPACED:
            s = p[:30]
        else:
            s = p[:70]
            if len(p) > 70 and " " in s:
                s = s[: s.rfind(" ")]
        s = s.strip()
        if s and s not in out:
            out.append(s)
    return out


def blocks(root):
    """Visible text of leaf-ish blocks in document order."""
    out = []
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        if el.tag in SKIP_TAGS or any(a.tag in SKIP_TAGS for a in el.iterancestors()):
            continue
        attrs = " ".join(el.get(k, "") for k in ("class", "id", "itemprop"))
        if AMBIGUOUS.search(attrs) or any(
            AMBIGUOUS.search(" ".join(a.get(k, "") for k in ("class", "id", "itemprop"))) for a in el.iterancestors()
        ):
            continue
        if el.tag in ("a", "li", "p", "h2", "h3", "h4", "span", "button", "label", "dt", "dd", "td"):
            t = norm(el.text_content())
            if 15 <= len(t) <= 90:
                out.append(t)
    return out


def without_snippets(raw, expected_norm, title):
    try:
        root = lhtml.fromstring(raw)
    except Exception:
        return []
    ambiguous = {norm(title or "")}
    cands = []
    for t in blocks(root):
        if t in ambiguous or t in cands:
            continue
        if any(t[i : i + 12] in expected_norm for i in range(0, max(len(t) - 11, 1))):
            continue
        if title and (t in title or title in t):
            continue
        cands.append(t)
    n = min(8, len(cands))
    return [cands[round(i * (len(cands) - 1) / max(n - 1, 1))] for i in range(n)] if n else []


def main():
    gold_path = os.path.join(HERE, "gold.json")
    gold = json.load(open(gold_path)) if os.path.exists(gold_path) else {}
    for f in sorted(os.listdir(os.path.join(HERE, "expected"))):
        if not f.endswith(".txt"):
            continue
        name = f[:-4]
        expected = open(os.path.join(HERE, "expected", f), encoding="utf-8").read()
        meta_path = os.path.join(HERE, "expected", name + ".meta.json")
        meta = json.load(open(meta_path)) if os.path.exists(meta_path) else {}
        lang = meta.get("meta_lang") or meta.get("language") or ""
        raw = load_page(name)
        entry = {
            "source": "newspaper4k tests/data (MIT)" if name.startswith("np-") else "",
            "lang": lang,
            "with": with_snippets(expected, lang),
            "without": without_snippets(raw, norm(expected), meta.get("title")),
        }
        gold[name] = entry
    json.dump(gold, open(gold_path, "w"), ensure_ascii=False, indent=1, sort_keys=True)
    print(f"{len(gold)} pages in {gold_path}", file=sys.stderr)


if __name__ == "__main__":
    main()
