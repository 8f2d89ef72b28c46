"""Churn against a real janus (issue 17): clients that come and go the ways real ones do, and
what janus holds once they are gone. Used by tests/integration/test_churn.py (short) and
bench/churn_bench.py (long, with a memory slope).

The load, all at once until a deadline:
- WebRTC participants (aiortc) in audio mixer rooms and video rooms (a publisher that also
  subscribes to its own feed), each leaving one of four ways in turn: `leave` then destroy,
  detach, destroy without leaving, or closing the WebSocket without a word (janus destroys the
  sessions of a transport that went: reclaim_session_timeout is 0);
- plain WebSocket clients without media: joins (mixer and video room; a second mixer join on the
  same handle), chat, refused joins (each kind of issue 17), malformed and oversized bodies, the
  same four ways out;
- SIP phones (sipp) calling the rooms: calls that hang up, calls acknowledged and then abandoned
  (no BYE, no media: the focus's RTP timeout ends them), calls never acknowledged (the 200 is
  retransmitted until 64*T1).
"""
import asyncio
import itertools
import os
import random
import tempfile

from harness.janus_api import JanusError, Session
from harness.peers import ColourTrack, ToneTrack, accept, make_peer, offer
from harness.processes import spawn

MIXER = "janus.plugin.sylk.audiomixer"
VIDEOROOM = "janus.plugin.sylk.videoroom"
SIP = "janus.plugin.sylk.sip"
SCENARIOS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "sip")
FOCUS = "127.0.0.1:5060"
ENDINGS = ("leave", "detach", "destroy", "abrupt")

# Join bodies each plugin refuses (issue 17, item 1), without the room.
REFUSED_MIXER_JOINS = [{"id": -5}, {"display": 42}, {"codec": "speex"}, {"codec": "pcmu", "rtp": {"ip": "127.0.0.1"}},
                       {"codec": "pcmu", "rtp": {"ip": "999.1.2.3", "port": 5004}}]
REFUSED_VIDEOROOM_JOINS = [{"ptype": "publisher", "secret": "guess"}, {"ptype": "publisher", "id": "seven"},
                           {"ptype": "subscriber", "streams": [{"feed": 1}]}]
# Bodies that are not requests at all: not JSON objects, missing or mistyped verbs, deep
# nesting, one over max_request_bytes (64 KiB).
MALFORMED_BODIES = ['[1, 2]', '"join"', '{"request": 5}', '{"request": "no-such-verb"}', '{}',
                    '{"request": "join", "room": {"x": 1}}', '{"request": "join", "room": -3}',
                    '[' * 200 + ']' * 200, '{"request": "join", "room": "r", "display": "%s"}' % ("x" * 70000)]


class Counters(dict):
    def add(self, name, n=1):
        self[name] = self.get(name, 0) + n


