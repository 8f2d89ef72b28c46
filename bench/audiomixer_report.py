"""The report side of the audio mixer benchmark: the summary of every ladder (capacity per core,
CPU per participant, ratios) and the JSON and Markdown it writes under bench/results/."""
import json
import os
import statistics

from audiomixer_load import (CLEAN, GAP_MS, NOISE_DBOV, OPUS_BITRATE, OPUS_COMPLEXITY, OPUS_EXPECTED_LOSS, PLUGINS,
                             STALL_MS, TALKERS, TONE_DBOV, TONES)
from bench_common import JANUS_CPU, LOAD_CPU, RESULTS, SATURATED_PCT


def summarise(all_steps, ladders):
    summary = {"failed_steps": [s for s in all_steps if "error" in s], "aborted": ladders.get("aborted"),
               "janus_crashes": [{k: v for k, v in c.items() if k != "log_tail"} for c in ladders.get("crashes", [])]}
    steps = [s for s in all_steps if "error" not in s]
    for scenario, ladder in ladders.items():
        if scenario in ("aborted", "crashes"):
            continue
        mine = [s for s in steps if s["scenario"] == scenario]
        entry = {"status": ladder["status"], "per_n": {}}
        for n in sorted({s["n"] for s in mine}):
            row = {}
            for name in PLUGINS:
                runs = [s for s in mine if s["n"] == n and s["name"] == name]
                if not runs:
                    continue
                # the CPU of the clean runs when there are any (a retry is often the quieter run)
                values = [s["ms_per_s_per_participant"] for s in runs if s["clean"]] or \
                    [s["ms_per_s_per_participant"] for s in runs]
                row[name] = {"median_ms_per_s_per_participant": round(statistics.median(values), 4),
                             "min": min(values), "max": max(values), "runs": len(runs),
                             "clean_runs": sum(s["clean"] for s in runs),
                             "median_janus_cpu_pct": round(
                                 statistics.median(s["janus_cpu_pct_clock"] for s in runs), 1),
                             "median_delivered_pct": round(statistics.median(s["delivered_pct"] for s in runs), 2),
                             "median_gaps_per_participant_10s": round(statistics.median(
                                 s["gaps_per_participant_10s"] for s in runs), 3),
                             "max_loss_pct": max(s["loss_pct"] for s in runs),
                             "max_loadgen_cpu_pct": max(s["loadgen_cpu_pct"] for s in runs)}
            if "sylk" in row and "stock" in row:
                row["cpu_ratio_stock_over_sylk"] = round(row["stock"]["median_ms_per_s_per_participant"]
                                                         / row["sylk"]["median_ms_per_s_per_participant"], 2)
            entry["per_n"][str(n)] = row
        # CPU per participant where both plugins ran clean at the same N (largest such N), and the
        # median (min-max) over all clean steps of each plugin
        both = [n for n, row in entry["per_n"].items() if "sylk" in row and "stock" in row
                and ladder["status"]["sylk"]["max_clean_n"] and int(n) <= ladder["status"]["sylk"]["max_clean_n"]
                and ladder["status"]["stock"]["max_clean_n"] and int(n) <= ladder["status"]["stock"]["max_clean_n"]] \
            if {"sylk", "stock"} <= set(ladder["status"]) else []
        if both:
            n = max(both, key=int)
            entry["reference_n"] = int(n)
            entry["cpu_ratio_stock_over_sylk_at_reference_n"] = entry["per_n"][n]["cpu_ratio_stock_over_sylk"]
        for name in ladder["status"]:
            clean = [s["ms_per_s_per_participant"] for s in mine if s["name"] == name and s["clean"]]
            if clean:
                entry.setdefault("clean_cpu", {})[name] = {
                    "median_ms_per_s_per_participant": round(statistics.median(clean), 4),
                    "min": min(clean), "max": max(clean), "steps": len(clean)}
        status = ladder["status"]
        for name, st in status.items():
            at_max = [s["ms_per_s_per_participant"] for s in mine
                      if s["name"] == name and s["clean"] and s["n"] == st["max_clean_n"]]
            if at_max:
                entry.setdefault("cpu_at_max_clean_n", {})[name] = round(statistics.median(at_max), 4)
        if {"sylk", "stock"} <= set(status) and status["stock"]["max_clean_n"]:
            if status["sylk"]["max_clean_n"]:
                entry["max_n_ratio_sylk_over_stock"] = round(
                    status["sylk"]["max_clean_n"] / status["stock"]["max_clean_n"], 2)
                # a plugin that never failed has a capacity above its max clean N
                entry["max_n_ratio_is_lower_bound"] = status["sylk"]["first_not_clean_n"] is None
                entry["max_n_ratio_is_upper_bound"] = status["stock"]["first_not_clean_n"] is None
        summary[scenario] = entry
    summary["max_loadgen_cpu_pct"] = max((s["loadgen_cpu_pct"] for s in steps), default=0)
    summary["median_cpu0_other_pct"] = statistics.median(s["cpu0_other_pct"] for s in steps) if steps else 0
    summary["max_cpu0_other_pct"] = max((s["cpu0_other_pct"] for s in steps), default=0)
    summary["janus_log_problems"] = {name: sum(s["janus_log_problems"] for s in steps if s["name"] == name)
                                     for name in PLUGINS}
    summary["missed_deadlines_total"] = sum((s["mixer"] or {}).get("missed_deadlines", 0) for s in steps)
    summary["missed_deadlines_in_clean_steps"] = sum((s["mixer"] or {}).get("missed_deadlines", 0)
                                                     for s in steps if s["clean"])
    summary["loadgen_cpu_pct_per_100_participants"] = {
        name: round(statistics.median(100 * s["loadgen_cpu_pct"] / s["n"] for s in steps
                                      if s["name"] == name and s["n"] >= 100), 1)
        for name in PLUGINS if any(s["name"] == name and s["n"] >= 100 for s in steps)}
    # the kinds of janus log problem lines, by plugin and phase, with how often each came
    kinds = {}
    for s in steps:
        for phase, samples, count in (("setup+window", s["janus_log_samples"], s["janus_log_problems"]),
                                      ("teardown", s["janus_log_samples_teardown"], s["janus_log_problems_teardown"])):
            entry = kinds.setdefault(s["name"], {}).setdefault(phase, {"lines": 0, "steps": 0, "kinds": []})
            entry["lines"] += count
            entry["steps"] += 1 if count else 0
            for line in samples:
                key = "".join(c for c in line if not c.isdigit() and c not in "abcdefx")[:80]
                if key not in [k for k, _ in entry["kinds"]]:
                    entry["kinds"].append((key, line[:200]))
    summary["janus_log_kinds"] = {name: {phase: {"lines": e["lines"], "steps": e["steps"],
                                                 "samples": [line for _, line in e["kinds"]][:6]}
                                         for phase, e in phases.items()} for name, phases in kinds.items()}
    summary["audio_check_failures_by_plugin"] = {
        name: sum(1 for s in steps if s["name"] == name for check in s["audio_check"].values() if not check.get("ok"))
        for name in PLUGINS}
    summary["audio_check_failures"] = [
        "%s N=%d %s %s" % (s["scenario"], s["n"], s["name"], role)
        for s in steps for role, check in s["audio_check"].items() if not check.get("ok")]
    return summary


