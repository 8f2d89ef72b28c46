"""janus.plugin.sylk.cluster with real engines: one nats-server (JetStream) and three janus
nodes, web users joining video rooms over the Janus API on different nodes. Room ownership
follows the first member's node and every node agrees on it; a node killed with SIGKILL loses
its rooms to a node that has members in them within lease + lease/3; a node cut off from NATS
gives its rooms up before another node claims them, and at no moment do two nodes say they own
the same room. Node 2 reaches NATS through a relay the test black-holes for the partition."""
import asyncio
import os
import signal
import time

import numpy
import pytest

from conftest import BUILD, run
from harness.janus_api import Admin, Session
from harness.cluster_nodes import ClusterNodes
from harness.peers import Collector, ToneTrack, accept, dominant_frequency, make_peer, offer
from harness.processes import script_result

CLUSTER = "janus.plugin.sylk.cluster"
VIDEOROOM = "janus.plugin.sylk.videoroom"
LEASE_MS = 2000
TICK_S = LEASE_MS / 3 / 1000
ROOMS = ["team.%d@example.com" % i for i in range(12)]  # dots: keys must encode them
NODES = ["node0", "node1", "node2"]


@pytest.fixture(scope="module")
def cluster():
    yield from ClusterNodes(BUILD, NODES, LEASE_MS, relayed=["node2"]).serve()  # node2 reaches NATS through a relay


class Views:
    """Admin connections to the live nodes, asking each for its own view ("status": the rooms
    it owns now, from its local lease state) or for a room's owner."""

    def __init__(self, cluster):
        self.cluster = cluster
        self.admins = {}

    async def open(self):
        for name, node in zip(NODES, self.cluster.nodes):
            self.admins[name] = await Admin.open(node.admin_url, node.admin_secret)
        return self

    async def close(self):
        for admin in self.admins.values():
            await admin.close()

    def forget(self, name):
        self.admins.pop(name, None)

    async def owned(self):
        """{node: set of rooms it says it owns}, all nodes asked at once."""
        names = list(self.admins)
        answers = await asyncio.gather(*(self.admins[n].message_plugin(CLUSTER, {"request": "status"}) for n in names))
        return {name: set(answer["owned"]) for name, answer in zip(names, answers)}

    async def owner(self, name, room):
        return await self.admins[name].message_plugin(CLUSTER, {"request": "owner", "room": room})

    async def wait_owned(self, expected, timeout, check=None):
        """Polls every 50 ms until every room of expected ({room: node}) is owned by its node.
        check(owned) runs on every poll (the no-two-owners rule). Returns the seconds waited."""
        started = time.monotonic()
        while True:
            owned = await self.owned()
            if check:
                check(owned)
            if all(room in owned.get(node, ()) for room, node in expected.items()):
                return time.monotonic() - started
            assert time.monotonic() - started < timeout, (expected, owned)
            await asyncio.sleep(0.05)  # the poll period the issue asks for


def no_two_owners(owned):
    seen = {}
    for node, rooms in owned.items():
        for room in rooms:
            assert room not in seen, "room %s owned by %s and %s at once" % (room, seen[room], node)
            seen[room] = node


async def join(node, room, display, answer=False):
    """A web user in the video room on that node (kept open: the caller closes the session);
    with answer, (session, the join's answer)."""
    session = await Session.create(node.ws_url)
    handle = await session.attach(VIDEOROOM)
    joined, _ = await handle.send({"request": "join", "ptype": "publisher", "room": room, "display": display})
    assert joined.get("videoroom") == "joined", joined
    return (session, joined) if answer else session


async def chatter(node, room, display, sessions):
    """A web user in the room on that node and a function that says a public message and
    returns its text once the node acknowledged it (`message_sent`)."""
    session = await Session.create(node.ws_url)
    sessions.append(session)
    handle = await session.attach(VIDEOROOM)
    joined, _ = await handle.send({"request": "join", "ptype": "publisher", "room": room, "display": display})
    assert joined.get("videoroom") == "joined", joined

    async def say(text):
        sent, _ = await handle.send({"request": "message", "text": text})
        assert sent.get("message_sent"), sent
        return text
    return session, say