class ChurnLoad:
    def __init__(self, janus, rooms=3, webrtc_mixer=1, webrtc_video=1, plain=3, sip=True):
        self.janus = janus
        self.rooms = rooms
        self.workers = {"webrtc_mixer": webrtc_mixer, "webrtc_video": webrtc_video, "plain": plain}
        self.sip = sip
        self.counts = Counters()
        self.errors = []  # unexpected failures (the load itself must work, or it tests nothing)
        self.trace_dir = tempfile.mkdtemp(prefix="sylk-churn-")
        self._endings = itertools.cycle(ENDINGS)
        self._serial = itertools.count()
        self._sip_rounds = itertools.count()

    def room(self, kind):
        return "churn-%s-%d" % (kind, random.randrange(self.rooms))

    async def run(self, seconds, unacked_calls=2):
        """Runs the load for about seconds; the last clients finish what they started."""
        loop = asyncio.get_running_loop()
        self.deadline = loop.time() + seconds
        tasks = []
        for kind, count in self.workers.items():
            for _ in range(count):
                tasks.append(self._repeat(getattr(self, kind)))
        if self.sip:
            tasks.append(self._repeat(self.sip_calls))
            if unacked_calls:
                tasks.append(self.sip_scenario("churn_abandon_unacked.xml", self.room("mix"), unacked_calls, "unacked"))
        await asyncio.gather(*tasks)
        return self.counts

    async def _repeat(self, work):
        loop = asyncio.get_running_loop()
        while loop.time() < self.deadline:
            try:
                await work()
            except (JanusError, AssertionError, asyncio.TimeoutError, OSError) as e:
                self.errors.append("%s: %r" % (work.__name__, e))
                await asyncio.sleep(0.5)

    async def _end(self, session, handles, ending):
        """Ends a client one of the four ways; every way must leave nothing behind in janus."""
        self.counts.add("end_" + ending)
        connection = session.connection
        if ending == "abrupt":
            await connection.ws.close()  # no leave, no detach, no destroy
            connection.reader.cancel()
            return
        if ending == "leave":
            for handle in handles:
                await handle.send({"request": "leave"})
        if ending == "detach":
            for handle in handles:
                await connection.call({"janus": "detach", "session_id": session.id, "handle_id": handle.id})
        await session.close()

    # ------------------------------------------------------------------ WebRTC participants

    async def webrtc_mixer(self):
        session = await Session.create(self.janus.ws_url)
        pc = None
        try:
            handle = await session.attach(MIXER)
            joined, _ = await handle.send({"request": "join", "room": self.room("mix"), "display": "churn"})
            assert joined.get("audiobridge") == "joined", joined
            pc, _ = await make_peer(data_channel=False)
            pc.addTrack(ToneTrack(300 + 100 * random.randrange(8)))
            data, jsep = await handle.send({"request": "configure", "muted": False}, jsep=await offer(pc))
            assert data.get("result") == "ok", data
            await accept(pc, jsep)
            await handle.next_event(timeout=15, predicate=lambda e: e.get("janus") == "webrtcup")
            self.counts.add("webrtc_mixer_up")
            await asyncio.sleep(random.uniform(0.5, 2.0))
            await self._end(session, [handle], next(self._endings))
        finally:
            if pc:
                await pc.close()

    async def webrtc_video(self):
        session = await Session.create(self.janus.ws_url)
        pcs = []
        try:
            publisher = await session.attach(VIDEOROOM)
            joined, _ = await publisher.send({"request": "join", "ptype": "publisher", "room": self.room("video"),
                                              "display": "churn"})
            assert joined.get("videoroom") == "joined", joined
            pc, _ = await make_peer(data_channel=False)
            pcs.append(pc)
            pc.addTrack(ToneTrack(500))
            pc.addTrack(ColourTrack((0, 160, 0)))
            data, jsep = await publisher.send({"request": "publish"}, jsep=await offer(pc))
            assert data.get("configured") == "ok", data
            await accept(pc, jsep)
            await publisher.next_event(timeout=15, predicate=lambda e: e.get("janus") == "webrtcup")
            # a subscriber to its own feed, on the same session
            subscriber = await session.attach(VIDEOROOM)
            data, jsep = await subscriber.send({"request": "join", "ptype": "subscriber", "room": joined["room"],
                                                "streams": [{"feed": joined["id"]}]})
            assert data.get("videoroom") == "attached", data
            sub_pc, _ = await make_peer(data_channel=False)
            pcs.append(sub_pc)
            await accept(sub_pc, jsep)
            await sub_pc.setLocalDescription(await sub_pc.createAnswer())
            started, _ = await subscriber.send({"request": "start"},
                                               jsep={"type": "answer", "sdp": sub_pc.localDescription.sdp})
            assert started.get("started") == "ok", started
            await subscriber.next_event(timeout=15, predicate=lambda e: e.get("janus") == "webrtcup")
            self.counts.add("webrtc_video_up")
            await asyncio.sleep(random.uniform(0.5, 2.0))
            await self._end(session, [subscriber, publisher], next(self._endings))
        finally:
            for pc in pcs:
                await pc.close()

    # ------------------------------------------------------------------ clients without media

    async def plain(self):
        session = await Session.create(self.janus.ws_url)
        mixer = await session.attach(MIXER)
        videoroom = await session.attach(VIDEOROOM)
        handles = [mixer, videoroom]
        # refused joins first, each to a room nobody made
        for _ in range(3):
            refused, _ = await mixer.send(dict(random.choice(REFUSED_MIXER_JOINS), request="join",
                                               room="churn-refused-%d" % next(self._serial)))
            assert "error_code" in refused, refused
            refused, _ = await videoroom.send(dict(random.choice(REFUSED_VIDEOROOM_JOINS), request="join",
                                                   room="churn-refused-%d" % next(self._serial)))
            assert "error_code" in refused, refused
            self.counts.add("refused_joins", 2)
        for text in random.sample(MALFORMED_BODIES, 3):
            reply = await random.choice(handles).send_raw_body(text)
            data = reply.get("plugindata", {}).get("data", {})
            assert "error_code" in data or reply.get("janus") == "error", reply
            self.counts.add("malformed_bodies")
        joined, _ = await mixer.send({"request": "join", "room": self.room("mix"), "display": "plain"})
        assert joined.get("audiobridge") == "joined", joined
        # and again on the same handle (each join makes a participant the handle must not keep)
        left, _ = await mixer.send({"request": "leave"})
        assert left.get("audiobridge") == "left", left
        joined, _ = await mixer.send({"request": "join", "room": self.room("mix"), "display": "plain"})
        assert joined.get("audiobridge") == "joined", joined
        self.counts.add("rejoins")
        joined, _ = await videoroom.send({"request": "join", "ptype": "publisher", "room": self.room("video"),
                                          "display": "plain"})
        assert joined.get("videoroom") == "joined", joined
        await videoroom.send({"request": "message", "text": "churn %d" % next(self._serial)})
        self.counts.add("plain_joins", 2)
        await asyncio.sleep(random.uniform(0.1, 1.0))
        await self._end(session, handles, next(self._endings))

    # ------------------------------------------------------------------ SIP phones

    async def sip_scenario(self, scenario, room, calls, name, rate=5):
        arguments = ["sipp", FOCUS, "-sf", os.path.join(SCENARIOS, scenario), "-m", str(calls), "-r", str(rate),
                     "-l", str(calls), "-i", "127.0.0.1", "-p", "0", "-nostdin", "-timeout", "30s",
                     "-timeout_error", "-set", "room", room]
        process = await spawn(*arguments, cwd=self.trace_dir, stdout=asyncio.subprocess.DEVNULL,
                              stderr=asyncio.subprocess.PIPE)
        _, errors = await asyncio.wait_for(process.communicate(), 45)
        if process.returncode != 0:
            self.errors.append("sipp %s exited %s: %s" % (scenario, process.returncode, errors.decode(errors="replace")[-300:]))
        else:
            self.counts.add("sip_" + name, calls)

    async def sip_calls(self):
        await self.sip_scenario("churn_call.xml", self.room("mix"), 3, "calls")
        if next(self._sip_rounds) % 2 == 0:
            await self.sip_scenario("churn_abandon_acked.xml", self.room("mix"), 1, "abandoned")