MARKDOWN = """# Audio mixer benchmark: latest result

| | |
|---|---|
| Date (UTC) | {date} |
| Machine | {cpu_model}, {nproc} CPUs, Linux {kernel}; janus pinned to CPU {janus_cpu}, load generator to CPU {loadgen_cpu} |
| Janus | {janus} |
| Plugins | `janus.plugin.sylk.audiomixer` (ours) and `janus.plugin.audiobridge` (stock 1.1.2), one janus, alternating at every step |
| Participants | plain RTP, one Python asyncio load generator; per room 3 talkers (tones at {tone_dbov} dBov) and N/rooms − 3 listeners (noise at about {noise_dbov} dBov), one packet every 20 ms each, pre-encoded and replayed |
| Opus output | complexity {complexity}, {bitrate} bit/s, in-band FEC with {loss}% expected loss, on both plugins (stock: `quality`, `bitrate`, `expected_loss`, `rtp.fec` in the join) |
| Measured window | {seconds:g} s per step after the join storm settled and {warmup:g} s of warm-up; {rounds} round(s) per step{quick} |
| Commit | {git_commit} (plugin built {plugin_built}) |

## Largest N that ran clean on one core (CPU {janus_cpu})

| Scenario | codec, room rate, rooms | sylk: max clean N | stock: max clean N | ratio sylk / stock | CPU ms/s per participant at the largest N both ran clean: sylk vs stock, stock / sylk | sylk CPU ms/s per participant at its max N | stock, at its max N | median (min – max) over all clean steps: sylk / stock |
|---|---|---|---|---|---|---|---|---|
{capacity_rows}

"max clean N" is the last N of the ladder where the plugin ran clean, on one core; "(≥)" means it
never failed (the ladder ended, the time budget ran out or the load generator saturated first), so
its capacity is higher and the ratio a lower bound. CPU is janus's CPU time per second per
participant (ms/s), the whole process; it falls with N while a fixed cost (the mixer thread's
ticks, janus itself) spreads over more participants, so the comparison at the same N is the fair
one.{aborted}

## Every step

| Scenario | N | plugin | janus CPU | ms/s per participant | delivered (worst) | loss | gaps > {gap_ms} ms per participant per 10 s | longest interval | load generator | others on CPU {janus_cpu} | our mixer: missed deadlines, encodes own + shared per tick | heard | clean |
|---|---|---|---|---|---|---|---|---|---|---|---|---|---|
{step_rows}

Load generator (all participants, one Python process on CPU {loadgen_cpu}): at most {loadgen_max:.0f}% of a CPU
(median per 100 participants: {loadgen_per_100}).{saturated}
Other processes of this shared machine used a median {other_median:.0f}% (at most {other_max:.0f}%) of janus's
CPU {janus_cpu} during the windows (from `/proc/stat` clock ticks: rough, it even comes out negative).
Our mixer missed {missed} deadlines in all windows together, {missed_clean} of them in clean steps.{audio_failures}

## janus log

`[ERR]`/`[WARN]` lines (and lines saying error) that janus wrote during the steps:

{log_rows}

What was measured: janus's whole CPU time (utime + stime, from the ns per-process CPU clock;
`/proc` ticks agree within their 10 ms resolution and are in the JSON) during the window, divided
by the window and by N: ms of CPU per second per participant, for the plain RTP sockets, decoding,
mixing, encoding and sending of one plugin. On the receiving side, with kernel timestamps: the
packets each participant got against the 50 per second a 20 ms cadence gives ("delivered"), the
sequence-number gaps ("loss"), and output gaps: an interval of more than {gap_ms} ms between two
consecutive packets (a 20 ms stream has intervals of 20 ms ± scheduling noise, so > {gap_ms} ms means
at least one frame was missing or a frame late). A step is clean when every participant got audio,
delivered ≥ {delivered}% overall and ≥ {worst}% for the worst participant, loss ≤ {loss_clean}%, at most
{gaps_clean:g} gap per participant per 10 s on average and no interval above {stall} ms; a plugin stops
climbing at its first step that is not clean (after one extra attempt). "heard" decodes the last second
a listener and a talker of room 1 received: the listener must hear all 3 tones, the talker the other
two and not its own. The two plugins mix differently: the stock plugin mixes every participant and
encodes a mix-minus for each one; ours leaves out frames quieter than -50 dBov (the listeners' noise),
encodes a mix-minus only for the talkers and one shared mix for everyone else (`encodes_own`,
`encodes_shared`). {notes}Raw numbers: [`{json_name}`]({json_name}), made by
`bench/audiomixer_bench.py` (see `bench/README.md`).
"""


