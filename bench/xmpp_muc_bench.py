#!/usr/bin/python3
"""XMPP MUC fan-out benchmark (issue 12): N occupants in one room, everyone sending, through one
Prosody 0.12, our rooms (janus.plugin.sylk.xmpp as the XEP-0114 component conference.localhost)
against Prosody's own MUC component (muc.localhost) in the same run, alternating.

The same N client connections (c2s, SASL PLAIN on loopback, no TLS) join a fresh room of one
target, send for a measured window, leave, and join a fresh room of the other target; rounds
alternate which target goes first. Offered load is given in deliveries per second (--deliveries):
the N clients together send deliveries/N groupchat messages a second, round robin, evenly spaced;
each message reaches all N occupants (the sender's own echo included, as XEP-0045 wants), so
deliveries = messages x N. Each body carries its send time; the receiver measures its latency.

Measured in a window after a warm-up: delivered stanzas per second, p50/p99 latency (send to
arrival at the receiving client, for messages sent in the window), and CPU per delivered stanza:
Prosody's CPU (both targets: it routes every stanza) and janus's CPU (ours only), from the ns
per-process CPU clock. Prosody and janus run on CPU 0, the load client (one asyncio process, raw
sockets, no XML library: it only counts bodies) on CPU 1.

Writes bench/results/xmpp-muc-<UTC time>.json and bench/results/xmpp-muc-latest.md. Needs the
private network namespace (janus's fixed ports):

    tests/integration/netns.sh /usr/bin/python3 bench/xmpp_muc_bench.py [--sizes 10,50,100,500 --rounds R]
    tests/integration/netns.sh /usr/bin/python3 bench/xmpp_muc_bench.py --quick     # smoke test
"""
import argparse
import asyncio
import base64
import datetime
import json
import os
import re
import secrets
import shutil
import statistics
import tempfile
import time

from bench_common import JANUS_CPU, LOAD_CPU, RESULTS, SATURATED_PCT, TOP, cpu_busy, cpu_clock, machine, threads_cpu_ns, threads_cpus
from harness.janus_api import Session  # noqa: E402
from harness.janus_process import JanusProcess  # noqa: E402
from harness.prosody import Prosody  # noqa: E402

TARGETS = {"ours": "janus.plugin.sylk.xmpp rooms (XEP-0114 component; with --multicast on, the default, "
                   "Prosody makes the copies: one stanza a message with the occupants as XEP-0033 bcc "
                   "addresses, mod_sylk_multicast)",
           "prosody": "Prosody 0.12's own MUC (mod_muc)",
           "direct": "no room: the same clients send 1:1 chat messages to each other through the same Prosody, "
                     "at the same deliveries/s (with sink: the baseline that isolates the MUC module's share of Prosody's CPU)",
           "sink": "no delivery: the same clients send messages Prosody reads, routes and drops (headlines to a local "
                   "JID without sessions), at the direct target's stanzas/s: Prosody's cost per stanza in",
           "idle": "the same clients connected, nothing sent: Prosody's CPU per second that is no stanza's "
                   "(timers, GC), taken out of the per-stanza costs of the component split"}
# Debian 12's default prosody.cfg.lua enables these (among others that do not see messages):
# blocklist and carbons hook message/full, smacks and csi_simple filter every c2s stanza.
STOCK_MODULES = ("blocklist", "carbons", "smacks", "csi_simple")
BODY = re.compile(rb"<body>B (\d+) (\d+) (\d+)</body>")
SUBJECT = re.compile(rb"<subject")
SELF_PRESENCE = re.compile(rb"""code=['"]110['"]""")


def require_namespace():
    if not os.environ.get("SYLK_NETNS"):
        raise SystemExit("run through tests/integration/netns.sh (janus's ports are fixed)")


