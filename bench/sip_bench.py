#!/usr/bin/python3
"""SIP benchmark (issue #5): janus.plugin.sylk.sip against the stock janus.plugin.sip for REGISTER,
and the conference focus (calls into audio mixer rooms) against sipp answering sipp.

Part "register": N Janus handles (one WebSocket session) of one plugin each register an account
(sip:u<i>@127.0.0.1:5070, digest: the sipp registrar bench/sip/registrar.xml answers 401 then 200),
at most --window at a time. Measured: registrations per second from the first request to the last
"registered" event, the latency of each (request -> "registered") and janus's RSS (VmRSS) growth
per account. janus is started afresh for every step with BOTH plugins loaded (RSS does not shrink
after a plugin's handles are gone, so one process per step keeps the memory figures apart); the
plugins alternate at every N.

Part "calls": sipp calls rooms sip:<room>@127.0.0.1:5060 (bench/sip/room_call.xml, PCMU, --room-size
calls per room); the reference is the same sipp caller against a sipp UAS that answers with RTP
echo (bench/sip/uas_echo.xml, pinned to janus's CPU). The stock plugin has no rooms.
- setup rate: calls at R per second for --setup-seconds, each held 1 s, no media; R climbs a
  ladder; clean: <= 0.1% failed calls and p99 INVITE -> 200 under 1 s.
- concurrent calls with media: N calls (ramped at --media-rate), each streaming a PCMU tone from
  sipp's rtp_stream; once all are up and 3 s more, a --seconds window measures the server's CPU,
  the kernel's drops on its UDP sockets and, for the focus, the mixer's counters (packets in/out,
  sequence loss, missed deadlines). Clean: no failed call, loss (drops + sequence loss) <= 0.1%,
  the focus sending >= 99% of 50 packets/s per call and missing <= 1% of its mixer deadlines.
Each target climbs until its first step that is not clean (after one retry, and a second one when
other processes took more than 20% of CPU 0: the machine is shared; before a retry the bench waits
up to 30 s for CPU 0 to be less than 15% busy); the ladders stop when the caller sipp (CPU 1) passes
85% of its CPU.

janus and the reference UAS run on CPU 0, this process and the sipp callers/registrar on CPU 1.
Writes bench/results/sip-<UTC time>.json and bench/results/sip-latest.md. Needs the private network
namespace:

    tests/integration/netns.sh /usr/bin/python3 bench/sip_bench.py [--parts register,calls --rounds R]
    tests/integration/netns.sh /usr/bin/python3 bench/sip_bench.py --quick     # smoke test, < 1 minute
"""
import argparse
import asyncio
import datetime
import json
import os
import shutil
import signal
import statistics
import sys
import tempfile
import time

from audiomixer_load import snapshot_build
from bench_common import (JANUS_CPU, LOAD_CPU, RESULTS, SATURATED_PCT, TOP, LogWatch, machine, require_netns,
                          threads_cpus)
from harness.janus_api import Admin  # noqa: E402
from harness.janus_process import JanusProcess  # noqa: E402
from sip_load import (PLUGINS, Reference, call_scenario, calls_step, register_step, start_janus,
                      tone_file, wait_quiet)

NOISY_PCT = 20  # other processes' share of CPU 0 above which a step that is not clean gets one more attempt
MEDIA_CLEAN = {"loss_pct": 0.1, "out_pct_of_expected": 99.0, "missed_deadlines_pct_of_ticks": 1.0}
SETUP_CLEAN = {"failed_pct": 0.1, "setup_ms_p99": 1000}
ASTERISK = {"calls": 900, "cpu_pct_of_2_cores": 86, "cores": 2,
            "source": "published anchor given in issue #5: Asterisk 22 with PJSIP, G.711 calls with media, "
                      "2-core VM (not measured here)"}


def spread(values):
    values = [v for v in values if v is not None]
    if not values:
        return None
    return {"median": round(statistics.median(values), 3), "min": round(min(values), 3), "max": round(max(values), 3),
            "n": len(values)}


def fmt(s, digits=0, unit=""):
    if not s:
        return "–"
    f = "%%.%df" % digits
    return (f + "%s (%s–%s)") % (s["median"], unit, f % s["min"], f % s["max"])


def new_janus(snapshot, run_dir):
    # the plugins find libsylkcore through their RUNPATH (the build tree); LD_LIBRARY_PATH comes first
    return JanusProcess(snapshot, run_dir, test_plugins=False, stock_plugins=("sip",), mixer_threads=None,
                        env={"LD_LIBRARY_PATH": os.path.join(snapshot, "sylkcore", ".libs")})


# ------------------------------------------------------------------ REGISTER


