"""Issue 15, a whole deployment: three janus nodes with every plugin a room needs (video room,
audio mixer, SIP focus, cluster), nats-server (JetStream), one PostgreSQL journal for all of
them and Kamailio in front (conf/kamailio-cluster-front.cfg.sample as shipped, its dispatcher
over the three nodes' SIP).

- 12 rooms spread over the nodes: each room's first member joins on node i % 3, which owns it,
  and every node agrees (`owner`).
- A phone per room calls sip:<room>@front: the dispatcher sends it to any node, and each call
  gets its 200 from the room's owner (its Contact), never a 302.
- Two pages (aiortc) on node1 and node2 in a room node0 owns see and hear each other (colour and
  FFT) through the video relays, and their chat crosses the nodes.
- Each node's journal is the one PostgreSQL database: a MESSAGE to a web user's account on node2
  is in the account's sync through node0."""
import asyncio
import os
import re
import shutil
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

import numpy
import pytest

from conftest import BUILD, run
from harness.cluster_nodes import start_nodes, stop_nodes
from harness.janus_api import Admin, Session
from harness.cluster_front import call_through_front, front_node, start_front
from harness.nats_server import NatsServer
from harness.peers import dominant_frequency
from harness.video_peers import rgb_close
from test_cluster_leases import chatter, join
from test_cluster_phone_callback import Postgres, account_handle, sip_message
from test_videoroom_api import Participant

CLUSTER = "janus.plugin.sylk.cluster"
SIP = "janus.plugin.sylk.sip"
LEASE_MS = 2000
NODES = 3
SIP_PORTS = [5180, 5181, 5182]
FRONT_PORT = 5185
ROOMS = ["deploy.r%d" % i for i in range(12)]  # dots: the bus encodes them
WITHOUT = ["msrp", "xmpp", "irc"]  # fixed ports the test does not need
RED, BLUE = (200, 0, 0), (0, 0, 200)


class Deployment:
    def __init__(self):
        self.folder = tempfile.mkdtemp(prefix="sylk-deploy-")
        self.nats = NatsServer(os.path.join(self.folder, "nats"))
        self.postgres = Postgres()
        self.nodes = []
        self.kamailio = None

    def start(self):
        self.nats.start()
        self.postgres.start()
        for index in range(NODES):
            self.nodes.append(front_node(BUILD, self.folder, index, self.nats.url, LEASE_MS, SIP_PORTS, (8310, 7310, 8410),
                                         WITHOUT, sip_options={"journal_backend": "postgresql",
                                                               "journal_postgres": self.postgres.conninfo}))
        start_nodes(self.nodes)
        self.kamailio = start_front(self.folder, FRONT_PORT, SIP_PORTS)
        return self

    def stop(self):
        if self.kamailio:
            self.kamailio.stop()
        stop_nodes(self.nodes)
        self.nats.stop()
        self.postgres.stop()
        shutil.rmtree(self.folder, ignore_errors=True)

    def call(self, room):
        """One sipp phone calling the room through the front: its trace."""
        return call_through_front(self.folder, FRONT_PORT, room, room, timeout_s=25)


@pytest.fixture(scope="module")
def deployment():
    running = Deployment()
    try:
        running.start()
        yield running
        dead = [i for i, node in enumerate(running.nodes) if not node.alive()]
        if dead:
            pytest.fail("node%d died during the test:\n%s" % (dead[0], running.nodes[dead[0]].log_tail()))
    finally:
        running.stop()


async def relayed(admin, room, feed):
    listed = await admin.message_plugin("janus.plugin.sylk.videoroom", {"request": "list_relays"})
    return any(f["feed"] == feed and f["active"] for r in listed["rooms"] if r["room"] == room for f in r["remote_feeds"])


async def owners(admins, room):
    return [(await admin.message_plugin(CLUSTER, {"request": "owner", "room": room})).get("node") for admin in admins]


