#!/usr/bin/python3
"""Video room fan-out and meeting benchmark with a lightweight load client, WITHOUT DTLS/SRTP:
janus runs with `-w` (--no-webrtc-encryption) and the peers are plain-RTP ICE agents
(bench/rtp_load_client.py), so the numbers measure Janus's RTP path and the plugins' relay
rather than SRTP, and one Python process can play hundreds of PeerConnections.

Both plugins (our janus.plugin.sylk.videoroom and the stock janus.plugin.videoroom) are loaded in
ONE janus, pinned to CPU 0; this process (signalling plus every peer) is pinned to CPU 1.

- fan-out: 1 publisher (Opus 50 packets/s + VP8 30 fps about 1 Mbit/s, 174 packets/s in all) to
  N subscribers; N climbs a ladder (--fanout-ladder).
- meeting: M participants, each publishing the same media and subscribing (one PeerConnection,
  multistream) to every other: M x (M-1) streams; M climbs --meeting-ladder.

At each step the plugins alternate (sylk, stock, sylk, stock... for --rounds rounds). After
every PeerConnection is up and a warm-up, a window of --seconds is measured: janus CPU time (ns
per-process CPU clock; per-thread /proc ticks for the busiest thread), the RTP packets the
subscribers received, their loss (sequence numbers) and one-way delay (kernel receive timestamp
minus the send time in the payload; p50/p99). A step is clean for a plugin when most of its rounds
have loss <= 0.1% and p99 delay <= 20 ms; a plugin stops climbing at its first step that is not
clean, and the ladder stops when this load client passes 85% of its CPU (the limit is then the
client's, and the results say so). Writes bench/results/videoroom-fanout-<UTC>.json and
bench/results/videoroom-fanout-latest.md.

    tests/integration/netns.sh /usr/bin/python3 bench/videoroom_fanout_bench.py
    tests/integration/netns.sh /usr/bin/python3 bench/videoroom_fanout_bench.py --quick   # < 1 minute
"""
import argparse
import asyncio
import datetime
import json
import os
import random
import shutil
import statistics
import tempfile
import time

from bench_common import (JANUS_CPU, LOAD_CPU, RESULTS, SATURATED_PCT, TOP, LogWatch, cpu_busy, cpu_clock,
                          machine, require_netns, threads_cpus)
from harness.janus_api import Session  # noqa: E402
from harness.janus_process import JanusProcess  # noqa: E402
import rtp_load_client as load  # noqa: E402

PLUGINS = {"sylk": "janus.plugin.sylk.videoroom", "stock": "janus.plugin.videoroom"}
PEER_IP = "10.77.0.1"          # janus gathers on v0 (10.77.0.1, netns.sh); the peers use it too
MAX_LOSS_PCT, MAX_P99_MS = 0.1, 20.0
ROOM_BITRATE = 2_000_000       # above what the client sends; the client ignores REMB anyway
EXPECTED_WARNING = "WebRTC encryption disabled"  # janus -w warns once per PeerConnection
NOISY_PCT = 50                 # other processes' share of CPU 0 above which a step's verdict is suspect
CONCURRENCY = 16               # joins in flight at once


def context_switches(pid):
    """Voluntary + involuntary context switches of every live thread of pid so far."""
    total = 0
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/status" % (pid, tid)) as f:
                total += sum(int(line.split()[1]) for line in f if "ctxt_switches:" in line)
        except OSError:
            pass
    return total


def thread_ticks(pid):
    ticks = {}
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/stat" % (pid, tid)) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            ticks[tid] = int(fields[11]) + int(fields[12])
        except OSError:
            pass
    return ticks


async def webrtcup(handle, timeout=30):
    await handle.next_event(timeout=timeout, predicate=lambda e: e.get("janus") == "webrtcup")


async def keepalive(sessions):
    while True:
        await asyncio.sleep(15)
        for session in sessions:
            try:
                await session.connection.call({"janus": "keepalive", "session_id": session.id}, timeout=5)
            except Exception:  # noqa: BLE001 -- a missed keepalive shows up as a failed step
                pass


