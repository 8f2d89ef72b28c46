"""Issue 15, the SIP front: Kamailio (conf/kamailio-cluster-front.cfg.sample, as shipped) in
front of two janus nodes of a cluster (nats-server, each node's SIP plugin on its own port),
sipp phones calling sip:<room>@front. The dispatcher spreads calls round robin over the nodes;
a node that does not own the room answers 302 with the owner's Contact and the front relays
the call there, so the phone gets its 200 from the owner without seeing the 302. A stopped
node stops answering the front's OPTIONS pings and leaves the set: calls go to the live node.
The front is also the registrar of the web users' SIP accounts: a call for an account reaches
the node(s) whose web user registered it, not round robin."""
import asyncio
import os
import re
import shutil
import tempfile
import time

import pytest

from conftest import BUILD, run
from harness.cluster_nodes import start_nodes, stop_nodes
from harness.janus_api import Admin
from harness.cluster_front import call_through_front, front_node, start_front
from harness.nats_server import NatsServer
from test_cluster_leases import join
from test_sip_gateway import WebUser, sip_event

CLUSTER = "janus.plugin.sylk.cluster"
SIP = "janus.plugin.sylk.sip"
LEASE_MS = 2000
FRONT_PORT = 5170
SIP_PORTS = [5160, 5161]  # node i's SIP plugin
ROOM = "front.room"       # a dot: the cluster encodes it
WITHOUT = ["msrp", "xmpp", "irc"]  # what could clash on fixed ports and the test does not need


class Front:
    def __init__(self):
        self.folder = tempfile.mkdtemp(prefix="sylk-front-")
        self.nats = NatsServer(os.path.join(self.folder, "nats"))
        self.nodes = []
        self.kamailio = None

    def start(self):
        self.nats.start()
        for index in range(2):
            self.nodes.append(front_node(BUILD, self.folder, index, self.nats.url, LEASE_MS, SIP_PORTS, (8330, 7330, 8430),
                                         WITHOUT))
        start_nodes(self.nodes)
        self.kamailio = start_front(self.folder, FRONT_PORT, SIP_PORTS)
        return self

    def stop(self):
        if self.kamailio:
            self.kamailio.stop()
        stop_nodes(self.nodes)
        self.nats.stop()
        shutil.rmtree(self.folder, ignore_errors=True)

    def front_log(self):
        with open(self.kamailio.log_path, errors="replace") as handle:
            return handle.read()

    def call(self, name, user=ROOM):
        """One sipp phone calling user (the room) through the front; returns what it sent and received."""
        return call_through_front(self.folder, FRONT_PORT, user, name)


@pytest.fixture(scope="module")
def front():
    running = Front()
    try:
        running.start()
        yield running
        # A sanitizer report or a crash ends janus: node0 must have lived through the module.
        if not running.nodes[0].alive():
            pytest.fail("node0 died during the test:\n%s" % running.nodes[0].log_tail())
    finally:
        running.stop()


async def focus_counters(node):
    admin = await Admin.open(node.admin_url, node.admin_secret)
    try:
        return (await admin.message_plugin(SIP, {"request": "status"}))["focus"]
    finally:
        await admin.close()


async def owned_by(node):
    admin = await Admin.open(node.admin_url, node.admin_secret)
    try:
        return set((await admin.message_plugin(CLUSTER, {"request": "status"}))["owned"])
    finally:
        await admin.close()


def answered_by_node0(trace):
    """The phone's 200 came from node0 (its Contact), and no 302 reached the phone."""
    assert re.search(r"SIP/2\.0 200 OK.*?Contact: <sip:%s@127\.0\.0\.1:%d" % (re.escape(ROOM), SIP_PORTS[0]), trace, re.S), trace
    assert "SIP/2.0 302" not in trace, trace


def test_a_call_sent_to_another_node_reaches_the_rooms_owner(front):
    node0, node1 = front.nodes

    async def body():
        web = await join(node0, ROOM, "Ann")  # the room's first member: node0 claims it
        deadline = time.monotonic() + 4 * LEASE_MS / 1000
        while ROOM not in await owned_by(node0):
            assert time.monotonic() < deadline, "node0 never owned the room"
            await asyncio.sleep(0.05)
        before = [await focus_counters(node) for node in front.nodes]
        loop = asyncio.get_running_loop()
        # Round robin over two nodes: of two calls, one is sent to node1 first.
        traces = [await loop.run_in_executor(None, front.call, "call%d" % i) for i in range(2)]
        after = [await focus_counters(node) for node in front.nodes]
        await web.close()
        return before, traces, after

    before, traces, after = run(body(), timeout=60)
    for trace in traces:
        answered_by_node0(trace)
    delta = lambda i, key: after[i][key] - before[i][key]
    assert delta(1, "calls_redirected") == 1 and delta(1, "calls_answered") == 0, (before, after)
    assert delta(0, "calls_answered") == 2 and delta(0, "calls_redirected") == 0, (before, after)
    log = front.front_log()
    assert "follows the owner: sip:%s@127.0.0.1:%d" % (ROOM, SIP_PORTS[0]) in log, log[-3000:]


