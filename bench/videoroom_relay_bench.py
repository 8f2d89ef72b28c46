#!/usr/bin/python3
"""What relaying a publisher to another node costs the sending node (docs/cluster.md "Video
across nodes"), against a local subscriber, and against the stock plugin's counterpart.

One janus -w (no DTLS/SRTP, as bench/videoroom_fanout_bench.py, whose load client and Scene
this reuses) with both video rooms, pinned to CPU 0; this process on CPU 1. One publisher (Opus
50 packets/s + VP8 30 fps, about 174 packets/s) and N receivers of four kinds:
- sylk-local: N subscribers (plain-RTP PeerConnections of the load client);
- sylk-relay: N relays (the admin `relay` request: the very FeedRelay/UdpSender path a node
  uses for another node) to UDP sockets of this process;
- stock-local: N subscribers of janus.plugin.videoroom;
- stock-forward: N `rtp_forward`s of janus.plugin.videoroom (its plain RTP forwarder) to UDP
  sockets of this process.
Kinds alternate for --rounds rounds. Per run: janus CPU time over --seconds divided by the
packets the receivers got: microseconds of the sending node's CPU per forwarded packet. Writes
bench/results/videoroom-relay-<UTC>.json and videoroom-relay-latest.md.

    tests/integration/netns.sh /usr/bin/python3 bench/videoroom_relay_bench.py [--receivers 10] [--rounds 5]
"""
import argparse
import asyncio
import datetime
import json
import os
import shutil
import socket
import statistics
import tempfile
import time

from bench_common import JANUS_CPU, LOAD_CPU, RESULTS, TOP, cpu_clock, machine, require_netns, threads_cpus
from harness.janus_api import Admin
from harness.janus_process import JanusProcess
import videoroom_fanout_bench as fanout

KINDS = ["sylk-local", "sylk-relay", "stock-local", "stock-forward"]


class UdpSinks:
    """N UDP sockets on loopback counting the RTP packets they get."""

    def __init__(self, count):
        self.loop = asyncio.get_running_loop()
        self.sockets, self.packets = [], 0
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            sock.bind(("127.0.0.1", 0))
            sock.setblocking(False)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
            self.loop.add_reader(sock, self._read, sock)
            self.sockets.append(sock)

    def _read(self, sock):
        while True:
            try:
                sock.recv(2048)
            except BlockingIOError:
                return
            self.packets += 1

    def ports(self):
        return [s.getsockname()[1] for s in self.sockets]

    def close(self):
        for sock in self.sockets:
            self.loop.remove_reader(sock)
            sock.close()


async def run_one(janus, admin, kind, receivers, room, args):
    plugin = fanout.PLUGINS["sylk" if kind.startswith("sylk") else "stock"]
    scene = fanout.Scene(janus, plugin, room)
    sinks = None
    try:
        await scene.open()
        feed = await scene.publish("relayed publisher")
        if kind.endswith("local"):
            await asyncio.gather(*(scene.subscribe([feed]) for _ in range(receivers)))
            count = lambda: scene.counters()["received"]  # noqa: E731
        else:
            sinks = UdpSinks(receivers if kind == "sylk-relay" else 2 * receivers)
            ports = sinks.ports()
            for i in range(receivers):
                if kind == "sylk-relay":
                    answer = await admin.message_plugin(plugin, {"request": "relay", "room": room, "feed": feed,
                                                                 "host": "127.0.0.1", "port": ports[i]})
                    assert answer.get("videoroom") == "relaying", answer
                else:
                    answer, _ = await scene.manager.send({
                        "request": "rtp_forward", "room": room, "publisher_id": feed, "host": "127.0.0.1",
                        "streams": [{"mid": "0", "port": ports[2 * i]}, {"mid": "1", "port": ports[2 * i + 1]}]})
                    assert answer.get("videoroom") == "rtp_forward", answer
            count = lambda: sinks.packets  # noqa: E731
        await asyncio.sleep(args.warmup)
        pid = janus.process.pid
        got0, cpu0, t0 = count(), cpu_clock(pid), time.monotonic()
        sent0 = scene.counters()["sent"]
        await asyncio.sleep(args.seconds)
        got1, cpu1, t1 = count(), cpu_clock(pid), time.monotonic()
        sent1 = scene.counters()["sent"]
    finally:
        await scene.close()
        if sinks:
            sinks.close()
    await asyncio.sleep(args.settle)
    got, sent = got1 - got0, sent1 - sent0
    return {"kind": kind, "receivers": receivers, "wall_s": round(t1 - t0, 3), "janus_cpu_s": round(cpu1 - cpu0, 4),
            "forwarded_packets": got, "publisher_packets": sent,
            "delivered_pct": round(100 * got / (sent * receivers), 2) if sent else None,
            "us_per_packet": round(1e6 * (cpu1 - cpu0) / got, 3) if got else None}


