#!/usr/bin/python3
"""MSRP conference switch fan-out benchmark (issue 11): N MSRP sessions in one room of
janus.plugin.sylk.msrp, everyone sending, against Kamailio's msrp module relaying the same load
client's messages 1:1 between paired sessions, in the same run, alternating.

janus: N sessions in one room, opened by N chat-only SIP calls into the room through the focus (sipp,
bench/sip/msrp_chat_call.xml, a=setup:active) or, with --open-by service, through the hub service
msrp.open_session that the focus calls (the hubprobe test plugin is the caller then, as in
tests/integration/test_msrp_switch.py); each is bound by an empty SEND on its own TCP connection.
Every message one session sends is delivered by the switch to the N-1 others.
Kamailio: N connections AUTH to the relay with digest (RFC 4976), and session 2k sends to session
2k+1 and back through the relay (To-Path: the partner's Use-Path, then its URI): each message is
delivered once.

The targets are in bench/msrp_switch_targets.py. Both get the same offered load in deliveries per second (--deliveries): janus's sessions together
send deliveries/(N-1) messages a second, Kamailio's deliveries messages a second. The load client
(bench/msrp_load, C++, built by `make check`) sends them round robin, evenly spaced, each with its
send time in the text, answers every SEND 200 and measures each delivery's latency at the receiver.
Measured in a window after a warm-up: the server's CPU time (utime+stime from /proc/<pid>/stat; all
of Kamailio's processes; also the ns per-process CPU clock), deliveries, and their latency. The
result: deliveries per second per core (deliveries / server CPU seconds), p99 latency, and the ratio
janus / Kamailio of deliveries per core (the median of the per-round ratios).

janus and Kamailio run on CPU 0, the load client on CPU 1. Writes
bench/results/msrp-switch-<UTC time>.json and bench/results/msrp-switch-latest.md. Needs the
private network namespace:

    tests/integration/netns.sh /usr/bin/python3 bench/msrp_switch_bench.py [--sizes 10,100,500 --rounds R]
    tests/integration/netns.sh /usr/bin/python3 bench/msrp_switch_bench.py --quick     # smoke test, seconds
"""
import argparse
import asyncio
import datetime
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time

from bench_common import (JANUS_CPU, LOAD_CPU, RESULTS, SATURATED_PCT, TOP, cpu_busy, cpu_clock, cpu_seconds,
                          machine, require_netns)
from msrp_switch_targets import JanusTarget, KamailioTarget

TARGETS = {"janus": "janus.plugin.sylk.msrp (conference switch, 1 -> N-1)",
           "kamailio": "Kamailio msrp module (relay, 1 -> 1)"}
OPENED = {"sip": "opened by chat-only SIP calls into the room through the focus (sipp, a=setup:active)",
          "service": "opened through the hub service msrp.open_session (hubprobe as the caller)"}
GOAL = {"n": 100, "deliveries_per_core_s": 50000, "p99_ms": 50}



def cpu_of(pids):
    ticks = clock = 0.0
    for pid in pids:
        try:
            ticks += cpu_seconds(pid)
            clock += cpu_clock(pid)
        except (OSError, ProcessLookupError):
            pass
    return ticks, clock


