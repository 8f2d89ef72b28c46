#!/usr/bin/env python3
"""Splits the integration test modules into N shards of about equal running time.

./sylk test runs each shard in a network namespace of its own, side by side: the suites spend
most of their time waiting on real peers (tones to accumulate, calls to ring, browsers to
settle), so two shards on two cores take much less wall time than one run after the other.

Usage: shard_tests.py N DURATIONS.json TEST-DIR
Prints N lines, each the space-separated module paths of one shard (longest first, so a slow
module starts early). DURATIONS.json maps module file names to seconds (from a junit report, see
--from-junit); a module it does not know counts as the median.

   shard_tests.py --from-junit REPORT.xml [REPORT.xml ...] > DURATIONS.json
"""
import json
import os
import statistics
import sys
import xml.etree.ElementTree as ET


def durations_from_junit(reports):
    seconds = {}
    for report in reports:
        for case in ET.parse(report).getroot().iter("testcase"):
            module = case.get("classname", "").split(".")[-1] + ".py"
            seconds[module] = seconds.get(module, 0.0) + float(case.get("time", 0))
    return {name: round(value, 1) for name, value in sorted(seconds.items())}


def shards(count, durations, modules):
    known = [durations[m] for m in modules if m in durations]
    default = statistics.median(known) if known else 10.0
    cost = {m: durations.get(m, default) for m in modules}
    bins = [[0.0, []] for _ in range(count)]
    # Longest processing time first: each module goes to the shard with the least work so far.
    for module in sorted(modules, key=lambda m: (-cost[m], m)):
        lightest = min(bins, key=lambda b: b[0])
        lightest[0] += cost[module]
        lightest[1].append(module)
    return [b[1] for b in bins]


def main(argv):
    if len(argv) >= 2 and argv[1] == "--from-junit":
        json.dump(durations_from_junit(argv[2:]), sys.stdout, indent=1)
        print()
        return 0
    if len(argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    count, durations_file, test_dir = int(argv[1]), argv[2], argv[3]
    try:
        with open(durations_file) as f:
            durations = json.load(f)
    except (OSError, ValueError):
        durations = {}
    modules = sorted(n for n in os.listdir(test_dir) if n.startswith("test_") and n.endswith(".py"))
    for shard in shards(max(1, count), durations, modules):
        print(" ".join(os.path.join(test_dir, m) for m in shard))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
