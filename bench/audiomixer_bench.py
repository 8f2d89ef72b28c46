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
import fractions
import glob
import hashlib
import json
import os
import shutil
import socket
import statistics
import struct
import sys
import tempfile
import time

import av
import numpy

from echo_bench import JANUS_CPU, LOAD_CPU, cpu_clock, cpu_seconds, machine, threads_cpus
from videoroom_bench import SATURATED_PCT, LogWatch, cpu_busy

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
RESULTS = os.path.join(HERE, "results")
sys.path.insert(0, os.path.join(TOP, "tests", "integration"))
from harness.janus_api import Admin, Connection, JanusError, Session  # noqa: E402
from harness.janus_process import JanusProcess  # noqa: E402
import janus_config  # noqa: E402 -- tests/tools, on the path once harness.janus_process is imported

PLUGINS = {  # short name -> janus plugin; both speak the audiobridge API
    "sylk": "janus.plugin.sylk.audiomixer",
    "stock": "janus.plugin.audiobridge",
}
# Opus settings of the mix sent to each participant. Ours is fixed in sylkcore/audio/codec.cpp
# (complexity 4, 32 kbit/s, in-band FEC with 5% expected loss); the stock plugin takes them per
# participant in the join ("quality", "bitrate", "expected_loss", "rtp.fec"), so it gets the same.
OPUS_COMPLEXITY, OPUS_BITRATE, OPUS_EXPECTED_LOSS = 4, 32000, 5
CODECS = {  # name -> (RTP payload type, RTP clock, PyAV encoder/decoder, its sample rate, samples per 20 ms)
    "opus": (111, 48000, "libopus", 48000, 960),
    "pcmu": (0, 8000, "pcm_mulaw", 8000, 160),
    "g722": (9, 8000, "g722", 16000, 320),
}
TALKERS = 3                       # per room
TONES = (440, 660, 880)           # Hz, one per talker
TONE_DBOV, NOISE_DBOV = -20, -60  # RMS levels of what talkers and listeners send
LOOP_SECONDS = 3                  # pre-encoded audio replayed in a loop
FRAME_S = 0.020
GAP_MS = 40                       # an interval above this between two packets is an output gap
STALL_MS = 200                    # no clean step may have an interval above this
SKIP_TO_PCT = 65                  # one plugin left: ladder steps projected below this janus CPU % are skipped
CLEAN = {"delivered_pct": 99.0, "worst_delivered_pct": 98.0, "loss_pct": 0.1, "gaps_per_participant_10s": 1.0}
RCVBUF = 1 << 18
SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)  # Linux; the cmsg type is the same number
AUDIO_CHECK_PACKETS = 50          # the last second a listener and a talker of room 1 heard, decoded


class Scenario:
    def __init__(self, name, codec, rate, rooms, ladder, plugins=("sylk", "stock"), note=""):
        self.name, self.codec, self.rate, self.rooms, self.ladder = name, codec, rate, rooms, ladder
        self.plugins, self.note = plugins, note

    def describe(self):
        return {"name": self.name, "codec": self.codec, "sampling_rate": self.rate, "rooms": self.rooms,
                "ladder": self.ladder, "plugins": list(self.plugins), "note": self.note}


SCENARIOS = [
    Scenario("opus48", "opus", 48000, 1, [10, 20, 40, 60, 80, 100, 120, 160, 200, 300, 400, 500, 600, 700, 800]),
    Scenario("opus16", "opus", 16000, 1, [20, 60, 100, 140, 180, 240, 300, 400, 600, 800, 1000]),
    Scenario("opus48x10", "opus", 48000, 10, [40, 80, 100, 120, 160, 200, 300, 400, 500, 600, 800]),
    Scenario("opus16x10", "opus", 16000, 10, [40, 100, 140, 180, 240, 300, 400, 600, 800, 1000]),
    Scenario("pcmu8", "pcmu", 8000, 1, [20, 100, 200, 300, 400, 600, 800, 1000]),
    Scenario("g722", "g722", 16000, 1, [20, 200, 400, 600, 800, 1000], plugins=("sylk",),
             note="the stock audiobridge 1.1.2 has no G.722 (its join takes opus, pcmu or pcma)"),
]
# the default run (about 10 minutes); opus16x10 runs with --scenarios all or by name
DEFAULT_SCENARIOS = ("opus48", "opus16", "opus48x10", "pcmu8", "g722")


# ------------------------------------------------------------------ a snapshot of the build

