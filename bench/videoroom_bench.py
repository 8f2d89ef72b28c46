#!/usr/bin/python3
"""Video room fan-out benchmark: janus CPU time per RTP packet forwarded to subscribers, our
janus.plugin.sylk.videoroom against the stock janus.plugin.videoroom, both loaded in ONE janus and
measured alternately (A/B/A/B...).

Each round creates a room in one plugin (same settings for both: bitrate cap 500 kbit/s), publishes
one aiortc feed into it (Opus tone + 640x480 VP8 at 15 fps made of random 16x16 blocks, about
570 kbit/s and 4 RTP packets per frame) and attaches N aiortc subscribers to that feed, each
receiving and decoding both tracks. After every PeerConnection is up and a warm-up, we measure,
for a fixed window, janus utime+stime (/proc/<pid>/stat, plus the ns per-process CPU clock) and the
RTP packets janus sent to the subscribers (admin API handle_info: webrtc.media[*].stats.out.packets,
the same Janus core counter for both plugins), and compare them with what the publisher sent in
(stats.in.packets x N) and with what the subscribers' aiortc stacks report. janus runs on CPU 0,
this load generator on CPU 1. Writes bench/results/videoroom-<UTC time>.json (all raw numbers)
and bench/results/videoroom-latest.md. Needs the private network namespace:

    tests/integration/netns.sh /usr/bin/python3 bench/videoroom_bench.py [--subscribers N --seconds S --rounds R]
    tests/integration/netns.sh /usr/bin/python3 bench/videoroom_bench.py --quick     # smoke test
"""
import argparse
import asyncio
import datetime
import fractions
import json
import os
import shutil
import statistics
import tempfile
import time

import numpy
from aiortc.rtp import RTCP_PSFB_APP, RtcpPsfbPacket, unpack_remb_fci
from av import VideoFrame

from bench_common import (JANUS_CPU, LOAD_CPU, RESULTS, SATURATED_PCT, TOP, LogWatch, cpu_busy, cpu_clock,
                          cpu_seconds, machine, require_netns, threads_cpus)
from harness.janus_api import Admin, Session  # noqa: E402
from harness.janus_process import JanusProcess  # noqa: E402
from harness.peers import ColourTrack, ToneTrack, accept, make_peer, offer  # noqa: E402

PLUGINS = {  # short name -> janus plugin; both take the same videoroom requests
    "sylk": "janus.plugin.sylk.videoroom",
    "stock": "janus.plugin.videoroom",
}
ROOM_BITRATE = 500000  # the room's cap for the publisher, bit/s: aiortc's default VP8 target too
WIDTH, HEIGHT, FPS, BLOCK, PATTERN_FRAMES = 640, 480, 15, 16, 8