async def run_register(args, snapshot, temp, pinned):
    steps = []
    flip = False
    for round_number in range(args.rounds):
        for n in args.reg_ladder:
            order = ["sylk", "stock"] if not flip else ["stock", "sylk"]
            flip = not flip
            for name in order:
                folder = tempfile.mkdtemp(prefix="reg-%s-%d-" % (name, n), dir=temp)
                janus = new_janus(snapshot, os.path.join(folder, "run"))
                await asyncio.to_thread(start_janus, janus, pinned)
                log = LogWatch(janus.log_path)
                log.new_lines()
                try:
                    step = await register_step(janus, name, n, args.window, folder)
                except Exception as e:  # noqa: BLE001 -- recorded, the run goes on
                    step = {"name": name, "n": n, "error": repr(e)[:300]}
                step["round"] = round_number + 1
                step["janus_alive"] = janus.alive()
                step["janus_log_problems"] = len(log.new_lines())
                janus.stop(timeout=5)
                steps.append(step)
                warm = step.get("warm", {})
                print("register %-5s N=%-5d round %d: %s/s, p50 %s ms, p99 %s ms, %s KiB/account (%s KiB for the "
                      "REGISTER alone), janus CPU %s ms/registration, threads %s -> %s, failed %s, others on CPU 0 %s%%; "
                      "warm: %s/s, p99 %s ms, failed %s%s"
                      % (name, n, round_number + 1, step.get("per_second"), step.get("latency_ms_p50"),
                         step.get("latency_ms_p99"), step.get("kib_per_account"), step.get("kib_per_registration"),
                         step.get("janus_cpu_ms_per_request"), step.get("threads", {}).get("start"),
                         step.get("threads", {}).get("registered"), step.get("failed"), step.get("cpu0_other_pct"),
                         warm.get("per_second"),
                         warm.get("latency_ms_p99"), warm.get("failed"),
                         " ERROR " + step["error"] if "error" in step else ""), flush=True)
    summary = {}
    for n in args.reg_ladder:
        entry = {}
        for name in PLUGINS:
            mine = [s for s in steps if s["n"] == n and s["name"] == name and "error" not in s]
            entry[name] = {field: spread([s.get(field) for s in mine])
                           for field in ("per_second", "latency_ms_p50", "latency_ms_p99", "kib_per_account",
                                         "kib_per_registration", "janus_cpu_ms_per_request", "cpu0_other_pct")}
            entry[name]["warm"] = {field: spread([s["warm"].get(field) for s in mine])
                                   for field in ("per_second", "latency_ms_p50", "latency_ms_p99",
                                                 "janus_cpu_ms_per_request", "janus_cpu_pct", "load_cpu_pct")}
            entry[name]["failed_total"] = sum(s.get("failed", 0) + s["warm"].get("failed", 0)
                                              + s["unregister"].get("failed", 0) for s in mine)
            entry[name]["threads_added"] = spread([s["threads"]["registered"] - s["threads"]["start"] for s in mine])
        ratios, warm, memory, warm_cpu = [], [], [], []
        for r in range(1, args.rounds + 1):
            pair = {s["name"]: s for s in steps if s["n"] == n and s["round"] == r and "error" not in s}
            if len(pair) == 2 and pair["stock"].get("per_second") and pair["sylk"].get("per_second"):
                ratios.append(pair["sylk"]["per_second"] / pair["stock"]["per_second"])
            if len(pair) == 2 and pair["stock"]["warm"].get("per_second") and pair["sylk"]["warm"].get("per_second"):
                warm.append(pair["sylk"]["warm"]["per_second"] / pair["stock"]["warm"]["per_second"])
            if len(pair) == 2 and pair["stock"]["warm"].get("janus_cpu_ms_per_request") and \
                    pair["sylk"]["warm"].get("janus_cpu_ms_per_request"):
                warm_cpu.append(pair["stock"]["warm"]["janus_cpu_ms_per_request"] /
                                pair["sylk"]["warm"]["janus_cpu_ms_per_request"])
            if len(pair) == 2 and pair["sylk"].get("kib_per_account"):
                memory.append(pair["stock"]["kib_per_account"] / pair["sylk"]["kib_per_account"])
        entry["throughput_ratio_sylk_over_stock"] = spread(ratios)
        entry["warm_throughput_ratio_sylk_over_stock"] = spread(warm)
        entry["warm_cpu_ratio_stock_over_sylk"] = spread(warm_cpu)
        entry["memory_ratio_stock_over_sylk"] = spread(memory)
        summary[str(n)] = entry
    return steps, summary


# ------------------------------------------------------------------ calls


