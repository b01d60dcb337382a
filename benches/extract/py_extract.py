#!/usr/bin/env python3
"""trafilatura and readability-lxml over benchmark pages: one JSON line per page and tool,
{"page", "tool", "text", "seconds"} (seconds: parse + extract, in process, warm).

Usage: python py_extract.py PAGE.html...
"""
import json
import os
import sys
import time

import trafilatura
from lxml import html as lhtml
from readability import Document


def run_trafilatura(raw):
    return trafilatura.extract(raw) or ""


def run_readability_lxml(raw):
    summary = Document(raw).summary(html_partial=True)
    # Block elements end a line, as in the other tools' text output.
    root = lhtml.fromstring(summary)
    for el in root.iter("p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "br", "tr"):
        el.tail = "\n" + (el.tail or "")
    return root.text_content()


TOOLS = [("trafilatura", run_trafilatura), ("readability-lxml", run_readability_lxml)]

for path in sys.argv[1:]:
    raw = open(path, "rb").read()
    page = os.path.basename(path).rsplit(".", 1)[0]
    for name, f in TOOLS:
        t = time.perf_counter()
        try:
            text = f(raw)
        except Exception as e:  # a failure scores as an empty extraction
            print(f"{name} failed on {page}: {e}", file=sys.stderr)
            text = ""
        secs = time.perf_counter() - t
        print(json.dumps({"page": page, "tool": name, "text": text, "seconds": secs}, ensure_ascii=False))