def test_an_account_rings_the_nodes_it_was_registered_from(front):
    """Alice's SIP account is registered at the front by two web users (two devices), on node1
    and on node0. A phone calls sip:alice@front: both web users get incomingcall (the front forks
    to both nodes' Contacts, no round robin), node1's answers, the phone's 200 comes from node1's
    Contact, node0's ring ends as answered elsewhere, and node1's user sees the phone's BYE. The
    call's record reaches both devices: node1's from its journal, node0's over the bus; so do a
    message node1's device sends and its read mark."""
    account = "sip:alice@127.0.0.1:%d" % FRONT_PORT

    async def body():
        users = []
        try:
            registered = []
            for node in (front.nodes[1], front.nodes[0]):
                user = await WebUser(node, 500).open()
                users.append(user)
                await user.handle.send({"request": "register", "username": account,
                                        "proxy": "sip:127.0.0.1:%d" % FRONT_PORT})
                registered.append((await sip_event(user.handle, ("registered", "registration_failed")))[0])
                assert registered[-1]["result"]["event"] == "registered", registered[-1]
            phone = asyncio.get_running_loop().run_in_executor(None, front.call, "account", "alice")
            rings = [await sip_event(user.handle, ("incomingcall",)) for user in users]
            answerer, other = users
            accepted, _ = await answerer.handle.send({"request": "accept"}, jsep=await answerer.answer(rings[0][1]))
            elsewhere, _ = await sip_event(other.handle, ("hangup",))
            trace = await phone
            hangup, _ = await sip_event(answerer.handle, ("hangup",))
            # The call's history record: node1 journals it and tells its handle; the other
            # device, on node0, gets it over the bus (its own leg was answered elsewhere).
            records = [(await sip_event(user.handle, ("call",)))[0]["result"] for user in users]
            # What node1's device sends and marks read shows on node0's device too.
            sent, _ = await answerer.handle.send({"request": "message", "uri": "sip:carol@127.0.0.1:5999", "content": "out"})
            copy = (await sip_event(other.handle, ("outgoing_message",)))[0]["result"]
            await answerer.handle.send({"request": "mark_read", "conversation": "sip:carol@127.0.0.1:5999"})
            read = (await sip_event(other.handle, ("conversation_read",)))[0]["result"]
            return registered, rings, accepted, elsewhere, trace, hangup, records, (sent, copy, read)
        finally:
            for user in users:
                await user.close()

    registered, rings, accepted, elsewhere, trace, hangup, records, (sent, copy, read) = run(body(), timeout=60)
    contact_user = registered[0]["result"]["contact_user"]
    assert all(ring[0]["result"]["event"] == "incomingcall" for ring in rings), rings
    assert accepted["result"]["event"] in ("accepting", "accepted"), accepted
    assert re.search(r"SIP/2\.0 200 OK.*?Contact: <sip:%s@127\.0\.0\.1:%d" % (re.escape(contact_user), SIP_PORTS[1]),
                     trace, re.S), trace
    assert elsewhere["result"]["code"] == 487, elsewhere
    assert hangup["result"]["reason"] == "BYE", hangup
    assert "front: INVITE for account alice" in front.front_log()
    call_id = re.search(r"Call-ID: (\S+)", trace).group(1)
    for record in records:
        assert (record["kind"], record["direction"], record["state"]) == ("call", "incoming", "answered"), records
        assert record["message_id"] == "call:incoming:" + call_id, (record, call_id)
    assert records[0] == records[1], records  # the same record, seq included (a cluster shares one journal)
    assert sent["result"]["event"] == "messagesent", sent
    assert (copy["message_id"], copy["content"]) == (sent["result"]["message_id"], "out"), copy
    assert read["conversation"] == "sip:carol@127.0.0.1:5999", read


def test_a_stopped_node_leaves_the_set(front):
    node0, node1 = front.nodes

    async def body():
        web = await join(node0, ROOM, "Ann")
        stopped = node1.stop()
        assert stopped == 0, "node1 ended with %s:\n%s" % (stopped, node1.log_tail())
        down = "node down: sip:127.0.0.1:%d" % SIP_PORTS[1]
        started = time.monotonic()
        while down not in front.front_log():  # its OPTIONS pings go unanswered
            assert time.monotonic() - started < 8, front.front_log()[-3000:]
            await asyncio.sleep(0.05)
        taken_out = time.monotonic() - started
        before = await focus_counters(node0)
        loop = asyncio.get_running_loop()
        traces = [await loop.run_in_executor(None, front.call, "late%d" % i) for i in range(2)]
        after = await focus_counters(node0)
        await web.close()
        return taken_out, before, traces, after

    taken_out, before, traces, after = run(body(), timeout=60)
    print("node1 out of the set %.2f s after it stopped" % taken_out)
    for trace in traces:
        answered_by_node0(trace)
    assert after["calls_answered"] - before["calls_answered"] == 2
    # The calls went to node0 straight away: none waited out node1 first.
    assert "tries the next node" not in front.front_log()