def media_clean(step):
    why = []
    w = step.get("window") or {}
    if step["failed"]:
        why.append("%d failed calls" % step["failed"])
    if w.get("loss_pct") is None or w["loss_pct"] > MEDIA_CLEAN["loss_pct"]:
        why.append("loss %s%%" % w.get("loss_pct"))
    if step["target"] == "focus":
        if (w.get("out_pct_of_expected") or 0) < MEDIA_CLEAN["out_pct_of_expected"]:
            why.append("sent %s%% of 50 packets/s per call" % w.get("out_pct_of_expected"))
        ticks = w.get("mixer_ticks") or 0
        if ticks and 100.0 * w.get("missed_deadlines", 0) / ticks > MEDIA_CLEAN["missed_deadlines_pct_of_ticks"]:
            why.append("%d missed mixer deadlines in %d ticks" % (w["missed_deadlines"], ticks))
        if (w.get("active_calls_at_window") or 0) < step["calls"]:
            why.append("only %s calls up" % w.get("active_calls_at_window"))
    return why


def setup_clean(step):
    why = []
    if step["failed_pct"] > SETUP_CLEAN["failed_pct"]:
        why.append("%.2f%% failed" % step["failed_pct"])
    if step["setup_ms_p99"] is None or step["setup_ms_p99"] >= SETUP_CLEAN["setup_ms_p99"]:
        why.append("p99 setup %s ms" % step["setup_ms_p99"])
    return why