def test_rooms_phones_pages_and_journal_across_three_nodes(deployment):
    nodes = deployment.nodes

    async def body():
        admins = [await Admin.open(node.admin_url, node.admin_secret) for node in nodes]
        sessions, pages = [], []
        try:
            # 12 rooms, the first member of room i on node i % 3.
            for index, room in enumerate(ROOMS):
                sessions.append(await join(nodes[index % NODES], room, "Owner %d" % index))
            deadline = time.monotonic() + 4 * LEASE_MS / 1000
            agreed = {}
            for index, room in enumerate(ROOMS):
                while True:
                    agreed[room] = await owners(admins, room)
                    if agreed[room] == ["node%d" % (index % NODES)] * NODES:
                        break
                    assert time.monotonic() < deadline, (room, agreed[room])
                    await asyncio.sleep(0.05)

            # A phone per room through the front, four at a time.
            focus = lambda: asyncio.gather(*(a.message_plugin(SIP, {"request": "status"}) for a in admins))
            before = [status["focus"] for status in await focus()]
            loop = asyncio.get_running_loop()
            with ThreadPoolExecutor(4) as pool:
                traces = await asyncio.gather(*(loop.run_in_executor(pool, deployment.call, room) for room in ROOMS))
            after = [status["focus"] for status in await focus()]
            calls = {key: [a[key] - b[key] for a, b in zip(after, before)] for key in ("calls_answered", "calls_redirected")}

            # Pages on node1 and node2 in room 0 (node0's): video, audio and chat across nodes.
            room = ROOMS[0]
            ann, ben = Participant(nodes[1], room, "Ann"), Participant(nodes[2], room, "Ben")
            pages += [ann, ben]
            await ann.join(tone=440, colour=RED)
            await ben.join(tone=660, colour=BLUE)
            for page, other, admin in ((ann, ben, admins[1]), (ben, ann, admins[2])):
                feed = other.joined["id"]
                # The feed relayed to the page's node (its "publishers" event may have come while
                # the page waited for its own media).
                deadline = time.monotonic() + 20
                while not await relayed(admin, room, feed):
                    assert time.monotonic() < deadline, "%s's feed never reached %s's node" % (other.display, page.display)
                    await asyncio.sleep(0.1)
                await page.subscribe([feed])
            # 2 s of audio and 20 decoded frames each (a loaded machine decodes few frames a second)
            deadline = time.monotonic() + 30
            while not all(c.frames > (100 if c.track.kind == "audio" else 20) for page in pages for c in page.collectors):
                assert time.monotonic() < deadline, {p.display: [(c.track.kind, c.frames) for c in p.collectors] for p in pages}
                await asyncio.sleep(0.1)
            media = {}
            for page in pages:
                audio = next(c for c in page.collectors if c.track.kind == "audio")
                video = next(c for c in page.collectors if c.track.kind == "video")
                media[page.display] = (dominant_frequency(numpy.concatenate(audio.audio[-50:]), audio.rate), video.last_rgb)
            _, say_ann = await chatter(nodes[1], room, "Ann's chat", sessions)
            reader = await Session.create(nodes[2].ws_url)
            sessions.append(reader)
            watcher = await reader.attach("janus.plugin.sylk.videoroom")
            await watcher.send({"request": "join", "ptype": "publisher", "room": room, "display": "Dee"})
            await say_ann("hello from node1")
            chat = await watcher.next_event(timeout=15, predicate=lambda e: e.get("plugindata", {}).get("data", {})
                                            .get("message", {}).get("text") == "hello from node1")

            # The journal: a MESSAGE to an account's handle on node2, read through node0.
            on_node2 = await Session.create(nodes[2].ws_url)
            on_node0 = await Session.create(nodes[0].ws_url)
            sessions += [on_node2, on_node0]
            handle2, contact = await account_handle(on_node2)
            status = await loop.run_in_executor(None, sip_message, SIP_PORTS[2], contact, "kept in one journal")
            handle0, _ = await account_handle(on_node0)
            data, _ = await handle0.send({"request": "sync_conversations"})
            synced = [e["content"] for e in data["result"]["entries"] if e["kind"] == "message"]
            return agreed, traces, calls, media, chat, status, synced
        finally:
            for page in pages:
                await page.close()
            for session in sessions:
                try:
                    await session.close()
                except Exception:
                    pass
            for admin in admins:
                await admin.close()

    agreed, traces, calls, media, chat, status, synced = run(body(), timeout=240)
    print("calls per node (answered, redirected to the owner):", calls)
    # Every phone's 200 came from its room's owner, and no 302 reached a phone.
    for index, (room, trace) in enumerate(zip(ROOMS, traces)):
        owner_port = SIP_PORTS[index % NODES]
        assert re.search(r"SIP/2\.0 200 OK.*?Contact: <sip:%s@127\.0\.0\.1:%d" % (re.escape(room), owner_port), trace, re.S), \
            (room, trace[-2000:])
        assert "SIP/2.0 302" not in trace, trace
    # Each owner answered its 4 rooms' calls; the front sent some first to another node, which
    # redirected them (the dispatcher does not know the owners).
    assert calls["calls_answered"] == [4, 4, 4], calls
    assert sum(calls["calls_redirected"]) >= 1, calls
    # Ann hears Ben's tone and sees his colour; Ben hers.
    (ann_hears, ann_sees), (ben_hears, ben_sees) = media["Ann"], media["Ben"]
    assert abs(ann_hears - 660) < 10 and rgb_close(ann_sees, BLUE), media
    assert abs(ben_hears - 440) < 10 and rgb_close(ben_sees, RED), media
    message = chat["plugindata"]["data"]["message"]
    assert message["display"] == "Ann's chat", message
    assert status == 200
    assert "kept in one journal" in synced, synced
