"""janus.plugin.sylk.audiomixer with real peers: each of three aiortc participants sends its own
tone and must hear the other two and not itself; a muted participant's tone disappears."""
import asyncio

import numpy

from conftest import run
from harness.janus_api import Admin, Session
from harness.peers import Collector, ToneTrack, accept, make_peer, offer

MIXER = "janus.plugin.sylk.audiomixer"


def tone_db(samples, rate, frequency):
    """Power of one frequency in dB (relative), from a windowed FFT."""
    spectrum = numpy.abs(numpy.fft.rfft(samples * numpy.hanning(len(samples))))
    freqs = numpy.fft.rfftfreq(len(samples), 1 / rate)
    band = (freqs > frequency - 8) & (freqs < frequency + 8)
    return 20 * numpy.log10(spectrum[band].max() + 1e-9)


class Voice:
    def __init__(self, janus, room, name, frequency):
        self.janus, self.room, self.name, self.frequency = janus, room, name, frequency

    async def join(self):
        self.session = await Session.create(self.janus.ws_url)
        self.handle = await self.session.attach(MIXER)
        self.joined, _ = await self.handle.send({"request": "join", "room": self.room, "display": self.name})
        self.pc, _ = await make_peer(data_channel=False)
        self.tone = ToneTrack(self.frequency)
        self.pc.addTrack(self.tone)
        self.collector = None

        def on_track(track):
            self.collector = Collector(track)
        self.pc.on("track", on_track)
        data, jsep = await self.handle.send({"request": "configure", "muted": False}, jsep=await offer(self.pc))
        assert data.get("result") == "ok", data
        await accept(self.pc, jsep)
        await self.handle.next_event(timeout=15, predicate=lambda e: e.get("janus") == "webrtcup")

    def heard(self, seconds=1.0):
        rate = self.collector.rate
        frames = int(seconds * rate / 960)
        return numpy.concatenate(self.collector.audio[-frames:]), rate

    async def close(self):
        if self.collector:
            self.collector.stop()
        await self.pc.close()
        await self.session.close()


def test_everyone_hears_the_others_but_not_themselves(janus):
    tones = {"Ann": 440, "Ben": 660, "Cat": 880}

    async def body():
        voices = [Voice(janus, "mix-room", name, f) for name, f in tones.items()]
        admin = await Admin.open(janus.admin_url, janus.admin_secret)
        try:
            for voice in voices:
                await voice.join()
            await asyncio.sleep(3)
            heard = {v.name: v.heard() for v in voices}
            # Ben mutes himself: his tone must leave the others' audio
            await voices[1].handle.send({"request": "configure", "muted": True})
            await asyncio.sleep(2)
            after_mute = {v.name: v.heard() for v in voices}
            stats = await admin.message_plugin(MIXER, {"request": "list"})
            return heard, after_mute, stats
        finally:
            await admin.close()
            for voice in voices:
                await voice.close()

    heard, after_mute, stats = run(body(), timeout=90)
    for name, (samples, rate) in heard.items():
        levels = {other: tone_db(samples, rate, f) for other, f in tones.items()}
        others = [levels[o] for o in tones if o != name]
        assert min(others) - levels[name] >= 30, (name, levels)
    samples, rate = after_mute["Ann"]
    assert tone_db(samples, rate, 880) - tone_db(samples, rate, 660) >= 30  # Ben's tone is gone
    room = next(r for r in stats["list"] if r["room"] == "mix-room")
    assert len(room["participants"]) == 3
    assert stats["mixer"]["missed_deadlines"] <= 2
