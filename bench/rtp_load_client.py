"""A lightweight WebRTC load client for a janus started with `-w` (--no-webrtc-encryption: no
DTLS, no SRTP), so that one Python process can play hundreds of PeerConnections.

Each PeerConnection is one non-blocking UDP socket read from the asyncio loop (add_reader; every
wake-up drains the socket). What it does per PeerConnection:

- ICE: answers every STUN binding request with a success response carrying XOR-MAPPED-ADDRESS,
  MESSAGE-INTEGRITY (short-term credential: its own ice-pwd) and FINGERPRINT, like an ICE-lite
  agent. A subscriber's answer says `a=ice-lite` (janus is the controlling agent there). For a
  publisher janus is the answerer and therefore the *controlled* agent (janus 1.1.2 does not look
  at a remote a=ice-lite), so the publisher also sends binding requests with ICE-CONTROLLING and
  USE-CANDIDATE (keyed with janus's ice-pwd) until janus answers one: it nominates the only pair.
- Publisher: synthetic Opus (one 80-byte packet every 20 ms) and VP8 (30 fps, 4 packets of about
  1050 bytes per frame, a 12-packet keyframe every 2 s: about 1 Mbit/s), plain RTP. The VP8 payload
  descriptor is valid (X=1, I=1 with a 15-bit picture id, S=1 on a frame's first packet) and a
  frame's first packet starts with a VP8 payload header whose P bit tells keyframes apart
  (keyframes also carry the start code and 640x480). The last 8 bytes of every packet are the send
  time (CLOCK_REALTIME ns, big endian), so receivers can measure delay.
- Subscriber: counts RTP packets per SSRC, loss from the sequence numbers (extended highest minus
  received) and the one-way delay of every packet (kernel receive timestamp, SO_TIMESTAMPNS, minus
  the embedded send time) into a shared histogram of 0.1 ms bins.

RTCP from janus (receiver reports, NACKs, PLIs, REMB) is counted and otherwise ignored: the
publisher sends a keyframe every 2 s whatever janus asks, and nothing is retransmitted.
"""
import hashlib
import hmac
import os
import random
import secrets
import socket
import struct
import time
import zlib

MAGIC = 0x2112A442
OPUS_PT, VP8_PT = 111, 96
FPS = 30
VIDEO_PACKETS, KEYFRAME_PACKETS, VIDEO_PAYLOAD = 4, 12, 1050
KEYFRAME_EVERY = 2 * FPS            # frames
OPUS_PAYLOAD = 80
BIN_NS = 100_000                    # delay histogram: 0.1 ms bins
BINS = 5000                         # up to 500 ms; the last bin collects the rest
SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)
_FILLER = os.urandom(4096)


def _attr(kind, value):
    return struct.pack("!HH", kind, len(value)) + value + b"\0" * (-len(value) % 4)


def stun_message(kind, transaction, attributes, key):
    """A STUN message with MESSAGE-INTEGRITY (HMAC-SHA1 with key) and FINGERPRINT appended."""
    body = b"".join(attributes)
    header = struct.pack("!HHI", kind, len(body) + 24, MAGIC) + transaction
    integrity = hmac.new(key, header + body, hashlib.sha1).digest()
    body += _attr(0x0008, integrity)
    header = struct.pack("!HHI", kind, len(body) + 8, MAGIC) + transaction
    crc = (zlib.crc32(header + body) ^ 0x5354554E) & 0xFFFFFFFF
    return header + body + _attr(0x8028, struct.pack("!I", crc))


def stun_attributes(data):
    attributes, offset = {}, 20
    while offset + 4 <= len(data):
        kind, length = struct.unpack_from("!HH", data, offset)
        attributes[kind] = data[offset + 4:offset + 4 + length]
        offset += 4 + length + (-length % 4)
    return attributes


class Histogram:
    """One-way delays in 0.1 ms bins, shared by every subscriber of a scenario."""

    def __init__(self):
        self.bins = [0] * BINS

    def snapshot(self):
        return list(self.bins)

    @staticmethod
    def percentile(before, after, fraction):
        counts = [a - b for a, b in zip(after, before)]
        total = sum(counts)
        if not total:
            return None
        wanted, seen = fraction * total, 0
        for index, count in enumerate(counts):
            seen += count
            if seen >= wanted:
                return (index + 1) * BIN_NS / 1e6  # upper edge of the bin, ms
        return BINS * BIN_NS / 1e6