async def pump(publisher):
    """Sends the publisher's media in real time: Opus every 20 ms, a VP8 frame every 1/30 s."""
    loop = asyncio.get_running_loop()
    start = loop.time() + random.random() * 0.02
    next_audio, next_video = start, start + random.random() / load.FPS
    while True:
        now = loop.time()
        if now >= next_audio:
            publisher.send_audio()
            next_audio += 0.02
            if now - next_audio > 0.2:      # stalled: skip what was missed rather than burst it
                next_audio = now + 0.02
        if now >= next_video:
            publisher.send_video_frame()
            next_video += 1 / load.FPS
            if now - next_video > 0.2:
                next_video = now + 1 / load.FPS
        await asyncio.sleep(max(0, min(next_audio, next_video) - loop.time()))


class Scene:
    """The peers of one step in one plugin, and their signalling."""

    def __init__(self, janus, plugin, room):
        self.janus, self.plugin, self.room = janus, plugin, room
        self.loop = asyncio.get_running_loop()
        self.histogram = load.Histogram()
        self.publishers, self.subscribers, self.tasks, self.sessions = [], [], [], []
        self.feeds = []
        self.gate = asyncio.Semaphore(CONCURRENCY)
        self.manager = None

    async def open(self):
        control = await Session.create(self.janus.ws_url)
        self.sessions.append(control)
        self.manager = await control.attach(self.plugin)
        created, _ = await self.manager.send({"request": "create", "room": self.room, "bitrate": ROOM_BITRATE,
                                              "publishers": 100})
        if created.get("videoroom") != "created":
            raise RuntimeError("%s did not create room %d: %s" % (self.plugin, self.room, created))
        self.publisher_session = await Session.create(self.janus.ws_url)
        self.subscriber_session = await Session.create(self.janus.ws_url)
        self.sessions += [self.publisher_session, self.subscriber_session]
        self.tasks.append(asyncio.ensure_future(keepalive(self.sessions)))

    async def publish(self, display):
        async with self.gate:
            handle = await self.publisher_session.attach(self.plugin)
            joined, _ = await handle.send({"request": "join", "ptype": "publisher", "room": self.room,
                                           "display": display})
            if joined.get("videoroom") != "joined":
                raise RuntimeError("%s refused a publisher: %s" % (self.plugin, joined))
            publisher = load.Publisher(self.loop, PEER_IP)
            self.publishers.append(publisher)
            data, jsep = await handle.send({"request": "publish"}, jsep=publisher.offer())
            if data.get("configured") != "ok" or not jsep:
                raise RuntimeError("%s refused the offer: %s" % (self.plugin, data))
            publisher.accept(jsep["sdp"])
            up = asyncio.ensure_future(webrtcup(handle))
            while not up.done():  # we are the controlling ICE agent here: nominate until janus is up
                publisher.nominate()
                await asyncio.wait([up], timeout=0.1)
            up.result()
            self.tasks.append(asyncio.ensure_future(pump(publisher)))
            self.feeds.append(joined["id"])
            return joined["id"]

    async def subscribe(self, feeds):
        async with self.gate:
            handle = await self.subscriber_session.attach(self.plugin)
            data, jsep = await handle.send({"request": "join", "ptype": "subscriber", "room": self.room,
                                            "streams": [{"feed": feed} for feed in feeds]}, timeout=20)
            if data.get("videoroom") != "attached" or not jsep:
                raise RuntimeError("%s refused a subscriber: %s" % (self.plugin, data))
            subscriber = load.Subscriber(self.loop, PEER_IP, self.histogram)
            self.subscribers.append(subscriber)
            started, _ = await handle.send({"request": "start"}, jsep=subscriber.answer(jsep["sdp"]), timeout=20)
            if started.get("started") != "ok":
                raise RuntimeError("%s did not start a subscriber: %s" % (self.plugin, started))
            await webrtcup(handle)

    def counters(self):
        received = expected = 0
        for subscriber in self.subscribers:
            r, e, _ = subscriber.counters()
            received, expected = received + r, expected + e
        return {"received": received, "expected": expected, "sent": sum(p.sent_packets for p in self.publishers),
                "sent_bytes": sum(p.sent_bytes for p in self.publishers), "histogram": self.histogram.snapshot()}

    async def close(self):
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        for session in (getattr(self, "subscriber_session", None), getattr(self, "publisher_session", None)):
            if session:
                try:
                    await session.close()
                except Exception:  # noqa: BLE001
                    pass
        if self.manager:
            try:
                await self.manager.send({"request": "destroy", "room": self.room})
            except Exception:  # noqa: BLE001
                pass
        if self.sessions:
            try:
                await self.sessions[0].close()
            except Exception:  # noqa: BLE001
                pass
        for peer in self.publishers + self.subscribers:
            peer.close()