async def run_calls(args, snapshot, temp, pinned):
    folder = tempfile.mkdtemp(prefix="calls-", dir=temp)
    state = {"problems": [], "restarts": []}
    servers = {}

    async def start_focus():
        janus = new_janus(snapshot, os.path.join(folder, "run%d" % len(state["restarts"])))
        await asyncio.to_thread(start_janus, janus, pinned)
        state["janus"], state["log"] = janus, LogWatch(janus.log_path)
        state.setdefault("startup", state["log"].new_lines())
        state["admin"] = await Admin.open(janus.admin_url, janus.admin_secret)
        servers["focus"] = janus.process.pid

    async def stop_focus():
        await state["admin"].close()
        state["problems"] += state["log"].new_lines()
        alive = state["janus"].alive()
        return alive, await asyncio.to_thread(state["janus"].stop, 10)

    async def clean_slate(prefix):
        """Before a focus step: calls that earlier steps left behind. Calls whose 200 was never
        ACKed end after Sofia's timers (about a minute); calls whose BYE never arrived (every
        retransmission dropped while the focus was overloaded) stay: the focus has no RTP or
        session timeout yet. Waits up to 70 s, then starts janus afresh (recorded)."""
        start = time.monotonic()
        first = None
        while True:
            status = await state["admin"].message_plugin(PLUGINS["sylk"], {"request": "status"})
            active = status["focus"]["active_calls"]
            first = active if first is None else first
            if active == 0:
                return
            if time.monotonic() - start > 70:
                break
            await asyncio.sleep(2)
        event = {"before_step": prefix, "active_calls_found": first, "active_calls_after_70s": active}
        print("  the focus still has %d calls from earlier steps after 70 s (%d at first): janus restarted"
              % (active, first), flush=True)
        await stop_focus()
        state["restarts"].append(event)
        await start_focus()

    await start_focus()
    reference = await Reference(folder, pinned).start()
    plain, media = call_scenario(folder), call_scenario(folder, tone_file(folder))
    servers["reference"] = reference.pid
    setup_steps, media_steps, notes = [], [], []
    status, alive, code = None, None, None
    try:
        for round_number in range(1, args.rounds + 1):
            order = ["focus", "reference"] if round_number % 2 else ["reference", "focus"]
            for target in order:
                for rate in args.setup_rates:
                    for attempt in range(3):
                        if attempt == 2 and step["cpu0_other_pct"] <= NOISY_PCT:
                            break
                        quiet = await wait_quiet() if attempt else None
                        prefix = "s%d-%s-%d-%d" % (round_number, target[0], rate, attempt)
                        if target == "focus":
                            await clean_slate(prefix)
                        step = await calls_step(target, servers[target], state["admin"], prefix,
                                                int(rate * args.setup_seconds),
                                                rate, 1000, args.room_size, folder, plain)
                        step.update(round=round_number, retry=attempt > 0, not_clean_because=setup_clean(step),
                                    waited_for_quiet=quiet)
                        if step.get("leftover_before") and any(step["leftover_before"].values()):
                            print("  before this step the focus still had %s" % step["leftover_before"], flush=True)
                        step["clean"] = not step["not_clean_because"]
                        setup_steps.append(step)
                        print("setup %-9s %4d/s round %d%s: %d calls, %s failed, p50 %s ms, p99 %s ms, max %s ms, "
                              "server CPU %.2f ms/call, caller sipp %s%%, SIP socket drops %s, others on CPU 0 %s%%: %s" % (
                                  target, rate, round_number, " (retry)" if attempt else "", step["calls"],
                                  step["failed"], step["setup_ms_p50"], step["setup_ms_p99"], step["setup_ms_max"],
                                  step["server_cpu_ms_per_call"], step["caller_sipp_cpu_pct"],
                                  step["server_sip_socket_drops"], step["cpu0_other_pct"], "clean" if step["clean"] else "NOT clean: " + "; ".join(step["not_clean_because"])),
                              flush=True)
                        if step["clean"]:
                            break
                    if not step["clean"]:
                        break
            climbing = {"focus": True, "reference": True}
            for n in args.media_ladder:
                for target in (order if n % 2 == 0 else order[::-1]):
                    if not climbing[target]:
                        continue
                    for attempt in range(3):
                        if attempt == 2 and (step.get("window") or {}).get("cpu0_other_pct", 0) <= NOISY_PCT:
                            break
                        quiet = await wait_quiet() if attempt else None
                        prefix = "m%d-%s-%d-%d" % (round_number, target[0], n, attempt)
                        if target == "focus":
                            await clean_slate(prefix)
                        hold_ms = 1000 * (n / args.media_rate + 3 + args.seconds + 5)
                        step = await calls_step(target, servers[target], state["admin"], prefix, n, args.media_rate,
                                                hold_ms,
                                                args.room_size, folder, media, window=args.seconds)
                        step.update(round=round_number, retry=attempt > 0, not_clean_because=media_clean(step),
                                    waited_for_quiet=quiet)
                        if step.get("leftover_before") and any(step["leftover_before"].values()):
                            print("  before this step the focus still had %s" % step["leftover_before"], flush=True)
                        step["clean"] = not step["not_clean_because"]
                        w = step.get("window", {})
                        if w.get("server_cpu_pct") is not None:
                            step["server_cpu_ms_per_s_per_call"] = round(10 * w["server_cpu_pct"] / n, 4)
                        media_steps.append(step)
                        print("media %-9s N=%-5d round %d%s: server CPU %s%% (%s ms/s per call), caller sipp %s%%, "
                              "loss %s%%, in %s%%, out %s%% of expected, missed deadlines %s/%s, drops %s, failed %s, "
                              "others on CPU 0 %s%%, mixer thread %s%%: %s"
                              % (target, n, round_number, " (retry)" if attempt else "", w.get("server_cpu_pct"),
                                 step.get("server_cpu_ms_per_s_per_call"), w.get("caller_sipp_cpu_pct"),
                                 w.get("loss_pct"), w.get("in_pct_of_expected"), w.get("out_pct_of_expected"),
                                 w.get("missed_deadlines"), w.get("mixer_ticks"), w.get("server_udp_drops"),
                                 step["failed"], w.get("cpu0_other_pct"), w.get("mixer_thread_cpu_pct"),
                                 "clean" if step["clean"] else "NOT clean: " + "; ".join(step["not_clean_because"])),
                              flush=True)
                        if not state["janus"].alive():
                            raise RuntimeError("janus died:\n" + state["janus"].log_tail())
                        if step["clean"] or (w.get("caller_sipp_cpu_pct") or 0) > SATURATED_PCT:
                            break
                    if not step["clean"]:
                        climbing[target] = False
                    if (w.get("caller_sipp_cpu_pct") or 0) > SATURATED_PCT:
                        notes.append("round %d: the caller sipp used %s%% of CPU %d at N=%d (%s): ladder stopped"
                                     % (round_number, w["caller_sipp_cpu_pct"], LOAD_CPU, n, target))
                        print(notes[-1], flush=True)
                        climbing = {"focus": False, "reference": False}
                if not any(climbing.values()):
                    break
        status = await state["admin"].message_plugin(PLUGINS["sylk"], {"request": "status"})
    finally:
        await reference_end(reference)
        alive, code = await stop_focus()
    problems = state["problems"]
    summary = {"setup": {}, "media": {}}
    for target in ("focus", "reference"):
        best = []
        for r in range(1, args.rounds + 1):
            clean = [s["rate"] for s in setup_steps if s["target"] == target and s["round"] == r and s["clean"]]
            best.append(max(clean) if clean else 0)
        summary["setup"][target] = {"max_clean_rate": spread(best), "per_round": best,
                                    "ladder_top_reached": all(b == max(args.setup_rates) for b in best)}
        best, per_n = [], {}
        for r in range(1, args.rounds + 1):
            clean = [s["calls"] for s in media_steps if s["target"] == target and s["round"] == r and s["clean"]]
            best.append(max(clean) if clean else 0)
        for n in args.media_ladder:
            mine = [s for s in media_steps if s["target"] == target and s["calls"] == n and s["clean"]]
            if mine:
                per_n[str(n)] = {"cpu_pct": spread([s["window"]["server_cpu_pct"] for s in mine]),
                                 "ms_per_s_per_call": spread([s.get("server_cpu_ms_per_s_per_call") for s in mine])}
        summary["media"][target] = {"max_clean_calls": spread(best), "per_round": best, "per_n": per_n,
                                    "ladder_top_reached": all(b == max(args.media_ladder) for b in best)}
    focus = summary["media"]["focus"]
    if focus["per_n"]:
        top = str(max(int(n) for n in focus["per_n"]))
        per_call = focus["per_n"][top]["ms_per_s_per_call"]["median"]
        summary["asterisk_comparison"] = {
            "asterisk_ms_per_s_per_call": round(10 * ASTERISK["cpu_pct_of_2_cores"] * ASTERISK["cores"] / ASTERISK["calls"], 3),
            "focus_ms_per_s_per_call_at_n": int(top), "focus_ms_per_s_per_call": per_call,
            "focus_calls_at_asterisk_cpu_projected": int(10 * ASTERISK["cpu_pct_of_2_cores"] * ASTERISK["cores"] / per_call)
            if per_call else None}
    extra = {"janus_log_startup_problems": state["startup"][:5], "janus_log_problems": len(problems),
             "janus_restarts_for_calls_left_behind": state["restarts"],
             "janus_log_problem_samples": sorted(set(problems))[:10], "janus_alive_at_end": alive,
             "janus_exit_code": code, "sip_status_at_end": status, "notes": notes}
    return setup_steps, media_steps, summary, extra