class LoadClient:
    """One c2s connection: log in, join a room, send groupchat, count what arrives."""

    def __init__(self, index, password, host, port, domain):
        self.index, self.user, self.password = index, "bench%d" % index, password
        self.host, self.port, self.domain = host, port, domain
        self.reader = self.writer = None
        self.buffer = b""
        self.latencies = []      # (send ns, latency ns) of bodies received in a run
        self.received = 0
        self.counting = False
        self.task = None

    async def _until(self, pattern, timeout=20):
        deadline = time.monotonic() + timeout
        while True:
            match = re.search(pattern, self.buffer)
            if match:
                found = self.buffer[:match.end()]
                self.buffer = self.buffer[match.end():]
                return found
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise RuntimeError("%s: no %r; got %r" % (self.user, pattern, self.buffer[-400:]))
            chunk = await asyncio.wait_for(self.reader.read(65536), remaining)
            if not chunk:
                raise RuntimeError("%s: connection closed; got %r" % (self.user, self.buffer[-400:]))
            self.buffer += chunk

    def _stream(self):
        self.writer.write(("<?xml version='1.0'?><stream:stream to='%s' xmlns='jabber:client' "
                           "xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>" % self.domain).encode())

    async def login(self):
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        self._stream()
        await self._until(rb"</stream:features>")
        token = base64.b64encode(("\0%s\0%s" % (self.user, self.password)).encode()).decode()
        self.writer.write(("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>%s</auth>" % token).encode())
        await self._until(rb"<success[^>]*?(/>|</success>)")
        self._stream()
        await self._until(rb"</stream:features>")
        self.writer.write(b"<iq type='set' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
                          b"<resource>bench</resource></bind></iq>")
        await self._until(rb"</iq>")

    async def join(self, room):
        self.buffer = b""
        self.writer.write(("<presence to='%s/n%d'><x xmlns='http://jabber.org/protocol/muc'>"
                           "<history maxstanzas='0'/></x></presence>" % (room, self.index)).encode())
        await self._until(SELF_PRESENCE, 60)
        await self._until(SUBJECT, 60)
        self.latencies, self.received = [], 0
        self.task = asyncio.ensure_future(self._read())

    async def _read(self):
        while True:
            chunk = await self.reader.read(262144)
            if not chunk:
                return
            now = time.monotonic_ns()
            data = self.buffer + chunk
            last = 0
            for match in BODY.finditer(data):
                self.received += 1
                sent = int(match.group(3))
                self.latencies.append((sent, now - sent))
                last = match.end()
            data = data[last:]
            if len(data) > 65536:           # presences and the like: keep only an unfinished tail
                data = data[-4096:]
            self.buffer = data

    def send(self, room, sequence):
        self.writer.write(("<message to='%s' type='groupchat'><body>B %d %d %d</body></message>"
                           % (room, self.index, sequence, time.monotonic_ns())).encode())

    def count(self):
        """The direct target: no room, count what arrives from now on."""
        self.buffer = b""
        self.latencies, self.received = [], 0
        self.task = asyncio.ensure_future(self._read())

    def send_direct(self, peer, sequence):
        """A 1:1 chat message to another client's full JID, the same body as in a room."""
        self.writer.write(("<message to='%s@%s/bench' type='chat'><body>B %d %d %d</body></message>"
                           % (peer.user, self.domain, self.index, sequence, time.monotonic_ns())).encode())

    def send_sink(self, sequence):
        """A message Prosody reads, routes to a local user and drops: a headline to a bare JID
        with no session is discarded (RFC 6121 8.5.2.2.1, Prosody's mod_message), no error, no
        offline storage. The inbound half of a delivery alone, the same body as in a room."""
        self.writer.write(("<message to='nobody@%s' type='headline'><body>B %d %d %d</body></message>"
                           % (self.domain, self.index, sequence, time.monotonic_ns())).encode())

    async def stop_counting(self):
        if self.task:
            self.task.cancel()
            self.task = None

    async def leave(self, room):
        if self.task:
            self.task.cancel()
            self.task = None
        self.writer.write(("<presence to='%s/n%d' type='unavailable'/>" % (room, self.index)).encode())
        await self.writer.drain()

    def close(self):
        if self.writer:
            self.writer.close()