async def run_step(janus, log, scenario, name, size, room, args):
    plugin = PLUGINS[name]
    pid = janus.process.pid
    log.new_lines()
    scene = Scene(janus, plugin, room)
    setup_start = time.monotonic()
    try:
        await scene.open()
        if scenario == "fanout":
            feed = await scene.publish("fan-out publisher")
            await asyncio.gather(*(scene.subscribe([feed]) for _ in range(size)))
            fanout = size
        else:
            feeds = await asyncio.gather(*(scene.publish("participant %d" % i) for i in range(size)))
            await asyncio.gather(*(scene.subscribe([f for f in feeds if f != own]) for own in feeds))
            fanout = size - 1
        setup_s = time.monotonic() - setup_start
        await asyncio.sleep(args.warmup)
        before, clock0, threads0, self0 = scene.counters(), cpu_clock(pid), thread_ticks(pid), cpu_clock(os.getpid())
        switches0 = context_switches(pid)
        busy0, t0 = cpu_busy(JANUS_CPU), time.monotonic()
        await asyncio.sleep(args.seconds)
        after, clock1, threads1, self1 = scene.counters(), cpu_clock(pid), thread_ticks(pid), cpu_clock(os.getpid())
        switches1 = context_switches(pid)
        busy1, t1 = cpu_busy(JANUS_CPU), time.monotonic()
        rtcp = sum(p.rtcp for p in scene.publishers + scene.subscribers)
        extmaps = sorted(set(scene.subscribers[0].offer_extmaps)) if scene.subscribers else []
    finally:
        await scene.close()
    if not janus.alive():
        raise RuntimeError("janus died during %s %s %d:\n%s" % (scenario, name, size, janus.log_tail()))
    await asyncio.sleep(args.settle)
    problems = [line for line in log.new_lines() if EXPECTED_WARNING not in line]
    wall, cpu = t1 - t0, clock1 - clock0
    received = after["received"] - before["received"]
    expected = after["expected"] - before["expected"]
    sent = after["sent"] - before["sent"]
    tick = os.sysconf("SC_CLK_TCK")
    thread_cpu = sorted(((threads1[t] - threads0.get(t, 0)) / tick / wall * 100 for t in threads1), reverse=True)
    lost = max(0, expected - received)
    result = {
        "scenario": scenario, "name": name, "plugin": plugin, "size": size, "subscriber_pcs": len(scene.subscribers),
        "streams_per_subscriber_pc": 2 * (1 if scenario == "fanout" else size - 1), "setup_s": round(setup_s, 1),
        "wall_s": round(wall, 3), "janus_cpu_s": round(cpu, 4), "janus_cpu_pct": round(100 * cpu / wall, 1),
        "received_packets": received, "received_packets_per_s": round(received / wall),
        "publisher_sent_packets": sent, "in_x_fanout": sent * fanout,
        "delivered_pct": round(100 * received / (sent * fanout), 3) if sent else None,
        "loss_pct": round(100 * lost / expected, 4) if expected else None,
        "delay_p50_ms": load.Histogram.percentile(before["histogram"], after["histogram"], 0.5),
        "delay_p99_ms": load.Histogram.percentile(before["histogram"], after["histogram"], 0.99),
        "delay_max_bin_ms": load.Histogram.percentile(before["histogram"], after["histogram"], 1.0),
        "publisher_kbit_s": round(8 * (after["sent_bytes"] - before["sent_bytes"]) / wall / 1000 /
                                  max(1, len(scene.publishers)), 1),
        "us_per_packet": round(1e6 * cpu / received, 3) if received else None,
        "janus_context_switches_per_packet": round((switches1 - switches0) / received, 3) if received else None,
        "janus_busiest_thread_pct": round(thread_cpu[0], 1) if thread_cpu else None,
        "janus_threads_above_1pct": sum(1 for v in thread_cpu if v > 1),
        "janus_threads": len(threads1),
        "loadgen_cpu_pct": round(100 * (self1 - self0) / wall, 1),
        "cpu0_other_pct": round(100 * (busy1[0] - busy0[0] - cpu) / wall, 1),
        "cpu0_steal_pct": round(100 * (busy1[1] - busy0[1]) / wall, 1),
        "rtcp_packets_at_peers": rtcp, "subscriber_offer_extmaps": extmaps,
        "janus_log_problems": len(problems), "janus_log_samples": problems[:5],
    }
    result["clean"] = bool(received and result["loss_pct"] is not None and result["loss_pct"] <= MAX_LOSS_PCT and
                           result["delay_p99_ms"] is not None and result["delay_p99_ms"] <= MAX_P99_MS)
    return result


