#!/usr/bin/python3
"""What each head of a model attends to, from a trace written by `attnscope trace --model DIR`
(schema attnscope.trace/2; with --layer K it holds layer K only).

Usage: head_scores.py TRACE.json

For every layer and head, the mean attention weight
  previous   on the previous token (rows 1..n-1),
  self       on the token itself,
  copy       on earlier copies of the query's own token (rows whose token occurred before),
  induction  on the token just after an earlier copy (the same rows),
  first      on the first token (where heads with nothing to do often rest).
A uniform causal head would put 1/(i+1) on each key of row i.
"""
import json
import sys

import numpy as np


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    trace = json.load(open(sys.argv[1]))
    if trace.get("schema") != "attnscope.trace/2":
        print(f"{sys.argv[1]}: schema {trace.get('schema')!r}, expected 'attnscope.trace/2'", file=sys.stderr)
        return 2
    if "token_ids" not in trace:
        print(f"{sys.argv[1]}: not a model trace (written without --model DIR)", file=sys.stderr)
        return 2
    ids = trace["token_ids"]
    n = len(ids)
    print("tokens:", " ".join(repr(t) for t in trace["tokens"]))
    repeated = [i for i in range(n) if ids[i] in ids[:i]]
    print(f"{len(repeated)} of {n} tokens repeat an earlier token")
    print(f"{'layer':>5} {'head':>4} {'previous':>9} {'self':>6} {'copy':>6} {'induction':>9} {'first':>6}")
    for layer in trace["layers"]:
        l = layer["index"]  # `trace --layer K` writes layer K alone
        for h, head in enumerate(layer["heads"]):
            a = np.array(head["attention"], dtype=float)
            prev = np.mean([a[i, i - 1] for i in range(1, n)])
            self_ = np.mean([a[i, i] for i in range(n)])
            first = np.mean([a[i, 0] for i in range(1, n)])
            copy = np.mean([sum(a[i, j] for j in range(i) if ids[j] == ids[i]) for i in repeated]) if repeated else 0
            induction = (np.mean([sum(a[i, j + 1] for j in range(i - 1) if ids[j] == ids[i]) for i in repeated])
                         if repeated else 0)
            print(f"{l:>5} {h:>4} {prev:>9.3f} {self_:>6.3f} {copy:>6.3f} {induction:>9.3f} {first:>6.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