async def run_target(clients, room, deliveries, warmup, window, drain, pids, sink=False, idle=False):
    """One target, one round: join, send at the offered rate, measure, leave. room None: the
    direct target (each message goes to one other client: deliveries = messages)."""
    n = len(clients)
    fanout = n if room else 1
    for client in clients:  # one by one: each join is answered with the whole roster
        if room:
            await client.join(room)
        else:
            client.count()
    rate = deliveries / fanout     # messages per second from all clients together
    interval = 1.0 / rate
    loop = asyncio.get_running_loop()
    start = loop.time()
    window_start, window_end = start + warmup, start + warmup + window
    sequence = 0
    cpu_before = cpu_after = None
    busy_before = busy_after = None
    sent_in_window = 0
    window_start_ns = window_end_ns = None
    while True:
        now = loop.time()
        if cpu_before is None and now >= window_start:
            cpu_before = {name: cpu_clock(pid) for name, pid in pids.items()}
            threads_before = threads_cpu_ns(pids["janus"]) if "janus" in pids else {}
            load_before = time.process_time()
            busy_before = cpu_busy(JANUS_CPU)
            received_before = sum(c.received for c in clients)
            window_start_ns = time.monotonic_ns()
        if now >= window_end:
            cpu_after = {name: cpu_clock(pid) for name, pid in pids.items()}
            threads_after = threads_cpu_ns(pids["janus"]) if "janus" in pids else {}
            load_after = time.process_time()
            busy_after = cpu_busy(JANUS_CPU)
            received_after = sum(c.received for c in clients)
            window_end_ns = time.monotonic_ns()
            break
        due = int((now - start) / interval) + 1 if not idle else 0
        while sequence < due:
            if room:
                clients[sequence % n].send(room, sequence)
            elif sink:
                clients[sequence % n].send_sink(sequence)
            else:  # to the next client: every client sends and receives the same share
                clients[sequence % n].send_direct(clients[(sequence + 1) % n], sequence)
            if cpu_before is not None:
                sent_in_window += 1
            sequence += 1
        await asyncio.sleep(min(0.005, interval))
    await asyncio.sleep(drain)
    latencies = sorted(latency for c in clients for sent, latency in c.latencies
                       if window_start_ns <= sent < window_end_ns)
    for client in clients:
        if room:
            await client.leave(room)
        else:
            await client.stop_counting()
    delivered = received_after - received_before
    elapsed = window
    cpu = {name: cpu_after[name] - cpu_before[name] for name in pids}
    result = {
        "delivered": delivered, "delivered_per_s": delivered / elapsed,
        "offered_per_s": deliveries, "sent_in_window": sent_in_window,
        "delivered_pct": 100.0 * len(latencies) / max(1, sent_in_window * fanout),
        "p50_ms": latencies[len(latencies) // 2] / 1e6 if latencies else None,
        "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] / 1e6 if latencies else None,
        "cpu_s": cpu,
        "cpu_us_per_delivery": {name: 1e6 * seconds / max(1, delivered) for name, seconds in cpu.items()},
        "cpu_us_per_sent": {name: 1e6 * seconds / max(1, sent_in_window) for name, seconds in cpu.items()},
        "cpu_us_per_s": {name: 1e6 * seconds / elapsed for name, seconds in cpu.items()},
        # janus's CPU by thread: "xmpp" is the component (link, rooms, hub delivery to them); the
        # rest is janus beside it (other plugins' timers, the SIP plugin's connection sweep).
        "janus_thread_us_per_delivery": {name: (threads_after[name] - threads_before.get(name, 0)) / 1e3 / max(1, delivered)
                                         for name in threads_after
                                         if threads_after[name] - threads_before.get(name, 0) > 0},
        "load_client_cpu_pct": 100.0 * (load_after - load_before) / elapsed,
        "others_on_cpu0_pct": 100.0 * max(0.0, (busy_after[0] - busy_before[0]) - sum(cpu.values())) / elapsed,
    }
    return result


def summarize(values):
    values = [v for v in values if v is not None]
    if not values:
        return None
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


async def wait_multicast(ws_url, wanted, timeout=30):
    """Waits until our rooms' component uses multicast as the run wants (it asks Prosody's
    disco#info once its link is up): a silent fallback would measure the other path."""
    deadline = time.monotonic() + timeout
    while True:
        session = await Session.create(ws_url)
        try:
            handle = await session.attach("janus.plugin.sylk.xmpp")
            reply, _ = await handle.send({"request": "status"})
        finally:
            await session.close()
        muc = reply["status"]["muc"]
        if muc["link"]["connected"] and muc["multicast"]["available"] == wanted:
            return
        if time.monotonic() > deadline:
            raise RuntimeError("our component's multicast is not %s: %s" % (wanted, muc["multicast"]))
        await asyncio.sleep(0.2)  # polling interval of the status


async def bench(args, prosody, janus_pid, janus_ws=None):
    if janus_ws:
        await wait_multicast(janus_ws, args.multicast == "on")
    pids = {"prosody": prosody.pid}
    if janus_pid:
        pids["janus"] = janus_pid
    results = {}
    for n in args.sizes:
        clients = [LoadClient(i, prosody.users["bench%d" % i], prosody.host, prosody.c2s_port, prosody.domain)
                   for i in range(n)]
        for client in clients:
            await client.login()
        rounds = []
        for round_index in range(args.rounds):
            order = list(args.targets) if round_index % 2 == 0 else list(reversed(args.targets))
            entry = {}
            for target in order:
                domain = prosody.muc_domain if target == "ours" else prosody.own_muc_domain
                room = ("bench-%d-%d-%s@%s" % (n, round_index, secrets.token_hex(3), domain)
                        if target in ("ours", "prosody") else None)
                entry[target] = await run_target(clients, room, args.deliveries, args.warmup, args.seconds,
                                                 args.drain, pids, sink=target == "sink", idle=target == "idle")
                print("N=%d round %d %-7s %s" % (n, round_index + 1, target, json.dumps(
                    {k: entry[target][k] for k in ("delivered_per_s", "delivered_pct", "p99_ms", "cpu_us_per_delivery", "cpu_us_per_sent", "janus_thread_us_per_delivery",
                                                   "load_client_cpu_pct")})), flush=True)
                if entry[target]["load_client_cpu_pct"] > SATURATED_PCT:
                    print("  (the load client was saturated: these numbers are the client's limit)", flush=True)
            rounds.append(entry)
        for client in clients:
            client.close()
        results[n] = rounds
    return results


def table(results):
    lines = ["| N | target | delivered/s | delivered % | p50 ms | p99 ms | Prosody CPU µs/delivery | janus CPU µs/delivery "
             "| Prosody+janus µs/delivery | others on CPU 0 % | load client CPU % |", "|---|---|---|---|---|---|---|---|---|---|---|"]

    def cell(summary, digits=1):
        if summary is None:
            return "–"
        return "%.*f (%.*f–%.*f)" % (digits, summary["median"], digits, summary["min"], digits, summary["max"])

    for n, rounds in results.items():
        for target in [t for t in ("ours", "prosody", "direct") if t in rounds[0]]:  # sink delivers nothing
            runs = [r[target] for r in rounds]
            prosody_us = [r["cpu_us_per_delivery"]["prosody"] for r in runs]
            janus_us = [r["cpu_us_per_delivery"].get("janus", 0) for r in runs] if target == "ours" else []
            total = [r["cpu_us_per_delivery"]["prosody"] + (r["cpu_us_per_delivery"].get("janus", 0) if target == "ours" else 0)
                     for r in runs]
            lines.append("| %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                n, target, cell(summarize([r["delivered_per_s"] for r in runs]), 0),
                cell(summarize([r["delivered_pct"] for r in runs]), 2),
                cell(summarize([r["p50_ms"] for r in runs]), 2), cell(summarize([r["p99_ms"] for r in runs]), 2),
                cell(summarize(prosody_us), 2), cell(summarize(janus_us), 2), cell(summarize(total), 2),
                cell(summarize([r["others_on_cpu0_pct"] for r in runs]), 0),
                cell(summarize([r["load_client_cpu_pct"] for r in runs]), 0)))
        if "ours" not in rounds[0] or "prosody" not in rounds[0]:
            continue
        ratios = [r["ours"]["delivered_per_s"] / r["prosody"]["delivered_per_s"] for r in rounds
                  if r["prosody"]["delivered_per_s"]]
        # CPU per delivery of the whole path: Prosody + janus for ours, Prosody alone for its MUC
        cpu_ratios = [(r["ours"]["cpu_us_per_delivery"]["prosody"] + r["ours"]["cpu_us_per_delivery"]["janus"]) /
                      r["prosody"]["cpu_us_per_delivery"]["prosody"] for r in rounds]
        janus_share = [100.0 * r["ours"]["cpu_us_per_delivery"]["janus"] /
                       (r["ours"]["cpu_us_per_delivery"]["prosody"] + r["ours"]["cpu_us_per_delivery"]["janus"])
                       for r in rounds]
        lines.append("| %d | ours / prosody | throughput %s | | | | | janus's share of ours: %s %% | CPU per delivery %s | | |"
                     % (n, cell(summarize(ratios), 2), cell(summarize(janus_share), 0), cell(summarize(cpu_ratios), 2)))
    components = component_table(results)
    return "\n".join(lines) + ("\n\n" + components if components else "")