def median_of(runs, field):
    values = [r[field] for r in runs if r.get(field) is not None]
    return statistics.median(values) if values else None


async def climb(janus, log, scenario, ladder, args, room_base):
    """Runs the ladder for both plugins, alternating; returns every run and the steps' summaries."""
    runs, steps = [], []
    climbing = list(PLUGINS)
    room = room_base
    for size in ladder:
        if not climbing:
            break
        mine = {name: [] for name in climbing}
        for index in range(args.rounds):
            for name in climbing:
                room += 1
                try:
                    r = await run_step(janus, log, scenario, name, size, room, args)
                except Exception as error:  # noqa: BLE001 -- a failed setup ends this plugin's climb
                    r = {"scenario": scenario, "name": name, "plugin": PLUGINS[name], "size": size,
                         "clean": False, "error": str(error)[:500]}
                    if not janus.alive():
                        raise
                r["round"] = index + 1
                runs.append(r)
                mine[name].append(r)
                if "error" in r:
                    print("%s %-5s %s=%d round %d: ERROR %s" % (scenario, name, "N" if scenario == "fanout" else "M",
                                                               size, index + 1, r["error"][:200]), flush=True)
                    continue
                print("%s %-5s %s=%-4d round %d: %6.2f us/pkt  %7d pkt/s  janus %5.1f%% (busiest thread %5.1f%%, "
                      "%d threads >1%%, %.2f switches/pkt)  loss %.3f%%  delay p50 %.1f p99 %.1f ms  delivered %.2f%%  client %4.1f%%  "
                      "others on CPU0 %.0f%%  setup %.0fs  log problems %d"
                      % (scenario, name, "N" if scenario == "fanout" else "M", size, index + 1, r["us_per_packet"] or 0,
                         r["received_packets_per_s"], r["janus_cpu_pct"], r["janus_busiest_thread_pct"] or 0,
                         r["janus_threads_above_1pct"], r["janus_context_switches_per_packet"] or 0, r["loss_pct"] or 0, r["delay_p50_ms"] or 0,
                         r["delay_p99_ms"] or 0, r["delivered_pct"] or 0, r["loadgen_cpu_pct"], r["cpu0_other_pct"],
                         r["setup_s"], r["janus_log_problems"]), flush=True)
        step = {"scenario": scenario, "size": size, "plugins": {}}
        client_saturated = False
        for name in list(climbing):
            ok = [r for r in mine[name] if "error" not in r]
            clean = sum(1 for r in mine[name] if r["clean"]) * 2 > len(mine[name])
            values = [r["us_per_packet"] for r in ok if r["us_per_packet"]]
            step["plugins"][name] = {
                "clean": clean, "rounds": len(mine[name]), "errors": len(mine[name]) - len(ok),
                "median_us_per_packet": round(statistics.median(values), 3) if values else None,
                "min_us_per_packet": min(values) if values else None, "max_us_per_packet": max(values) if values else None,
                "median_loss_pct": median_of(ok, "loss_pct"), "median_p99_ms": median_of(ok, "delay_p99_ms"),
                "median_p50_ms": median_of(ok, "delay_p50_ms"), "median_janus_cpu_pct": median_of(ok, "janus_cpu_pct"),
                "median_busiest_thread_pct": median_of(ok, "janus_busiest_thread_pct"),
                "median_switches_per_packet": median_of(ok, "janus_context_switches_per_packet"),
                "median_packets_per_s": median_of(ok, "received_packets_per_s"),
                "max_loadgen_cpu_pct": max((r["loadgen_cpu_pct"] for r in ok), default=None),
                "median_cpu0_other_pct": median_of(ok, "cpu0_other_pct")}
            if ok and max(r["loadgen_cpu_pct"] for r in ok) > SATURATED_PCT:
                client_saturated = True
            if not clean:
                climbing.remove(name)
        pair = [list(zip([r for r in mine.get("sylk", []) if "error" not in r],
                         [r for r in mine.get("stock", []) if "error" not in r]))]
        ratios = [a["us_per_packet"] / b["us_per_packet"] for a, b in pair[0]
                  if a.get("us_per_packet") and b.get("us_per_packet")]
        if ratios:
            step["ratio_per_round"] = [round(x, 3) for x in ratios]
            step["median_ratio_sylk_over_stock"] = round(statistics.median(ratios), 3)
        step["client_saturated"] = client_saturated
        steps.append(step)
        if client_saturated:
            print("%s: the load client passed %d%% of its CPU at %d: stopping the ladder here"
                  % (scenario, SATURATED_PCT, size), flush=True)
            break
    return runs, steps


