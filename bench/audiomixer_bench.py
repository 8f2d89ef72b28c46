#!/usr/bin/python3
"""Audio mixer benchmark: our janus.plugin.sylk.audiomixer against the stock janus.plugin.audiobridge,
both loaded in ONE janus and measured alternately at every step, with plain RTP participants.

One asyncio load generator (this process, on CPU 1) opens N UDP sockets and joins N plain RTP
participants ("rtp": {"ip", "port", "payload_type"} in the join) to 1 room or to 10 rooms of N/10.
Every participant sends one RTP packet every 20 ms, replayed from packets encoded once at start-up
(PyAV) with fresh RTP headers: in each room 3 "talkers" send a tone (440, 660, 880 Hz at -20 dBov),
the others ("listeners") low noise (about -60 dBov). Everything janus sends back is read on the same
sockets with kernel receive timestamps (SO_TIMESTAMPNS), so the generator's own scheduling does not
blur the timing. janus runs on CPU 0. For each scenario (codec, room rate, rooms) N climbs a
ladder; at every N both plugins take a turn (order alternating), and after the join storm settled
and a warm-up a window is measured:

- janus CPU (ns per-process CPU clock, and /proc ticks) -> ms of CPU per second per participant;
- per participant: packets received against the 50/s a 20 ms cadence gives ("delivered"),
  sequence-number loss, output gaps (an interval > 40 ms between two consecutive packets: at least
  one 20 ms frame missing or late by a frame) and the longest interval;
- for our plugin the admin API "list": mixer ticks, missed deadlines, busy fraction, per room
  encodes_own/encodes_shared, per participant packets in/out, lost, late;
- a decoded second of what a listener and a talker of room 1 heard (tone levels), the load
  generator's CPU and lateness, how busy CPU 0 was with other processes, janus log problems.

A step is clean when every participant got audio, the participants got >= 99% of the expected
packets (the worst >= 98%), loss <= 0.1%, at most one output gap per participant per 10 s on
average and no interval above 200 ms. A plugin stops climbing after a step that is not clean (such
a step first gets one more attempt, two if other processes were busy on CPU 0: the machine is
shared). Once one plugin is left, the steps where it would still use less than 65% of CPU 0 are
skipped. The ladder stops for everyone when the load generator passes 85% of its CPU. A janus crash
is recorded (with the end of its log) and janus is started again. Writes
bench/results/audiomixer-<UTC time>.json and bench/results/audiomixer-latest.md. Needs the private
network namespace:

    tests/integration/netns.sh /usr/bin/python3 bench/audiomixer_bench.py [--scenarios ... --seconds S --rounds R]
    tests/integration/netns.sh /usr/bin/python3 bench/audiomixer_bench.py --quick     # smoke test
"""
import argparse
import asyncio
import datetime
import json
import os
import shutil
import statistics
import sys
import tempfile
import time

from audiomixer_load import (CLEAN, CODECS, DEFAULT_SCENARIOS, FRAME_S, GAP_MS, PLUGINS, SCENARIOS, SKIP_TO_PCT,
                             STALL_MS, TALKERS, JanusDied, LeanConnection, Leg, Scenario, Sender, audio_check,
                             janus_idle, join_body, keepalive, lean_session, make_streams, mixer_delta, mixer_stats,
                             room_body, settle, snapshot_build, wait_empty, warm_up)
from audiomixer_report import capacity_cell, cpu_cell, ratio_cell, summarise, write_results
from bench_common import (JANUS_CPU, LOAD_CPU, RESULTS, SATURATED_PCT, TOP, LogWatch, cpu_busy, cpu_clock,
                          cpu_seconds, machine, require_netns, threads_cpus)
from harness.janus_api import Admin  # noqa: E402
from harness.janus_process import JanusProcess  # noqa: E402


# ------------------------------------------------------------------ a snapshot of the build


# ------------------------------------------------------------------ audio, encoded once


# ------------------------------------------------------------------ load generator


# ------------------------------------------------------------------ one step