async def run_step(target, n, args, load_client, temp):
    opening = time.monotonic()
    lines = await target.open(n)
    setup_s = time.monotonic() - opening
    config = os.path.join(temp, "sessions-%s-%d.tsv" % (target.name, n))
    with open(config, "w") as out:
        for line in lines:
            out.write("\t".join(str(field) for field in line) + "\n")
    rate = target.messages_per_second(args.deliveries, n)
    pids = target.pids()
    fds = [line[0] for line in lines]
    samples = {}
    command = [load_client, "--config", config, "--rate", "%.3f" % rate, "--warmup", str(args.warmup),
               "--seconds", str(args.seconds), "--drain", str(args.drain), "--body-bytes", str(args.body_bytes)]
    target.log.new_lines()
    try:
        client = subprocess.Popen(command, pass_fds=fds, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

        def read_output():
            result = None
            for line in client.stdout:
                line = line.strip()
                if line in ("window-start", "window-end"):
                    samples[line] = (cpu_of(pids), time.monotonic(), cpu_busy(JANUS_CPU)[0])
                elif line.startswith("{"):
                    result = json.loads(line)
            return result

        result = await asyncio.to_thread(read_output)
        client.wait()
        if result is None:
            raise RuntimeError("the load client ended without a result (exit %s): %s"
                               % (client.returncode, client.stderr.read()[-2000:]))
        counters = await target.counters()
    finally:
        closed = await target.close()
    await asyncio.sleep(1)  # let the server tear the sessions down before the next step
    if not target.alive():
        raise RuntimeError("%s died during the step" % target.name)
    if result["delivered"] == 0:
        raise RuntimeError("nothing was delivered (%d connections closed); %s log: %s"
                           % (result["closed_connections"], target.name, target.log.new_lines()[:3]))
    (ticks0, clock0), t0, busy0 = samples["window-start"]
    (ticks1, clock1), t1, busy1 = samples["window-end"]
    cpu, clock, wall = ticks1 - ticks0, clock1 - clock0, t1 - t0
    fanout = n - 1 if target.name == "janus" else 1
    delivered = result["delivered"]
    expected = result["sent"] * fanout
    delivered_of_window = result["delivered_of_window_sends"]
    step = {"target": target.name, "n": n, "offered_deliveries_per_s": args.deliveries,
            "messages_per_s": round(rate, 3), "wall_s": round(wall, 3), "server_cpu_s": round(cpu, 3),
            "server_cpu_clock_s": round(clock, 6), "server_cpu_pct": round(100 * clock / wall, 1),
            # how much of the server's CPU other processes took (from /proc/stat ticks: rough)
            "cpu0_other_pct": round(100 * ((busy1 - busy0) - cpu) / wall, 1),
            "deliveries_per_s": round(delivered / result["window_s"], 1),
            "deliveries_per_core_s": round(delivered / clock, 1) if clock > 0 else None,
            "deliveries_per_core_s_ticks": round(delivered / cpu, 1) if cpu > 0 else None,
            # deliveries of the window's messages (arriving by the end of the drain) / sent x fan-out
            "delivered_pct_of_expected": round(100.0 * delivered_of_window / expected, 2) if expected else None,
            "arrived_in_window_pct": round(100.0 * delivered / expected, 2) if expected else None,
            "p50_ms": result["latency_us"]["p50"] / 1000, "p99_ms": result["latency_us"]["p99"] / 1000,
            "max_ms": result["latency_us"]["max"] / 1000,
            "client_cpu_pct": round(100 * result["client_cpu_s"] / result["window_s"], 1),
            "load_client": result}
    problems = target.log.new_lines()
    step["server_log_problems"], step["server_log_sample"] = len(problems), problems[:5]
    step.update(counters)
    step.update(closed)
    step["setup_s"] = round(setup_s, 2)
    return step


async def run_all(targets, args, load_client, temp):
    steps = []
    flip = False
    for n in args.sizes:
        for round_number in range(args.rounds):
            order = ["janus", "kamailio"] if not flip else ["kamailio", "janus"]
            flip = not flip
            for name in order:
                if name not in targets:
                    continue
                try:
                    step = await run_step(targets[name], n, args, load_client, temp)
                except Exception as e:  # noqa: BLE001 -- recorded, the run goes on
                    step = {"target": name, "n": n, "error": repr(e)[:500]}
                step["round"] = round_number + 1
                steps.append(step)
                if "error" in step:
                    print("N=%-4d round %d %-8s ERROR %s" % (n, round_number + 1, name, step["error"]), flush=True)
                    if not targets[name].alive():
                        raise RuntimeError("%s is gone: %s" % (name, step["error"]))
                    continue
                print("N=%-4d round %d %-8s %8.0f deliveries/s, %8.0f per core-second (server %5.1f%% CPU, others on "
                      "its CPU %5.1f%%), delivered %6.2f%%, p50 %6.2f ms, p99 %7.2f ms, max %7.1f ms, load client "
                      "%5.1f%% CPU%s"
                      % (n, round_number + 1, name, step["deliveries_per_s"], step["deliveries_per_core_s"] or 0,
                         step["server_cpu_pct"], step["cpu0_other_pct"], step["delivered_pct_of_expected"] or 0,
                         step["p50_ms"],
                         step["p99_ms"], step["max_ms"], step["client_cpu_pct"],
                         (", switch dropped %d" % step["switch_dropped"] if step.get("switch_dropped") else "")
                         + (" (load client saturated: numbers suspect)" if step["client_cpu_pct"] > SATURATED_PCT
                            else "")),
                      flush=True)
    return steps


def spread(values):
    values = [v for v in values if v is not None]
    if not values:
        return None
    return {"median": round(statistics.median(values), 3), "min": round(min(values), 3), "max": round(max(values), 3),
            "n": len(values)}


def summarise(steps, args):
    summary = {}
    for n in args.sizes:
        entry = {}
        for name in TARGETS:
            mine = [s for s in steps if s["n"] == n and s["target"] == name and "error" not in s]
            if not mine:
                continue
            entry[name] = {field: spread([s.get(field) for s in mine])
                           for field in ("deliveries_per_s", "deliveries_per_core_s", "deliveries_per_core_s_ticks",
                                         "server_cpu_pct", "cpu0_other_pct", "delivered_pct_of_expected", "p50_ms", "p99_ms", "max_ms",
                                         "client_cpu_pct")}
        ratios = []
        for r in range(1, args.rounds + 1):
            pair = {s["target"]: s for s in steps if s["n"] == n and s["round"] == r and "error" not in s}
            if len(pair) == 2 and pair["janus"]["deliveries_per_core_s"] and pair["kamailio"]["deliveries_per_core_s"]:
                ratios.append(pair["janus"]["deliveries_per_core_s"] / pair["kamailio"]["deliveries_per_core_s"])
        entry["ratio_per_round_janus_over_kamailio"] = [round(r, 3) for r in ratios]
        entry["median_ratio_janus_over_kamailio"] = round(statistics.median(ratios), 3) if ratios else None
        summary[str(n)] = entry
    goal = summary.get(str(GOAL["n"]), {}).get("janus")
    if goal:
        summary["goal"] = dict(GOAL, measured_deliveries_per_core_s=goal["deliveries_per_core_s"]["median"],
                               measured_p99_ms=goal["p99_ms"]["median"],
                               met=goal["deliveries_per_core_s"]["median"] >= GOAL["deliveries_per_core_s"]
                               and goal["p99_ms"]["median"] < GOAL["p99_ms"])
    return summary


def fmt(s, digits=0):
    if not s:
        return "–"
    f = "%%.%df" % digits
    return (f + " (" + f + "–" + f + ")") % (s["median"], s["min"], s["max"])


MARKDOWN = """# MSRP switch fan-out benchmark: latest result

| | |
|---|---|
| Date (UTC) | {date} |
| Machine | {cpu_model}, {nproc} CPUs, Linux {kernel}; servers pinned to CPU {janus_cpu}, load client to CPU {loadgen_cpu} |
| Janus | {janus} |
| Offered load | {deliveries} deliveries/s to each target; message text {body_bytes} bytes in CPIM |
| janus's sessions | {opened} |
| Measured window | {seconds:g} s after {warmup:g} s warm-up; {rounds} round(s) per N, targets alternating{quick} |
| Commit | {git_commit} |

Deliveries per second per core = messages that reached a receiver in the window / the server's CPU
seconds in the window (ns process CPU clock; janus: one process, Kamailio: all its processes).
janus: N sessions in one room, each message goes to the N-1 others (the conference switch).
Kamailio: the same load client, sessions paired 1:1 through the msrp relay module (each message
goes to one receiver): Kamailio is the reference for the cost of forwarding one MSRP message, not
a conference. Latency: send time in the message text to arrival at the receiving load client, for
every message sent in the window (also when it arrived in the drain after it); delivered % counts
the same deliveries against messages sent x fan-out.
Median (min–max) over the rounds. Deliveries per core depend on the offered load (under a backlog
both servers read and write several frames per system call) and on how often each connection
carries a frame (at large N with the same deliveries/s each connection is quieter): compare the two
targets within a row; "others on CPU 0" is the share of the servers' core that other processes took
(the machine is shared: a high figure delays the servers and shows in the latency).

| N | target | deliveries/s | deliveries/s per core | server CPU % | others on CPU 0 % | delivered % | p50 ms | p99 ms | janus / Kamailio per core |
|---|---|---|---|---|---|---|---|---|---|
{rows}

{goal}

Raw numbers: [`{json_name}`]({json_name}), made by `bench/msrp_switch_bench.py` (see `bench/README.md`).
"""


def write_results(args, started, host, steps, summary, pinned):
    os.makedirs(RESULTS, exist_ok=True)
    json_name = "msrp-switch-%s.json" % started.strftime("%Y%m%dT%H%M%SZ")
    parameters = {k: getattr(args, k) for k in ("sizes", "deliveries", "seconds", "warmup", "drain", "rounds",
                                                 "body_bytes", "quick", "targets", "open_by")}
    parameters.update({"server_cpu": JANUS_CPU, "loadgen_cpu": LOAD_CPU, "pinned": pinned})
    document = {"benchmark": "msrp-switch", "date": started.isoformat(timespec="seconds"), "machine": host,
                "parameters": parameters, "targets": TARGETS,
                "metric": "deliveries (messages received by a session, counted by the load client) per second of "
                          "server CPU (ns process CPU clock; *_ticks: /proc/<pid>/stat utime+stime); latency from "
                          "the send time in the message to its arrival at the receiver",
                "steps": steps, "summary": summary}
    with open(os.path.join(RESULTS, json_name), "w") as out:
        json.dump(document, out, indent=2)
        out.write("\n")
    rows = []
    for n in args.sizes:
        entry = summary.get(str(n), {})
        for name in TARGETS:
            s = entry.get(name)
            if not s:
                continue
            ratio = entry.get("median_ratio_janus_over_kamailio")
            rows.append("| %d | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                n, name, fmt(s["deliveries_per_s"]), fmt(s["deliveries_per_core_s"]), fmt(s["server_cpu_pct"], 1),
                fmt(s["cpu0_other_pct"], 1),
                fmt(s["delivered_pct_of_expected"], 2), fmt(s["p50_ms"], 2), fmt(s["p99_ms"], 2),
                ("%.2f" % ratio if ratio else "–") if name == "janus" else ""))
    goal = summary.get("goal")
    goal_text = ("Goal (issue 11): ≥ %d deliveries/s per core at N = %d with p99 under %d ms: measured %.0f per core, "
                 "p99 %.2f ms: **%s**." % (GOAL["deliveries_per_core_s"], GOAL["n"], GOAL["p99_ms"],
                                           goal["measured_deliveries_per_core_s"], goal["measured_p99_ms"],
                                           "met" if goal["met"] else "not met")
                 if goal else "Goal (issue 11): ≥ 50,000 deliveries/s per core at N = 100 with p99 under 50 ms "
                              "(N = 100 not measured in this run).")
    text = MARKDOWN.format(date=document["date"], janus_cpu=JANUS_CPU if pinned else "(not pinned)",
                           loadgen_cpu=LOAD_CPU if pinned else "(not pinned)", deliveries=args.deliveries,
                           body_bytes=args.body_bytes, seconds=args.seconds, warmup=args.warmup, rounds=args.rounds,
                           quick=" (`--quick` smoke test)" if args.quick else "", rows="\n".join(rows), goal=goal_text,
                           opened=OPENED[args.open_by],
                           json_name=json_name, **host)
    with open(os.path.join(RESULTS, "msrp-switch-latest.md"), "w") as out:
        out.write(text)
    return os.path.join(RESULTS, json_name)