async def chat_in(node, room, display, texts, sessions):
    _, say = await chatter(node, room, display, sessions)
    return [await say(text) for text in texts]


class MediaWatch:
    """A tone published in a room and received back by a subscriber, both aiortc peers on one
    node: every RTP packet the subscriber's receiver gets is timed (at its arrival, before the
    jitter buffer), so the longest silence of the room's media in a window can be measured."""

    def __init__(self, node, room, frequency):
        self.node, self.room, self.frequency = node, room, frequency
        self.arrivals = []  # monotonic seconds of every RTP packet received
        self.pcs, self.collectors = [], []

    async def start(self):
        self.session = await Session.create(self.node.ws_url)
        publisher = await self.session.attach(VIDEOROOM)
        joined, _ = await publisher.send({"request": "join", "ptype": "publisher", "room": self.room,
                                          "display": "tone-%d" % self.frequency})
        pc, _ = await make_peer(data_channel=False)
        self.pcs.append(pc)
        pc.addTrack(ToneTrack(self.frequency))
        published, jsep = await publisher.send({"request": "publish"}, jsep=await offer(pc))
        assert published.get("configured") == "ok", published
        await accept(pc, jsep)
        await publisher.next_event(timeout=15, predicate=lambda e: e.get("janus") == "webrtcup")

        subscriber = await self.session.attach(VIDEOROOM)
        attached, jsep = await subscriber.send({"request": "join", "ptype": "subscriber", "room": self.room,
                                                "streams": [{"feed": joined["id"]}]})
        assert attached.get("videoroom") == "attached", attached
        pc, _ = await make_peer(data_channel=False)
        self.pcs.append(pc)
        pc.on("track", lambda track: self.collectors.append(Collector(track)))
        await accept(pc, jsep)
        for receiver in pc.getReceivers():
            self._time(receiver)
        await pc.setLocalDescription(await pc.createAnswer())
        started, _ = await subscriber.send({"request": "start"}, jsep={"type": "answer", "sdp": pc.localDescription.sdp})
        assert started.get("started") == "ok", started
        deadline = time.monotonic() + 15
        while len(self.arrivals) < 25:  # half a second of packets: media flows
            assert time.monotonic() < deadline, "no media in %s on %s" % (self.room, self.node.ws_url)
            await asyncio.sleep(0.05)
        return self

    def _time(self, receiver):
        handle = receiver._handle_rtp_packet  # aiortc's entry for each packet its transport routes here

        async def timed(packet, arrival_time_ms):
            self.arrivals.append(time.monotonic())
            await handle(packet, arrival_time_ms=arrival_time_ms)
        receiver._handle_rtp_packet = timed

    def longest_gap(self, since, until, stalls=()):
        """(longest inter-arrival gap in seconds, when it began, packets) over [since, until];
        the edges of the window count as arrivals, so media that stops inside it shows as a
        gap. The time of `stalls` ((start, end) intervals when this process's event loop did
        not run: the publisher and the receiver are aiortc peers on it) is not the server's
        and is left out of each gap."""
        times = [since] + [t for t in self.arrivals if since <= t <= until] + [until]

        def server_part(a, b):
            return (b - a) - sum(max(0, min(b, end) - max(a, start)) for start, end in stalls)
        gap, began = max((server_part(a, b), a) for a, b in zip(times, times[1:]))
        return gap, began, len(times) - 2

    def heard(self):
        audio = next(c for c in self.collectors if c.track.kind == "audio")
        samples = numpy.concatenate(audio.audio[-50:])  # the last second
        return dominant_frequency(samples, audio.rate)

    async def close(self):
        for collector in self.collectors:
            collector.stop()
        for pc in self.pcs:
            await pc.close()
        await self.session.close()


class LoopWatch:
    """Ticks every 10 ms on the test's event loop and keeps the intervals when it could not
    (over 50 ms late): while the loop stalls, the aiortc peers on it neither send nor read."""

    def __init__(self):
        self.stalls = []
        self.task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self):
        last = time.monotonic()
        while True:
            await asyncio.sleep(0.01)
            now = time.monotonic()
            if now - last > 0.05:
                self.stalls.append((last + 0.01, now))
            last = now

    def stop(self):
        self.task.cancel()


