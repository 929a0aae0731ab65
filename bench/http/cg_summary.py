#!/usr/bin/env python3
"""Summarises a callgrind profile per request: total instructions, heap allocations (calls to
malloc/calloc/realloc), and the functions with the highest self and inclusive cost.

    cg_summary.py PROFILE REQUESTS [TOP=25]

Reads callgrind's format with or without name compression ("fn=(12) name" / "fn=(12)").
"""
import collections
import sys

ALLOCATORS = {"malloc", "calloc", "realloc"}


def parse(path):
    names = {}
    self_cost = collections.Counter()
    incl_calls = collections.Counter()  # inclusive cost of calls made *to* a function
    call_counts = collections.Counter()
    total = 0
    fn = cfn = None
    pending_call = None

    def name_of(spec):
        spec = spec.strip()
        if spec.startswith("("):
            key, _, rest = spec.partition(")")
            rest = rest.strip()
            if rest:
                names[key] = rest
            return names.get(key, key)
        return spec

    with open(path) as f:
        for line in f:
            if line.startswith("fn="):
                fn = name_of(line[3:])
            elif line.startswith("cfn="):
                cfn = name_of(line[4:])
            elif line.startswith("calls="):
                pending_call = int(line[6:].split()[0])
            elif line.startswith(("summary:", "totals:")):
                total = max(total, int(line.split()[1]))
            elif line[:1].isdigit() or line[:1] in "+-*":
                parts = line.split()
                cost = int(parts[1]) if len(parts) > 1 else 0
                if pending_call is not None:
                    if cfn != fn:  # recursion would count twice
                        incl_calls[cfn] += cost
                    call_counts[cfn] += pending_call
                    pending_call = None
                else:
                    self_cost[fn] += cost
    return total, self_cost, incl_calls, call_counts


def main():
    path, n = sys.argv[1], int(sys.argv[2])
    top = int(sys.argv[3]) if len(sys.argv) > 3 else 25
    total, self_cost, incl, calls = parse(path)
    allocs = sum(calls[a] for a in ALLOCATORS)
    print(f"instructions/request {total / n:.0f}   allocations/request {allocs / n:.2f}")
    print(f"\nself instructions/request (top {top}):")
    for name, cost in self_cost.most_common(top):
        print(f"{cost / n:10.0f}  {calls[name] / n:7.2f} calls  {name[:150]}")
    print(f"\ninclusive instructions/request (top {top}):")
    for name, cost in incl.most_common(top):
        print(f"{cost / n:10.0f}  {calls[name] / n:7.2f} calls  {name[:150]}")


if __name__ == "__main__":
    main()
