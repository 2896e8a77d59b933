#!/usr/bin/env python3
"""Summarizes an async-profiler collapsed-stack file (scripts/gpu-check's host profile).

Usage: profile_top.py FILE [N]   prints markdown: the N hottest leaf frames (self time) and the N
hottest innermost Fathom frames (dev/fathom/...: where Fathom's own code spent it, native calls
included), each as a share of all samples.
"""
import collections
import sys


def main():
    path, n = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 25
    leaf, ours, total = collections.Counter(), collections.Counter(), 0
    with open(path) as f:
        for line in f:
            stack, _, count = line.rstrip().rpartition(" ")
            if not stack or not count.isdigit():
                continue
            frames, count = stack.split(";"), int(count)
            total += count
            leaf[frames[-1]] += count
            inner = next((fr for fr in reversed(frames) if fr.startswith("dev/fathom/")), "(no Fathom frame)")
            ours[inner] += count
    if total == 0:
        print("no samples in " + path)
        return
    for title, counter in (("hottest leaf frames", leaf), ("hottest innermost Fathom frames", ours)):
        print("\n%s (%d samples)\n" % (title, total))
        print("| share | frame |\n|---|---|")
        for frame, count in counter.most_common(n):
            print("| %.1f%% | `%s` |" % (100.0 * count / total, frame[:160]))


if __name__ == "__main__":
    main()