def data_of(event):
    return event.get("plugindata", {}).get("data", {})


def test_chat_and_roster_cross_nodes(cluster):
    """Runs first, while all three nodes are up. Web users of one room on node0 and node1 see each
    other in the roster and chat, privately too, through the bus; a user joining later on node2
    gets what was said before (the bridge asks the other nodes for the room's history)."""
    room = "crew.chat@example.com"

    async def body():
        sessions = []
        try:
            async def participant(node, display):
                session = await Session.create(node.ws_url)
                sessions.append(session)
                handle = await session.attach(VIDEOROOM)
                joined, _ = await handle.send({"request": "join", "ptype": "publisher", "room": room,
                                               "display": display})
                assert joined.get("videoroom") == "joined", joined
                return handle, joined

            ann, ann_joined = await participant(cluster.nodes[0], "Ann")
            bob, bob_joined = await participant(cluster.nodes[1], "Bob")
            ann_member = "janus.plugin.sylk.cluster/node0/janus.plugin.sylk.videoroom/%d" % ann_joined["id"]
            bob_member = "janus.plugin.sylk.cluster/node1/janus.plugin.sylk.videoroom/%d" % bob_joined["id"]

            def attendee_named(display):
                return lambda e: data_of(e).get("attendee", {}).get("display") == display

            async def learns(handle, display):
                """The attendee `display` as the page learns it: live, as an event, or, when it was
                a member of the hub room before the page's join (the roster answer can beat the
                join), from the participants' list the web app asks for after joining."""
                listed, _ = await handle.send({"request": "listparticipants", "room": room})
                for attendee in listed.get("attendees", []):
                    if attendee.get("display") == display:
                        return attendee
                return data_of(await handle.next_event(predicate=attendee_named(display)))["attendee"]
            # Bob learns Ann from node0's answer to his node's roster request; Ann learns Bob live.
            bob_sees_ann = await learns(bob, "Ann")
            ann_sees_bob = await learns(ann, "Bob")

            await ann.send({"request": "message", "text": "hello from node0"})
            at_bob = await bob.next_event(predicate=lambda e: "message" in data_of(e))
            await bob.send({"request": "message", "text": "psst, node1 here", "to": bob_sees_ann["id"]})
            at_ann = await ann.next_event(predicate=lambda e: data_of(e).get("message", {}).get("private"))

            # Carol opens the room on node2 after the public message: it reaches her, from the
            # join's history or, when the other nodes' answer comes after her join, as an event.
            carol, carol_joined = await participant(cluster.nodes[2], "Carol")
            texts = [m["text"] for m in carol_joined.get("history", [])]
            if "hello from node0" not in texts:
                later = await carol.next_event(predicate=lambda e: "message" in data_of(e))
                texts.append(data_of(later)["message"]["text"])
            # ...and the private message was not in it.
            return (bob_sees_ann, ann_sees_bob, data_of(at_bob)["message"],
                    data_of(at_ann)["message"], texts, ann_member, bob_member)
        finally:
            for session in sessions:
                await session.close()

    bob_sees_ann, ann_sees_bob, at_bob, at_ann, carol_texts, ann_member, bob_member = run(body(), timeout=40)
    assert bob_sees_ann["id"] == ann_member, bob_sees_ann
    assert ann_sees_bob["id"] == bob_member, ann_sees_bob
    assert (at_bob["text"], at_bob["display"], at_bob["from"], at_bob["private"]) == (
        "hello from node0", "Ann", ann_member, False), at_bob
    assert (at_ann["text"], at_ann["display"], at_ann["from"], at_ann["private"]) == (
        "psst, node1 here", "Bob", bob_member, True), at_ann
    assert carol_texts == ["hello from node0"], carol_texts


