#!/usr/bin/python3
"""Churn soak (issue 17): the load of tests/integration/test_churn.py for a long time (default
60 minutes) against one janus, sampling janus's resident memory (VmRSS), open file descriptors
and threads every --sample-seconds. After --warmup-minutes, a least-squares line through the RSS
samples gives the memory slope in KiB per minute: the run passes when the slope is under
--slope-limit (50 KiB/min, the issue's bar) and, once the clients are gone, janus holds no rooms,
hub rooms, sessions or SIP calls and its fds and threads are back near the baseline taken after
the first minute.

The load (tests/integration/harness/churn.py), round after round of --round-seconds: aiortc
participants in mixer and video rooms, plain WebSocket clients (joins, chat, refused joins,
malformed and oversized bodies), sipp phones calling the rooms (hang-ups, abandoned and never
acknowledged calls), every client leaving by leave, detach, destroy or a closed WebSocket.

Writes bench/results/churn-<UTC time>.json (every sample) and bench/results/churn-latest.md.
Needs the private network namespace; not part of ./sylk test:

    tests/integration/netns.sh /usr/bin/python3 bench/churn_bench.py [--minutes 60]
"""
import argparse
import asyncio
import datetime
import json
import os
import shutil
import tempfile
import time

from bench_common import RESULTS, TOP, LogWatch, machine, require_netns
from harness.churn import ChurnLoad, leftovers, process_counts  # noqa: E402
from harness.janus_api import Admin  # noqa: E402
from harness.janus_process import JanusProcess  # noqa: E402

FD_TOLERANCE = 2      # as in test_churn.py: idle request-pool threads, sockets still closing
THREAD_TOLERANCE = 2


def slope_kib_per_min(samples, since_s):
    """Least-squares slope of rss_kib against time (minutes) over the samples from since_s on."""
    points = [(s["t"] / 60.0, s["rss_kib"]) for s in samples if s["t"] >= since_s]
    if len(points) < 3:
        return None, len(points)
    n = len(points)
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    sxx = sum((x - mean_x) ** 2 for x, _ in points)
    sxy = sum((x - mean_x) * (y - mean_y) for x, y in points)
    return (sxy / sxx if sxx else None), n


async def sampler(pid, started, samples, period, load_counts):
    while True:
        sample = process_counts(pid)
        sample["t"] = round(time.monotonic() - started, 1)
        sample["clients_done"] = sum(v for k, v in load_counts().items() if k.startswith("end_"))
        samples.append(sample)
        await asyncio.sleep(period)


async def settle(admin, pid, expected, baseline, seconds):
    deadline = time.monotonic() + seconds
    while True:
        held = await leftovers(admin)
        counts = process_counts(pid)
        clean = (held == expected and counts["fds"] <= baseline["fds"] + FD_TOLERANCE
                 and counts["threads"] <= baseline["threads"] + THREAD_TOLERANCE)
        if clean or time.monotonic() > deadline:
            return clean, held, counts
        await asyncio.sleep(1)


async def soak(args, janus):
    admin = await Admin.open(janus.admin_url, janus.admin_secret)
    pid = janus.process.pid
    totals, errors, samples = {}, [], []
    started = time.monotonic()
    end = started + args.minutes * 60
    baseline = None
    rounds = 0
    current = {}

    task = asyncio.get_running_loop().create_task(
        sampler(pid, started, samples, args.sample_seconds, lambda: {**totals, **current}))
    try:
        empty = await leftovers(admin)
        while time.monotonic() < end:
            seconds = min(args.round_seconds, max(5.0, end - time.monotonic()))
            load = ChurnLoad(janus, webrtc_mixer=args.webrtc_mixer, webrtc_video=args.webrtc_video, plain=args.plain,
                             sip=not args.no_sip)
            current = load.counts
            await load.run(seconds, unacked_calls=0 if args.no_sip else 1)
            for name, value in load.counts.items():
                totals[name] = totals.get(name, 0) + value
            current = {}
            errors.extend(load.errors)
            shutil.rmtree(load.trace_dir, ignore_errors=True)
            rounds += 1
            if baseline is None:
                # the first round started what janus starts once; its leftovers go, then the baseline
                await settle(admin, pid, empty, process_counts(pid), args.settle_seconds)
                baseline = process_counts(pid)
                baseline["t"] = round(time.monotonic() - started, 1)
            print("%5.0f s: round %d, %s, %s" % (time.monotonic() - started, rounds, samples[-1] if samples else "",
                                                  {k: v for k, v in totals.items() if not k.startswith("end_")}),
                  flush=True)
        if baseline is None:
            baseline = process_counts(pid)
        settle_started = time.monotonic()
        clean, held, after = await settle(admin, pid, empty, baseline, args.settle_seconds)
        after["settled_s"] = round(time.monotonic() - settle_started, 1)
    finally:
        task.cancel()
        await admin.close()
    return {"empty": empty, "baseline": baseline, "after": after, "held": held, "clean": clean,
            "samples": samples, "counts": totals, "errors": errors[:50], "error_count": len(errors),
            "rounds": rounds, "load_seconds": round(end - started, 1)}