def parse_sdp(sdp):
    """Session-level ICE credentials and candidates plus the m-lines of a janus SDP."""
    result = {"ufrag": None, "pwd": None, "candidates": [], "media": []}
    current = None
    for line in sdp.splitlines():
        line = line.strip()
        if line.startswith("m="):
            kind, port, proto, *pts = line[2:].split()
            current = {"kind": kind, "port": int(port), "proto": proto, "pts": pts, "mid": None,
                       "direction": "sendrecv", "rtpmap": [], "fmtp": [], "extmap": [], "rtcpfb": []}
            result["media"].append(current)
        elif line.startswith("a=ice-ufrag:"):
            result["ufrag"] = result["ufrag"] or line.split(":", 1)[1]
        elif line.startswith("a=ice-pwd:"):
            result["pwd"] = result["pwd"] or line.split(":", 1)[1]
        elif line.startswith("a=candidate:"):
            fields = line.split()
            if fields[2].lower() == "udp" and ":" not in fields[4]:
                result["candidates"].append((int(fields[3]), fields[4], int(fields[5])))
        elif current is not None:
            if line.startswith("a=mid:"):
                current["mid"] = line[6:]
            elif line in ("a=sendonly", "a=recvonly", "a=sendrecv", "a=inactive"):
                current["direction"] = line[2:]
            elif line.startswith("a=rtpmap:"):
                current["rtpmap"].append(line)
            elif line.startswith("a=fmtp:"):
                current["fmtp"].append(line)
            elif line.startswith("a=extmap:"):
                current["extmap"].append(line)
            elif line.startswith("a=rtcp-fb:"):
                current["rtcpfb"].append(line)
    result["candidates"].sort(reverse=True)
    return result


class Peer:
    """One PeerConnection: a UDP socket, ICE credentials, and the address janus sends from."""

    def __init__(self, loop, ip):
        self.loop, self.ip = loop, ip
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        self.sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        self.sock.bind((ip, 0))
        self.sock.setblocking(False)
        self.port = self.sock.getsockname()[1]
        self.ufrag, self.pwd = secrets.token_hex(4), secrets.token_hex(12)
        self.key = self.pwd.encode()
        self.remote = None          # janus's address for this PeerConnection
        self.remote_ufrag = self.remote_pwd = None
        self.stun_requests = 0      # binding requests janus sent us
        self.stun_successes = 0     # answers to our own requests
        self.rtcp = 0
        loop.add_reader(self.sock.fileno(), self._readable)

    def ice_lines(self, candidate=True):
        lines = ["a=ice-ufrag:%s" % self.ufrag, "a=ice-pwd:%s" % self.pwd, "a=rtcp-mux"]
        if candidate:
            lines += ["a=candidate:1 1 udp 2130706431 %s %d typ host" % (self.ip, self.port), "a=end-of-candidates"]
        return lines

    def set_remote(self, parsed):
        self.remote_ufrag, self.remote_pwd = parsed["ufrag"], parsed["pwd"]
        if parsed["candidates"] and self.remote is None:
            _, ip, port = parsed["candidates"][0]
            self.remote = (ip, port)

    def _readable(self):
        recvmsg = self.sock.recvmsg
        while True:
            try:
                data, ancillary, _, address = recvmsg(2048, 64)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return
            if not data:
                continue
            first = data[0]
            if first < 2:
                self._stun(data, address)
            elif 128 <= first < 192 and len(data) >= 12:
                if 192 <= data[1] <= 223:
                    self.rtcp += 1
                else:
                    self.on_rtp(data, ancillary)

    def on_rtp(self, data, ancillary):
        pass

    def _stun(self, data, address):
        if len(data) < 20:
            return
        kind = (data[0] << 8) | data[1]
        transaction = data[8:20]
        if kind == 0x0001:  # binding request: answer it
            self.stun_requests += 1
            if self.remote is None:
                self.remote = address
            ip = struct.unpack("!I", socket.inet_aton(address[0]))[0]
            mapped = struct.pack("!BBHI", 0, 1, address[1] ^ (MAGIC >> 16), ip ^ MAGIC)
            self.sock.sendto(stun_message(0x0101, transaction, [_attr(0x0020, mapped)], self.key), address)
        elif kind == 0x0101:
            self.stun_successes += 1

    def nominate(self):
        """As the controlling agent: one binding request with USE-CANDIDATE to janus."""
        if not self.remote or not self.remote_pwd:
            return
        attributes = [_attr(0x0006, ("%s:%s" % (self.remote_ufrag, self.ufrag)).encode()),
                      _attr(0x0024, struct.pack("!I", 1853824767)),
                      _attr(0x802A, os.urandom(8)), _attr(0x0025, b"")]
        self.sock.sendto(stun_message(0x0001, os.urandom(12), attributes, self.remote_pwd.encode()), self.remote)

    def close(self):
        try:
            self.loop.remove_reader(self.sock.fileno())
        except (ValueError, OSError):
            pass
        self.sock.close()