def find_load_client(build):
    path = os.path.join(build, "bench", "msrp_load")
    if not os.access(path, os.X_OK):
        subprocess.run(["make", "-C", build, "bench/msrp_load"], check=True, capture_output=True)
    return path


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", help="room sizes N, comma separated (default 10,50,100,200; --quick: 10)")
    parser.add_argument("--deliveries", type=float, default=10000, help="offered deliveries per second (default 10000)")
    parser.add_argument("--seconds", type=float, default=5, help="measured window per step (default 5)")
    parser.add_argument("--warmup", type=float, default=2, help="sending before the window (default 2)")
    parser.add_argument("--drain", type=float, default=2, help="reading after the window (default 2)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds per N (default 3)")
    parser.add_argument("--body-bytes", type=int, default=64, help="message text size (default 64)")
    parser.add_argument("--targets", default="janus,kamailio", help="janus, kamailio or both (default)")
    parser.add_argument("--load-client", help="the load client program (default: BUILD/bench/msrp_load, made if missing)")
    parser.add_argument("--open-by", choices=("sip", "service"), default="sip",
                        help="how janus's sessions are opened: chat calls through the SIP focus (sipp, default) "
                             "or the hub service msrp.open_session called by the hubprobe test plugin")
    parser.add_argument("--keep", action="store_true", help="keep the run folder (servers' logs, sipp traces)")
    parser.add_argument("--quick", action="store_true", help="smoke test: N=10, 2 s, 1 round")
    parser.add_argument("--build", default=os.environ.get("SYLK_BUILD_DIR", os.path.join(TOP, "build")),
                        help="built tree (default: ./build)")
    args = parser.parse_args()
    if args.quick:
        args.sizes, args.seconds, args.warmup, args.rounds = args.sizes or "10", 2, 1, 1
    args.sizes = [int(n) for n in str(args.sizes or "10,50,100,200").split(",")]
    args.targets = [t for t in args.targets.split(",") if t]
    require_netns("msrp_switch_bench.py")
    load_client = args.load_client or find_load_client(args.build)

    started = datetime.datetime.now(datetime.timezone.utc)
    host = machine()
    pinned = {JANUS_CPU, LOAD_CPU} <= os.sched_getaffinity(0)
    if not pinned:
        print("warning: CPUs %d and %d are not both available; not pinning" % (JANUS_CPU, LOAD_CPU))
    temp = tempfile.mkdtemp(prefix="sylk-msrp-bench-")
    targets = {}
    steps = None
    try:
        if pinned:
            os.sched_setaffinity(0, {JANUS_CPU})  # the servers inherit CPU 0 when they are started
        if "janus" in args.targets:
            # a SIP call must last the whole step: binding, warm-up, window, drain and some margin
            hold_s = args.warmup + args.seconds + args.drain + 15 + max(args.sizes) / 10
            targets["janus"] = JanusTarget(args.build, os.path.join(temp, "janus"), args.open_by, hold_s, temp)
        if "kamailio" in args.targets:
            os.makedirs(os.path.join(temp, "kamailio"))
            targets["kamailio"] = KamailioTarget(os.path.join(temp, "kamailio"))
        for target in targets.values():
            target.start(pinned)
        if pinned:
            os.sched_setaffinity(0, {LOAD_CPU})  # this process and the load client
        print("servers on CPU %s: %s; load client on CPU %s; N = %s, %g deliveries/s offered, %g s x %d rounds"
              % (JANUS_CPU, ", ".join("%s %s" % (t.name, t.pids()) for t in targets.values()), LOAD_CPU,
                 args.sizes, args.deliveries, args.seconds, args.rounds), flush=True)
        steps = asyncio.run(run_all(targets, args, load_client, temp))
    finally:
        for target in targets.values():
            target.stop()
        if steps is None:
            print("run folder kept: %s" % temp)
    if args.keep:
        print("run folder kept: %s" % temp)
    else:
        shutil.rmtree(temp, ignore_errors=True)
    summary = summarise(steps, args)
    path = write_results(args, started, host, steps, summary, pinned)
    for n in args.sizes:
        entry = summary[str(n)]
        for name in TARGETS:
            if name in entry:
                s = entry[name]
                print("N=%-4d %-8s deliveries/s per core %s, p99 %s ms, delivered %s%%"
                      % (n, name, fmt(s["deliveries_per_core_s"]), fmt(s["p99_ms"], 2),
                         fmt(s["delivered_pct_of_expected"], 2)))
        print("N=%-4d ratio janus / kamailio per core: %s (rounds %s)" % (
            n, entry["median_ratio_janus_over_kamailio"], entry["ratio_per_round_janus_over_kamailio"]))
    if summary.get("goal"):
        print("goal at N=100: %s" % ("met" if summary["goal"]["met"] else "not met"))
    print("results: %s, %s" % (path, os.path.join(RESULTS, "msrp-switch-latest.md")))


if __name__ == "__main__":
    main()