def snapshot_build(build, folder, attempts=20):
    """Copies the built plugins, transports and libsylkcore into folder, laid out like the build
    tree, so that a `make` running meanwhile (others work in this tree) cannot change the code
    under the running janus. A file that changed while it was copied is copied again. Returns
    {path: {"mtime", "sha256"}} of the copies."""
    paths = list(janus_config.OUR_PLUGINS.values()) + list(janus_config.OUR_TRANSPORTS)
    paths += [os.path.relpath(p, build) for p in glob.glob(os.path.join(build, "sylkcore", ".libs", "libsylkcore.so*"))]
    copied = {}
    for path in paths:
        source, target = os.path.join(build, path), os.path.join(folder, path)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        for _ in range(attempts):
            before = os.stat(source)
            if time.time() - before.st_mtime > 2:  # not being written right now
                shutil.copyfile(source, target)
                after = os.stat(source)
                if (before.st_mtime_ns, before.st_size) == (after.st_mtime_ns, after.st_size):
                    break
            time.sleep(1)
        else:
            sys.exit("%s keeps changing (a build is running?); try again later" % source)
        os.chmod(target, 0o755)
        with open(target, "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()[:16]
        copied[path] = {"mtime": datetime.datetime.fromtimestamp(before.st_mtime, datetime.timezone.utc)
                        .isoformat(timespec="seconds"), "sha256": digest}
    return copied


# ------------------------------------------------------------------ audio, encoded once

def encode(codec, pcm):
    """RTP payloads of pcm (int16 at the codec's rate), one per 20 ms, encoded with PyAV."""
    _, _, name, rate, frame = CODECS[codec]
    context = av.CodecContext.create(name, "w")
    context.sample_rate, context.layout, context.format = rate, "mono", "s16"
    context.time_base = fractions.Fraction(1, rate)
    if codec == "opus":
        context.bit_rate = OPUS_BITRATE
        context.options = {"application": "voip", "frame_duration": "20"}
    context.open()
    packets = []
    for start in range(0, len(pcm) - frame + 1, frame):
        audio = av.AudioFrame.from_ndarray(pcm[start:start + frame].reshape(1, -1), format="s16", layout="mono")
        audio.sample_rate, audio.pts, audio.time_base = rate, start, fractions.Fraction(1, rate)
        packets.extend(bytes(p) for p in context.encode(audio))
    packets.extend(bytes(p) for p in context.encode(None))
    return packets[:len(pcm) // frame]


def make_streams(codec):
    """{"tone<i>": payloads, "noise": payloads} for one codec; the loop holds whole tone cycles."""
    rate = CODECS[codec][3]
    t = numpy.arange(rate * LOOP_SECONDS) / rate
    amplitude = 32768 * 10 ** (TONE_DBOV / 20) * numpy.sqrt(2)
    streams = {"tone%d" % i: encode(codec, (amplitude * numpy.sin(2 * numpy.pi * f * t)).astype(numpy.int16))
               for i, f in enumerate(TONES)}
    noise = numpy.random.default_rng(7).normal(0, 32768 * 10 ** (NOISE_DBOV / 20), len(t))
    streams["noise"] = encode(codec, numpy.clip(noise, -32768, 32767).astype(numpy.int16))
    return streams


def tone_levels(codec, payloads):
    """Decodes payloads (one per 20 ms) and returns the level in dB of each talker tone and of
    the spectrum's median (the floor), from a windowed FFT."""
    _, _, name, rate, _ = CODECS[codec]
    context = av.CodecContext.create(name, "r")
    context.sample_rate, context.layout = rate, "mono"
    samples = []
    for payload in payloads:
        try:
            for frame in context.decode(av.Packet(payload)):
                data = frame.to_ndarray().astype(numpy.float64).reshape(-1)
                samples.append(data * 32768 if frame.format.name.startswith("flt") else data)
        except av.error.FFmpegError:
            pass
    if not samples:
        return None
    pcm = numpy.concatenate(samples)
    spectrum = numpy.abs(numpy.fft.rfft(pcm * numpy.hanning(len(pcm)))) + 1e-9
    freqs = numpy.fft.rfftfreq(len(pcm), 1 / rate)
    levels = {str(f): round(float(20 * numpy.log10(spectrum[(freqs > f - 8) & (freqs < f + 8)].max())), 1)
              for f in TONES}
    levels["floor"] = round(float(20 * numpy.log10(numpy.median(spectrum))), 1)
    return levels


# ------------------------------------------------------------------ load generator

class Leg:
    """One plain RTP participant: its socket, what it sends, and what came back. Packets count
    when the kernel received them inside the window [Leg.start, Leg.end] (CLOCK_REALTIME, like
    SO_TIMESTAMPNS), however late this process reads them."""

    start = end = float("inf")

    __slots__ = ("index", "room", "role", "sock", "port", "dest", "payloads", "offset", "pt", "ts_step", "seq",
                 "ts", "ssrc", "first", "received", "base", "top", "cycles", "last_t", "max_gap",
                 "max_gap_at", "gaps", "keep", "kept", "handle", "joined")

    def __init__(self, index, room, role, payloads, pt, ts_step, keep=False):
        self.index, self.room, self.role, self.payloads = index, room, role, payloads
        self.offset = (index * 37) % len(payloads)
        self.pt, self.ts_step = pt, ts_step
        self.seq = (index * 7919) & 0xFFFF
        self.ts = (index * 104729) & 0xFFFFFFFF
        self.ssrc = 0x10000000 + index
        self.first = True
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RCVBUF)
        self.sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.setblocking(False)
        self.port = self.sock.getsockname()[1]
        self.dest = None
        self.keep = keep
        self.kept = []
        self.handle = self.joined = None
        self.last_t = None
        self.reset()

    def reset(self):
        """Starts a measurement window (the last arrival time is kept: a gap may span the start)."""
        self.received = 0
        self.base = None
        self.top = self.cycles = 0
        self.max_gap = 0.0
        self.max_gap_at = None
        self.gaps = 0

    def send(self):
        payload = self.payloads[(self.offset + self.seq) % len(self.payloads)]
        header = struct.pack("!BBHII", 0x80, self.pt | (0x80 if self.first else 0), self.seq, self.ts, self.ssrc)
        self.first = False
        self.seq = (self.seq + 1) & 0xFFFF
        self.ts = (self.ts + self.ts_step) & 0xFFFFFFFF
        try:
            self.sock.sendto(header + payload, self.dest)
        except (BlockingIOError, OSError):
            pass

    def skip(self):
        """A frame this participant did not send (the load generator was late): a lost packet."""
        self.seq = (self.seq + 1) & 0xFFFF
        self.ts = (self.ts + self.ts_step) & 0xFFFFFFFF

    def readable(self):
        """One packet per call: the selector calls again while more are queued."""
        try:
            data, ancillary, _, _ = self.sock.recvmsg(2048, 64)
        except (BlockingIOError, InterruptedError):
            return
        if len(data) < 12:
            return
        arrival = None
        for level, kind, value in ancillary:
            if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and len(value) >= 16:
                seconds, nanoseconds = struct.unpack_from("qq", value)
                arrival = seconds + nanoseconds * 1e-9
        if arrival is None:
            arrival = time.time()
        if Leg.start <= arrival <= Leg.end:
            seq = (data[2] << 8) | data[3]
            self.received += 1
            if self.base is None:
                self.base = self.top = seq
            else:
                delta = (seq - self.top) & 0xFFFF
                if 0 < delta < 0x8000:
                    if seq < self.top:
                        self.cycles += 0x10000
                    self.top = seq
            if self.last_t is not None:
                interval = arrival - self.last_t
                if interval > self.max_gap:
                    self.max_gap, self.max_gap_at = interval, arrival
                if interval > GAP_MS / 1000:
                    self.gaps += 1
            if self.keep:
                start = 12 + 4 * (data[0] & 0x0F)
                if data[0] & 0x10 and len(data) >= start + 4:  # header extension
                    start += 4 + 4 * ((data[start + 2] << 8) | data[start + 3])
                self.kept.append(data[start:])
                if len(self.kept) > AUDIO_CHECK_PACKETS:
                    del self.kept[0]
        self.last_t = arrival

    def expected(self):
        return self.cycles + self.top - self.base + 1 if self.base is not None else 0

    def close(self):
        self.sock.close()


class Sender:
    """Sends one packet per leg every 20 ms, in 4 phases 5 ms apart (not all at once). A little
    late, it catches up (so the rate stays 50 packets/s); more than MAX_CATCH_UP late (this
    process was stalled, e.g. by other work on its CPU), it skips the frames it missed, which the
    plugins see as lost packets, rather than sending every participant's backlog at once (a
    burst no real population of independent senders makes). Records how late it was."""

    PHASES = 4
    MAX_CATCH_UP = 0.060

    def __init__(self, legs):
        self.legs = legs
        self.task = None
        self.late_max = 0.0
        self.late_count = 0
        self.skipped = 0

    def start(self):
        self.task = asyncio.ensure_future(self.run())

    def reset(self):
        self.late_max, self.late_count, self.skipped = 0.0, 0, 0

    async def run(self):
        loop = asyncio.get_running_loop()
        step = FRAME_S / self.PHASES
        groups = [self.legs[phase::self.PHASES] for phase in range(self.PHASES)]
        due = loop.time()
        tick = 0
        while True:
            now = loop.time()
            if now - due > self.MAX_CATCH_UP:
                self.late_max = max(self.late_max, now - due)
                while now - due > step:
                    for leg in groups[tick % self.PHASES]:
                        leg.skip()
                    self.skipped += len(groups[tick % self.PHASES])
                    tick += 1
                    due += step
            while due <= now:
                late = now - due
                if late > self.late_max:
                    self.late_max = late
                if late > 0.010:
                    self.late_count += 1
                for leg in groups[tick % self.PHASES]:
                    leg.send()
                tick += 1
                due += step
            await asyncio.sleep(due - loop.time())

    async def stop(self):
        if self.task:
            self.task.cancel()
            try:
                await self.task
            except asyncio.CancelledError:
                pass


# ------------------------------------------------------------------ one step

class JanusDied(RuntimeError):
    pass


class LeanConnection(Connection):
    """The harness's Connection, but the events no request waits for (a room of N pushes about
    N^2/2 "joined"/"leaving" announcements while it fills up and empties) are counted and
    dropped without being parsed, so the load generator's CPU goes to the media."""

    dropped = 0

    async def _read(self):
        try:
            async for text in self.ws:
                if not any(tx in text for tx in self.pending):
                    LeanConnection.dropped += 1
                    continue
                message = json.loads(text)
                tx = message.get("transaction")
                if tx in self.pending:
                    await self.pending[tx].put(message)
                else:
                    LeanConnection.dropped += 1
        except Exception:  # noqa: BLE001 -- websockets' ConnectionClosed ends the reader, as in the harness
            pass


async def lean_session(url):
    connection = await LeanConnection.open(url)
    reply = await connection.call({"janus": "create"})
    if reply["janus"] != "success":
        raise JanusError(reply)
    return Session(connection, reply["data"]["id"])


async def keepalive(session):
    while True:
        await asyncio.sleep(15)
        try:
            await session.connection.call({"janus": "keepalive", "session_id": session.id}, timeout=5)
        except Exception:  # noqa: BLE001 -- the step notices a dead janus by itself
            pass


async def settle(limit=60.0):
    """Waits until janus has stopped pushing announcement events for 0.5 s (the join storm is
    over), at most limit seconds; returns (seconds waited, events dropped meanwhile)."""
    start = time.monotonic()
    first = last = LeanConnection.dropped
    quiet = 0
    while time.monotonic() - start < limit:
        await asyncio.sleep(0.25)
        quiet = quiet + 1 if LeanConnection.dropped == last else 0
        last = LeanConnection.dropped
        if quiet >= 2:
            break
    return round(time.monotonic() - start, 2), last - first


def room_body(name, room, scenario):
    body = {"request": "create", "room": room, "sampling_rate": scenario.rate}
    if name == "sylk":
        body["max_participants"] = 10000  # ours defaults to 100 per room; the stock plugin has no limit
    else:
        body.update({"allow_rtp_participants": True, "default_bitrate": OPUS_BITRATE,
                     "default_expectedloss": OPUS_EXPECTED_LOSS, "audiolevel_event": False})
    return body


def join_body(name, leg, scenario):
    pt = CODECS[scenario.codec][0]
    body = {"request": "join", "room": leg.room, "display": "%s %d" % (leg.role, leg.index),
            "codec": scenario.codec, "rtp": {"ip": "127.0.0.1", "port": leg.port, "payload_type": pt}}
    if name == "stock" and scenario.codec == "opus":
        body.update({"quality": OPUS_COMPLEXITY, "bitrate": OPUS_BITRATE, "expected_loss": OPUS_EXPECTED_LOSS})
        body["rtp"]["fec"] = True
    return body


async def warm_up(pid, seconds, limit=6.0, threshold=25.0):
    """The warm-up before a window: at least seconds, longer (up to limit seconds) while other
    processes of this shared machine (builds, tests) use more than threshold % of CPU 0 (from
    /proc/stat clock ticks, so rough). Returns (seconds waited, their share in the last 0.5 s, %)."""
    start = time.monotonic()
    while True:
        busy0, clock0, t0 = cpu_busy(JANUS_CPU)[0], cpu_clock(pid), time.monotonic()
        await asyncio.sleep(0.5)
        elapsed = time.monotonic() - t0
        other = 100 * ((cpu_busy(JANUS_CPU)[0] - busy0) - (cpu_clock(pid) - clock0)) / elapsed
        waited = time.monotonic() - start
        if (waited >= seconds and other < threshold) or waited >= limit:
            return round(waited, 2), round(other, 1)


async def janus_idle(pid, limit=3.0, threshold=0.3):
    """After the senders stopped: waits (at most limit seconds) until janus uses less than
    threshold of a CPU, so that it has worked off what was queued before the participants leave
    (the stock plugin has crashed in opus_decode, in a plain RTP thread, when its participants
    were torn down while it was still decoding a backlog). Returns the seconds waited."""
    start = time.monotonic()
    while time.monotonic() - start < limit:
        clock, t0 = cpu_clock(pid), time.monotonic()
        await asyncio.sleep(0.2)
        if (cpu_clock(pid) - clock) / (time.monotonic() - t0) < threshold:
            break
    return round(time.monotonic() - start, 2)


async def wait_empty(manager, rooms, limit=20.0):
    """Waits until no participant is left in rooms (after their session was closed); returns the
    seconds it took."""
    start = time.monotonic()
    while time.monotonic() - start < limit:
        left = 0
        for room in rooms:
            try:
                data, _ = await manager.send({"request": "listparticipants", "room": room})
                left += len(data.get("participants", []))
            except (JanusError, asyncio.TimeoutError):
                pass
        if not left:
            break
        await asyncio.sleep(0.2)
    return round(time.monotonic() - start, 2)


async def mixer_stats(admin):
    """Our plugin's admin "list": mixer counters, per room encodes, per participant totals."""
    reply = await admin.message_plugin(PLUGINS["sylk"], {"request": "list"})
    rooms = {}
    for room in reply.get("list", []):
        stats = [p.get("stats", {}) for p in room.get("participants", [])]
        rooms[str(room["room"])] = {
            "encodes_own": room.get("encodes_own", 0), "encodes_shared": room.get("encodes_shared", 0),
            "participants": len(stats),
            **{field: sum(s.get(field, 0) for s in stats)
               for field in ("packets_in", "packets_out", "lost", "late", "malformed", "wrong_payload_type")}}
    return {"mixer": reply.get("mixer", {}), "rooms": rooms}


def mixer_delta(before, after, rooms):
    if not before or not after:
        return None
    delta = {"ticks": after["mixer"].get("ticks", 0) - before["mixer"].get("ticks", 0),
             "missed_deadlines": after["mixer"].get("missed_deadlines", 0) - before["mixer"].get("missed_deadlines", 0),
             "missed_deadlines_total": after["mixer"].get("missed_deadlines", 0),
             "busy_since_start": round(after["mixer"].get("busy", 0.0), 4)}
    totals = {}
    for field in ("encodes_own", "encodes_shared", "packets_in", "packets_out", "lost", "late", "malformed",
                  "wrong_payload_type"):
        totals[field] = sum(after["rooms"].get(str(r), {}).get(field, 0) - before["rooms"].get(str(r), {}).get(field, 0)
                            for r in rooms)
    delta.update(totals)
    if delta["ticks"] > 0:
        delta["encodes_own_per_tick"] = round(totals["encodes_own"] / delta["ticks"], 2)
        delta["encodes_shared_per_tick"] = round(totals["encodes_shared"] / delta["ticks"], 2)
    return delta


def audio_check(codec, legs):
    """What room 1's first listener and first talker heard: the listener must hear the 3 tones,
    the talker the other two tones but not its own (mix-minus)."""
    result = {}
    for leg in legs:
        if not leg.keep:
            continue
        levels = tone_levels(codec, leg.kept)
        entry = {"role": leg.role, "packets": len(leg.kept), "levels_db": levels}
        if levels:
            floor = levels["floor"]
            if leg.role == "listener":
                entry["ok"] = all(levels[str(f)] - floor >= 20 for f in TONES)
            else:
                own = str(TONES[0])
                others = [levels[str(f)] for f in TONES[1:]]
                entry["ok"] = all(v - floor >= 20 for v in others) and min(others) - levels[own] >= 20
        else:
            entry["ok"] = False
        result[leg.role] = entry
    return result


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


# ------------------------------------------------------------------ results

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
    if not os.environ.get("SYLK_NETNS"):
        sys.exit("run it inside the private network namespace:\n"
                 "  tests/integration/netns.sh /usr/bin/python3 bench/audiomixer_bench.py")

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
    janus = JanusProcess(snapshot, run_dir, test_plugins=False, stock_plugins=("audiobridge",),
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
