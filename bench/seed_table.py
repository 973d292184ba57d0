#!/usr/bin/env python3
"""Test scores over many seeds, as docs/reproduction.md reports them.

Usage: bench/seed_table.py NAME=PATH [NAME=PATH ...]

PATH is a run's results.json (gat_train, every seed of it) or a directory, whose */results.json
files below it (a gat_sweep combination's seed_* runs) are read, one run each. Prints, per NAME, the
runs, mean and standard deviation (population, as results.json's test_std, and sample), the 95 %
confidence interval of the mean (Student's t), the mean epochs and the summed training time; with
two or more NAMEs, also each one's paired difference from the first over the seeds both have.
"""
import glob
import json
import math
import os
import sys

from scipy import stats


def runs_of(path):
    files = [path] if path.endswith(".json") else sorted(glob.glob(os.path.join(path, "**", "results.json"), recursive=True))
    if not files:
        sys.exit(f"seed_table.py: {path}: no results.json there")
    runs = {}
    for f in files:
        for run in json.load(open(f))["runs"]:
            if run["seed"] in runs:  # a sweep's root holds several combinations: name one of them
                sys.exit(f"seed_table.py: {path}: seed {run['seed']} appears twice (give one combination's directory)")
            runs[run["seed"]] = run
    return runs


def interval(values):
    n = len(values)
    mean = sum(values) / n
    sample_sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1)) if n > 1 else float("nan")
    half = stats.t.ppf(0.975, n - 1) * sample_sd / math.sqrt(n) if n > 1 else float("nan")
    return mean, sample_sd, half


def main():
    arms = []
    for arg in sys.argv[1:]:
        name, _, path = arg.partition("=")
        if not path:
            sys.exit(f"seed_table.py: {arg}: expected NAME=PATH")
        arms.append((name, runs_of(path)))
    if not arms:
        sys.exit(__doc__)
    print("| arm | runs | test mean ± std (pop.) | sample std | 95 % CI of the mean | epochs | seconds |")
    print("| --- | ---: | --- | ---: | --- | ---: | ---: |")
    for name, runs in arms:
        test = [r["test"] for r in runs.values()]
        mean, sd, half = interval(test)
        pop = math.sqrt(sum((v - mean) ** 2 for v in test) / len(test))
        epochs = sum(r["epochs"] for r in runs.values()) / len(runs)
        seconds = sum(r["seconds"] for r in runs.values())
        print(f"| {name} | {len(test)} | {100 * mean:.2f} ± {100 * pop:.2f} | {100 * sd:.2f} | "
              f"[{100 * (mean - half):.2f}, {100 * (mean + half):.2f}] | {epochs:.0f} | {seconds:.0f} |")
    if len(arms) > 1:
        print()
        print("| arm | paired seeds | difference from " + arms[0][0] + " | 95 % CI |")
        print("| --- | ---: | --- | --- |")
        base = arms[0][1]
        for name, runs in arms[1:]:
            seeds = sorted(set(base) & set(runs))
            if len(seeds) < 2:
                continue
            mean, _, half = interval([runs[s]["test"] - base[s]["test"] for s in seeds])
            print(f"| {name} | {len(seeds)} | {100 * mean:+.2f} | [{100 * (mean - half):+.2f}, {100 * (mean + half):+.2f}] |")


if __name__ == "__main__":
    main()