def log_rows(summary):
    rows = []
    for name, phases in summary.get("janus_log_kinds", {}).items():
        for phase, entry in phases.items():
            if not entry["lines"]:
                rows.append("- `%s`, %s: none" % (PLUGINS[name], phase))
                continue
            rows.append("- `%s`, %s: %d lines in %d steps, such as:" % (PLUGINS[name], phase, entry["lines"],
                                                                       entry["steps"]))
            rows.extend("  - `%s`" % line.replace("`", "'") for line in entry["samples"])
    return "\n".join(rows) or "none"


def capacity_cell(status):
    if not status or status["max_clean_n"] is None:
        return "none" + (" (%s)" % status["stopped_by"] if status and status.get("stopped_by") else "")
    return "%d%s" % (status["max_clean_n"], " (≥)" if status["first_not_clean_n"] is None else "")


def ratio_cell(entry):
    ratio = entry.get("max_n_ratio_sylk_over_stock")
    if ratio is None:
        return "–"
    low, high = entry.get("max_n_ratio_is_lower_bound"), entry.get("max_n_ratio_is_upper_bound")
    if low and high:
        return "%.2f (neither failed)" % ratio
    return "**%s%.2f**" % ("≥ " if low else "≤ " if high else "", ratio)


def fmt_cpu(value):
    return "–" if value is None else "%.3f" % value


