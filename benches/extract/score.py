#!/usr/bin/env python3
"""Score extraction outputs against gold.json with the snippet method.

Per page and tool: each "with" snippet found in the extracted text is a true positive, missed
a false negative; each "without" snippet found is a false positive, absent a true negative
(whitespace collapsed on both sides, case kept). Counts are summed over pages (micro
average) per tool and per page group; time is the mean and median seconds per page.

Usage: python score.py gold.json OUTPUT.jsonl... [--pages]   (--pages: per-page F1 table)
"""
import json
import statistics
import sys
from collections import defaultdict


def norm(s):
    return " ".join(s.split())


def group(page):
    return "written for evcat" if page.startswith("syn-") else "real-world"


def prf(c):
    tp, fn, fp, tn = c["tp"], c["fn"], c["fp"], c["tn"]
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    acc = (tp + tn) / (tp + fn + fp + tn) if tp + fn + fp + tn else 0.0
    return p, r, f, acc


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    per_page = "--pages" in sys.argv
    gold = json.load(open(args[0]))
    counts = defaultdict(lambda: {"tp": 0, "fn": 0, "fp": 0, "tn": 0})
    times = defaultdict(list)
    page_f1 = defaultdict(dict)
    for path in args[1:]:
        for line in open(path, encoding="utf-8"):
            row = json.loads(line)
            g = gold.get(row["page"])
            if g is None:
                continue
            text = norm(row["text"] or "")
            c1 = {"tp": 0, "fn": 0, "fp": 0, "tn": 0}
            for s in g["with"]:
                c1["tp" if norm(s) in text else "fn"] += 1
            for s in g["without"]:
                c1["fp" if norm(s) in text else "tn"] += 1
            for key in ("all", group(row["page"])):
                for k, v in c1.items():
                    counts[(row["tool"], key)][k] += v
                times[(row["tool"], key)].append(row["seconds"])
            page_f1[row["page"]][row["tool"]] = prf(c1)[2]
    tools = sorted({t for t, _ in counts})
    groups = ["all"] + sorted({g for _, g in counts if g != "all"})
    print("| pages | tool | pages | precision | recall | F1 | accuracy | ms/page (mean) | ms/page (median) |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for g in groups:
        rows = [(t, prf(counts[(t, g)])) for t in tools if (t, g) in counts]
        rows.sort(key=lambda r: -r[1][2])
        for t, (p, r, f, acc) in rows:
            ts = times[(t, g)]
            print(
                f"| {g} | {t} | {len(ts)} | {p:.3f} | {r:.3f} | **{f:.3f}** | {acc:.3f} | "
                f"{1000 * statistics.mean(ts):.1f} | {1000 * statistics.median(ts):.1f} |"
            )
    if per_page:
        print()
        print("| page | " + " | ".join(tools) + " |")
        print("|---|" + "---:|" * len(tools))
        for page in sorted(page_f1):
            print(f"| {page} | " + " | ".join(f"{page_f1[page].get(t, float('nan')):.2f}" for t in tools) + " |")


if __name__ == "__main__":
    main()