def write_results(args, result, host, log_lines):
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    os.makedirs(RESULTS, exist_ok=True)
    document = {"bench": "churn", "started_utc": stamp, "machine": host, "options": vars(args), **result,
                "log_problem_lines": len(log_lines), "log_problem_sample": log_lines[:20]}
    path = os.path.join(RESULTS, "churn-%s.json" % stamp)
    with open(path, "w") as out:
        json.dump(document, out, indent=2)
    samples = result["samples"]
    first = next((s for s in samples if s["t"] >= args.warmup_minutes * 60), samples[-1] if samples else {})
    last = samples[-1] if samples else {}
    verdict = "PASS" if result["passed"] else "FAIL"
    slope = result["slope_kib_per_min"]
    lines = [
        "# Churn soak (issue 17)", "",
        "%s: %.1f minutes of churn (`--minutes %g`), memory slope %s KiB/min after %g minutes of warm-up "
        "(%d samples, every %g s; limit %g KiB/min); after the clients were gone: %s." % (
            verdict, result["load_seconds"] / 60, args.minutes, "%.1f" % slope if slope is not None else "n/a",
            args.warmup_minutes, result["slope_samples"], args.sample_seconds, args.slope_limit,
            "nothing left, fds and threads at baseline" if result["clean"] else "LEFTOVERS %s" % result["held"]),
        "",
        "Run %s UTC on %s (%d cores), janus %s, commit %s, event_loops = %d%s. Generated by `bench/churn_bench.py`; "
        "raw samples in `%s`." % (stamp, host["cpu_model"], host["nproc"], host["janus"], host["git_commit"],
                                 args.event_loops, ", MALLOC_ARENA_MAX=%d" % args.malloc_arena_max
                                 if args.malloc_arena_max else "", os.path.basename(path)),
        "",
        "| | fds | threads | RSS (KiB) |", "|---|---|---|---|",
        "| baseline (after the first round) | %s | %s | %s |" % (result["baseline"]["fds"], result["baseline"]["threads"],
                                                              result["baseline"]["rss_kib"]),
        "| at the end of warm-up | %s | %s | %s |" % (first.get("fds"), first.get("threads"), first.get("rss_kib")),
        "| peak during the churn | %d | %d | %d |" % (max(s["fds"] for s in samples), max(s["threads"] for s in samples),
                                                     max(s["rss_kib"] for s in samples)),
        "| last sample of the churn | %s | %s | %s |" % (last.get("fds"), last.get("threads"), last.get("rss_kib")),
        "| after the clients were gone (%.0f s later) | %s | %s | %s |" % (
            result["after"]["settled_s"], result["after"]["fds"], result["after"]["threads"], result["after"]["rss_kib"]),
        "",
        "Load (%d rounds of %g s): %s." % (result["rounds"], args.round_seconds,
                                          ", ".join("%s %d" % (k, v) for k, v in sorted(result["counts"].items()))),
        "Load errors (a client whose own step failed): %d. janus log lines with [ERR]/[WARN]/error: %d, of which "
        "`Invalid plugin session`: %d." % (result["error_count"], len(log_lines), result["invalid_plugin_session"]),
        "",
        "Left after the clients were gone: %s." % json.dumps(result["held"]),
        "",
    ]
    with open(os.path.join(RESULTS, "churn-latest.md"), "w") as out:
        out.write("\n".join(lines))
    return path


def main():
    require_netns("churn_bench.py")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60, help="how long the churn runs")
    parser.add_argument("--warmup-minutes", type=float, default=5, help="RSS samples before this are not fitted")
    parser.add_argument("--sample-seconds", type=float, default=10)
    parser.add_argument("--round-seconds", type=float, default=60, help="clients are made afresh every round")
    parser.add_argument("--settle-seconds", type=float, default=90, help="how long the end check waits")
    parser.add_argument("--slope-limit", type=float, default=50, help="KiB/min")
    # Parts of the load, to find which one a slope comes from.
    parser.add_argument("--webrtc-mixer", type=int, default=1, help="aiortc mixer participants at a time")
    parser.add_argument("--webrtc-video", type=int, default=1, help="aiortc video room participants at a time")
    parser.add_argument("--plain", type=int, default=3, help="plain WebSocket clients at a time")
    parser.add_argument("--no-sip", action="store_true", help="no sipp phones")
    parser.add_argument("--malloc-arena-max", type=int, default=0,
                        help="MALLOC_ARENA_MAX for janus (0: glibc's default, 8 per core)")
    # The installed server (conf/sylk-janus.jcfg.sample) serves handles from two shared event loops;
    # 0 is janus's own default, a thread per handle (what ./sylk run and the tests use).
    parser.add_argument("--event-loops", type=int, default=2,
                        help="janus.jcfg event_loops (default 2, as the installed sylk-janus.jcfg)")
    args = parser.parse_args()
    run_dir = tempfile.mkdtemp(prefix="sylk-churn-bench-")
    env = {"MALLOC_ARENA_MAX": str(args.malloc_arena_max)} if args.malloc_arena_max else None
    janus = JanusProcess(os.path.join(TOP, "build"), run_dir, env=env, event_loops=args.event_loops).start()
    try:
        result = asyncio.run(soak(args, janus))
        alive = janus.alive()
    finally:
        janus.stop()
    with open(janus.log_path, errors="replace") as log:
        text = log.read()
    result["invalid_plugin_session"] = text.count("Invalid plugin session")
    # Each with the log lines around it: which handles were going when an event found one gone.
    lines = text.splitlines()
    result["invalid_plugin_session_context"] = [lines[max(0, i - 6):i + 3] for i, line in enumerate(lines)
                                                if "Invalid plugin session" in line][:10]
    log_lines = LogWatch(janus.log_path).new_lines()
    slope, used = slope_kib_per_min(result["samples"], args.warmup_minutes * 60)
    result.update(slope_kib_per_min=slope, slope_samples=used, janus_survived=alive,
                  passed=bool(alive and result["clean"] and slope is not None and slope < args.slope_limit))
    path = write_results(args, result, machine(), log_lines)
    print("%s: slope %s KiB/min, clean %s; %s" % ("PASS" if result["passed"] else "FAIL", slope, result["clean"], path))
    shutil.rmtree(run_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