def max_clean(steps, name):
    best = None
    for step in steps:
        s = step["plugins"].get(name)
        if s is None:
            break
        if not s["clean"]:
            break
        best = step["size"]
    return best


MARKDOWN_HEAD = """# Video room fan-out and meeting benchmark, without DTLS/SRTP: latest result

**DTLS and SRTP are disabled on both sides** (janus started with `-w`, `--no-webrtc-encryption`;
the peers are plain-RTP ICE agents from `bench/rtp_load_client.py`): these numbers measure
Janus's RTP path and the plugins' relay, not SRTP. With encryption on (`videoroom-latest.md`) SRTP
dominates the per-packet cost.

| | |
|---|---|
| Date (UTC) | {date} |
| Machine | {cpu_model}, {nproc} CPUs, Linux {kernel}; janus on CPU(s) {janus_cpu}, load client (one Python process: signalling and every peer) on CPU {loadgen_cpu} |
| Janus | {janus}, `-w`; {loops} |
| Media per publisher | Opus 50 packets/s (80 bytes) + VP8 30 fps, 4 packets of ~1050 bytes per frame, a 12-packet keyframe every 2 s: about {kbit:.0f} kbit/s, 174 packets/s |
| Window | {seconds:g} s after {warmup:g} s warm-up; {rounds} round(s) per step, plugins alternating{quick} |
| Clean step | most of its rounds with loss <= {max_loss}% and p99 one-way delay <= {max_p99:g} ms |
| Commit | {git_commit} (plugin built {plugin_built}) |

CPU per forwarded packet: janus utime+stime (ns per-process CPU clock) during the window divided by
the RTP packets the subscribers received. Median and min–max range over the rounds; the other
columns are medians over the rounds (load client CPU: the highest). "Others on CPU 0": CPU time
other processes of this shared machine took on janus's core during the window (from `/proc/stat`
ticks, rough): rounds where it is high are the outliers, and a step whose median is above
50% is marked "(noisy)".
"""