async def run_step(janus, admin, log, name, scenario, n, streams, room_base, args):
    plugin = PLUGINS[name]
    pid = janus.process.pid
    pt, clock, _, _, _ = CODECS[scenario.codec]
    ts_step = int(clock * FRAME_S)  # RTP timestamp step of 20 ms: 960 for Opus, 160 for G.711 and G.722
    per_room = n // scenario.rooms
    rooms = [room_base + r for r in range(scenario.rooms)]
    legs = []
    for r, room in enumerate(rooms):
        for k in range(per_room):
            index = len(legs)
            if k < TALKERS:
                legs.append(Leg(index, room, "talker", streams["tone%d" % k], pt, ts_step, keep=(r == 0 and k == 0)))
            else:
                legs.append(Leg(index, room, "listener", streams["noise"], pt, ts_step, keep=(r == 0 and k == TALKERS)))
    log.new_lines()
    loop = asyncio.get_running_loop()
    events0 = LeanConnection.dropped
    control = await lean_session(janus.ws_url)  # creates and destroys the rooms
    session = await lean_session(janus.ws_url)  # holds the participants' handles
    keepers = [asyncio.ensure_future(keepalive(s)) for s in (control, session)]
    sender = Sender(legs)
    created = []
    timing = {}
    try:
        manager = await control.attach(plugin)
        for room in rooms:
            data, _ = await manager.send(room_body(name, room, scenario))
            if data.get("audiobridge") != "created":
                raise RuntimeError("%s did not create room %d: %s" % (plugin, room, data))
            created.append(room)
        t_join = time.monotonic()
        gate = asyncio.Semaphore(16)

        async def join(leg):
            async with gate:
                leg.handle = await session.attach(plugin)
                data, _ = await leg.handle.send(join_body(name, leg, scenario), timeout=30)
                if data.get("audiobridge") != "joined" or "rtp" not in data:
                    raise RuntimeError("%s refused participant %d: %s" % (plugin, leg.index, data))
                leg.joined = data
                leg.dest = (data["rtp"]["ip"], int(data["rtp"]["port"]))
                loop.add_reader(leg.sock.fileno(), leg.readable)
        await asyncio.gather(*(join(leg) for leg in legs))
        timing["join_s"] = round(time.monotonic() - t_join, 2)
        sender.start()
        timing["settle_s"], _ = await settle()
        timing["events_during_setup"] = LeanConnection.dropped - events0
        timing["warmup_s"], timing["cpu0_other_pct_before"] = await warm_up(pid, args.warmup)
        problems_setup = log.new_lines()
        # counters are read just outside the CPU window, so the admin queries (which also call
        # into the plugin) are not charged to it
        before = await mixer_stats(admin) if name == "sylk" else None
        for leg in legs:
            leg.reset()
        Leg.start, Leg.end = time.time(), float("inf")
        window_start = Leg.start
        sender.reset()
        busy0 = cpu_busy(JANUS_CPU)
        cpu0, clock0, load0, t0 = cpu_seconds(pid), cpu_clock(pid), time.process_time(), time.monotonic()
        await asyncio.sleep(args.seconds)
        cpu1, clock1, load1, t1 = cpu_seconds(pid), cpu_clock(pid), time.process_time(), time.monotonic()
        busy1 = cpu_busy(JANUS_CPU)
        Leg.end = time.time()
        window_real = Leg.end - Leg.start
        late_max, late_count, skipped = sender.late_max, sender.late_count, sender.skipped
        await asyncio.sleep(0.3)  # packets of the window still queued in the sockets are read now
        Leg.start = Leg.end = float("inf")
        problems_window = log.new_lines()
        after = await mixer_stats(admin) if name == "sylk" else None
    finally:
        await sender.stop()
        if janus.alive():
            timing["janus_idle_wait_s"] = await janus_idle(pid)
        for leg in legs:
            if leg.dest is not None:
                loop.remove_reader(leg.sock.fileno())
        # The participants leave first (their handles go with their session). Then the stock
        # plugin's empty rooms are destroyed (each has a mixer thread that wakes every 5 ms even
        # when empty); ours are left in place, empty, which costs nothing (an empty room is not
        # ticked), unless --destroy-rooms: destroying them crashed builds before 83fa18f (bench/README.md).
        for closing in (session, control):
            if closing is control and janus.alive():
                timing["teardown_wait_s"] = await wait_empty(manager, created)
                if name == "sylk" and not args.destroy_rooms:
                    created = []
                elif created:
                    await asyncio.sleep(0.3)
                for room in created:
                    try:
                        await manager.send({"request": "destroy", "room": room}, timeout=30)
                    except Exception:  # noqa: BLE001 -- a dead janus is noticed below
                        pass
            try:
                await closing.close()
            except Exception:  # noqa: BLE001 -- the step's own error matters more
                pass
        for keeper in keepers:
            keeper.cancel()
    if not janus.alive():
        raise JanusDied("janus died (exit code %s) during the %s step (N=%d); the end of its log:\n%s"
                        % (janus.process.returncode, name, n, janus.log_tail(25)))
    heard = audio_check(scenario.codec, legs)
    for leg in legs:
        leg.close()
    await asyncio.sleep(0.5)
    problems_teardown = log.new_lines()
    problems = problems_setup + problems_window

    wall, cpu, clock = t1 - t0, cpu1 - cpu0, clock1 - clock0
    slots = window_real / FRAME_S  # packets each participant should get in the window
    received = [leg.received for leg in legs]
    lost = sum(max(0, leg.expected() - leg.received) for leg in legs)
    gaps = sum(leg.gaps for leg in legs)
    worst_gap_ms = max(leg.max_gap for leg in legs) * 1000
    delivered_pct = 100 * sum(received) / (slots * n)
    worst_delivered_pct = 100 * min(received) / slots
    loss_pct = 100 * lost / max(1, sum(received) + lost)
    gaps_per_10s = gaps / n / wall * 10
    loadgen_pct = 100 * (load1 - load0) / wall
    reasons = []
    silent = sum(1 for r in received if r == 0)
    if silent:
        reasons.append("%d participants got nothing" % silent)
    if delivered_pct < CLEAN["delivered_pct"]:
        reasons.append("delivered %.1f%% < %g%%" % (delivered_pct, CLEAN["delivered_pct"]))
    if worst_delivered_pct < CLEAN["worst_delivered_pct"]:
        reasons.append("worst participant %.1f%% < %g%%" % (worst_delivered_pct, CLEAN["worst_delivered_pct"]))
    if loss_pct > CLEAN["loss_pct"]:
        reasons.append("loss %.2f%% > %g%%" % (loss_pct, CLEAN["loss_pct"]))
    if gaps_per_10s > CLEAN["gaps_per_participant_10s"]:
        reasons.append("%.2f gaps/participant/10 s > %g" % (gaps_per_10s, CLEAN["gaps_per_participant_10s"]))
    if worst_gap_ms > STALL_MS:
        reasons.append("an interval of %.0f ms > %d ms" % (worst_gap_ms, STALL_MS))
    mixer = mixer_delta(before, after, rooms)
    return {"scenario": scenario.name, "name": name, "plugin": plugin, "n": n, "rooms": scenario.rooms,
            "per_room": per_room, "codec": scenario.codec, "sampling_rate": scenario.rate,
            "wall_s": round(wall, 3), **timing,
            "janus_cpu_s": round(cpu, 3), "janus_cpu_clock_s": round(clock, 6),
            "janus_cpu_pct": round(100 * cpu / wall, 2), "janus_cpu_pct_clock": round(100 * clock / wall, 2),
            "ms_per_s_per_participant": round(1000 * clock / wall / n, 4),
            "ms_per_s_per_participant_ticks": round(1000 * cpu / wall / n, 4),
            "expected_per_participant": round(slots, 1), "received_packets": sum(received),
            "delivered_pct": round(delivered_pct, 2), "worst_delivered_pct": round(worst_delivered_pct, 2),
            "silent_participants": silent, "lost_packets": lost, "loss_pct": round(loss_pct, 3),
            "gaps": gaps, "gaps_per_participant_10s": round(gaps_per_10s, 3),
            "participants_with_gaps": sum(1 for leg in legs if leg.gaps),
            "worst_interval_ms": round(worst_gap_ms, 1),
            "median_worst_interval_ms": round(statistics.median(leg.max_gap for leg in legs) * 1000, 1),
            # when the worst intervals ended, in s from the window start (a common stall shows as one time)
            "worst_interval_end_s": sorted({round(leg.max_gap_at - window_start, 2) for leg in legs
                                            if leg.max_gap_at and leg.max_gap > GAP_MS / 1000})[:10],
            "loadgen_cpu_pct": round(loadgen_pct, 1), "sender_late_max_ms": round(1000 * late_max, 1),
            "sender_late_over_10ms": late_count, "sender_skipped_packets": skipped,
            "cpu0_other_pct": round(100 * (busy1[0] - busy0[0] - cpu) / wall, 1),
            "cpu0_steal_pct": round(100 * (busy1[1] - busy0[1]) / wall, 1),
            "mixer": mixer, "audio_check": heard,
            "janus_log_problems": len(problems), "janus_log_problems_setup": len(problems_setup),
            "janus_log_problems_window": len(problems_window), "janus_log_problems_teardown": len(problems_teardown),
            "janus_log_samples": distinct(problems_setup)[:5] + distinct(problems_window)[:5],
            "janus_log_samples_teardown": distinct(problems_teardown)[:5],
            "clean": not reasons, "not_clean_because": reasons,
            "loadgen_saturated": loadgen_pct > SATURATED_PCT}