def component_shares(entry, n):
    """One round's components alone (needs all four targets), µs of CPU per delivered stanza.
    Prosody's cost without a room: c_in per stanza read (sink: Prosody CPU / stanzas sent) and
    c_out per delivery (direct: Prosody CPU per delivery, one stanza in per delivery, minus c_in).
    A room delivers N copies of each stanza read, so Prosody's work that is not the room's is
    c_in / N + c_out per delivery (the baseline); the MUC module's share is Prosody's CPU per
    delivery in the MUC run minus that, and our component's is janus's CPU per delivery (whole
    process; the xmpp thread apart), with Prosody's extra work for our link (the ours run's
    Prosody minus the baseline: the component stream both ways) shown beside it."""
    # Prosody's CPU that is no stanza's (timers, GC; the idle target, when run) is in every
    # per-stanza figure as idle/rate; the subtraction below would leave (1 - 1/N) of it in the
    # MUC module's share, so it is taken out first.
    idle = entry["idle"]["cpu_us_per_s"]["prosody"] / entry["direct"]["offered_per_s"] if "idle" in entry else 0.0
    c_in = entry["sink"]["cpu_us_per_sent"]["prosody"] - idle
    c_out = entry["direct"]["cpu_us_per_delivery"]["prosody"] - idle - c_in
    baseline = c_in / n + c_out + idle
    janus = entry["ours"]["cpu_us_per_delivery"]["janus"]
    muc = entry["prosody"]["cpu_us_per_delivery"]["prosody"] - baseline
    # Without the split: the whole 1:1 cost as the baseline (c_in counted once per delivery, as
    # if a room read every copy again) can only understate the MUC module: its lower bound.
    muc_low = entry["prosody"]["cpu_us_per_delivery"]["prosody"] - entry["direct"]["cpu_us_per_delivery"]["prosody"]
    return {"idle_us": idle, "c_in_us": c_in, "c_out_us": c_out, "baseline_us": baseline, "muc_module_us": muc, "janus_us": janus,
            "muc_module_low_us": muc_low, "janus_over_muc_low": janus / muc_low if muc_low > 0 else None,
            "xmpp_thread_us": entry["ours"].get("janus_thread_us_per_delivery", {}).get("xmpp"),
            "prosody_for_our_link_us": entry["ours"]["cpu_us_per_delivery"]["prosody"] - baseline,
            "janus_over_muc_module": janus / muc if muc > 0 else None}