async def reference_end(reference):
    from sip_load import end
    if reference.process:
        await end(reference.process)


# ------------------------------------------------------------------ report


def write_results(args, started, host, parts, pinned):
    os.makedirs(RESULTS, exist_ok=True)
    stamp = started.strftime("%Y%m%dT%H%M%SZ")
    document = {"benchmark": "sip", "date": started.isoformat(timespec="seconds"), "machine": host,
                "parameters": {k: v for k, v in vars(args).items()}, "pinned": pinned, "plugins": PLUGINS,
                "clean": {"setup": SETUP_CLEAN, "media": MEDIA_CLEAN}, "asterisk_anchor": ASTERISK, **parts}
    json_path = os.path.join(RESULTS, "sip-%s.json" % stamp)
    with open(json_path, "w") as out:
        json.dump(document, out, indent=2)
        out.write("\n")
    lines = ["# SIP benchmark (janus.plugin.sylk.sip)", "",
             "%s, %s, %d CPUs (%s), janus %s, commit %s%s. Medians over %d round(s), range in brackets; %s. Raw "
             "numbers: `%s`."
             % (started.strftime("%Y-%m-%d %H:%M UTC"), host["kernel"], host["nproc"], host["cpu_model"], host["janus"],
                host["git_commit"], " (--quick: a smoke test, not a measurement)" if args.quick else "", args.rounds,
                "janus (and the reference sipp UAS) pinned to CPU %d, load generators to CPU %d" % (JANUS_CPU, LOAD_CPU)
                if pinned else "**not pinned**: janus, the reference UAS and the load generators share both CPUs "
                "(server CPU %% is of one core and can pass 100)", os.path.basename(json_path)), ""]
    if "register" in parts:
        summary = parts["register"]["summary"]
        origin = ""
        if "from_run" in parts["register"]:
            origin = ("**From an earlier run**: `%s` (%s, commit %s), %d rounds. " % (
                parts["register"]["from_run"], parts["register"]["from_run_date"], parts["register"]["from_run_commit"],
                max(s["round"] for s in parts["register"]["steps"])))
        lines += ["## REGISTER: ours vs stock janus.plugin.sip (same janus binary, both loaded, fresh janus per step)",
                  "", origin + "Digest registration (401 then 200, sipp registrar), at most %d in flight. Throughput = accounts "
                  "registered / (first request → last `registered` event). Memory = janus VmRSS growth / N, from before "
                  "the handles were attached to after all registered." % args.window, "",
                  "| N | sylk reg/s | stock reg/s | sylk/stock | p99 latency ms sylk / stock | warm: sylk reg/s | stock "
                  "reg/s | sylk/stock | KiB per account sylk / stock | stock/sylk memory | janus CPU ms per registration "
                  "sylk / stock | threads added sylk / stock | failed sylk / stock |",
                  "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
        for n, e in summary.items():
            lines.append("| %s | %s | %s | **%s** | %s / %s | %s | %s | **%s** | %s / %s | %s | %s / %s | %s / %s "
                         "| %d / %d |" % (
                n, fmt(e["sylk"]["per_second"]), fmt(e["stock"]["per_second"]),
                fmt(e["throughput_ratio_sylk_over_stock"], 1, "×"),
                fmt(e["sylk"]["latency_ms_p99"]), fmt(e["stock"]["latency_ms_p99"]),
                fmt(e["sylk"]["warm"]["per_second"]), fmt(e["stock"]["warm"]["per_second"]),
                fmt(e["warm_throughput_ratio_sylk_over_stock"], 1, "×"),
                fmt(e["sylk"]["kib_per_account"], 1), fmt(e["stock"]["kib_per_account"], 1),
                fmt(e["memory_ratio_stock_over_sylk"], 1, "×"),
                fmt(e["sylk"]["janus_cpu_ms_per_request"], 2), fmt(e["stock"]["janus_cpu_ms_per_request"], 2),
                fmt(e["sylk"]["threads_added"]), fmt(e["stock"]["threads_added"]),
                e["sylk"]["failed_total"], e["stock"]["failed_total"]))
        lines += ["", "Re-registration (\"warm\": every handle unregisters, then registers again; the stock plugin "
                  "keeps each handle's Sofia stack and thread, so this is its fastest case). The load generator (this "
                  "client and the sipp registrar) shares CPU 1: when it is near 100%, throughput is the client's, and "
                  "janus CPU per re-registration is the server's side of the comparison.", "",
                  "| N | sylk reg/s | stock reg/s | sylk/stock | janus CPU ms per re-registration sylk / stock | "
                  "stock/sylk CPU | janus CPU % sylk / stock | load generator CPU % sylk / stock |",
                  "|---|---|---|---|---|---|---|---|"]
        for n, e in summary.items():
            w, ws = e["sylk"]["warm"], e["stock"]["warm"]
            lines.append("| %s | %s | %s | %s | %s / %s | **%s** | %s / %s | %s / %s |" % (
                n, fmt(w["per_second"]), fmt(ws["per_second"]), fmt(e["warm_throughput_ratio_sylk_over_stock"], 1, "×"),
                fmt(w["janus_cpu_ms_per_request"], 3), fmt(ws["janus_cpu_ms_per_request"], 3),
                fmt(e.get("warm_cpu_ratio_stock_over_sylk"), 1, "×"),
                fmt(w.get("janus_cpu_pct")), fmt(ws.get("janus_cpu_pct")),
                fmt(w.get("load_cpu_pct")), fmt(ws.get("load_cpu_pct"))))
        lines.append("")
    if "calls" in parts:
        c = parts["calls"]
        s, m = c["summary"]["setup"], c["summary"]["media"]
        origin = ""
        if "from_run" in c:
            origin = "**From an earlier run**: `%s` (%s, commit %s). " % (c["from_run"], c["from_run_date"],
                                                                         c["from_run_commit"])
        lines += ["## Calls into conference rooms (the focus) vs sipp answering sipp",
                  "", origin + "sipp UAC → `sip:<room>@127.0.0.1:5060`, PCMU, %d calls per room; the reference is the same "
                  "UAC against a sipp UAS with `-rtp_echo` on CPU %d. The stock plugin has no rooms." % (
                      args.room_size, JANUS_CPU), "",
                  "| | focus (janus) | reference (sipp UAS) |", "|---|---|---|",
                  "| max clean setup rate, calls/s (≤ 0.1%% failed, p99 < 1 s; ladder %s) | %s%s | %s%s |" % (
                      ",".join(map(str, args.setup_rates)), fmt(s["focus"]["max_clean_rate"]),
                      " (top of the ladder)" if s["focus"]["ladder_top_reached"] else "",
                      fmt(s["reference"]["max_clean_rate"]),
                      " (top of the ladder)" if s["reference"]["ladder_top_reached"] else ""),
                  "| max clean concurrent calls with media %s (ladder %s) | %s%s | %s%s |" % (
                      "on one core" if pinned else "(not pinned: both cores, shared)",
                      ",".join(map(str, args.media_ladder)), fmt(m["focus"]["max_clean_calls"]),
                      " (top of the ladder)" if m["focus"]["ladder_top_reached"] else "",
                      fmt(m["reference"]["max_clean_calls"]),
                      " (top of the ladder)" if m["reference"]["ladder_top_reached"] else "")]
        for n in args.media_ladder:
            f, r = m["focus"]["per_n"].get(str(n)), m["reference"]["per_n"].get(str(n))
            if f or r:
                lines.append("| N=%d: server CPU %% of one core; ms CPU per s per call | %s; %s | %s; %s |" % (
                    n, fmt(f and f["cpu_pct"], 1), fmt(f and f["ms_per_s_per_call"], 3),
                    fmt(r and r["cpu_pct"], 1), fmt(r and r["ms_per_s_per_call"], 3)))
        a = c["summary"].get("asterisk_comparison")
        if a:
            lines += ["", "Anchor (published, not measured here): Asterisk 22 + PJSIP, %d G.711 calls with media at "
                      "%d%% of a 2-core VM = %.2f ms CPU per s per call. The focus at N=%d: %.3f ms per s per call, "
                      "i.e. about %d calls at the same %d%% of 2 cores if it scaled linearly (it runs on one core here; "
                      "a projection, not a measurement). The focus mixes (decodes, sums, encodes a mix-minus per "
                      "talker, every caller here talks), which a plain bridged call does not." % (
                          ASTERISK["calls"], ASTERISK["cpu_pct_of_2_cores"], a["asterisk_ms_per_s_per_call"],
                          a["focus_ms_per_s_per_call_at_n"], a["focus_ms_per_s_per_call"],
                          a["focus_calls_at_asterisk_cpu_projected"] or 0, ASTERISK["cpu_pct_of_2_cores"])]
        lines += ["", "Steps with media:", "",
                  "| round | target | N | server CPU % | ms/s per call | others on CPU 0 % | caller sipp CPU % | loss % "
                  "| in / out % of expected | missed deadlines / ticks | failed | clean |",
                  "|---|---|---|---|---|---|---|---|---|---|---|---|"]
        for step in c["media_steps"]:
            w = step.get("window", {})
            lines.append("| %d%s | %s | %d | %s | %s | %s | %s | %s | %s / %s | %s / %s | %d | %s |" % (
                step["round"], " (retry)" if step["retry"] else "", step["target"], step["calls"],
                w.get("server_cpu_pct"), step.get("server_cpu_ms_per_s_per_call"), w.get("cpu0_other_pct", "–"),
                w.get("caller_sipp_cpu_pct"),
                w.get("loss_pct"), w.get("in_pct_of_expected", "–"), w.get("out_pct_of_expected", "–"),
                w.get("missed_deadlines", "–"), w.get("mixer_ticks", "–"), step["failed"],
                "yes" if step["clean"] else "no: " + "; ".join(step["not_clean_because"])))
        lines += ["", "Setup steps:", "", "| round | target | calls/s | calls | failed | p50 / p99 / max ms | server CPU ms "
                  "per call | SIP socket drops | others on CPU 0 % | clean |", "|---|---|---|---|---|---|---|---|---|---|"]
        for step in c["setup_steps"]:
            lines.append("| %d%s | %s | %d | %d | %d | %s / %s / %s | %s | %s | %s | %s |" % (
                step["round"], " (retry)" if step["retry"] else "", step["target"], step["rate"], step["calls"],
                step["failed"], step["setup_ms_p50"], step["setup_ms_p99"], step["setup_ms_max"],
                step["server_cpu_ms_per_call"], step.get("server_sip_socket_drops", "–"), step.get("cpu0_other_pct", "–"),
                "yes" if step["clean"] else "no: " + "; ".join(step["not_clean_because"])))
        extra = c["extra"]
        restarts = extra.get("janus_restarts_for_calls_left_behind", [])
        if restarts:
            lines += ["", "**Calls left behind**: %d time(s) the focus still counted calls from earlier (failed) steps 70 s "
                      "later, and janus was started afresh: %s." % (len(restarts), "; ".join(
                          "before %s: %d calls (%d at first)" % (r["before_step"], r["active_calls_after_70s"],
                                                                r["active_calls_found"]) for r in restarts))]
        lines += ["", "janus log problems during the calls part: %d%s. Notes: %s" % (
            extra["janus_log_problems"], "".join("\n- `%s`" % p[:160] for p in extra["janus_log_problem_samples"][:5]),
            "; ".join(extra["notes"]) or "none")]
    md_path = os.path.join(RESULTS, "sip-latest.md")
    with open(md_path, "w") as out:
        out.write("\n".join(lines) + "\n")
    return json_path, md_path


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parts", default="register,calls", help="register, calls or both (default)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds (default 3)")
    parser.add_argument("--reg-ladder", default="200,500,1000", help="accounts per REGISTER step")
    parser.add_argument("--window", type=int, default=100, help="registrations in flight at most (default 100)")
    parser.add_argument("--setup-rates", default="400,800,1200,1600,2000,2400,3200", help="calls per second ladder")
    parser.add_argument("--setup-seconds", type=float, default=4, help="seconds of calls per setup step (default 4)")
    parser.add_argument("--media-ladder", default="300,600,900,1200,1500,2000,2500,3000,3500,4000,5000",
                        help="concurrent calls with media ladder")
    parser.add_argument("--media-rate", type=int, default=200, help="calls per second while filling (default 200)")
    parser.add_argument("--room-size", type=int, default=10, help="calls per room (default 10)")
    parser.add_argument("--seconds", type=float, default=5, help="measured window with media (default 5)")
    parser.add_argument("--register-from", metavar="JSON",
                        help="with --parts calls: take the register part (figures and steps) from an earlier run's "
                             "JSON, so that sip-latest.md shows both (marked as from that run)")
    parser.add_argument("--calls-from", metavar="JSON",
                        help="with --parts register: take the calls part from an earlier run's JSON (see --register-from)")
    parser.add_argument("--no-pin", action="store_true",
                        help="no CPU pinning: janus may use both cores (shared with the load generators)")
    parser.add_argument("--quick", action="store_true", help="smoke test: N=50 REGISTERs, 20 calls/s, 20 calls with "
                                                             "media, 1 round (under a minute)")
    parser.add_argument("--build", default=os.environ.get("SYLK_BUILD_DIR", os.path.join(TOP, "build")),
                        help="built tree (default: build/ in this tree)")
    args = parser.parse_args()
    if args.quick:
        args.rounds, args.reg_ladder, args.setup_rates, args.setup_seconds = 1, "50", "20", 2
        args.media_ladder, args.media_rate, args.seconds = "20", 50, 2
        args.reg_ladder = "30"
    args.reg_ladder = [int(v) for v in args.reg_ladder.split(",")]
    args.setup_rates = [int(v) for v in args.setup_rates.split(",")]
    args.media_ladder = [int(v) for v in args.media_ladder.split(",")]
    parts_wanted = [p for p in args.parts.split(",") if p]
    require_netns("sip_bench.py")
    # kill <pid> ends the run like Ctrl-C: janus and the sipp processes are stopped on the way out
    signal.signal(signal.SIGTERM, signal.default_int_handler)

    started = datetime.datetime.now(datetime.timezone.utc)
    host = machine()
    for path in ("plugins/sip/.libs/libjanus_sylk_sip.so", "plugins/audiomixer/.libs/libjanus_sylk_audiomixer.so"):
        if not os.path.exists(os.path.join(args.build, path)):
            sys.exit("missing %s: build first (make)" % path)
    pinned = {JANUS_CPU, LOAD_CPU} <= os.sched_getaffinity(0) and not args.no_pin
    if args.no_pin:
        print("--no-pin: janus, the reference UAS and the load generators share all CPUs")
    elif pinned:
        os.sched_setaffinity(0, {LOAD_CPU})
    else:
        print("warning: CPUs %d and %d are not both available; not pinning" % (JANUS_CPU, LOAD_CPU))
    temp = tempfile.mkdtemp(prefix="sylk-sipbench-")
    snapshot = os.path.join(temp, "build")
    host["build_snapshot"] = snapshot_build(args.build, snapshot)
    parts = {}
    t0 = time.monotonic()
    keep = False
    try:
        if "register" in parts_wanted:
            steps, summary = asyncio.run(run_register(args, snapshot, temp, pinned))
            parts["register"] = {"steps": steps, "summary": summary}
        if "calls" in parts_wanted:
            setup_steps, media_steps, summary, extra = asyncio.run(run_calls(args, snapshot, temp, pinned))
            parts["calls"] = {"setup_steps": setup_steps, "media_steps": media_steps, "summary": summary,
                              "extra": extra}
    except BaseException:
        keep = True
        print("run folder kept: %s" % temp)
        raise
    finally:
        if not keep:
            shutil.rmtree(temp, ignore_errors=True)
    if args.calls_from and "calls" not in parts:
        with open(args.calls_from) as f:
            earlier = json.load(f)
        parts["calls"] = dict(earlier["calls"], from_run=os.path.basename(args.calls_from),
                              from_run_date=earlier["date"], from_run_commit=earlier["machine"]["git_commit"])
        for key in ("setup_rates", "setup_seconds", "media_ladder", "media_rate", "room_size", "seconds"):
            setattr(args, key, earlier["parameters"][key])  # the report describes that run's ladders
    if args.register_from and "register" not in parts:
        with open(args.register_from) as f:
            earlier = json.load(f)
        parts["register"] = dict(earlier["register"], from_run=os.path.basename(args.register_from),
                                 from_run_date=earlier["date"], from_run_commit=earlier["machine"]["git_commit"])
    host["run_seconds"] = round(time.monotonic() - t0, 1)
    json_path, md_path = write_results(args, started, host, parts, pinned)
    print("\n" + open(md_path).read().split("\nSteps with media:")[0])
    print("results: %s, %s (%.0f s)" % (json_path, md_path, host["run_seconds"]))


if __name__ == "__main__":
    main()
