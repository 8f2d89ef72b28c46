"""Issue 15, kill -9 of a node whose room nobody else had open: a phone-only conference. Its
owner keeps the room's phones in JetStream bucket sylk_phones (RoomPhones); when the node dies,
the node that takes the room over reads them there and calls them back, although it never had
the room (test_cluster_phone_callback.py covers the room another node had open). The same two
nodes, NATS, PostgreSQL and sipp phone as there; no web user anywhere."""
import asyncio
import json
import signal
import socket
import time

import pytest

from conftest import run
from harness.janus_api import Admin, Session
from test_cluster_phone_callback import (CALL_BACK_PORT, CALLED_BACK, IN_ROOM, LEASE_MS, SIP_PORTS, Nodes,
                                         invite_from_room, phone_answered, read, sipp, stop_sipps)

ROOM = "phones.alone"


@pytest.fixture(scope="module")
def cluster():
    running = Nodes()
    try:
        yield running.start()
    finally:
        running.stop()


async def cluster_status(node):
    admin = await Admin.open(node.admin_url, node.admin_secret)
    try:
        return await admin.message_plugin("janus.plugin.sylk.cluster", {"request": "status"})
    finally:
        await admin.close()


async def mixer_participants(node):
    session = await Session.create(node.ws_url)
    try:
        mixer = await session.attach("janus.plugin.sylk.audiomixer")
        listed, _ = await mixer.send({"request": "listparticipants", "room": ROOM})
        return [p["display"] for p in listed.get("participants", [])]
    finally:
        await session.close()


def cluster_lines(node):
    # With the plugins' start-up errors (a SIP plugin that did not start cannot call anyone back).
    keys = ("cluster", "phone", "journal", "ERR", "initialized", "Failed")
    return [line for line in read(node.log_path).splitlines() if any(key in line for key in keys)][-40:]


def test_the_phones_of_a_room_only_the_dead_node_had_are_called_back(cluster):
    node0, node1 = cluster.nodes
    rtp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rtp.bind(("127.0.0.1", 0))
    called_back, called_back_trace = sipp(cluster.folder, "alone-called-back", [
        "-sf", CALLED_BACK, "-p", str(CALL_BACK_PORT), "-timeout", "40s", "-set", "rtpport", str(rtp.getsockname()[1])])
    phone, phone_trace = sipp(cluster.folder, "alone-phone", [
        "127.0.0.1:%d" % SIP_PORTS[0], "-sf", IN_ROOM, "-p", "0", "-timeout", "60s", "-set", "room", ROOM,
        "-set", "rtpport", "40012", "-set", "cbport", str(CALL_BACK_PORT)])

    async def body():
        await phone_answered(phone, phone_trace, node0)  # the phone is in the room on node0
        # node0 owns the room and has written its phone down (within a lease tick).
        deadline = time.monotonic() + 3 * LEASE_MS / 1000 + 5
        while True:
            status = await cluster_status(node0)
            if ROOM in status["owned"] and status["phones_recorded"] == 1:
                break
            assert time.monotonic() < deadline, status
            await asyncio.sleep(0.1)
        assert ROOM not in (await cluster_status(node1))["owned"]
        before = await cluster_status(node1)
        killed_at = time.monotonic()
        cluster.killed = True
        node0.process.send_signal(signal.SIGKILL)
        node0.process.wait()
        # node1 never had the room open: only the record tells it of the phone.
        deadline = time.monotonic() + 4 * LEASE_MS / 1000 + 10
        while "phone" not in await mixer_participants(node1):
            # A string, not a tuple: pytest would shorten a tuple's repr, and this is what says why.
            assert time.monotonic() < deadline, "%s\n%s" % (json.dumps(await cluster_status(node1)), "\n".join(cluster_lines(node1)))
            await asyncio.sleep(0.1)
        back_s = time.monotonic() - killed_at
        after = await cluster_status(node1)
        # Now node1's room: it keeps the phone's record under its own name.
        deadline = time.monotonic() + 3 * LEASE_MS / 1000 + 5
        while (await cluster_status(node1))["phones_recorded"] != 1:
            assert time.monotonic() < deadline, await cluster_status(node1)
            await asyncio.sleep(0.1)
        return back_s, before, after

    try:
        back_s, before, after = run(body(), timeout=60)
        called_back.wait(timeout=15)
    finally:
        stop_sipps(phone, called_back)
        rtp.close()
    print("phone called back %.1f s after the kill (lease %d ms)" % (back_s, LEASE_MS))
    invite_from_room(called_back, called_back_trace, ROOM, SIP_PORTS[1])
    assert after["phones_called_back"] - before["phones_called_back"] == 1, (before, after)
    assert ROOM in after["owned"], after
    assert back_s < 3 * LEASE_MS / 1000 + 5, back_s