def component_table(results):
    lines = ["| N | Prosody idle µs/delivery | Prosody c_in µs/stanza read | c_out µs/delivery | baseline c_in/N + c_out | Prosody's MUC module µs/delivery "
             "| MUC module, lower bound (MUC − 1:1) | our component (janus) µs/delivery | of which the xmpp thread "
             "| ours / MUC module | ours / lower bound | Prosody's work for our link µs/delivery |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    found = False
    for n, rounds in results.items():
        if not all(t in rounds[0] for t in ("ours", "prosody", "direct", "sink")):
            continue
        found = True
        shares = [component_shares(r, n) for r in rounds]

        def cell(key, digits=2):
            summary = summarize([s[key] for s in shares])
            if summary is None:
                return "–"
            return "%.*f (%.*f–%.*f)" % (digits, summary["median"], digits, summary["min"], digits, summary["max"])
        lines.append("| %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            n, cell("idle_us"), cell("c_in_us"), cell("c_out_us"), cell("baseline_us"), cell("muc_module_us"), cell("muc_module_low_us"),
            cell("janus_us"), cell("xmpp_thread_us"), cell("janus_over_muc_module"), cell("janus_over_muc_low"),
            cell("prosody_for_our_link_us")))
    return "\n".join(lines) if found else ""


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10,50", help="occupant counts, comma separated (10..500)")
    parser.add_argument("--deliveries", type=int, default=5000, help="offered deliveries per second")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5.0, help="measured window")
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--drain", type=float, default=2.0)
    parser.add_argument("--targets", default="ours,prosody,direct,sink,idle",
                        help="ours, prosody, and the baselines direct, sink and idle, comma separated (the order of odd rounds)")
    parser.add_argument("--multicast", choices=("on", "off"), default="on",
                        help="on: Prosody loads mod_sylk_multicast and our rooms send one stanza a message "
                             "(the deployment ./sylk run makes); off: a Prosody without it, a copy per occupant")
    parser.add_argument("--no-sip-sweep", action="store_true",
                        help="experiment: janus without the SIP plugin's once-a-second /proc/net/tcp sweep "
                             "(tcp_connections_per_source = 0), to see what it costs beside the rooms")
    parser.add_argument("--stock-modules", action="store_true",
                        help="Prosody with the modules of Debian's default prosody.cfg.lua that see a room's "
                             "copies (%s): without, mod_sylk_multicast hands a copy straight to the session "
                             "(nothing else handles message/full), with them it takes the router" % ", ".join(STOCK_MODULES))
    parser.add_argument("--lua-profile", metavar="FILE",
                        help="sample Prosody's Lua stacks into FILE (bench/lua_profile: slows Prosody down, "
                             "so the run's CPU figures are not results; run one target at a time)")
    parser.add_argument("--quick", action="store_true", help="smoke test: N=10, 1 round, 2 s")
    parser.add_argument("--build", default=os.environ.get("SYLK_BUILD_DIR", os.path.join(TOP, "build")))
    parser.add_argument("--from-json", help="only rewrite xmpp-muc-latest.md from this result file")
    args = parser.parse_args()
    if args.from_json:
        with open(args.from_json) as source:
            write_markdown(json.load(source))
        return
    if args.quick:
        args.sizes, args.rounds, args.seconds, args.warmup, args.drain = "10", 1, 2.0, 1.0, 1.0
    args.sizes = [int(s) for s in args.sizes.split(",")]
    args.targets = [t for t in args.targets.split(",") if t]
    if not args.targets or any(t not in TARGETS for t in args.targets):
        parser.error("targets are ours, prosody, direct, sink and/or idle")
    if any(not 2 <= n <= 500 for n in args.sizes):
        parser.error("sizes are 2..500")
    require_namespace()

    folder = tempfile.mkdtemp(prefix="sylk-xmpp-bench-")
    modules, plugin_paths = list(STOCK_MODULES if args.stock_modules else ()), []
    if args.lua_profile:
        os.environ["SYLK_LUA_PROFILE_OUT"] = os.path.abspath(args.lua_profile)  # Prosody inherits it
        modules.append("bench_lua_profile")
        plugin_paths.append(os.path.join(os.path.dirname(os.path.abspath(__file__)), "lua_profile"))
    prosody = Prosody(folder=os.path.join(folder, "prosody"), log_level="warn", multicast=args.multicast == "on",
                      modules=modules, plugin_paths=plugin_paths)
    prosody.prepare()
    prosody.write_accounts({"bench%d" % i: secrets.token_hex(8) for i in range(max(args.sizes))})
    prosody.start()
    janus = JanusProcess(args.build, os.path.join(folder, "janus"), test_plugins=False,
                         sip_options={"tcp_connections_per_source": 0} if args.no_sip_sweep else None,
                         run_options={"xmpp_options": {"server_host": prosody.host, "server_port": prosody.component_port,
                                                       "domain": prosody.domain, "component_secret": prosody.secret,
                                                       "history": 0}})
    try:
        if "ours" in args.targets:
            janus.start()
            threads_cpus(janus.process.pid, JANUS_CPU)
        threads_cpus(prosody.pid, JANUS_CPU)
        os.sched_setaffinity(0, {LOAD_CPU})
        started = datetime.datetime.now(datetime.timezone.utc)
        results = asyncio.run(bench(args, prosody, janus.process.pid if janus.process else None,
                                    janus.ws_url if janus.process else None))
    finally:
        janus.stop()
        prosody.stop()
    report = {"started": started.isoformat(timespec="seconds"), "machine": machine(),
              "settings": {k: v for k, v in vars(args).items() if k != "build"}, "targets": TARGETS,
              "results": {str(n): rounds for n, rounds in results.items()}}
    os.makedirs(RESULTS, exist_ok=True)
    stamp = started.strftime("%Y%m%dT%H%M%SZ")
    with open(os.path.join(RESULTS, "xmpp-muc-%s.json" % stamp), "w") as out:
        json.dump(report, out, indent=1)
    write_markdown(report)
    shutil.rmtree(folder, ignore_errors=True)