class Publisher(Peer):
    """Sends Opus + VP8 at about 1 Mbit/s to janus once ICE is up."""

    def __init__(self, loop, ip):
        super().__init__(loop, ip)
        self.audio_ssrc, self.video_ssrc = random.randint(1, 2**31), random.randint(1, 2**31)
        self.audio_seq, self.video_seq = random.randint(0, 30000), random.randint(0, 30000)
        self.audio_ts, self.video_ts = random.randint(0, 2**30), random.randint(0, 2**30)
        self.picture_id = random.randint(0, 0x7FFF)
        self.frames = 0
        self.sent_packets = self.sent_bytes = 0
        self.force_keyframe = False

    def offer(self):
        session = random.randint(1, 2**40)
        lines = ["v=0", "o=- %d 1 IN IP4 %s" % (session, self.ip), "s=-", "t=0 0", "a=group:BUNDLE 0 1",
                 "a=msid-semantic: WMS load"]
        for index, (kind, pt, rtpmap, ssrc) in enumerate((("audio", OPUS_PT, "opus/48000/2", self.audio_ssrc),
                                                         ("video", VP8_PT, "VP8/90000", self.video_ssrc))):
            lines += ["m=%s 9 RTP/AVPF %d" % (kind, pt), "c=IN IP4 %s" % self.ip, "a=mid:%d" % index,
                      "a=sendonly", "a=msid:load %s%d" % (kind, index)]
            lines += self.ice_lines(candidate=index == 0)
            lines.append("a=rtpmap:%d %s" % (pt, rtpmap))
            if kind == "audio":
                lines.append("a=fmtp:%d minptime=10;useinbandfec=1" % pt)
            else:
                lines += ["a=rtcp-fb:%d %s" % (pt, fb) for fb in ("nack", "nack pli", "ccm fir", "goog-remb")]
            lines += ["a=ssrc:%d cname:load" % ssrc, "a=ssrc:%d msid:load %s%d" % (ssrc, kind, index)]
        return {"type": "offer", "sdp": "\r\n".join(lines) + "\r\n"}

    def accept(self, answer_sdp):
        self.set_remote(parse_sdp(answer_sdp))

    def _send(self, packet):
        packet += struct.pack("!Q", time.time_ns())
        try:
            self.sock.sendto(packet, self.remote)
        except (BlockingIOError, InterruptedError):
            return
        self.sent_packets += 1
        self.sent_bytes += len(packet)

    def send_audio(self):
        header = struct.pack("!BBHII", 0x80, OPUS_PT, self.audio_seq & 0xFFFF, self.audio_ts & 0xFFFFFFFF,
                             self.audio_ssrc)
        self._send(header + b"\xf8" + _FILLER[:OPUS_PAYLOAD - 9])
        self.audio_seq += 1
        self.audio_ts += 960

    def send_video_frame(self):
        keyframe = self.frames % KEYFRAME_EVERY == 0 or self.force_keyframe
        self.force_keyframe = False
        count = KEYFRAME_PACKETS if keyframe else VIDEO_PACKETS
        pid = self.picture_id & 0x7FFF
        offset = (self.frames * 37) % 2048
        for index in range(count):
            last = index == count - 1
            header = struct.pack("!BBHII", 0x80, (0x80 if last else 0) | VP8_PT, self.video_seq & 0xFFFF,
                                 self.video_ts & 0xFFFFFFFF, self.video_ssrc)
            descriptor = struct.pack("!BBH", 0x90 if index == 0 else 0x80, 0x80, 0x8000 | pid)
            if index == 0:
                size = 1000  # first partition size, as VP8 encodes it in the frame tag
                tag = ((size & 0x7) << 5) | 0x10 | (0 if keyframe else 1)
                vp8 = struct.pack("<BH", tag, size >> 3)
                if keyframe:
                    vp8 += b"\x9d\x01\x2a" + struct.pack("<HH", 640, 480)
            else:
                vp8 = b""
            body = _FILLER[offset:offset + VIDEO_PAYLOAD - len(descriptor) - len(vp8) - 8]
            self._send(header + descriptor + vp8 + body)
            self.video_seq += 1
        self.video_ts += 90000 // FPS
        self.picture_id += 1
        self.frames += 1


