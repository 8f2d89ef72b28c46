"""Room chat kept in NATS (the stream SYLK_ROOM_CHAT) with real engines: nats-server with
JetStream and two janus nodes (harness/cluster_nodes.py), web users over the Janus API. A room
whose members are all on node0 gets chat, each message acknowledged (`message_sent`); node0 is
killed with SIGKILL; a user who joins the room on node1, its new owner once node0's lease has
lapsed, gets every acknowledged message in the join's history, in order, once. A room that ends
(its last member leaves) has its chat purged from the stream: a new room of that name starts
empty."""
import asyncio
import signal
import time

import pytest

from conftest import BUILD, run
from harness.cluster_nodes import ClusterNodes
from harness.janus_api import Admin, Session

CLUSTER = "janus.plugin.sylk.cluster"
VIDEOROOM = "janus.plugin.sylk.videoroom"
LEASE_MS = 2000
NODES = ["node0", "node1"]
KILLED_ROOM = "crew.chat.kill@example.com"  # dots: the stream's subjects must encode them
ENDED_ROOM = "crew.chat.ends@example.com"


@pytest.fixture(scope="module")
def cluster():
    yield from ClusterNodes(BUILD, NODES, LEASE_MS, ws_port=8340, admin_port=7340, http_port=8440).serve()


async def member(node, room, display, sessions):
    """A web user in the video room on that node: (its handle, the join's answer)."""
    session = await Session.create(node.ws_url)
    sessions.append(session)
    handle = await session.attach(VIDEOROOM)
    joined, _ = await handle.send({"request": "join", "ptype": "publisher", "room": room, "display": display})
    assert joined.get("videoroom") == "joined", joined
    return handle, joined


async def say(handle, text):
    sent, _ = await handle.send({"request": "message", "text": text})
    assert sent.get("message_sent"), sent  # acknowledged: the stream has it
    return text


async def status(admin):
    return await admin.message_plugin(CLUSTER, {"request": "status"})


async def close_all(sessions):
    for session in sessions:
        try:
            await session.close()
        except Exception:  # the killed node's sessions died with it
            pass


def test_a_killed_nodes_room_keeps_its_acknowledged_chat(cluster):
    node0, node1 = cluster.nodes

    async def body():
        sessions = []
        admin1 = await Admin.open(node1.admin_url, node1.admin_secret)
        try:
            ann, _ = await member(node0, KILLED_ROOM, "Ann", sessions)
            bob, _ = await member(node0, KILLED_ROOM, "Bob", sessions)
            said = []
            for i in range(6):
                said.append(await say(ann if i % 2 == 0 else bob, "%s says %d" % ("Ann" if i % 2 == 0 else "Bob", i)))
            # Only node0 had the room: node1 never opened it, so nobody alive holds its chat in memory.
            # node0 claims it on its lease loop's next tick (its members are there).
            started = time.monotonic()
            while True:
                owner = await admin1.message_plugin(CLUSTER, {"request": "owner", "room": KILLED_ROOM})
                if owner["node"] == "node0":
                    break
                assert time.monotonic() - started < LEASE_MS / 1000, owner
                await asyncio.sleep(0.05)
            assert not owner["local"], owner
            assert KILLED_ROOM not in (await status(admin1))["owned"]
            stored = (await status(admin1))["bus"]
            cluster.killed.add("node0")
            node0.process.send_signal(signal.SIGKILL)
            node0.process.wait()
            killed_at = time.monotonic()
            # node1 claims the room for a joiner once node0's lease has lapsed (the web app asks so).
            while True:
                owner = await admin1.message_plugin(CLUSTER, {"request": "owner", "room": KILLED_ROOM, "joining": True})
                if owner["node"] == "node1":
                    break
                assert time.monotonic() - killed_at < LEASE_MS / 1000 * 3, owner
                await asyncio.sleep(0.05)
            takeover_s = time.monotonic() - killed_at
            _, joined = await member(node1, KILLED_ROOM, "Carol", sessions)
            history = [entry["text"] for entry in joined.get("history", [])]
            restored = (await status(admin1))["bus"]["chat_restored"] - stored["chat_restored"]
            # Carol leaves: the room ends on node1 at last, and its stored chat is purged there (the
            # next test counts its own room's purge from here).
            purged = (await status(admin1))["bus"]["chat_purged"]
            await sessions[-1].close()
            started = time.monotonic()
            while (await status(admin1))["bus"]["chat_purged"] == purged:
                assert time.monotonic() - started < LEASE_MS / 1000 * 2, "the killed node's room was not purged when it ended"
                await asyncio.sleep(0.05)
            return said, history, takeover_s, restored
        finally:
            await admin1.close()
            await close_all(sessions)

    said, history, takeover_s, restored = run(body(), timeout=40)
    print("node1 took the room over %.1f s after the kill; its joiner got %d of %d acknowledged messages"
          % (takeover_s, len(history), len(said)))
    assert history == said, (said, history)  # every acknowledged message, in order, once
    assert restored == len(said), restored


def test_a_room_that_ends_has_its_chat_purged(cluster):
    node1 = cluster.nodes[1]

    async def body():
        sessions = []
        admin1 = await Admin.open(node1.admin_url, node1.admin_secret)
        try:
            before = (await status(admin1))["bus"]["chat_purged"]
            dan, _ = await member(node1, ENDED_ROOM, "Dan", sessions)
            for i in range(3):
                await say(dan, "before the end %d" % i)
            left, _ = await dan.send({"request": "leave"})
            # The room ends with its last member (an on-demand room): the lease loop purges its chat.
            started = time.monotonic()
            while (await status(admin1))["bus"]["chat_purged"] == before:
                assert time.monotonic() - started < LEASE_MS / 1000 * 2, "the ended room's chat was not purged"
                await asyncio.sleep(0.05)
            _, joined = await member(node1, ENDED_ROOM, "Eve", sessions)
            return joined.get("history", [])
        finally:
            await admin1.close()
            await close_all(sessions)

    history = run(body(), timeout=30)
    assert history == [], history  # a new room of that name: nothing of the one that ended
