"""aiortc participants of a video room for the relay tests: a publisher of a tone and a colour,
and a watcher that joins without media and subscribes to one feed."""
import asyncio
import time

from harness.janus_api import Session
from harness.peers import ColourTrack, Collector, KeyframeWatchdog, ToneTrack, accept, make_peer, offer

VIDEOROOM = "janus.plugin.sylk.videoroom"


class Publisher:
    """An aiortc participant that publishes a tone and a colour."""

    def __init__(self, ws_url, room, display):
        self.ws_url, self.room, self.display = ws_url, room, display
        self.pc = None

    async def join(self, tone, colour):
        self.session = await Session.create(self.ws_url)
        self.handle = await self.session.attach(VIDEOROOM)
        self.joined, _ = await self.handle.send({"request": "join", "ptype": "publisher", "room": self.room,
                                                 "display": self.display})
        assert self.joined.get("videoroom") == "joined", self.joined
        self.pc, _ = await make_peer(data_channel=False)
        self.pc.addTrack(ToneTrack(tone))
        self.pc.addTrack(ColourTrack(colour))
        data, jsep = await self.handle.send({"request": "publish"}, jsep=await offer(self.pc))
        assert data.get("configured") == "ok", data
        await accept(self.pc, jsep)
        await self.handle.next_event(timeout=15, predicate=lambda e: e.get("janus") == "webrtcup")
        self.id = self.joined["id"]
        return self

    async def close(self):
        if self.pc:
            await self.pc.close()
        await self.session.close()


class Watcher:
    """An aiortc participant that joins (no media of its own) and subscribes to one feed; a
    watchdog asks for a keyframe while its video decodes nothing, as browsers do."""

    def __init__(self, ws_url, room, display):
        self.ws_url, self.room, self.display = ws_url, room, display
        self.collectors, self.watchdogs, self.pc = [], [], None

    async def join(self):
        self.session = await Session.create(self.ws_url)
        self.handle = await self.session.attach(VIDEOROOM)
        self.joined, _ = await self.handle.send({"request": "join", "ptype": "publisher", "room": self.room,
                                                 "display": self.display})
        assert self.joined.get("videoroom") == "joined", self.joined
        return self.joined

    async def publishers_event(self, feed, timeout=15):
        """The feed's entry in the join's list or a later `publishers` event."""
        for entry in self.joined.get("publishers", []):
            if entry["id"] == feed:
                return entry
        event = await self.handle.next_event(timeout=timeout, predicate=lambda e: any(
            p["id"] == feed for p in e.get("plugindata", {}).get("data", {}).get("publishers", [])))
        return next(p for p in event["plugindata"]["data"]["publishers"] if p["id"] == feed)

    async def subscribe(self, feed, watchdog=True):
        self.sub = await self.session.attach(VIDEOROOM)
        data, jsep = await self.sub.send({"request": "join", "ptype": "subscriber", "room": self.room,
                                          "streams": [{"feed": feed}], "private_id": self.joined["private_id"]})
        assert data.get("videoroom") == "attached", data
        self.pc, _ = await make_peer(data_channel=False)
        self.pc.on("track", lambda track: self.collectors.append(Collector(track)))
        await accept(self.pc, jsep)
        await self.pc.setLocalDescription(await self.pc.createAnswer())
        started, _ = await self.sub.send({"request": "start"}, jsep={"type": "answer", "sdp": self.pc.localDescription.sdp})
        assert started.get("started") == "ok", started
        if watchdog:
            while len(self.collectors) < 2:
                await asyncio.sleep(0.05)
            video = self.collector("video")
            receiver = next(r for r in self.pc.getReceivers() if r.track.kind == "video")
            self.watchdogs.append(KeyframeWatchdog(receiver, video))
        return data

    def collector(self, kind):
        return next(c for c in self.collectors if c.track.kind == kind)

    async def wait_media(self, frames=20, audio=100, timeout=20):
        """Until frames video frames and audio audio frames (20 ms each) are decoded."""
        deadline = time.monotonic() + timeout
        while True:
            kinds = {c.track.kind: c.frames for c in self.collectors}
            if kinds.get("video", 0) >= frames and kinds.get("audio", 0) >= audio:
                return
            assert time.monotonic() < deadline, "%s got %s" % (self.display, kinds)
            await asyncio.sleep(0.1)

    async def close(self):
        for watchdog in self.watchdogs:
            watchdog.stop()
        for collector in self.collectors:
            collector.stop()
        if self.pc:
            await self.pc.close()
        await self.session.close()


def rgb_close(rgb, expected, tolerance=40):
    return rgb is not None and all(abs(a - b) < tolerance for a, b in zip(rgb, expected))