def test_a_handle_holds_one_room_for_joining(cluster):
    """`joining` claims an unowned room before its first member (the web app asks before it
    joins), but one handle holds one such room at a time: asking for a second lets the first go
    at the lease keeper's next tick, so a client cannot pin rooms it never joins."""
    node = cluster.nodes[1]

    async def body():
        session = await Session.create(node.ws_url)
        admin = await Admin.open(node.admin_url, node.admin_secret)
        try:
            handle = await session.attach(CLUSTER)
            first, _ = await handle.send({"request": "owner", "room": "pin.first", "joining": True})
            second, _ = await handle.send({"request": "owner", "room": "pin.second", "joining": True})
            started = time.monotonic()
            while True:
                owned = set((await admin.message_plugin(CLUSTER, {"request": "status"}))["owned"])
                if "pin.first" not in owned:
                    break
                assert time.monotonic() - started < 3 * TICK_S + 1, owned
                await asyncio.sleep(0.05)
            return first, second, owned
        finally:
            await admin.close()
            await session.close()

    first, second, owned = run(body(), timeout=20)
    assert (first["node"], first["local"]) == ("node1", True), first
    assert (second["node"], second["local"]) == ("node1", True), second
    assert "pin.second" in owned, owned  # still held for its joiner, within a lease


def test_a_page_on_another_node_moves_to_the_rooms_node(cluster):
    """Two people open one room's link on two nodes: Ann's page (node0) asks who owns the room,
    about to join, so node0 claims it; Bob's page on node1 is told node0 and talks to node0's
    Janus API. Both decode each other's video and read each other's chat (Chromium); a file Bob's
    moved page shares goes to node0's HTTP server and both download it byte-identical."""
    import json
    import subprocess
    top = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    completed = subprocess.run(["node", os.path.join(top, "tests", "browser", "cluster_room_test.mjs"),
                                cluster.nodes[0].http_url + "room.html", cluster.nodes[1].http_url + "room.html",
                                "crew.video"], capture_output=True, text=True, timeout=120)
    result = script_result(completed.stdout, completed.stderr)
    assert "error" not in result, json.dumps(result, indent=1)
    assert result["servers"] == {"Ann": cluster.nodes[0].ws_url, "Bob": cluster.nodes[0].ws_url}, result
    assert result["pageOrigins"]["Bob"] != result["pageOrigins"]["Ann"], result  # Bob's page came from node1
    assert result["annSees"] == ["Bob"] and result["bobSees"] == ["Ann"], result
    assert "Bob: hello from Bob" in result["chatAtAnn"], result
    # Bob's page moved: its file went to node0's HTTP server (which gave its token), is listed on
    # both pages and downloads byte-identical on both.
    node0_origin = cluster.nodes[0].http_url.rstrip("/")
    assert result["bobFileRequests"] and all(r.endswith(" " + node0_origin) for r in result["bobFileRequests"]), result
    for download in (result["annDownload"], result["bobDownload"]):
        assert download == {"size": 300 * 1024, "same": True}, result


