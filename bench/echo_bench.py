#!/usr/bin/python3
"""Echo benchmark: janus CPU time per echoed RTP packet, our janus.plugin.sylk.echo against the
stock janus.plugin.echotest, both loaded in ONE janus and measured alternately (A/B/A/B...).

Each round attaches N aiortc peers to one plugin; each sends Opus audio and 320x240 VP8 video at
15 fps and reads back the echoed tracks. After webrtcup and a warm-up we measure, for a fixed
window, janus utime+stime (/proc/<pid>/stat) and the RTP packets janus sent back to the peers
(admin API handle_info: webrtc.media[*].stats.out.packets, the same Janus core counter for both
plugins). janus runs on CPU 0, this load generator on CPU 1. Writes bench/results/echo-<UTC
time>.json (all raw numbers) and bench/results/echo-latest.md. Needs the private network namespace:

    tests/integration/netns.sh /usr/bin/python3 bench/echo_bench.py [--peers N --seconds S --rounds R]
    tests/integration/netns.sh /usr/bin/python3 bench/echo_bench.py --quick     # smoke test
"""
import argparse
import asyncio
import datetime
import json
import os
import shutil
import statistics
import tempfile
import time

from bench_common import (JANUS_CPU, LOAD_CPU, RESULTS, TOP, cpu_clock, cpu_seconds, machine, require_netns,
                          threads_cpus)
from harness.janus_api import Admin, Session  # noqa: E402
from harness.janus_process import JanusProcess  # noqa: E402
from harness.peers import ColourTrack, ToneTrack, accept, make_peer, offer  # noqa: E402

PLUGINS = {  # short name -> (janus plugin, request sent with the offer)
    "sylk": ("janus.plugin.sylk.echo", {"request": "configure", "audio": True, "video": True}),
    "stock": ("janus.plugin.echotest", {"audio": True, "video": True}),
}


async def drain(track):
    """Reads an echoed track so aiortc decodes it and its queue does not grow."""
    try:
        while True:
            await track.recv()
    except Exception:  # MediaStreamError when the track ends
        pass


class Peer:
    def __init__(self, index):
        self.index = index
        self.session = self.pc = self.handle = None
        self.drains = []

    async def connect(self, url, plugin, body):
        self.session = await Session.create(url)
        self.pc, _ = await make_peer(data_channel=False)
        self.pc.addTrack(ToneTrack(300 + 40 * self.index))
        self.pc.addTrack(ColourTrack(((37 * self.index) % 256, 160, 80)))
        self.pc.on("track", lambda track: self.drains.append(asyncio.ensure_future(drain(track))))
        self.handle = await self.session.attach(plugin)
        data, jsep = await self.handle.send(body, jsep=await offer(self.pc))
        if data.get("result") != "ok" or not jsep:
            raise RuntimeError("%s refused the offer: %s" % (plugin, data))
        await accept(self.pc, jsep)
        await self.handle.next_event(timeout=20, predicate=lambda e: e.get("janus") == "webrtcup")

    async def close(self):
        for task in self.drains:
            task.cancel()
        if self.pc:
            await self.pc.close()
        if self.session:
            await self.session.close()


async def out_packets(peers, admin):
    """RTP packets janus has sent to the peers so far, by media kind (Janus core's counters)."""
    infos = await asyncio.gather(*(peer.handle.info(admin) for peer in peers))
    media = [m for info in infos for m in info["info"]["webrtc"]["media"].values()]
    return {kind: sum(m["stats"]["out"]["packets"] for m in media if m["type"] == kind) for kind in ("audio", "video")}


async def run_round(janus, admin, name, args):
    plugin, body = PLUGINS[name]
    pid = janus.process.pid
    peers = [Peer(i) for i in range(args.peers)]
    try:
        await asyncio.wait_for(asyncio.gather(*(p.connect(janus.ws_url, plugin, body) for p in peers)), 60)
        await asyncio.sleep(args.warmup)
        # packet counters are read just outside the CPU window, so the admin queries (which also
        # call into the plugin) are not charged to it
        before = await out_packets(peers, admin)
        cpu0, clock0, load0, t0 = cpu_seconds(pid), cpu_clock(pid), time.process_time(), time.monotonic()
        await asyncio.sleep(args.seconds)
        cpu1, clock1, load1, t1 = cpu_seconds(pid), cpu_clock(pid), time.process_time(), time.monotonic()
        after = await out_packets(peers, admin)
    finally:
        await asyncio.gather(*(p.close() for p in peers), return_exceptions=True)
    if not janus.alive():
        raise RuntimeError("janus died during the %s round:\n%s" % (name, janus.log_tail()))
    await asyncio.sleep(1)  # let janus finish tearing the handles down before the next round
    wall, cpu, clock = t1 - t0, cpu1 - cpu0, clock1 - clock0
    packets = sum(after.values()) - sum(before.values())
    if packets <= 0:
        raise RuntimeError("no packets were echoed by %s" % plugin)
    return {"name": name, "plugin": plugin, "wall_s": round(wall, 3), "packets": packets,
            "audio_packets": after["audio"] - before["audio"], "video_packets": after["video"] - before["video"],
            "janus_cpu_s": round(cpu, 3), "janus_cpu_clock_s": round(clock, 6),
            "us_per_packet": round(1e6 * cpu / packets, 3), "us_per_packet_clock": round(1e6 * clock / packets, 3),
            "packets_per_s": round(packets / wall, 1), "janus_cpu_pct": round(100 * cpu / wall, 2),
            "loadgen_cpu_pct": round(100 * (load1 - load0) / wall, 1)}