async def run_all(janus, args):
    admin = await Admin.open(janus.admin_url, janus.admin_secret)
    runs = []
    room = 9100
    try:
        for index in range(args.rounds):
            for kind in KINDS:
                room += 1
                r = await run_one(janus, admin, kind, args.receivers, room, args)
                r["round"] = index + 1
                runs.append(r)
                print("%-13s round %d: %7.2f us/pkt  %6d packets  delivered %.1f%%" % (
                    kind, index + 1, r["us_per_packet"] or 0, r["forwarded_packets"], r["delivered_pct"] or 0), flush=True)
    finally:
        await admin.close()
    summary = {}
    for kind in KINDS:
        values = [r["us_per_packet"] for r in runs if r["kind"] == kind and r["us_per_packet"]]
        summary[kind] = {"median_us_per_packet": round(statistics.median(values), 3) if values else None,
                         "min": min(values, default=None), "max": max(values, default=None),
                         "median_delivered_pct": statistics.median(
                             [r["delivered_pct"] for r in runs if r["kind"] == kind and r["delivered_pct"]] or [0])}
    return {"runs": runs, "summary": summary}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--receivers", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--warmup", type=float, default=2)
    parser.add_argument("--settle", type=float, default=1)
    default_build = os.path.join(TOP, "build") if os.path.isdir(os.path.join(TOP, "build", "plugins")) else TOP
    parser.add_argument("--build", default=os.environ.get("SYLK_BUILD_DIR", default_build))
    args = parser.parse_args()
    require_netns("videoroom_relay_bench.py")
    started = datetime.datetime.now(datetime.timezone.utc)
    host = machine()
    os.sched_setaffinity(0, {JANUS_CPU})
    run_dir = tempfile.mkdtemp(prefix="sylk-relay-bench-")
    janus = JanusProcess(args.build, run_dir, ice_interfaces="v0", test_plugins=False, stock_plugins=("videoroom",),
                         extra_args=["-w"])
    try:
        janus.start()
        host["janus_cpus"] = threads_cpus(janus.process.pid, JANUS_CPU)
        threads_cpus(os.getpid(), LOAD_CPU)
        results = asyncio.run(run_all(janus, args))
    finally:
        janus.stop()
        shutil.rmtree(run_dir, ignore_errors=True)
    document = {"date": started.isoformat(timespec="seconds"), "machine": host, "receivers": args.receivers,
                "rounds": args.rounds, "seconds": args.seconds, **results}
    name = "videoroom-relay-%s.json" % started.strftime("%Y%m%dT%H%M%SZ")
    with open(os.path.join(RESULTS, name), "w") as f:
        json.dump(document, f, indent=1)
    lines = ["# Video room relay cost (bench/videoroom_relay_bench.py)", "",
             "%s; janus -w pinned to CPU %d, load client on CPU %d; 1 publisher (about 174 packets/s), %d receivers "
             "per run, %d rounds alternating, %g s windows. Janus CPU per packet the receivers got (median, range)."
             % (document["date"], JANUS_CPU, LOAD_CPU, args.receivers, args.rounds, args.seconds), "",
             "| receivers | us/packet median | range | delivered |", "|---|---|---|---|"]
    for kind, s in results["summary"].items():
        lines.append("| %s | %s | %s-%s | %s%% |" % (kind, s["median_us_per_packet"], s["min"], s["max"], s["median_delivered_pct"]))
    lines.append("")
    lines.append("Raw runs: %s." % name)
    with open(os.path.join(RESULTS, "videoroom-relay-latest.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
