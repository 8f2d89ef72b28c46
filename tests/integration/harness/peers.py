"""aiortc peers with media we can recognise on the way back: a pure tone for audio and a
solid colour for video."""
import asyncio
import fractions
import math
import time

import numpy
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamTrack
from av import AudioFrame, VideoFrame

AUDIO_RATE = 48000
AUDIO_SAMPLES = 960  # 20 ms


class ToneTrack(MediaStreamTrack):
    """Sends a sine tone at frequency Hz, mono 48 kHz, in real time."""
    kind = "audio"

    def __init__(self, frequency, amplitude=12000):
        super().__init__()
        self.frequency = frequency
        self.amplitude = amplitude  # 0 sends digital silence; may change while running
        self.sent = 0
        self.start = None

    async def recv(self):
        if self.start is None:
            self.start = time.monotonic()
        due = self.start + self.sent / AUDIO_RATE
        await asyncio.sleep(max(0, due - time.monotonic()))
        t = (numpy.arange(AUDIO_SAMPLES) + self.sent) / AUDIO_RATE
        samples = (numpy.sin(2 * math.pi * self.frequency * t) * self.amplitude).astype(numpy.int16)
        frame = AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = AUDIO_RATE
        frame.pts = self.sent
        frame.time_base = fractions.Fraction(1, AUDIO_RATE)
        self.sent += AUDIO_SAMPLES
        return frame


class ColourTrack(MediaStreamTrack):
    """Sends 320x240 frames of one colour (RGB) at 15 fps."""
    kind = "video"

    def __init__(self, rgb, fps=15):
        super().__init__()
        self.image = numpy.zeros((240, 320, 3), numpy.uint8)
        self.image[:, :] = rgb
        self.fps = fps
        self.count = 0
        self.start = None

    async def recv(self):
        if self.start is None:
            self.start = time.monotonic()
        await asyncio.sleep(max(0, self.start + self.count / self.fps - time.monotonic()))
        frame = VideoFrame.from_ndarray(self.image, format="rgb24")
        frame.pts = self.count * 90000 // self.fps
        frame.time_base = fractions.Fraction(1, 90000)
        self.count += 1
        return frame


def dominant_frequency(samples, rate):
    spectrum = numpy.abs(numpy.fft.rfft(samples * numpy.hanning(len(samples))))
    return numpy.fft.rfftfreq(len(samples), 1 / rate)[int(numpy.argmax(spectrum))]


class Collector:
    """Reads a received track until stopped, keeping what tests look at."""

    def __init__(self, track):
        self.track = track
        self.frames = 0
        self.audio = []
        self.last_rgb = None
        self.size = None  # (width, height) of the last video frame
        self.task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self):
        try:
            while True:
                frame = await self.track.recv()
                self.frames += 1
                if self.track.kind == "audio":
                    data = frame.to_ndarray()
                    mono = data.reshape(-1, len(frame.layout.channels))[:, 0] if data.ndim > 1 else data
                    self.audio.append(mono.astype(numpy.float64))
                    self.rate = frame.sample_rate
                else:
                    self.size = (frame.width, frame.height)
                    if self.frames % 5 == 0:
                        self.last_rgb = frame.to_ndarray(format="rgb24").reshape(-1, 3).mean(axis=0)
        except Exception:
            pass

    def stop(self):
        self.task.cancel()


class KeyframeWatchdog:
    """Asks for a keyframe (RTCP PLI) while a video receiver decodes nothing, as browsers do.
    aiortc asks only when its jitter buffer overflows (128 packets later, and not at all while
    its packets keep coming in order), so one keyframe cut short at a simulcast layer switch on a
    loaded machine could leave it without a picture for the rest of a test."""

    def __init__(self, receiver, collector, stall=1.0):
        self.receiver = receiver
        self.collector = collector
        self.stall = stall
        self.requests = 0  # tests print it: how often the receiver had to ask
        self.task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self):
        loop = asyncio.get_running_loop()
        frames, since = -1, loop.time()
        while True:
            await asyncio.sleep(0.25)
            if self.collector.frames != frames:
                frames, since = self.collector.frames, loop.time()
            elif loop.time() - since >= self.stall:
                for source in self.receiver.getSynchronizationSources():
                    await self.receiver._send_rtcp_pli(source.source)
                    self.requests += 1
                since = loop.time()

    def stop(self):
        self.task.cancel()


async def make_peer(data_channel=True):
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    channel = pc.createDataChannel("JanusDataChannel") if data_channel else None
    return pc, channel


async def offer(pc):
    await pc.setLocalDescription(await pc.createOffer())
    # aiortc gathers every candidate before setLocalDescription returns: no trickle needed
    return {"type": "offer", "sdp": pc.localDescription.sdp, "trickle": False}


async def accept(pc, jsep):
    await pc.setRemoteDescription(RTCSessionDescription(sdp=jsep["sdp"], type=jsep["type"]))
