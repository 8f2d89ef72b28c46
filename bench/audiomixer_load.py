"""The load side of the audio mixer benchmark: scenarios, the Opus/G.711/G.722 streams encoded once
and replayed, the plain-RTP legs and their sender, the lean janus connection, the join and wait
helpers, and what the mixer's admin API and a decoded second of audio say about a step."""
import asyncio
import datetime
import fractions
import glob
import hashlib
import json
import os
import shutil
import socket
import struct
import sys
import time

import av
import numpy

from bench_common import JANUS_CPU, cpu_busy, cpu_clock
from harness.janus_api import Connection, JanusError, Session  # noqa: E402
import janus_config  # noqa: E402 -- tests/tools, put on the path by bench_common


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
