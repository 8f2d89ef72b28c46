"""A plain RTP participant, as a SIP phone's media would be: sends a tone in PCMU, PCMA or
G.722 every 20 ms from a UDP socket on loopback, and decodes what comes back."""
import asyncio
import audioop
import math
import random
import struct

import av
import numpy

CODECS = {"pcmu": (0, 8000, 8000), "pcma": (8, 8000, 8000), "g722": (9, 16000, 8000),
          "opus": (111, 48000, 48000)}  # pt, pcm rate, rtp clock

_OPUS_CACHE = {}


def opus_packets(frequency):
    """Three seconds of a tone as 20 ms Opus packets, encoded once and replayed (encoding per
    packet would make a crowd of peers the bottleneck)."""
    if frequency not in _OPUS_CACHE:
        encoder = av.CodecContext.create("libopus", "w")
        encoder.sample_rate, encoder.layout, encoder.format = 48000, "mono", "s16"
        packets = []
        for i in range(150):
            t = (numpy.arange(960) + i * 960) / 48000
            pcm = (numpy.sin(2 * math.pi * frequency * t) * 8000).astype(numpy.int16).reshape(1, -1)
            frame = av.AudioFrame.from_ndarray(pcm, format="s16", layout="mono")
            frame.sample_rate, frame.pts = 48000, i * 960
            packets += [bytes(p) for p in encoder.encode(frame)]
        _OPUS_CACHE[frequency] = packets
    return _OPUS_CACHE[frequency]


class RtpPeer(asyncio.DatagramProtocol):
    def __init__(self, codec, frequency, amplitude=10000):
        self.codec = codec
        self.pt, self.rate, self.clock = CODECS[codec]
        self.frequency = frequency
        self.amplitude = amplitude
        self.loss = 0.0            # fraction of packets not sent (a lossy network)
        self.received = []         # decoded PCM chunks (numpy int16), in arrival order
        self.packets_in = 0
        self.sequence = random.randint(0, 65535)
        self.timestamp = random.randint(0, 2**31)
        self.ssrc = random.randint(1, 2**31)
        self.sent = 0
        if codec == "opus":
            self.decoder = av.CodecContext.create("libopus", "r")
            self.decoder.sample_rate, self.decoder.layout = 48000, "mono"
        if codec == "g722":
            self.encoder = av.CodecContext.create("g722", "w")
            self.encoder.sample_rate, self.encoder.layout, self.encoder.format = 16000, "mono", "s16"
            self.decoder = av.CodecContext.create("g722", "r")
            self.decoder.sample_rate, self.decoder.layout = 16000, "mono"

    def use_srtp(self, local_key, remote_key):
        """SDES-SRTP (AES_CM_128_HMAC_SHA1_80): we send with local_key, the far end with
        remote_key (both base64, as in a=crypto inline:)."""
        import base64
        from pylibsrtp import Policy, Session
        self.srtp_out = Session(policy=Policy(key=base64.b64decode(local_key), ssrc_type=Policy.SSRC_ANY_OUTBOUND))
        self.srtp_in = Session(policy=Policy(key=base64.b64decode(remote_key), ssrc_type=Policy.SSRC_ANY_INBOUND))
        self.srtp_failures = 0

    async def open(self, host="127.0.0.1"):
        loop = asyncio.get_running_loop()
        self.transport, _ = await loop.create_datagram_endpoint(lambda: self, local_addr=(host, 0))
        self.port = self.transport.get_extra_info("sockname")[1]
        return self

    def connection_made(self, transport):
        pass

    def datagram_received(self, data, addr):
        if getattr(self, "srtp_in", None):
            try:
                data = self.srtp_in.unprotect(data)
            except Exception:
                self.srtp_failures += 1
                return
        if len(data) < 12:
            return
        self.packets_in += 1
        payload = data[12:]
        if self.codec == "opus" and not getattr(self, "decode_opus", False):
            return  # counted, not decoded (crowds of peers in benchmarks)
        if self.codec == "pcmu":
            pcm = audioop.ulaw2lin(payload, 2)
        elif self.codec == "pcma":
            pcm = audioop.alaw2lin(payload, 2)
        else:
            frames = self.decoder.decode(av.Packet(payload))
            pcm = b"".join(self._mono16(f) for f in frames)
        self.received.append(numpy.frombuffer(pcm, dtype=numpy.int16))

    @staticmethod
    def _mono16(frame):
        samples = frame.to_ndarray()
        if samples.dtype.kind == "f":
            samples = samples * 32767
        return samples.reshape(-1, len(frame.layout.channels))[:, 0].astype(numpy.int16).tobytes()

    def payload(self):
        if self.codec == "opus":
            packets = opus_packets(self.frequency)
            return packets[self.sent % len(packets)]
        samples = self.rate // 50
        t = (numpy.arange(samples) + self.sent * samples) / self.rate
        pcm = (numpy.sin(2 * math.pi * self.frequency * t) * self.amplitude).astype(numpy.int16)
        if self.codec == "pcmu":
            return audioop.lin2ulaw(pcm.tobytes(), 2)
        if self.codec == "pcma":
            return audioop.lin2alaw(pcm.tobytes(), 2)
        frame = av.AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = 16000
        return b"".join(bytes(p) for p in self.encoder.encode(frame))

    def packet(self, payload, pt=None, marker=False):
        header = struct.pack("!BBHII", 0x80, (0x80 if marker else 0) | (self.pt if pt is None else pt),
                             self.sequence & 0xFFFF, self.timestamp & 0xFFFFFFFF, self.ssrc)
        if getattr(self, "srtp_out", None):
            return self.srtp_out.protect(header + payload)
        return header + payload

    async def stream(self, address, seconds):
        """Sends the tone in real time for seconds. Returns how late (s) the latest packet went out
        after its time: on a starved machine the test's own event loop stalls, and what this peer
        (or any peer of that loop) heard meanwhile says nothing of janus."""
        loop = asyncio.get_running_loop()
        start = loop.time()
        latest = 0.0
        for n in range(int(seconds * 50)):
            await asyncio.sleep(max(0, start + n * 0.02 - loop.time()))
            latest = max(latest, loop.time() - (start + n * 0.02))
            payload = self.payload()
            if random.random() >= self.loss:
                self.transport.sendto(self.packet(payload, marker=(self.sent == 0)), address)
            self.sent += 1
            self.sequence += 1
            self.timestamp += self.clock // 50
        return latest

    def heard(self, seconds=1.0):
        pcm = numpy.concatenate(self.received) if self.received else numpy.zeros(1, numpy.int16)
        return pcm[-int(seconds * self.rate):].astype(numpy.float64), self.rate

    def close(self):
        self.transport.close()