def test_rooms_spread_and_survive_a_killed_node_and_a_partition(cluster):
    async def body():
        views = await Views(cluster).open()
        sessions, watches = [], []
        try:
            # 12 rooms; each room's first member joins on node i % 3, which must own it.
            first = {room: NODES[i % 3] for i, room in enumerate(ROOMS)}
            sessions += await asyncio.gather(*(join(cluster.nodes[i % 3], room, "first-%d" % i)
                                               for i, room in enumerate(ROOMS)))
            await views.wait_owned(first, timeout=4 * TICK_S + 2, check=no_two_owners)
            # Every node gives the same answer for every room, with the owner's address.
            for room in ROOMS:
                for name in NODES:
                    answer = await views.owner(name, room)
                    assert answer["node"] == first[room], (name, room, answer)
                    assert answer["local"] == (name == first[room]), answer
                    assert answer["ws_url"] == cluster.nodes[NODES.index(first[room])].ws_url, answer
            # The same on a client's handle (what the web app will ask).
            client = await Session.create(cluster.nodes[2].ws_url)
            sessions.append(client)
            answer, _ = await (await client.attach(CLUSTER)).send({"request": "owner", "room": ROOMS[0]})
            assert (answer["node"], answer["local"], answer["ws_url"]) == ("node0", False, cluster.nodes[0].ws_url), answer
            nodes = (await views.admins["node1"].message_plugin(CLUSTER, {"request": "nodes"}))["nodes"]
            assert sorted(n["node"] for n in nodes) == NODES, nodes
            # Where each node takes media from the others (cluster.self, "Calls between nodes"):
            # the harness's nodes advertise 127.0.0.1 URLs, so that is their default media_ip.
            assert all(n["media_ip"] == "127.0.0.1" for n in nodes), nodes

            # Second members on other nodes: node0's rooms 0 and 3 also on node1; node2's rooms 2
            # and 5 also on node1. Owners do not change for that.
            shared_killed = [ROOMS[0], ROOMS[3]]
            shared_cut = [ROOMS[2], ROOMS[5]]
            sessions += await asyncio.gather(*(join(cluster.nodes[1], room, "second")
                                               for room in shared_killed + shared_cut))

            # Media in two survivors' rooms (node1's ROOMS[1], node2's ROOMS[8]): a tone
            # published and received on the room's node, timed packet by packet across the kill.
            loop_watch = LoopWatch()
            watches += await asyncio.gather(MediaWatch(cluster.nodes[1], ROOMS[1], 440).start(),
                                            MediaWatch(cluster.nodes[2], ROOMS[8], 660).start())
            # Chat in ROOMS[0] (node0's, shared with node1): every message acknowledged to its
            # sender, on both nodes, node0's last one just before the kill.
            said = await chat_in(cluster.nodes[1], ROOMS[0], "Bea", ["bea-%d" % i for i in range(3)], sessions)
            _, ann_say = await chatter(cluster.nodes[0], ROOMS[0], "Ann", sessions)
            await asyncio.sleep(max(0, 1 - (time.monotonic() - max(w.arrivals[0] for w in watches))))
            for i in range(5):  # a second of media before the kill: the window's first half
                said.append(await ann_say("ann-%d" % i))

            # kill -9 node0: its shared rooms move to node1 within lease + lease/3.
            before = await views.owned()
            untouched = {room: node for room, node in first.items() if node != "node0"}
            killed_at = time.monotonic()
            cluster.killed.add("node0")
            cluster.nodes[0].process.send_signal(signal.SIGKILL)
            cluster.nodes[0].process.wait()
            views.forget("node0")

            def keeps_others(owned):
                no_two_owners(owned)
                for room, node in untouched.items():
                    assert room in owned[node], "%s lost %s while node0 died: %s" % (node, room, owned)

            await views.wait_owned({room: "node1" for room in shared_killed}, timeout=LEASE_MS / 1000 * 2,
                                   check=keeps_others)
            takeover_s = time.monotonic() - killed_at
            # Every acknowledged message is in the room's history on its new owner: what a user
            # who joins there now (or the page that rejoins after the kill) gets.
            carol = await join(cluster.nodes[1], ROOMS[0], "Carol", answer=True)
            sessions.append(carol[0])
            history = [m["text"] for m in carol[1].get("history", [])]
            await asyncio.sleep(0.5)  # and half a second after the take-over
            # From the kill to half a second after the take-over (a silence that began before
            # the kill counts from the kill), and the second before the kill on its own.
            window = (killed_at, time.monotonic())
            loop_watch.stop()
            stalls = [(round(a - killed_at, 2), round(b - a, 2)) for a, b in loop_watch.stalls if b >= killed_at - 1]
            media = []
            for watch in watches:
                gap, began, packets = watch.longest_gap(*window, loop_watch.stalls)
                baseline = watch.longest_gap(killed_at - 1, killed_at, loop_watch.stalls)[0]
                media.append((watch.room, (gap, began - killed_at, packets, baseline), watch.heard()))
            print("the test's own event loop stalled (start after the kill, seconds): %s" % stalls)
            # A room whose only member was on node0 is owned by nobody alive.
            for room in (ROOMS[6], ROOMS[9]):
                answer = await views.owner("node1", room)
                assert answer["node"] in (None, "node0"), answer  # node0's entry until it expires

            # Partition: node2 loses NATS (its relay swallows everything). It must stop saying
            # it owns rooms 2 and 5 before node1 claims them, never both at once.
            assert set(shared_cut) <= before["node2"]
            cut_at = time.monotonic()
            cluster.relay.black_hole()
            gave_up = {}

            def watch_partition(owned):
                no_two_owners(owned)
                for room in shared_cut:
                    if room not in owned["node2"] and room not in gave_up:
                        gave_up[room] = time.monotonic() - cut_at

            await views.wait_owned({room: "node1" for room in shared_cut}, timeout=LEASE_MS / 1000 * 3,
                                   check=watch_partition)
            claimed_s = time.monotonic() - cut_at
            assert set(gave_up) == set(shared_cut)
            owned = await views.owned()
            assert owned["node2"] == set(), owned  # its unshared rooms lapsed too: it renews nothing
            return takeover_s, gave_up, claimed_s, media, said, history
        finally:
            for watch in watches:
                await watch.close()
            await views.close()
            for session in sessions:
                try:
                    await session.close()
                except Exception:  # node0's sessions died with it
                    pass

    takeover_s, gave_up, claimed_s, media, said, history = run(body(), timeout=60)
    assert sorted(history) == sorted(said), (said, history)  # none lost, none twice
    lease_s = LEASE_MS / 1000
    print("takeover after kill -9: %.0f ms; partition: node2 gave up after %s ms, node1 claimed after %.0f ms"
          % (takeover_s * 1000, {r: round(s * 1000) for r, s in gave_up.items()}, claimed_s * 1000))
    for room, (gap, began, packets, baseline), frequency in media:
        print("%s: longest RTP gap %.0f ms (from %.2f s after the kill) over %d packets from the kill to 0.5 s "
              "after the take-over (the second before the kill: %.0f ms); heard %.0f Hz"
              % (room, gap * 1000, began, packets, baseline * 1000, frequency))
    for (room, (gap, began, packets, baseline), frequency), tone in zip(media, (440, 660)):
        # The survivors' rooms keep their media: no silence over 200 ms (the issue's bound), and
        # it is still the tone that was sent. (The second before the kill, `baseline`, is only
        # shown: a loaded machine can stall the sender there too, as in one CI run, 274 ms,
        # while the gap across the kill was 50 ms.)
        assert gap < 0.2, (room, gap, began, packets, baseline)
        assert abs(frequency - tone) < 20, (room, frequency)
    # The issue's bound: the entry expires a lease after node0's last renewal (at most one tick
    # before the kill), and node1 claims on its next tick.
    assert takeover_s <= lease_s + lease_s / 3 + 0.2, takeover_s  # + 0.2 s: the 50 ms poll and scheduling
    for room, seconds in gave_up.items():
        assert seconds <= lease_s, (room, seconds)  # its local deadline: last renewal + lease - margin