async def run_all(janus, args):
    admin = await Admin.open(janus.admin_url, janus.admin_secret)
    rounds = []
    try:
        for index in range(args.rounds):
            for name in PLUGINS:  # sylk, stock, sylk, stock, ...
                rounds.append(dict(await run_round(janus, admin, name, args), round=index + 1))
                r = rounds[-1]
                print("round %d %-5s %7.2f us/packet (ns clock %7.2f) %6d packets %6.1f/s  janus %5.2f%% CPU"
                      "  load generator %5.1f%% CPU" % (index + 1, name, r["us_per_packet"], r["us_per_packet_clock"],
                                                       r["packets"], r["packets_per_s"], r["janus_cpu_pct"],
                                                       r["loadgen_cpu_pct"]), flush=True)
    finally:
        await admin.close()
    return rounds


def summarise(rounds):
    summary = {}
    for name in PLUGINS:
        mine = [r for r in rounds if r["name"] == name]
        values = [r["us_per_packet"] for r in mine]
        summary[name] = {"median_us_per_packet": round(statistics.median(values), 3),
                         "min_us_per_packet": min(values), "max_us_per_packet": max(values),
                         "median_us_per_packet_clock": round(
                             statistics.median(r["us_per_packet_clock"] for r in mine), 3),
                         "median_packets_per_s": statistics.median(r["packets_per_s"] for r in mine)}
    pairs = list(zip(*([r for r in rounds if r["name"] == name] for name in ("sylk", "stock"))))
    for suffix in ("", "_clock"):
        ratios = [a["us_per_packet" + suffix] / b["us_per_packet" + suffix] for a, b in pairs]
        summary["ratio_per_round" + suffix] = [round(r, 3) for r in ratios]
        summary["median_ratio_sylk_over_stock" + suffix] = round(statistics.median(ratios), 3)
    return summary


MARKDOWN = """# Echo benchmark: latest result

| | |
|---|---|
| Date (UTC) | {date} |
| Machine | {cpu_model}, {nproc} CPUs, Linux {kernel}; janus pinned to CPU {janus_cpu}, load generator to CPU {loadgen_cpu} |
| Janus | {janus} |
| Peers per plugin | {peers} aiortc peers, each sending Opus audio + VP8 320x240 at 15 fps and reading the echo |
| Measured window | {seconds:g} s per round after {warmup:g} s warm-up; {rounds} round(s), plugins alternating{quick} |
| Commit | {git_commit} |

| Plugin | median µs janus CPU / echoed packet | range (min – max) | echoed packets/s | median from ns clock |
|---|---|---|---|---|
{rows}

**Ratio sylk / stock: {ratio:.3f}** (median of the per-round ratios {ratios}; below 1 means our plugin
costs less). Same ratio from the nanosecond process CPU clock instead of `/proc` clock ticks: {ratio_clock:.3f}.

What was measured: the total CPU time (utime + stime) of the janus process during the window,
divided by the number of RTP packets janus sent back to the peers (Janus core's per-handle
`stats.out.packets` from the admin API, the same counter for both plugins). That is mostly Janus
core work (ICE, DTLS-SRTP decryption and encryption, RTCP) plus the plugin's relay; both plugins ran
in the same janus process under identical settings. `/proc` counts CPU in 10 ms ticks, so short or
light runs are coarse; the ns-clock column measures the same CPU time precisely. Raw numbers:
[`{json_name}`]({json_name}), made by `bench/echo_bench.py` (see `bench/README.md`).
"""