def write_markdown(report):
    """bench/results/xmpp-muc-latest.md from a run's report (also: --from-json FILE)."""
    settings = report["settings"]
    results = {int(n): rounds for n, rounds in report["results"].items()}
    text = "\n".join([
        "# XMPP MUC fan-out benchmark: latest result", "",
        "| | |", "|---|---|",
        "| Date (UTC) | %s |" % report["started"],
        "| Machine | %s, %s CPUs, Linux %s; Prosody and janus pinned to CPU 0, load client to CPU 1 |"
        % (report["machine"]["cpu_model"], report["machine"]["nproc"], report["machine"]["kernel"]),
        "| Offered load | %d deliveries/s (messages/s = deliveries / N, everyone sending round robin) |"
        % settings["deliveries"],
        "| Measured window | %.0f s after %.0f s warm-up; %d round(s) per N, targets alternating |"
        % (settings["seconds"], settings["warmup"], settings["rounds"]),
        "| Commit | %s |" % report["machine"]["git_commit"],
        "| Our fan-out | %s |" % ("Prosody makes the copies (mod_sylk_multicast: one stanza a message with its recipients' list, or XEP-0033 addresses where only that is offered)"
                                  if settings.get("multicast", "off") == "on" else "a copy per occupant over the component link"),
        "| Prosody's modules | %s |" % ("plus Debian's default ones that see the copies: " + ", ".join(STOCK_MODULES)
                                       if settings.get("stock_modules") else
                                       "the harness's (nothing but mod_message handles message/full)"), "",
        "Both targets go through the same Prosody: c2s in, the room, c2s out to every occupant (the",
        "sender's echo included). Ours adds the component link (Prosody -> janus -> Prosody) for every",
        "stanza: with multicast janus sends one stanza a message back and Prosody makes the copies in",
        "process as its MUC does; without it Prosody parses and routes every copy it gets back from janus.",
        "CPU per delivered stanza: the process's CPU in the window (ns",
        "CPU clock) / stanzas delivered in the window (janus's column in the prosody rows is janus idling",
        "beside it). The last row per N: ours / Prosody's MUC for throughput (delivered/s) and for the",
        "whole path's CPU per delivery (Prosody + janus against Prosody alone), and janus's share of",
        "ours. Median (min–max) over the rounds; the machine is shared (\"others on CPU 0\"): compare",
        "within a row pair, not across runs.", "",
        "The second table isolates the components (with the direct and sink targets in the run):",
        "Prosody's cost per stanza read (c_in, sink: messages it reads and drops) and per delivery",
        "beyond that (c_out, direct: 1:1 messages, one read per delivery) give the part of a room's",
        "delivery that is not the room's, c_in/N + c_out; Prosody's CPU per delivery in its MUC run",
        "minus that is its MUC module, against janus's CPU per delivery in ours (our component). The",
        "idle (Prosody's CPU per second with nothing sent, over the offered rate) is taken out of c_in and",
        "c_out and counted once in the baseline. The",
        "lower bound takes the whole 1:1 cost as the baseline (c_in counted in full, which a room",
        "does not pay N times). Prosody's work for our link: Prosody in our run minus the baseline.",
        "Each is a difference of two measured figures: on a loaded machine a round can go negative.", "",
        table(results), ""])
    with open(os.path.join(RESULTS, "xmpp-muc-latest.md"), "w") as out:
        out.write(text)
    print(text)


if __name__ == "__main__":
    main()