async def leftovers(admin):
    """What janus still holds: rooms of each plugin, hub rooms, sessions, SIP calls and the SIP
    stack's live Sofia handles (issue 17: every unclaimed request used to leave one)."""
    mixer = await admin.message_plugin(MIXER, {"request": "list"})
    videoroom = await admin.message_plugin(VIDEOROOM, {"request": "list"})
    info = await admin.message_plugin(MIXER, {"request": "info"})
    sip = await admin.message_plugin(SIP, {"request": "status"})
    sessions = await admin.call("list_sessions")
    return {"mixer_rooms": sorted(str(r["room"]) for r in mixer["list"]),
            "videoroom_rooms": sorted(str(r["room"]) for r in videoroom["list"]),
            "hub_rooms": info.get("hub_rooms"),  # None from builds before it was counted
            "sessions": len(sessions["sessions"]),
            "focus_calls": sip["focus"]["active_calls"],
            "gateway_calls": sip["gateway"]["active_calls"],
            "sip_handles": sip.get("handles")}


async def sample_peaks(pid, peaks, period=0.5):
    """Keeps the highest process_counts seen in peaks until cancelled."""
    while True:
        for name, value in process_counts(pid).items():
            peaks[name] = max(peaks.get(name, 0), value)
        await asyncio.sleep(period)


def process_counts(pid):
    """janus's open file descriptors, threads and resident memory (KiB)."""
    fds = len(os.listdir("/proc/%d/fd" % pid))
    threads = len(os.listdir("/proc/%d/task" % pid))
    rss = 0
    with open("/proc/%d/status" % pid) as status:
        for line in status:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
    return {"fds": fds, "threads": threads, "rss_kib": rss}
