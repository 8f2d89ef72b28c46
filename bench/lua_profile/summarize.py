#!/usr/bin/python3
"""Flat and inclusive shares of a mod_bench_lua_profile output (bench/lua_profile):

    bench/lua_profile/summarize.py PROFILE [PROFILE...] [--top 25]

flat: the innermost frame's file:line (where the instructions ran); by file: the same summed per
file; inclusive: each function (file:line_defined(name)) counted once per stack it is on (8
frames deep at most, so outer frames are undercounted)."""
import argparse
import collections


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("profiles", nargs="+")
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    for path in args.profiles:
        flat, by_file, inclusive, total = collections.Counter(), collections.Counter(), collections.Counter(), 0
        with open(path) as profile:
            for line in profile:
                count, stack = line.rstrip("\n").split(" ", 1)
                count = int(count)
                total += count
                frames = stack.split(";")
                file, _defined, current = frames[0].split("(")[0].split(":")
                flat["%s:%s" % (file, current)] += count
                by_file[file] += count
                seen = set()
                for frame in frames:
                    name = frame[frame.index("("):]
                    file, defined, _current = frame.split("(")[0].split(":")
                    function = "%s:%s%s" % (file, defined, name)
                    if function not in seen:
                        seen.add(function)
                        inclusive[function] += count
        print("== %s: %d samples" % (path, total))
        for title, counter in (("flat", flat), ("by file", by_file), ("inclusive", inclusive)):
            print("-- " + title)
            for key, count in counter.most_common(args.top):
                print("%5.1f%% %s" % (100.0 * count / max(total, 1), key))


if __name__ == "__main__":
    main()