def cpu_cell(entry, name):
    clean = entry.get("clean_cpu", {}).get(name)
    if not clean:
        return "–"
    return "%.3f (%.3f – %.3f)" % (clean["median_ms_per_s_per_participant"], clean["min"], clean["max"])


def write_results(args, started, host, steps, ladders, summary, pinned, scenarios):
    os.makedirs(RESULTS, exist_ok=True)
    json_name = "audiomixer-%s.json" % started.strftime("%Y%m%dT%H%M%SZ")
    parameters = {"seconds": args.seconds, "warmup_s": args.warmup, "rounds": args.rounds, "retry": args.retry,
                  "quick": args.quick, "budget_s": args.budget, "scenarios": [s.describe() for s in scenarios],
                  "talkers_per_room": TALKERS, "tones_hz": TONES, "tone_dbov": TONE_DBOV, "noise_dbov": NOISE_DBOV,
                  "opus_complexity": OPUS_COMPLEXITY, "opus_bitrate": OPUS_BITRATE,
                  "opus_expected_loss_pct": OPUS_EXPECTED_LOSS, "gap_ms": GAP_MS, "stall_ms": STALL_MS,
                  "clean": CLEAN, "janus_cpu": JANUS_CPU, "loadgen_cpu": LOAD_CPU, "pinned": pinned,
                  "order": "at every N each plugin once per round, order alternating between steps"}
    document = {"benchmark": "audiomixer", "date": started.isoformat(timespec="seconds"), "machine": host,
                "parameters": parameters, "plugins": PLUGINS,
                "metric": "janus process CPU time (ns per-process CPU clock) per second per participant, in ms; "
                          "*_ticks: the same from /proc/<pid>/stat; receiver-side delivery, loss and output gaps "
                          "(intervals > %d ms) from kernel timestamps" % GAP_MS,
                "ladders": ladders, "steps": steps, "summary": summary}
    with open(os.path.join(RESULTS, json_name), "w") as out:
        json.dump(document, out, indent=2)
        out.write("\n")

    capacity_rows = []
    for scenario in scenarios:
        if scenario.name not in ladders:
            continue
        entry, status = summary[scenario.name], ladders[scenario.name]["status"]
        reference = "–"
        if "reference_n" in entry:
            row = entry["per_n"][str(entry["reference_n"])]
            reference = "N=%d: %.3f vs %.3f, **%.2f×**" % (
                entry["reference_n"], row["sylk"]["median_ms_per_s_per_participant"],
                row["stock"]["median_ms_per_s_per_participant"], entry["cpu_ratio_stock_over_sylk_at_reference_n"])
        at_max = entry.get("cpu_at_max_clean_n", {})
        capacity_rows.append("| %s | %s, %d Hz, %d | %s | %s | %s | %s | %s | %s | %s |" % (
            scenario.name, scenario.codec, scenario.rate, scenario.rooms, capacity_cell(status.get("sylk")),
            capacity_cell(status.get("stock")) if "stock" in status else "not run", ratio_cell(entry), reference,
            fmt_cpu(at_max.get("sylk")), fmt_cpu(at_max.get("stock")),
            "%s / %s" % (cpu_cell(entry, "sylk"), cpu_cell(entry, "stock"))))
    step_rows = []
    for s in steps:
        if "error" in s:
            step_rows.append("| %s | %d | %s | – | – | – | – | – | – | – | – | – | – | no: %s |" % (
                s["scenario"], s["n"], s["name"], s["not_clean_because"][0].replace("|", "/").replace("\n", " ")))
            continue
        mixer = s["mixer"]
        mixer_text = ("%d, %.1f + %.1f" % (mixer.get("missed_deadlines", 0), mixer.get("encodes_own_per_tick", 0),
                                           mixer.get("encodes_shared_per_tick", 0)) if mixer else "–")
        heard = ", ".join("%s %s" % (k, "ok" if v.get("ok") else "**BAD**")
                          for k, v in sorted(s["audio_check"].items()))
        step_rows.append(("| %s | %d | %s%s | %.1f%% | %.3f | %.2f%% (%.2f%%) | %.2f%% | %.2f | %.0f ms | %.0f%% | %.0f%% "
                          "| %s | %s | %s |") % (
            s["scenario"], s["n"], s["name"], " (retry)" if s.get("retry") else "", s["janus_cpu_pct_clock"],
            s["ms_per_s_per_participant"], s["delivered_pct"], s["worst_delivered_pct"], s["loss_pct"],
            s["gaps_per_participant_10s"], s["worst_interval_ms"], s["loadgen_cpu_pct"], s["cpu0_other_pct"],
            mixer_text, heard,
            "yes" if s["clean"] else "no: " + "; ".join(s["not_clean_because"])))
    saturated = ""
    if summary["max_loadgen_cpu_pct"] > SATURATED_PCT:
        saturated = " **The load generator saturated** (above %d%%) and ended a ladder there." % SATURATED_PCT
    failures = summary["audio_check_failures"]
    audio_failures = (" **Audio check failed** in: %s." % ", ".join(failures[:10])) if failures else ""
    notes = "".join("%s: %s. " % (s.name, s.note) for s in scenarios if s.note and s.name in ladders)
    aborted = ""
    crashes = ladders.get("crashes", [])
    if crashes:
        aborted += "\n\n**janus crashed %d time(s)** (each time it was started again and the ladder went on; the " \
                   "crashing step counts as not clean):\n" % len(crashes)
        for crash in crashes:
            lines = [line for line in crash["log_tail"].splitlines() if line.strip()][-6:]
            aborted += ("\n- %s, N=%d, during the `%s` step, exit code %s; the end of the janus log:\n\n"
                        "  ```\n%s\n  ```\n") % (
                crash["scenario"], crash["n"], crash["name"], crash["exit_code"],
                "\n".join("  " + line[:160] for line in lines))
    if summary.get("aborted"):
        aborted += "\n\n**The run was cut short:** %s" % summary["aborted"].split("\n", 1)[0]
    text = MARKDOWN.format(
        date=document["date"], janus_cpu=JANUS_CPU if pinned else "(not pinned)",
        loadgen_cpu=LOAD_CPU if pinned else "(not pinned)", tone_dbov=TONE_DBOV, noise_dbov=NOISE_DBOV,
        complexity=OPUS_COMPLEXITY, bitrate=OPUS_BITRATE, loss=OPUS_EXPECTED_LOSS, seconds=args.seconds,
        warmup=args.warmup, rounds=args.rounds, quick=" (`--quick` smoke test)" if args.quick else "",
        capacity_rows="\n".join(capacity_rows), step_rows="\n".join(step_rows), gap_ms=GAP_MS,
        loadgen_max=summary["max_loadgen_cpu_pct"], saturated=saturated, other_median=summary["median_cpu0_other_pct"],
        other_max=summary["max_cpu0_other_pct"], missed=summary["missed_deadlines_total"],
        missed_clean=summary["missed_deadlines_in_clean_steps"], log_rows=log_rows(summary),
        loadgen_per_100=", ".join("%.1f%% with %s" % (v, k) for k, v in
                                  summary.get("loadgen_cpu_pct_per_100_participants", {}).items()) or "–",
        audio_failures=audio_failures, delivered=CLEAN["delivered_pct"], worst=CLEAN["worst_delivered_pct"],
        loss_clean=CLEAN["loss_pct"], gaps_clean=CLEAN["gaps_per_participant_10s"], stall=STALL_MS, notes=notes,
        aborted=aborted, json_name=json_name, **host)
    with open(os.path.join(RESULTS, "audiomixer-latest.md"), "w") as out:
        out.write(text)
    return os.path.join(RESULTS, json_name)