def table(steps, label):
    lines = ["| %s | plugin | clean | µs / forwarded packet: median (range) | ratio sylk/stock | packets/s out | janus CPU | busiest janus thread | janus context switches / packet | loss | p50 / p99 delay ms | load client CPU | others on CPU 0 |" % label,
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for step in steps:
        for name, s in step["plugins"].items():
            ratio = step.get("median_ratio_sylk_over_stock") if name == "sylk" else None
            lines.append("| %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                step["size"], name, ("yes" if s["clean"] else "**no**") + (
                    " (noisy)" if (s.get("median_cpu0_other_pct") or 0) > NOISY_PCT else ""),
                "%.2f (%.2f – %.2f)" % (s["median_us_per_packet"], s["min_us_per_packet"], s["max_us_per_packet"])
                if s["median_us_per_packet"] else "–",
                "%.3f (%s)" % (ratio, ", ".join("%.2f" % x for x in step["ratio_per_round"])) if ratio else "",
                "%.0f" % s["median_packets_per_s"] if s["median_packets_per_s"] else "–",
                "%.0f%%" % s["median_janus_cpu_pct"] if s["median_janus_cpu_pct"] is not None else "–",
                "%.0f%%" % s["median_busiest_thread_pct"] if s["median_busiest_thread_pct"] is not None else "–",
                "%.2f" % s["median_switches_per_packet"] if s["median_switches_per_packet"] is not None else "–",
                "%.3f%%" % s["median_loss_pct"] if s["median_loss_pct"] is not None else "–",
                "%.1f / %.1f" % (s["median_p50_ms"], s["median_p99_ms"]) if s["median_p99_ms"] is not None else "–",
                "%.0f%%" % s["max_loadgen_cpu_pct"] if s["max_loadgen_cpu_pct"] is not None else "–",
                "%.0f%%" % s["median_cpu0_other_pct"] if s.get("median_cpu0_other_pct") is not None else "–"))
    return "\n".join(lines)


def write_results(args, started, host, results):
    os.makedirs(RESULTS, exist_ok=True)
    json_name = "videoroom-fanout-%s%s.json" % ("loops-" if args.event_loops else "", started.strftime("%Y%m%dT%H%M%SZ"))
    document = {"benchmark": "videoroom-fanout", "date": started.isoformat(timespec="seconds"), "machine": host,
                "dtls_srtp": "disabled (janus -w); plain-RTP peers from bench/rtp_load_client.py",
                "parameters": {k: v for k, v in vars(args).items()}, "plugins": PLUGINS,
                "limits": {"max_loss_pct": MAX_LOSS_PCT, "max_p99_delay_ms": MAX_P99_MS},
                "metric": "janus process CPU (ns per-process clock) per RTP packet received by the subscribers, us",
                **results}
    with open(os.path.join(RESULTS, json_name), "w") as out:
        json.dump(document, out, indent=2)
        out.write("\n")
    return write_markdown(document, json_name)