def distinct(lines):
    """Problem lines without repeats (ignoring pointers and numbers), in order."""
    seen, result = set(), []
    for line in lines:
        key = "".join(c for c in line if not c.isdigit())
        if key not in seen:
            seen.add(key)
            result.append(line)
    return result


def step_line(r):
    mixer = r["mixer"] or {}
    extra = ""
    if mixer:
        extra = "  mixer: %d missed, %.1f own + %.1f shared encodes/tick" % (
            mixer.get("missed_deadlines", 0), mixer.get("encodes_own_per_tick", 0),
            mixer.get("encodes_shared_per_tick", 0))
    heard = " ".join("%s:%s" % (k, "ok" if v.get("ok") else "BAD") for k, v in sorted(r["audio_check"].items()))
    return ("%-10s N=%-4d %-5s janus %5.1f%% CPU %6.3f ms/s/participant  delivered %6.2f%% (worst %6.2f%%) "
            "loss %.2f%% gaps %.2f/10s max %4.0f ms  gen %4.1f%% late %4.1f ms  CPU0 others %4.1f%%  heard %s  "
            "log %d+%d/%d  %s%s"
            % (r["scenario"], r["n"], r["name"], r["janus_cpu_pct_clock"], r["ms_per_s_per_participant"],
               r["delivered_pct"], r["worst_delivered_pct"], r["loss_pct"], r["gaps_per_participant_10s"],
               r["worst_interval_ms"], r["loadgen_cpu_pct"], r["sender_late_max_ms"], r["cpu0_other_pct"], heard,
               r["janus_log_problems_setup"], r["janus_log_problems_window"], r["janus_log_problems_teardown"],
               "clean" if r["clean"] else "NOT CLEAN (%s)" % "; ".join(r["not_clean_because"]), extra))


