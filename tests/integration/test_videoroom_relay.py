"""Video across nodes, the relay's two ends (docs/cluster.md "Video across nodes"). One node:
the admin `relay` request sends a publisher's streams as plain RTP to a UDP socket of the test
(the sending end the cluster uses), and refuses unknown rooms, feeds and addresses. Two nodes
and NATS: a publisher on node0 is seen by two subscribers on node1, relayed once."""
import asyncio
import socket
import time

import pytest

from conftest import BUILD, run
from harness.cluster_nodes import ClusterNodes
from harness.janus_api import Admin, Session
from harness.peers import (ColourTrack, Collector, KeyframeWatchdog, ToneTrack, accept, dominant_frequency,
                           make_peer, offer)

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

    async def wait_media(self, frames=20, timeout=20):
        deadline = time.monotonic() + timeout
        while True:
            kinds = {c.track.kind: c.frames for c in self.collectors}
            if kinds.get("video", 0) >= frames and kinds.get("audio", 0) >= 100:
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


def test_admin_relay_sends_plain_rtp_and_refuses_bad_requests(janus):
    async def body():
        admin = await Admin.open(janus.admin_url, janus.admin_secret)
        ann = Publisher(janus.ws_url, "relay-room", "Ann")
        sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sink.bind(("127.0.0.1", 0))
        sink.setblocking(False)
        try:
            await ann.join(440, (200, 0, 0))
            refusals = [
                await admin.message_plugin(VIDEOROOM, {"request": "relay", "room": "no-such-room", "feed": ann.id,
                                                       "host": "127.0.0.1", "port": 9}),
                await admin.message_plugin(VIDEOROOM, {"request": "relay", "room": "relay-room", "feed": 12345,
                                                       "host": "127.0.0.1", "port": 9}),
                await admin.message_plugin(VIDEOROOM, {"request": "relay", "room": "relay-room", "feed": ann.id,
                                                       "host": "relay.example.com", "port": 9}),
                await admin.message_plugin(VIDEOROOM, {"request": "relay", "room": "relay-room", "feed": ann.id,
                                                       "host": "127.0.0.1", "port": 70000}),
            ]
            listed_before = await admin.message_plugin(VIDEOROOM, {"request": "list_relays"})
            started = await admin.message_plugin(VIDEOROOM, {"request": "relay", "room": "relay-room", "feed": ann.id,
                                                             "host": "127.0.0.1", "port": sink.getsockname()[1]})
            loop = asyncio.get_running_loop()
            packets = []
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and (len({p[1] & 0x7f for p in packets}) < 2 or len(packets) < 200):
                try:
                    packets.append(await asyncio.wait_for(loop.sock_recv(sink, 2048), 1))
                except asyncio.TimeoutError:
                    pass
            listed = await admin.message_plugin(VIDEOROOM, {"request": "list_relays"})
            await ann.close()
            deadline = time.monotonic() + 10
            while True:
                after = await admin.message_plugin(VIDEOROOM, {"request": "list_relays"})
                if not after["rooms"] or time.monotonic() > deadline:
                    break
                await asyncio.sleep(0.1)
            return refusals, listed_before, started, packets, listed, after
        finally:
            sink.close()
            await admin.close()

    refusals, listed_before, started, packets, listed, after = run(body())
    print("refusals", refusals)
    assert [r.get("error_code") for r in refusals[:2]] == [426, 428], refusals
    assert "no such room" in refusals[0]["error"] and "no such feed" in refusals[1]["error"]
    assert refusals[2].get("error_code") and "no IP address" in refusals[2]["error"], refusals[2]
    assert refusals[3].get("error_code"), refusals[3]
    assert listed_before["rooms"] == [], listed_before  # the refused requests left nothing
    assert started["videoroom"] == "relaying", started
    # Plain RTP: version 2, the payload type is the publisher's m-line index (0 audio, 1 video
    # here), one SSRC per relayed stream.
    assert all(p[0] >> 6 == 2 for p in packets)
    by_pt = {}
    for p in packets:
        by_pt.setdefault(p[1] & 0x7f, set()).add(p[8:12])
    assert set(by_pt) == {0, 1}, by_pt.keys()
    assert all(len(ssrcs) == 1 for ssrcs in by_pt.values()), by_pt
    relay = listed["rooms"][0]["relays"][0]
    assert relay["feed"] and relay["streams"] == 2 and relay["packets"] >= len(packets) and relay["node"] == ""
    assert after["rooms"] == [], after  # the publisher left: its relay went with it