def write_markdown(document, json_name):
    """videoroom-fanout[-loops]-latest.md from a result document (also: --report FILE.json)."""
    args, host, results = argparse.Namespace(**document["parameters"]), document["machine"], document
    kbits = [r["publisher_kbit_s"] for r in results["fanout_runs"] + results["meeting_runs"] if r.get("publisher_kbit_s")]
    loops = ("`event_loops = %d`: every handle served by %d shared loop threads" % (args.event_loops, args.event_loops)
             if args.event_loops else "janus's default threading: one loop thread per handle")
    text = MARKDOWN_HEAD.format(date=document["date"], janus_cpu=args.janus_cpus, loadgen_cpu=LOAD_CPU, loops=loops,
                                seconds=args.seconds, warmup=args.warmup, rounds=args.rounds,
                                quick=" (`--quick` smoke test)" if args.quick else "", max_loss=MAX_LOSS_PCT,
                                max_p99=MAX_P99_MS, kbit=statistics.median(kbits) if kbits else 0, **host)
    for scenario, label, unit in (("fanout", "N", "subscribers of one publisher"),
                                  ("meeting", "M", "participants, each subscribed to all others")):
        steps = results[scenario + "_steps"]
        if not steps:
            continue
        text += "\n## %s: %s\n\n" % ("Fan-out" if scenario == "fanout" else "Meeting", unit)
        text += table(steps, label) + "\n\n"
        for name in PLUGINS:
            best = max_clean(steps, name)
            last = steps[-1]
            capped = " (the load client saturated at %s=%d: the plugin's own limit is higher)" % (
                label, last["size"]) if last["client_saturated"] and last["plugins"].get(name, {}).get("clean") else ""
            stop = next((step for step in steps if name in step["plugins"] and not step["plugins"][name]["clean"]), None)
            noisy = ""
            if stop and (stop["plugins"][name].get("median_cpu0_other_pct") or 0) > NOISY_PCT:
                noisy = (" (its first step that was not clean, %s=%d, ran while other processes took %.0f%% of CPU 0:"
                         " not a verdict on the plugin)" % (label, stop["size"],
                                                            stop["plugins"][name]["median_cpu0_other_pct"]))
            text += "- largest clean %s, `%s`: %s%s%s\n" % (label, PLUGINS[name], best if best else "none", capped,
                                                            noisy)
    problems = sum(r.get("janus_log_problems", 0) for r in results["fanout_runs"] + results["meeting_runs"])
    text += ("\njanus log problem lines ([ERR]/[WARN]) during the steps: %d in all (samples in the JSON). "
             "Raw numbers: [`%s`](%s), made by `bench/videoroom_fanout_bench.py` (see `bench/README.md`).\n"
             % (problems, json_name, json_name))
    latest = "videoroom-fanout-latest.md" if not args.event_loops else "videoroom-fanout-loops-latest.md"
    with open(os.path.join(RESULTS, latest), "w") as out:
        out.write(text)
    return os.path.join(RESULTS, json_name)


def rewrite_report(path):
    with open(path) as f:
        document = json.load(f)
    for scenario in ("fanout", "meeting"):  # steps of older files lack the per-step CPU 0 noise
        runs = document[scenario + "_runs"]
        for step in document[scenario + "_steps"]:
            for name, s in step["plugins"].items():
                if s.get("median_cpu0_other_pct") is None:
                    s["median_cpu0_other_pct"] = median_of([r for r in runs if r["name"] == name and
                                                            r["size"] == step["size"] and "error" not in r],
                                                           "cpu0_other_pct")
    write_markdown(document, os.path.basename(path))
    print("rewrote the -latest.md from %s" % path)


async def run_all(janus, args):
    log = LogWatch(janus.log_path)
    startup = log.new_lines()
    results = {"janus_log_startup_problems": startup}
    results["fanout_runs"], results["fanout_steps"] = ([], [])
    results["meeting_runs"], results["meeting_steps"] = ([], [])
    if args.fanout_ladder:
        results["fanout_runs"], results["fanout_steps"] = await climb(janus, log, "fanout", args.fanout_ladder,
                                                                      args, 6000)
    if args.meeting_ladder:
        results["meeting_runs"], results["meeting_steps"] = await climb(janus, log, "meeting", args.meeting_ladder,
                                                                        args, 7000)
    return results