# ------------------------------------------------------------------ the ladders

LOG_SEEN = set()
NOISY_PCT = 20  # others' share of CPU 0 above which a step that is not clean gets a second retry


def noisy(r):
    return r.get("cpu0_other_pct", 0) > NOISY_PCT


async def guarded_step(janus, admin, log, name, scenario, n, streams, room_base, args):
    """run_step; a step that fails (a refused join, a timeout) becomes a step that is not clean.
    A dead janus ends the run (JanusDied)."""
    try:
        return await run_step(janus, admin, log, name, scenario, n, streams, room_base, args)
    except JanusDied:
        raise
    except Exception as e:  # noqa: BLE001 -- a refused join, a timeout, a closed connection
        if not janus.alive():
            raise JanusDied("janus died (exit code %s) during the %s step (N=%d); the end of its log:\n%s"
                            % (janus.process.returncode, name, n, janus.log_tail(25))) from e
        print("%-10s N=%-4d %-5s FAILED: %s" % (scenario.name, n, name, str(e)[:300]), flush=True)
        return {"scenario": scenario.name, "name": name, "plugin": PLUGINS[name], "n": n, "rooms": scenario.rooms,
                "codec": scenario.codec, "sampling_rate": scenario.rate, "error": str(e)[:1000], "clean": False,
                "not_clean_because": ["step failed: %s" % str(e)[:200]], "loadgen_saturated": False}