class PatternTrack(ColourTrack):
    """ColourTrack's timing, but 640x480 frames of random 16x16 blocks tinted by rgb: VP8 cannot
    squeeze them, so it sends several packets per frame. A few frames are made once (already in
    yuv420p, the encoder's format) and cycled, so each frame costs only a copy."""

    def __init__(self, rgb, fps=FPS, seed=1):
        super().__init__(rgb, fps)
        rng = numpy.random.default_rng(seed)
        tint = numpy.array(rgb, numpy.float32) / 255
        self.frames = []
        for _ in range(PATTERN_FRAMES):
            blocks = rng.integers(0, 256, (HEIGHT // BLOCK, WIDTH // BLOCK, 3)).astype(numpy.float32)
            blocks = (blocks * (0.5 + 0.5 * tint)).astype(numpy.uint8)
            image = numpy.repeat(numpy.repeat(blocks, BLOCK, axis=0), BLOCK, axis=1)
            rgb_frame = VideoFrame.from_ndarray(numpy.ascontiguousarray(image), format="rgb24")
            self.frames.append(rgb_frame.reformat(format="yuv420p").to_ndarray())

    async def recv(self):
        if self.start is None:
            self.start = time.monotonic()
        await asyncio.sleep(max(0, self.start + self.count / self.fps - time.monotonic()))
        frame = VideoFrame.from_ndarray(self.frames[self.count % len(self.frames)], format="yuv420p")
        frame.pts = self.count * 90000 // self.fps
        frame.time_base = fractions.Fraction(1, 90000)
        self.count += 1
        return frame


async def drain(track, frames):
    """Reads a received track so aiortc decodes it and its queue does not grow; counts frames."""
    try:
        while True:
            await track.recv()
            frames[track.kind] += 1
    except Exception:  # MediaStreamError when the track ends
        pass


def sdp_features(sdp):
    """The header extensions and RTCP feedback a session description offers or accepts, deduplicated."""
    return sorted({line.split(" ", 1)[1] if line.startswith("a=extmap") else line[len("a=rtcp-fb:"):]
                   for line in sdp.splitlines() if line.startswith(("a=extmap:", "a=rtcp-fb:"))})


async def webrtcup(handle):
    await handle.next_event(timeout=20, predicate=lambda e: e.get("janus") == "webrtcup")


class Publisher:
    def __init__(self):
        self.session = self.pc = self.handle = None
        self.feed = None
        self.keyframe_requests = 0  # PLIs that reached our video sender (each makes a keyframe)
        self.remb = []              # REMB values janus sent us, bit/s
        self.answer_features = []

    def watch_video_sender(self, sender):
        """Counts the keyframe requests and REMBs that reach aiortc's video sender."""
        send_keyframe, handle_rtcp = sender._send_keyframe, sender._handle_rtcp_packet

        def counted_keyframe():
            self.keyframe_requests += 1
            send_keyframe()

        async def watched_rtcp(packet):
            if isinstance(packet, RtcpPsfbPacket) and packet.fmt == RTCP_PSFB_APP:
                try:
                    self.remb.append(unpack_remb_fci(packet.fci)[0])
                except ValueError:
                    pass
            await handle_rtcp(packet)
        sender._send_keyframe, sender._handle_rtcp_packet = counted_keyframe, watched_rtcp

    async def connect(self, url, plugin, room):
        self.session = await Session.create(url)
        self.handle = await self.session.attach(plugin)
        joined, _ = await self.handle.send({"request": "join", "ptype": "publisher", "room": room,
                                            "display": "bench publisher"})
        if joined.get("videoroom") != "joined":
            raise RuntimeError("%s refused the publisher's join: %s" % (plugin, joined))
        self.feed = joined["id"]
        self.pc, _ = await make_peer(data_channel=False)
        self.pc.addTrack(ToneTrack(440))
        self.watch_video_sender(self.pc.addTrack(PatternTrack((40, 200, 120))))
        data, jsep = await self.handle.send({"request": "publish"}, jsep=await offer(self.pc))
        if data.get("configured") != "ok" or not jsep:
            raise RuntimeError("%s refused the publisher's offer: %s" % (plugin, data))
        self.answer_features = sdp_features(jsep["sdp"])
        await accept(self.pc, jsep)
        await webrtcup(self.handle)

    async def close(self):
        if self.pc:
            await self.pc.close()
        if self.session:
            await self.session.close()


class Subscriber:
    def __init__(self, index):
        self.index = index
        self.session = self.pc = self.handle = None
        self.drains = []
        self.frames = {"audio": 0, "video": 0}
        self.tracks = []
        self.offer_features = []

    def on_track(self, track):
        self.tracks.append(track.kind)
        self.drains.append(asyncio.ensure_future(drain(track, self.frames)))

    async def connect(self, url, plugin, room, feed):
        self.session = await Session.create(url)
        self.handle = await self.session.attach(plugin)
        data, jsep = await self.handle.send({"request": "join", "ptype": "subscriber", "room": room,
                                             "streams": [{"feed": feed}]})
        if data.get("videoroom") != "attached" or not jsep:
            raise RuntimeError("%s refused subscriber %d: %s" % (plugin, self.index, data))
        self.offer_features = sdp_features(jsep["sdp"])
        self.pc, _ = await make_peer(data_channel=False)
        self.pc.on("track", self.on_track)
        await accept(self.pc, jsep)
        await self.pc.setLocalDescription(await self.pc.createAnswer())
        started, _ = await self.handle.send({"request": "start"},
                                            jsep={"type": "answer", "sdp": self.pc.localDescription.sdp})
        if started.get("started") != "ok":
            raise RuntimeError("%s did not start subscriber %d: %s" % (plugin, self.index, started))
        await webrtcup(self.handle)

    async def received(self):
        """What aiortc's receivers counted so far: packets received and lost, by kind."""
        counts = {kind: {"received": 0, "lost": 0} for kind in ("audio", "video")}
        for receiver in self.pc.getReceivers():
            kind = receiver.track.kind if receiver.track else None
            if kind not in counts:
                continue
            for stats in (await receiver.getStats()).values():
                if stats.type == "inbound-rtp":
                    counts[kind]["received"] += stats.packetsReceived
                    counts[kind]["lost"] += stats.packetsLost
        return counts

    async def close(self):
        for task in self.drains:
            task.cancel()
        if self.pc:
            await self.pc.close()
        if self.session:
            await self.session.close()


def media_stats(info, direction):
    """Janus core's per-handle RTP counters (packets, bytes) by media kind for 'in' or 'out'."""
    result = {kind: {"packets": 0, "bytes": 0} for kind in ("audio", "video")}
    for media in info["info"].get("webrtc", {}).get("media", {}).values():
        if media.get("type") in result:
            stats = media.get("stats", {}).get(direction, {})
            for field in ("packets", "bytes"):
                result[media["type"]][field] += stats.get(field, 0)
    return result


async def snapshot(publisher, subscribers, admin):
    """Janus core's counters: what the publisher sent in, and what janus sent to each subscriber."""
    infos = await asyncio.gather(publisher.handle.info(admin), *(s.handle.info(admin) for s in subscribers))
    received = await asyncio.gather(*(s.received() for s in subscribers))
    return {"in": media_stats(infos[0], "in"), "out": [media_stats(info, "out") for info in infos[1:]],
            "aiortc": received, "frames": [dict(s.frames) for s in subscribers],
            "keyframe_requests": publisher.keyframe_requests}


def delta(after, before, kind, field="packets"):
    return after[kind][field] - before[kind][field]


async def run_round(janus, admin, log, name, room, args):
    plugin = PLUGINS[name]
    pid = janus.process.pid
    log.new_lines()  # forget what came before this round
    control = await Session.create(janus.ws_url)
    publisher, subscribers = Publisher(), [Subscriber(i) for i in range(args.subscribers)]
    manager = None
    try:
        manager = await control.attach(plugin)
        created, _ = await manager.send({"request": "create", "room": room, "bitrate": ROOM_BITRATE})
        if created.get("videoroom") != "created":
            raise RuntimeError("%s did not create room %d: %s" % (plugin, room, created))
        await asyncio.wait_for(publisher.connect(janus.ws_url, plugin, room), 30)
        await asyncio.wait_for(asyncio.gather(*(s.connect(janus.ws_url, plugin, room, publisher.feed)
                                                for s in subscribers)), 60)
        await asyncio.sleep(args.warmup)
        # counters are read just outside the CPU window, so the admin queries (which also call
        # into the plugin) and aiortc's getStats are not charged to it
        before = await snapshot(publisher, subscribers, admin)
        busy0 = cpu_busy(JANUS_CPU)
        cpu0, clock0, load0, t0 = cpu_seconds(pid), cpu_clock(pid), time.process_time(), time.monotonic()
        await asyncio.sleep(args.seconds)
        cpu1, clock1, load1, t1 = cpu_seconds(pid), cpu_clock(pid), time.process_time(), time.monotonic()
        busy1 = cpu_busy(JANUS_CPU)
        after = await snapshot(publisher, subscribers, admin)
        tracks = [sorted(s.tracks) for s in subscribers]
        keyframes_setup = before["keyframe_requests"]
        keyframes_window = after["keyframe_requests"] - before["keyframe_requests"]
        remb = sorted(set(publisher.remb))
        features = {"publisher_answer": publisher.answer_features, "subscriber_offer": subscribers[0].offer_features}
    finally:
        await asyncio.gather(*(s.close() for s in subscribers), return_exceptions=True)
        await asyncio.gather(publisher.close(), return_exceptions=True)
        if manager:
            try:
                await manager.send({"request": "destroy", "room": room})
            except Exception:  # noqa: BLE001 -- the round's own error matters more
                pass
        await control.close()
    if not janus.alive():
        raise RuntimeError("janus died during the %s round:\n%s" % (name, janus.log_tail()))
    await asyncio.sleep(1)  # let janus finish tearing the handles down before the next round
    problems = log.new_lines()

    wall, cpu, clock = t1 - t0, cpu1 - cpu0, clock1 - clock0
    n = len(subscribers)
    out = {kind: sum(delta(a, b, kind) for a, b in zip(after["out"], before["out"])) for kind in ("audio", "video")}
    sent_in = {kind: delta(after["in"], before["in"], kind) for kind in ("audio", "video")}
    packets = out["audio"] + out["video"]
    if packets <= 0:
        raise RuntimeError("%s forwarded no packets to the subscribers" % plugin)
    expected = n * (sent_in["audio"] + sent_in["video"])
    rx = {kind: {field: sum(a[kind][field] - b[kind][field] for a, b in zip(after["aiortc"], before["aiortc"]))
                 for field in ("received", "lost")} for kind in ("audio", "video")}
    rx_received = rx["audio"]["received"] + rx["video"]["received"]
    rx_lost = rx["audio"]["lost"] + rx["video"]["lost"]
    frames = {kind: [a[kind] - b[kind] for a, b in zip(after["frames"], before["frames"])] for kind in ("audio", "video")}
    return {"name": name, "plugin": plugin, "room": room, "subscribers": n, "wall_s": round(wall, 3),
            "packets": packets, "audio_packets": out["audio"], "video_packets": out["video"],
            "publisher_in_audio_packets": sent_in["audio"], "publisher_in_video_packets": sent_in["video"],
            "publisher_video_kbit_s": round(8 * delta(after["in"], before["in"], "video", "bytes") / wall / 1000, 1),
            "video_packets_per_frame": round(sent_in["video"] / max(1, FPS * wall), 2),
            "expected_packets": expected,
            "forwarded_pct_of_expected": round(100 * packets / expected, 2) if expected else None,
            "subscriber_received_packets": rx_received, "subscriber_lost_packets": rx_lost,
            "subscriber_loss_pct": round(100 * rx_lost / (rx_received + rx_lost), 3) if rx_received + rx_lost else None,
            "video_fps_per_subscriber_min": round(min(frames["video"]) / wall, 1),
            "video_fps_per_subscriber_max": round(max(frames["video"]) / wall, 1),
            "audio_fps_per_subscriber_min": round(min(frames["audio"]) / wall, 1),
            "publisher_keyframe_requests_setup": keyframes_setup, "publisher_keyframe_requests_window": keyframes_window,
            "publisher_remb_values": remb[:20], "sdp_features": features,
            "subscriber_tracks": tracks,
            "janus_cpu_s": round(cpu, 3), "janus_cpu_clock_s": round(clock, 6),
            "us_per_packet": round(1e6 * cpu / packets, 3), "us_per_packet_clock": round(1e6 * clock / packets, 3),
            "packets_per_s": round(packets / wall, 1), "janus_cpu_pct": round(100 * cpu / wall, 2),
            "janus_cpu_pct_clock": round(100 * clock / wall, 2),
            "loadgen_cpu_pct": round(100 * (load1 - load0) / wall, 1),
            # noise indicators: what else ran on janus's CPU (other processes of this shared
            # machine; clock ticks, so coarse) and what the hypervisor took from it
            "cpu0_other_pct": round(100 * (busy1[0] - busy0[0] - cpu) / wall, 1),
            "cpu0_steal_pct": round(100 * (busy1[1] - busy0[1]) / wall, 1),
            "janus_log_problems": len(problems), "janus_log_samples": problems[:10]}


async def run_all(janus, args):
    admin = await Admin.open(janus.admin_url, janus.admin_secret)
    log = LogWatch(janus.log_path)
    startup = log.new_lines()  # e.g. the stock videoroom has no configuration file here
    for line in startup:
        print("janus log at startup: %s" % line[:200], flush=True)
    rounds = []
    try:
        for index in range(args.rounds):
            for number, name in enumerate(PLUGINS):  # sylk, stock, sylk, stock, ...
                room = 4000 + 10 * index + number
                rounds.append(dict(await run_round(janus, admin, log, name, room, args), round=index + 1))
                r = rounds[-1]
                print("round %d %-5s %6.2f us/packet (ns clock %6.2f) %6d packets %6.1f/s  janus %5.2f%% CPU"
                      "  load generator %5.1f%% CPU  forwarded %.1f%% of in x N, aiortc loss %.2f%%, "
                      "video %.1f-%.1f fps, %.0f kbit/s in, PLIs at publisher %d+%d, %d log problem lines; "
                      "CPU %d: others %.1f%%, steal %.1f%%"
                      % (index + 1, name, r["us_per_packet"], r["us_per_packet_clock"], r["packets"],
                         r["packets_per_s"], r["janus_cpu_pct_clock"], r["loadgen_cpu_pct"],
                         r["forwarded_pct_of_expected"] or 0, r["subscriber_loss_pct"] or 0,
                         r["video_fps_per_subscriber_min"], r["video_fps_per_subscriber_max"],
                         r["publisher_video_kbit_s"], r["publisher_keyframe_requests_setup"],
                         r["publisher_keyframe_requests_window"], r["janus_log_problems"], JANUS_CPU,
                         r["cpu0_other_pct"], r["cpu0_steal_pct"]), flush=True)
                for line in r["janus_log_samples"][:3]:
                    print("    janus log: %s" % line[:200], flush=True)
    finally:
        await admin.close()
    return rounds, startup


def summarise(rounds):
    summary = {}
    for name in PLUGINS:
        mine = [r for r in rounds if r["name"] == name]
        values = [r["us_per_packet"] for r in mine]
        clocks = [r["us_per_packet_clock"] for r in mine]

        def median(field):
            found = [r[field] for r in mine if r[field] is not None]
            return round(statistics.median(found), 3) if found else None
        summary[name] = {"median_us_per_packet": round(statistics.median(values), 3),
                         "min_us_per_packet": min(values), "max_us_per_packet": max(values),
                         "median_us_per_packet_clock": round(statistics.median(clocks), 3),
                         "min_us_per_packet_clock": min(clocks), "max_us_per_packet_clock": max(clocks),
                         "median_packets_per_s": median("packets_per_s"),
                         "median_janus_cpu_pct_clock": median("janus_cpu_pct_clock"),
                         "median_forwarded_pct_of_expected": median("forwarded_pct_of_expected"),
                         "median_subscriber_loss_pct": median("subscriber_loss_pct"),
                         "median_publisher_video_kbit_s": median("publisher_video_kbit_s"),
                         "min_video_fps_per_subscriber": min(r["video_fps_per_subscriber_min"] for r in mine),
                         "median_keyframe_requests_setup": median("publisher_keyframe_requests_setup"),
                         "median_keyframe_requests_window": median("publisher_keyframe_requests_window"),
                         "median_loadgen_cpu_pct": median("loadgen_cpu_pct"),
                         "max_loadgen_cpu_pct": max(r["loadgen_cpu_pct"] for r in mine),
                         "janus_log_problems": sum(r["janus_log_problems"] for r in mine)}
    pairs = list(zip(*([r for r in rounds if r["name"] == name] for name in ("sylk", "stock"))))
    for suffix in ("", "_clock"):
        ratios = [a["us_per_packet" + suffix] / b["us_per_packet" + suffix] for a, b in pairs]
        summary["ratio_per_round" + suffix] = [round(r, 3) for r in ratios]
        summary["median_ratio_sylk_over_stock" + suffix] = round(statistics.median(ratios), 3)
    summary["max_loadgen_cpu_pct"] = max(r["loadgen_cpu_pct"] for r in rounds)
    summary["median_cpu0_other_pct"] = statistics.median(r["cpu0_other_pct"] for r in rounds)
    summary["max_cpu0_other_pct"] = max(r["cpu0_other_pct"] for r in rounds)
    summary["loadgen_saturated"] = summary["max_loadgen_cpu_pct"] > SATURATED_PCT
    return summary


MARKDOWN = """# Video room fan-out benchmark: latest result

| | |
|---|---|
| Date (UTC) | {date} |
| Machine | {cpu_model}, {nproc} CPUs, Linux {kernel}; janus pinned to CPU {janus_cpu}, load generator to CPU {loadgen_cpu} |
| Janus | {janus} |
| Scenario | 1 aiortc publisher (Opus tone + VP8 {width}x{height} at {fps} fps of random {block}x{block} blocks) and {subscribers} aiortc subscribers receiving and decoding both tracks; room bitrate cap {bitrate} bit/s in both plugins |
| Measured window | {seconds:g} s per round after {warmup:g} s warm-up; {rounds} round(s), plugins alternating{quick} |
| Commit | {git_commit} (plugin built {plugin_built}) |

| Plugin | median µs janus CPU / forwarded packet | range (min – max) | ns clock: median (range) | forwarded packets/s | janus CPU | forwarded / (in × N) | aiortc loss | min video fps per subscriber | publisher video | PLIs at publisher: setup + window | janus log problems |
|---|---|---|---|---|---|---|---|---|---|---|---|
{rows}

**Ratio sylk / stock: {ratio:.3f}** (median of the per-round ratios {ratios}; below 1 means our plugin
costs less). Same ratio from the nanosecond process CPU clock instead of `/proc` clock ticks: {ratio_clock:.3f}.

Load generator (all aiortc peers, one Python process on CPU {loadgen_cpu}): median {loadgen_median:.0f}% of a CPU,
at most {loadgen_max:.0f}%.{saturated} Other processes of this shared machine used a median {other_median:.0f}%
(at most {other_max:.0f}%) of janus's CPU {janus_cpu} during the windows: the main source of noise here.

What was measured: the total CPU time (utime + stime) of the janus process during the window,
divided by the number of RTP packets janus sent to the subscribers (Janus core's per-handle
`stats.out.packets` from the admin API, the same counter for both plugins). That is the whole of
janus, not the plugin alone: mostly Janus core work (ICE, SRTP decryption of the publisher's
packets, SRTP encryption of each copy, RTCP, NACK buffers) plus the plugin's fan-out (header
rewrite and relay per subscriber); both plugins ran in the same janus process under identical
settings (same room bitrate cap, same publisher and subscribers), so the difference between them
comes from the plugins: their fan-out code and what they negotiate (the stock subscriber offer also
carries the abs-send-time, audio-level and transport-wide-cc extensions, and the stock plugin sends
REMB to the publisher; the per-round `sdp_features` and `publisher_remb_values` in the JSON show
it). `PLIs at publisher` counts the keyframe requests that reached the publisher while the
subscribers were joining (setup) and during the window. `forwarded / (in × N)` compares the
packets janus sent to the subscribers with the packets the publisher sent in times N (Janus core
counters read a few milliseconds apart, so ±0.5% is noise); `aiortc loss` is what the subscribers'
receivers counted as lost. `/proc` counts CPU in 10 ms ticks; the ns-clock column measures the same
CPU time precisely. Raw numbers: [`{json_name}`]({json_name}), made by `bench/videoroom_bench.py`
(see `bench/README.md`).
"""


def fmt(value, pattern):
    return "–" if value is None else pattern % value


def write_results(args, started, host, rounds, summary, pinned):
    os.makedirs(RESULTS, exist_ok=True)
    json_name = "videoroom-%s.json" % started.strftime("%Y%m%dT%H%M%SZ")
    parameters = {"subscribers": args.subscribers, "publishers": 1, "seconds": args.seconds, "rounds": args.rounds,
                  "warmup_s": args.warmup, "quick": args.quick, "audio": "Opus 48 kHz mono, 20 ms",
                  "video": "VP8 %dx%d at %d fps, %d precomputed frames of random %dx%d blocks cycled" % (
                      WIDTH, HEIGHT, FPS, PATTERN_FRAMES, BLOCK, BLOCK),
                  "room_bitrate": ROOM_BITRATE, "janus_cpu": JANUS_CPU, "loadgen_cpu": LOAD_CPU, "pinned": pinned,
                  "order": "sylk, stock alternating"}
    document = {"benchmark": "videoroom", "date": started.isoformat(timespec="seconds"), "machine": host,
                "parameters": parameters, "plugins": PLUGINS,
                "metric": "janus process utime+stime (/proc/<pid>/stat, clock ticks) per RTP packet sent to the "
                          "subscribers, in microseconds; *_clock: the same from the ns process CPU clock",
                "rounds": rounds, "summary": summary}
    with open(os.path.join(RESULTS, json_name), "w") as out:
        json.dump(document, out, indent=2)
        out.write("\n")
    rows = "\n".join(
        "| `%s` | %.2f | %.2f – %.2f | %.2f (%.2f – %.2f) | %s | %s | %s | %s | %s | %s | %s + %s | %d |" % (
            PLUGINS[n], s["median_us_per_packet"], s["min_us_per_packet"], s["max_us_per_packet"],
            s["median_us_per_packet_clock"], s["min_us_per_packet_clock"], s["max_us_per_packet_clock"],
            fmt(s["median_packets_per_s"], "%.0f"), fmt(s["median_janus_cpu_pct_clock"], "%.1f%%"),
            fmt(s["median_forwarded_pct_of_expected"], "%.1f%%"), fmt(s["median_subscriber_loss_pct"], "%.2f%%"),
            fmt(s["min_video_fps_per_subscriber"], "%.1f"), fmt(s["median_publisher_video_kbit_s"], "%.0f kbit/s"),
            fmt(s["median_keyframe_requests_setup"], "%g"), fmt(s["median_keyframe_requests_window"], "%g"),
            s["janus_log_problems"])
        for n, s in ((n, summary[n]) for n in PLUGINS))
    saturated = ""
    if summary["loadgen_saturated"]:
        saturated = ("\n**The load generator was close to saturating its CPU** (above %d%%): subscribers may "
                     "have fallen behind; rerun with fewer `--subscribers`." % SATURATED_PCT)
    loadgen = [r["loadgen_cpu_pct"] for r in rounds]
    text = MARKDOWN.format(
        date=document["date"], janus_cpu=JANUS_CPU if pinned else "(not pinned)",
        loadgen_cpu=LOAD_CPU if pinned else "(not pinned)", subscribers=args.subscribers, seconds=args.seconds,
        warmup=args.warmup, rounds=args.rounds, quick=" (`--quick` smoke test)" if args.quick else "", rows=rows,
        width=WIDTH, height=HEIGHT, fps=FPS, block=BLOCK, bitrate=ROOM_BITRATE,
        ratio=summary["median_ratio_sylk_over_stock"], ratio_clock=summary["median_ratio_sylk_over_stock_clock"],
        ratios=", ".join("%.3f" % r for r in summary["ratio_per_round"]), json_name=json_name,
        loadgen_median=statistics.median(loadgen), loadgen_max=max(loadgen), saturated=saturated,
        other_median=summary["median_cpu0_other_pct"], other_max=summary["max_cpu0_other_pct"], **host)
    with open(os.path.join(RESULTS, "videoroom-latest.md"), "w") as out:
        out.write(text)
    return os.path.join(RESULTS, json_name)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--subscribers", type=int, default=8, help="aiortc subscribers per round (default 8)")
    parser.add_argument("--seconds", type=float, default=10, help="measured window per round (default 10)")
    parser.add_argument("--rounds", type=int, default=3, help="A/B rounds (default 3)")
    parser.add_argument("--warmup", type=float, default=3, help="seconds after webrtcup before measuring (default 3)")
    parser.add_argument("--quick", action="store_true", help="smoke test: 2 subscribers, 3 s, 1 round")
    parser.add_argument("--build", default=os.environ.get("SYLK_BUILD_DIR", TOP), help="built tree (default: this one)")
    args = parser.parse_args()
    if args.quick:
        args.subscribers, args.seconds, args.rounds, args.warmup = 2, 3, 1, 2
    require_netns("videoroom_bench.py")

    started = datetime.datetime.now(datetime.timezone.utc)
    host = machine()
    plugin_so = os.path.join(args.build, "plugins", "videoroom", ".libs", "libjanus_sylk_videoroom.so")
    host["plugin_built"] = (datetime.datetime.fromtimestamp(os.path.getmtime(plugin_so), datetime.timezone.utc)
                            .isoformat(timespec="seconds") if os.path.exists(plugin_so) else "?")
    pinned = {JANUS_CPU, LOAD_CPU} <= os.sched_getaffinity(0)
    if pinned:
        os.sched_setaffinity(0, {JANUS_CPU})  # janus inherits CPU 0 from us when it is started
    else:
        print("warning: CPUs %d and %d are not both available; not pinning" % (JANUS_CPU, LOAD_CPU))
    run_dir = tempfile.mkdtemp(prefix="sylk-bench-")
    janus = JanusProcess(args.build, run_dir, ice_interfaces="v0", test_plugins=False, stock_plugins=("videoroom",))
    rounds = None
    try:
        janus.start()
        cpus = [threads_cpus(pid, cpu if pinned else None) for pid, cpu in ((janus.process.pid, JANUS_CPU),
                                                                             (os.getpid(), LOAD_CPU))]
        print("janus pid %d on CPUs %s (log %s); load generator on CPUs %s; 1 publisher, %d subscribers, "
              "%g s x %d rounds" % (janus.process.pid, cpus[0], janus.log_path, cpus[1], args.subscribers,
                                   args.seconds, args.rounds), flush=True)
        rounds, host["janus_log_startup_problems"] = asyncio.run(run_all(janus, args))
        host["janus_cpus_at_end"] = threads_cpus(janus.process.pid)
    finally:
        code = janus.stop()
        if rounds is None:
            print("janus exited %s; run folder with its log kept: %s" % (code, run_dir))
    shutil.rmtree(run_dir, ignore_errors=True)
    summary = summarise(rounds)
    path = write_results(args, started, host, rounds, summary, pinned)

    print("\n%-28s %14s %20s %9s %14s %10s %9s" % ("plugin", "median us/pkt", "range", "pkt/s", "(ns clock)",
                                                  "fwd/in*N", "loss"))
    for name, s in ((name, summary[name]) for name in PLUGINS):
        print("%-28s %14.2f %9.2f - %-8.2f %9.0f %14.2f %9s %9s" % (
            PLUGINS[name], s["median_us_per_packet"], s["min_us_per_packet"], s["max_us_per_packet"],
            s["median_packets_per_s"], s["median_us_per_packet_clock"],
            fmt(s["median_forwarded_pct_of_expected"], "%.1f%%"), fmt(s["median_subscriber_loss_pct"], "%.2f%%")))
    print("ratio sylk/stock (median of per-round ratios): %.3f (ns CPU clock: %.3f)\n"
          "load generator CPU: at most %.0f%%%s\nresults: %s, %s"
          % (summary["median_ratio_sylk_over_stock"], summary["median_ratio_sylk_over_stock_clock"],
             summary["max_loadgen_cpu_pct"], " (SATURATED: use fewer --subscribers)" if summary["loadgen_saturated"]
             else "", path, os.path.join(RESULTS, "videoroom-latest.md")))


if __name__ == "__main__":
    main()