def test_without_nats_the_node_answers_as_the_single_node_and_refuses_bad_requests(janus):
    """The default configuration (no `nats`): the plugin is idle, and a client or plugin that
    asks who owns a room is told "this node", so it works the same with and without a cluster."""
    async def body():
        admin = await Admin.open(janus.admin_url, janus.admin_secret)
        session = await Session.create(janus.ws_url)
        try:
            handle = await session.attach(CLUSTER)
            owner, _ = await handle.send({"request": "owner", "room": 1234})
            status = await admin.message_plugin(CLUSTER, {"request": "status"})
            nodes = await admin.message_plugin(CLUSTER, {"request": "nodes"})
            missing = await admin.message_plugin(CLUSTER, {"request": "owner"})
            unknown = await admin.message_plugin(CLUSTER, {"request": "owner", "room": "r", "rooom": 1})
            verb = await admin.message_plugin(CLUSTER, {"request": "steal"})
            return owner, status, nodes, missing, unknown, verb
        finally:
            await session.close()
            await admin.close()

    owner, status, nodes, missing, unknown, verb = run(body())
    assert owner["room"] == 1234 and owner["local"] is True and owner["node"] == status["node"], owner
    assert status["enabled"] is False and status["owned"] == [], status
    assert [n["node"] for n in nodes["nodes"]] == [status["node"]], nodes
    assert missing["error_code"] == 1002 and "room" in missing["error"], missing
    assert unknown["error_code"] == 1003 and "rooom" in unknown["error"], unknown
    assert verb["error_code"] == 1004, verb