def write_results(args, started, host, rounds, summary, pinned):
    os.makedirs(RESULTS, exist_ok=True)
    json_name = "echo-%s.json" % started.strftime("%Y%m%dT%H%M%SZ")
    parameters = {"peers": args.peers, "seconds": args.seconds, "rounds": args.rounds, "warmup_s": args.warmup,
                  "quick": args.quick, "audio": "Opus 48 kHz mono, 20 ms", "video": "VP8 320x240 at 15 fps",
                  "janus_cpu": JANUS_CPU, "loadgen_cpu": LOAD_CPU, "pinned": pinned, "order": "sylk, stock alternating"}
    document = {"benchmark": "echo", "date": started.isoformat(timespec="seconds"), "machine": host,
                "parameters": parameters, "plugins": {n: p for n, (p, _) in PLUGINS.items()},
                "metric": "janus process utime+stime (/proc/<pid>/stat, clock ticks) per RTP packet sent back "
                          "to the peers, in microseconds; *_clock: the same from the ns process CPU clock",
                "rounds": rounds, "summary": summary}
    with open(os.path.join(RESULTS, json_name), "w") as out:
        json.dump(document, out, indent=2)
        out.write("\n")
    rows = "\n".join("| `%s` | %.2f | %.2f – %.2f | %.0f | %.2f |" % (
        PLUGINS[n][0], summary[n]["median_us_per_packet"], summary[n]["min_us_per_packet"], summary[n][
            "max_us_per_packet"], summary[n]["median_packets_per_s"], summary[n]["median_us_per_packet_clock"])
        for n in PLUGINS)
    text = MARKDOWN.format(
        date=document["date"], janus_cpu=JANUS_CPU if pinned else "(not pinned)",
        loadgen_cpu=LOAD_CPU if pinned else "(not pinned)", peers=args.peers, seconds=args.seconds,
        warmup=args.warmup, rounds=args.rounds, quick=" (`--quick` smoke test)" if args.quick else "", rows=rows,
        ratio=summary["median_ratio_sylk_over_stock"], ratio_clock=summary["median_ratio_sylk_over_stock_clock"],
        ratios=", ".join("%.3f" % r for r in summary["ratio_per_round"]), json_name=json_name, **host)
    with open(os.path.join(RESULTS, "echo-latest.md"), "w") as out:
        out.write(text)
    return os.path.join(RESULTS, json_name)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--peers", type=int, default=6, help="aiortc peers per plugin (default 6)")
    parser.add_argument("--seconds", type=float, default=10, help="measured window per round (default 10)")
    parser.add_argument("--rounds", type=int, default=3, help="A/B rounds (default 3)")
    parser.add_argument("--warmup", type=float, default=3, help="seconds after webrtcup before measuring (default 3)")
    parser.add_argument("--quick", action="store_true", help="smoke test: 2 peers, 3 s, 1 round")
    parser.add_argument("--build", default=os.environ.get("SYLK_BUILD_DIR", TOP), help="built tree (default: this one)")
    args = parser.parse_args()
    if args.quick:
        args.peers, args.seconds, args.rounds, args.warmup = 2, 3, 1, 1
    require_netns("echo_bench.py")

    started = datetime.datetime.now(datetime.timezone.utc)
    host = machine()
    pinned = {JANUS_CPU, LOAD_CPU} <= os.sched_getaffinity(0)
    if pinned:
        os.sched_setaffinity(0, {JANUS_CPU})  # janus inherits CPU 0 from us when it is started
    else:
        print("warning: CPUs %d and %d are not both available; not pinning" % (JANUS_CPU, LOAD_CPU))
    run_dir = tempfile.mkdtemp(prefix="sylk-bench-")
    janus = JanusProcess(args.build, run_dir, ice_interfaces="v0", test_plugins=True, stock_plugins=("echotest",))
    rounds = None
    try:
        janus.start()
        cpus = [threads_cpus(pid, cpu if pinned else None) for pid, cpu in ((janus.process.pid, JANUS_CPU),
                                                                             (os.getpid(), LOAD_CPU))]
        print("janus pid %d on CPUs %s (log %s); load generator on CPUs %s; %d peers, %g s x %d rounds" % (
            janus.process.pid, cpus[0], janus.log_path, cpus[1], args.peers, args.seconds, args.rounds), flush=True)
        rounds = asyncio.run(run_all(janus, args))
        host["janus_cpus_at_end"] = threads_cpus(janus.process.pid)
    finally:
        code = janus.stop()
        if rounds is None:
            print("janus exited %s; run folder with its log kept: %s" % (code, run_dir))
    shutil.rmtree(run_dir, ignore_errors=True)
    summary = summarise(rounds)
    path = write_results(args, started, host, rounds, summary, pinned)

    print("\n%-24s %14s %20s %9s %14s" % ("plugin", "median us/pkt", "range", "pkt/s", "(ns clock)"))
    for name, s in ((name, summary[name]) for name in PLUGINS):
        print("%-24s %14.2f %9.2f - %-8.2f %9.0f %14.2f" % (PLUGINS[name][0], s["median_us_per_packet"], s[
            "min_us_per_packet"], s["max_us_per_packet"], s["median_packets_per_s"], s["median_us_per_packet_clock"]))
    print("ratio sylk/stock (median of per-round ratios): %.3f (ns CPU clock: %.3f)\nresults: %s, %s"
          % (summary["median_ratio_sylk_over_stock"], summary["median_ratio_sylk_over_stock_clock"], path,
             os.path.join(RESULTS, "echo-latest.md")))


if __name__ == "__main__":
    main()