class Subscriber(Peer):
    """Receives whatever janus offers; counts packets, losses and delays per SSRC."""

    def __init__(self, loop, ip, histogram):
        super().__init__(loop, ip)
        self.histogram = histogram.bins
        self.streams = {}   # ssrc -> [received, first extended seq, highest extended seq, bytes]
        self.offer_extmaps = []

    def answer(self, offer_sdp):
        parsed = parse_sdp(offer_sdp)
        self.set_remote(parsed)
        mids = [m["mid"] for m in parsed["media"] if m["port"] and m["mid"] is not None]
        lines = ["v=0", "o=- %d 1 IN IP4 %s" % (random.randint(1, 2**40), self.ip), "s=-", "t=0 0",
                 "a=group:BUNDLE %s" % " ".join(mids), "a=ice-lite", "a=msid-semantic: WMS"]
        first = True
        for media in parsed["media"]:
            if not media["port"] or media["kind"] not in ("audio", "video"):
                lines += ["m=%s 0 %s %s" % (media["kind"], media["proto"], " ".join(media["pts"]))]
                if media["mid"] is not None:
                    lines.append("a=mid:%s" % media["mid"])
                continue
            pt = media["pts"][0]
            direction = {"sendonly": "recvonly", "inactive": "inactive", "sendrecv": "recvonly",
                         "recvonly": "inactive"}[media["direction"]]
            lines += ["m=%s 9 RTP/AVPF %s" % (media["kind"], pt), "c=IN IP4 %s" % self.ip,
                      "a=mid:%s" % media["mid"], "a=%s" % direction]
            lines += self.ice_lines(candidate=first)
            first = False
            lines += [line for line in media["rtpmap"] + media["fmtp"] + media["rtcpfb"]
                      if line.split(":", 1)[1].split(" ", 1)[0] == pt]
            lines += media["extmap"]  # accept what is offered, as a browser would
            self.offer_extmaps += [line.split(" ", 1)[1] for line in media["extmap"]]
        return {"type": "answer", "sdp": "\r\n".join(lines) + "\r\n"}

    def on_rtp(self, data, ancillary):
        ssrc = int.from_bytes(data[8:12], "big")
        seq = (data[2] << 8) | data[3]
        stream = self.streams.get(ssrc)
        if stream is None:
            self.streams[ssrc] = [1, seq, seq, len(data)]
        else:
            stream[0] += 1
            stream[3] += len(data)
            step = (seq - stream[2]) & 0xFFFF
            if step < 0x8000:
                stream[2] += step
        if ancillary:
            seconds, nanoseconds = struct.unpack_from("qq", ancillary[0][2])
            delay = (seconds * 1_000_000_000 + nanoseconds - int.from_bytes(data[-8:], "big")) // BIN_NS
            self.histogram[0 if delay < 0 else (delay if delay < BINS else BINS - 1)] += 1

    def counters(self):
        """(received, expected, bytes) so far, over every SSRC."""
        received = expected = size = 0
        for count, first, highest, nbytes in self.streams.values():
            received += count
            expected += highest - first + 1
            size += nbytes
        return received, expected, size