def ladder(text):
    return [int(v) for v in text.split(",") if v.strip()] if text else []


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fanout-ladder", type=ladder, default=ladder("10,25,50,100,200,300,400,500,600,800"),
                        help="subscriber counts for the fan-out (comma separated; empty: skip)")
    parser.add_argument("--meeting-ladder", type=ladder, default=ladder("4,8,12,16,20,24,28,32"),
                        help="participant counts for the meeting (comma separated; empty: skip)")
    parser.add_argument("--seconds", type=float, default=5, help="measured window per run (default 5)")
    parser.add_argument("--warmup", type=float, default=2, help="seconds after setup before measuring (default 2)")
    parser.add_argument("--settle", type=float, default=1.5, help="seconds after teardown (default 1.5)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per step, plugins alternating (default 3)")
    parser.add_argument("--event-loops", type=int, default=0,
                        help="janus.jcfg event_loops: serve every handle from that many shared loop threads "
                             "(default 0: janus's default, one thread per handle)")
    parser.add_argument("--janus-cpus", default="0",
                        help="CPUs janus may use: 0 (default: CPU 0, the load client alone on CPU 1) or 0,1 "
                             "(both cores, sharing CPU 1 with the load client)")
    parser.add_argument("--report", metavar="JSON", help="only rewrite the -latest.md from a result file")
    parser.add_argument("--quick", action="store_true", help="smoke test: N=10 and M=4, one 2 s round each")
    default_build = os.path.join(TOP, "build") if os.path.isdir(os.path.join(TOP, "build", "plugins")) else TOP
    parser.add_argument("--build", default=os.environ.get("SYLK_BUILD_DIR", default_build),
                        help="built tree (default: build/ of this tree, as ./sylk build makes it)")
    args = parser.parse_args()
    if args.report:
        return rewrite_report(args.report)
    if args.quick:
        args.fanout_ladder, args.meeting_ladder, args.rounds = [10], [4], 1
        args.seconds, args.warmup, args.settle = 2, 1, 0.5
    require_netns("videoroom_fanout_bench.py")

    started = datetime.datetime.now(datetime.timezone.utc)
    host = machine()
    plugin_so = os.path.join(args.build, "plugins", "videoroom", ".libs", "libjanus_sylk_videoroom.so")
    host["plugin_built"] = (datetime.datetime.fromtimestamp(os.path.getmtime(plugin_so), datetime.timezone.utc)
                            .isoformat(timespec="seconds") if os.path.exists(plugin_so) else "?")
    if not {JANUS_CPU, LOAD_CPU} <= os.sched_getaffinity(0):
        raise SystemExit("needs CPUs %d and %d" % (JANUS_CPU, LOAD_CPU))
    janus_cpus = {int(c) for c in args.janus_cpus.split(",")}
    pin_janus = janus_cpus == {JANUS_CPU}
    os.sched_setaffinity(0, janus_cpus)  # janus inherits its CPUs from us when it is started
    run_dir = tempfile.mkdtemp(prefix="sylk-fanout-")
    janus = JanusProcess(args.build, run_dir, ice_interfaces="v0", test_plugins=False, stock_plugins=("videoroom",),
                         extra_args=["-w"], event_loops=args.event_loops)
    results = None
    try:
        janus.start()
        host["janus_cpus"] = threads_cpus(janus.process.pid, JANUS_CPU if pin_janus else None)
        threads_cpus(os.getpid(), LOAD_CPU)
        print("janus -w (no DTLS/SRTP, event_loops %d) pid %d on CPUs %s, load client on CPU %d; log %s"
              % (args.event_loops, janus.process.pid, host["janus_cpus"], LOAD_CPU, janus.log_path), flush=True)
        results = asyncio.run(run_all(janus, args))
        results["janus_cpus_at_end"] = threads_cpus(janus.process.pid)
    finally:
        code = janus.stop()
        if results is None:
            print("janus exited %s; run folder with its log kept: %s" % (code, run_dir))
    shutil.rmtree(run_dir, ignore_errors=True)
    path = write_results(args, started, host, results)
    for scenario, label in (("fanout", "N"), ("meeting", "M")):
        steps = results[scenario + "_steps"]
        if steps:
            print("%s: largest clean %s: %s" % (scenario, label, ", ".join(
                "%s %s" % (name, max_clean(steps, name)) for name in PLUGINS)))
            for step in steps:
                print("  %s=%d: %s  ratio %s" % (label, step["size"], "  ".join(
                    "%s %s us/pkt%s" % (name, s["median_us_per_packet"], "" if s["clean"] else " (not clean)")
                    for name, s in step["plugins"].items()), step.get("median_ratio_sylk_over_stock")))
    print("results: %s and the -latest.md next to it" % path)


if __name__ == "__main__":
    main()