def print_log_samples(r):
    """Prints the janus log problems of a step, each kind once per run."""
    for phase, lines in (("", r["janus_log_samples"]), ("teardown ", r["janus_log_samples_teardown"])):
        for line in lines:
            key = (r["name"], phase, "".join(c for c in line if not c.isdigit()))
            if key not in LOG_SEEN:
                LOG_SEEN.add(key)
                print("    janus log (%s%s): %s" % (phase, r["name"], line[:200]), flush=True)

def start_janus(janus, pinned):
    """Starts janus on CPU 0 (it inherits the affinity of the thread that starts it) and pins its
    threads there; the calling thread goes back to the load generator's CPU."""
    if pinned:
        os.sched_setaffinity(0, {JANUS_CPU})
    try:
        janus.start()
    finally:
        if pinned:
            os.sched_setaffinity(0, {LOAD_CPU})
    return threads_cpus(janus.process.pid, JANUS_CPU if pinned else None)


async def run_all(janus, args, scenarios, pinned):
    loop = asyncio.get_running_loop()
    admin = await Admin.open(janus.admin_url, janus.admin_secret)
    log = LogWatch(janus.log_path)
    state = {"admin": admin, "log": log}
    crashes = []
    startup = log.new_lines()  # e.g. the stock audiobridge has no configuration file here
    for line in startup:
        print("janus log at startup: %s" % line[:200], flush=True)
    steps, ladders = [], {}
    room_base = [100000]
    deadline = time.monotonic() + args.budget if args.budget else None
    flip = False

    async def attempt(name, scenario, n, round_number, retry=False):
        room_base[0] += 100
        started = time.monotonic()
        try:
            r = await guarded_step(janus, state["admin"], state["log"], name, scenario, n, streams, room_base[0], args)
        except JanusDied as e:
            # a crash is a result too: it is recorded, janus is started again, the ladder goes on
            # (the step counts as not clean, and gets its retry like any other)
            tail = janus.log_tail(40)
            crash = {"scenario": scenario.name, "name": name, "plugin": PLUGINS[name], "n": n,
                     "exit_code": janus.process.returncode, "log_tail": tail}
            crashes.append(crash)
            print("%-10s N=%-4d %-5s JANUS CRASHED (exit code %s); the end of its log:\n%s"
                  % (scenario.name, n, name, crash["exit_code"],
                     "\n".join("    " + line for line in tail.splitlines()[-12:])),
                  flush=True)
            if len(crashes) > args.max_restarts:
                raise
            try:
                await state["admin"].close()
            except Exception:  # noqa: BLE001 -- its janus is gone
                pass
            janus.stop()
            cpus = await loop.run_in_executor(None, start_janus, janus, pinned)
            print("janus restarted: pid %d on CPUs %s" % (janus.process.pid, cpus), flush=True)
            state["admin"] = await Admin.open(janus.admin_url, janus.admin_secret)
            state["log"] = LogWatch(janus.log_path)
            state["log"].new_lines()
            r = {"scenario": scenario.name, "name": name, "plugin": PLUGINS[name], "n": n, "rooms": scenario.rooms,
                 "codec": scenario.codec, "sampling_rate": scenario.rate, "error": "janus crashed: %s" % str(e)[:300],
                 "crash": True, "clean": False,
                 "not_clean_because": ["janus crashed (exit code %s)" % crash["exit_code"]],
                 "loadgen_saturated": False}
        r["step_s"] = round(time.monotonic() - started, 1)
        r["round"] = round_number
        if retry:
            r["retry"] = True
        steps.append(r)
        if "error" not in r:
            print(step_line(r) + ("  (retry)" if retry else ""), flush=True)
            print_log_samples(r)
        return r

    try:
        for scenario in scenarios:
            streams = make_streams(scenario.codec)
            active = [name for name in scenario.plugins if name in args.plugins.split(",")]
            status = {name: {"max_clean_n": None, "first_not_clean_n": None, "stopped_by": None} for name in active}
            ladder = [n for n in (args.ladder or scenario.ladder) if n % scenario.rooms == 0
                      and n // scenario.rooms >= TALKERS + 1]
            ladders[scenario.name] = {"scenario": scenario.describe(), "ladder_run": ladder, "status": status,
                                      "skipped_n": []}
            index = -1
            while index + 1 < len(ladder):
                index += 1
                n = ladder[index]
                if not active:
                    break
                if deadline and time.monotonic() > deadline:
                    for name in active:
                        status[name]["stopped_by"] = "time budget (--budget)"
                    print("time budget used up: %s stops at N=%d" % (scenario.name, n), flush=True)
                    active = []
                    break
                order = list(reversed(active)) if flip else list(active)
                flip = not flip
                attempts = {name: [] for name in order}
                generator_limited = False
                for round_index in range(args.rounds):
                    for name in (order if round_index % 2 == 0 else list(reversed(order))):
                        r = await attempt(name, scenario, n, round_index + 1)
                        attempts[name].append(r)
                        generator_limited |= r["loadgen_saturated"]
                verdict = {}
                for name in order:
                    # clean when at least half of the rounds were; if not, one more attempt decides
                    # (and another one if other processes were busy on CPU 0 during it)
                    verdict[name] = 2 * sum(a["clean"] for a in attempts[name]) >= len(attempts[name])
                    extra = 0
                    while not verdict[name] and args.retry and not generator_limited \
                            and (extra == 0 or (extra == 1 and noisy(attempts[name][-1]))):
                        extra += 1
                        r = await attempt(name, scenario, n, len(attempts[name]) + 1, retry=True)
                        attempts[name].append(r)
                        verdict[name] = r["clean"]
                        generator_limited |= r["loadgen_saturated"]
                for name in order:
                    clean = verdict[name]
                    if generator_limited:
                        status[name]["stopped_by"] = "load generator saturated at N=%d" % n
                    elif clean:
                        status[name]["max_clean_n"] = n
                    else:
                        status[name]["first_not_clean_n"] = n
                        status[name]["stopped_by"] = "not clean at N=%d" % n
                        active.remove(name)
                if generator_limited:
                    print("load generator above %d%% of CPU %d: %s stops at N=%d" % (
                        SATURATED_PCT, LOAD_CPU, scenario.name, n), flush=True)
                    active = []
                elif len(active) == 1 and args.skip:
                    # one plugin left, far from saturation: skip the ladder steps where it would
                    # still use less than SKIP_TO_PCT of CPU 0 (projected linearly from this step)
                    cpu = min((a["janus_cpu_pct_clock"] for a in attempts[active[0]] if a["clean"]), default=None)
                    if cpu:
                        ahead = index
                        while ahead + 2 < len(ladder) and cpu * ladder[ahead + 2] / n <= SKIP_TO_PCT:
                            ahead += 1
                        if ahead > index:
                            ladders[scenario.name]["skipped_n"] += ladder[index + 1:ahead + 1]
                            print("%-10s %s used %.0f%% of CPU %d at N=%d: skipping N=%s" % (
                                scenario.name, active[0], cpu, JANUS_CPU, n,
                                ",".join(str(v) for v in ladder[index + 1:ahead + 1])), flush=True)
                            index = ahead
            for name in active:
                status[name]["stopped_by"] = status[name]["stopped_by"] or "end of the ladder"
    except JanusDied as e:
        print("\n%s\n" % e, flush=True)
        ladders["aborted"] = "more than %d janus crashes; the last: %s" % (args.max_restarts, e)
        for ladder in ladders.values():
            if isinstance(ladder, dict):
                for entry in ladder["status"].values():
                    entry["stopped_by"] = entry["stopped_by"] or "janus died"
    finally:
        try:
            await state["admin"].close()
        except Exception:  # noqa: BLE001 -- janus may be gone
            pass
    ladders["crashes"] = crashes
    return steps, ladders, startup


# ------------------------------------------------------------------ results


def rewrite(path):
    """The summary and audiomixer-latest.md again, from the raw numbers of an earlier run."""
    with open(path) as f:
        document = json.load(f)
    parameters = document["parameters"]
    args = argparse.Namespace(seconds=parameters["seconds"], warmup=parameters["warmup_s"],
                              rounds=parameters["rounds"], retry=parameters["retry"], quick=parameters["quick"],
                              budget=parameters["budget_s"])
    scenarios = [Scenario(d["name"], d["codec"], d["sampling_rate"], d["rooms"], d["ladder"], tuple(d["plugins"]),
                          d["note"]) for d in parameters["scenarios"]]
    started = datetime.datetime.fromisoformat(document["date"])
    summary = summarise(document["steps"], document["ladders"])
    written = write_results(args, started, document["machine"], document["steps"], document["ladders"], summary,
                            parameters["pinned"], scenarios)
    print("rewrote %s and %s" % (written, os.path.join(RESULTS, "audiomixer-latest.md")))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenarios", default=",".join(DEFAULT_SCENARIOS),
                        help="comma-separated, from: %s; or all (default: %s)" % (
                            ", ".join(s.name for s in SCENARIOS), ",".join(DEFAULT_SCENARIOS)))
    parser.add_argument("--ladder", help="comma-separated N values instead of each scenario's own ladder")
    parser.add_argument("--plugins", default="sylk,stock", help="which plugins to run (default: sylk,stock)")
    parser.add_argument("--destroy-rooms", action="store_true",
                        help="also destroy our plugin's rooms after each step, once they are empty (off by default: "
                             "builds before 83fa18f crashed there, see bench/README.md)")
    parser.add_argument("--seconds", type=float, default=3, help="measured window per step (default 3)")
    parser.add_argument("--warmup", type=float, default=1, help="seconds after the joins settle (default 1)")
    parser.add_argument("--rounds", type=int, default=1, help="runs of each plugin at every N (default 1)")
    parser.add_argument("--no-retry", dest="retry", action="store_false",
                        help="no extra attempt for a step that is not clean")
    parser.add_argument("--no-skip", dest="skip", action="store_false",
                        help="run every ladder step (by default, once only one plugin is left, the steps where it "
                             "would use less than %d%%%% of CPU %d are skipped)" % (SKIP_TO_PCT, JANUS_CPU))
    parser.add_argument("--budget", type=float, default=660,
                        help="seconds after which no new N is started (default 660; 0: no limit)")
    parser.add_argument("--max-restarts", type=int, default=10,
                        help="janus crashes after which the run stops (default 10; each crash is recorded and janus "
                             "is started again)")
    parser.add_argument("--quick", action="store_true", help="smoke test: opus48, N=10, 3 s, 1 round")
    parser.add_argument("--build", default=os.environ.get("SYLK_BUILD_DIR", TOP), help="built tree (default: this one)")
    parser.add_argument("--markdown-from", metavar="JSON",
                        help="run nothing: recompute the summary of an earlier run's JSON (rewritten in place) and "
                             "write audiomixer-latest.md from it")
    args = parser.parse_args()
    if args.markdown_from:
        rewrite(args.markdown_from)
        return
    by_name = {s.name: s for s in SCENARIOS}
    if args.quick:
        args.scenarios, args.ladder, args.seconds, args.warmup, args.rounds, args.retry = "opus48", "10", 3, 1, 1, False
    if args.scenarios == "all":
        args.scenarios = ",".join(by_name)
    try:
        scenarios = [by_name[name] for name in args.scenarios.split(",") if name]
    except KeyError as e:
        sys.exit("unknown scenario %s (known: %s)" % (e, ", ".join(by_name)))
    args.ladder = [int(n) for n in args.ladder.split(",")] if args.ladder else None
    require_netns("audiomixer_bench.py")

    started = datetime.datetime.now(datetime.timezone.utc)
    host = machine()
    plugin_so = os.path.join(args.build, "plugins", "audiomixer", ".libs", "libjanus_sylk_audiomixer.so")
    if not os.path.exists(plugin_so):
        sys.exit("missing %s: build first (make)" % plugin_so)
    pinned = {JANUS_CPU, LOAD_CPU} <= os.sched_getaffinity(0)
    if pinned:
        os.sched_setaffinity(0, {JANUS_CPU})  # janus inherits CPU 0 from us when it is started
    else:
        print("warning: CPUs %d and %d are not both available; not pinning" % (JANUS_CPU, LOAD_CPU))
    temp = tempfile.mkdtemp(prefix="sylk-bench-")
    run_dir, snapshot = os.path.join(temp, "run"), os.path.join(temp, "build")
    host["build_snapshot"] = snapshot_build(args.build, snapshot)
    host["plugin_built"] = host["build_snapshot"]["plugins/audiomixer/.libs/libjanus_sylk_audiomixer.so"]["mtime"]
    # the plugins find libsylkcore through their RUNPATH (the build tree); LD_LIBRARY_PATH comes first
    janus = JanusProcess(snapshot, run_dir, test_plugins=False, stock_plugins=("audiobridge",), mixer_threads=None,
                         env={"LD_LIBRARY_PATH": os.path.join(snapshot, "sylkcore", ".libs")})
    steps = None
    try:
        janus.start()
        cpus = [threads_cpus(pid, cpu if pinned else None) for pid, cpu in ((janus.process.pid, JANUS_CPU),
                                                                             (os.getpid(), LOAD_CPU))]
        print("janus pid %d on CPUs %s (log %s); load generator on CPUs %s; scenarios %s; %g s windows, %d round(s)"
              % (janus.process.pid, cpus[0], janus.log_path, cpus[1], ",".join(s.name for s in scenarios),
                 args.seconds, args.rounds), flush=True)
        print("Each step: N plain RTP participants (3 talkers per room, the rest low noise) in one plugin; measured "
              "over the window: janus CPU (ms per second per participant), and per participant the packets it got "
              "back (delivered, vs 50/s), sequence loss, output gaps > %d ms, the longest interval; clean = "
              "delivered >= %g%% (worst >= %g%%), loss <= %g%%, <= %g gap per participant per 10 s, no interval "
              "> %d ms." % (GAP_MS, CLEAN["delivered_pct"], CLEAN["worst_delivered_pct"], CLEAN["loss_pct"],
                            CLEAN["gaps_per_participant_10s"], STALL_MS), flush=True)
        steps, ladders, host["janus_log_startup_problems"] = asyncio.run(run_all(janus, args, scenarios, pinned))
        if janus.alive():
            host["janus_cpus_at_end"] = threads_cpus(janus.process.pid)
    finally:
        code = janus.stop()
        if steps is None:
            print("janus exited %s; run folder with its log and the build snapshot kept: %s" % (code, temp))
    host["janus_exit_code"] = code
    shutil.rmtree(temp, ignore_errors=True)
    summary = summarise(steps, ladders)
    path = write_results(args, started, host, steps, ladders, summary, pinned, scenarios)

    print("\nLargest N that ran clean on CPU %d, and janus CPU ms per second per participant (median, min-max "
          "over the clean steps):" % JANUS_CPU)
    print("%-10s %-16s %-14s %-14s %-22s %-24s %-24s" % ("scenario", "codec/rate/rooms", "sylk max N", "stock max N",
                                                         "ratio sylk/stock", "sylk ms/s/participant",
                                                         "stock ms/s/participant"))
    for scenario in scenarios:
        if scenario.name not in ladders:
            continue
        entry, status = summary[scenario.name], ladders[scenario.name]["status"]
        reference = ""
        if "reference_n" in entry:
            reference = "at N=%d stock/sylk CPU %.2fx" % (entry["reference_n"],
                                                         entry["cpu_ratio_stock_over_sylk_at_reference_n"])
        print("%-10s %-16s %-14s %-14s %-22s %-24s %-24s %s" % (
            scenario.name, "%s/%d/%d" % (scenario.codec, scenario.rate, scenario.rooms),
            capacity_cell(status.get("sylk")), capacity_cell(status.get("stock")) if "stock" in status else "not run",
            ratio_cell(entry).replace("**", ""), cpu_cell(entry, "sylk"), cpu_cell(entry, "stock"), reference))
    print("load generator CPU: at most %.0f%%%s; our mixer missed %d deadlines; janus crashes: %d%s; janus log "
          "problems (setup + window): %s; audio check failures: %s\nresults: %s, %s"
          % (summary["max_loadgen_cpu_pct"], " (SATURATED)" if summary["max_loadgen_cpu_pct"] > SATURATED_PCT else "",
             summary["missed_deadlines_total"], len(summary["janus_crashes"]),
             "".join(" (%s N=%d %s)" % (c["scenario"], c["n"], c["name"]) for c in summary["janus_crashes"]),
             summary["janus_log_problems"], summary["audio_check_failures_by_plugin"],
             path, os.path.join(RESULTS, "audiomixer-latest.md")))


if __name__ == "__main__":
    main()
