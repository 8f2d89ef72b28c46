"""Issue 15, XMPP in a cluster (docs/cluster.md, "XMPP in a cluster"): nats-server, one Prosody
(the module's, conftest) and two janus nodes whose XMPP plugins both name the same component
domains (conference.localhost, sip.localhost). Prosody admits one connection per component
domain (its default "kick_new"): one node holds each domain, the other stands by, retrying
every standby_retry_ms.

- Alice (slixmpp) joins ROOM@conference.localhost, which reaches the holding node; Wendy, a web
  user of the standby node, is in the same hub room through the bus: they chat both ways.
- kill -9 of the holding node: the standby node takes the domains over (measured from the
  kill); Alice's self-ping (XEP-0410) to her occupant JID says not-acceptable, so she joins
  again, through the same address. Her nickname is still her ghost's (the dead node's occupant,
  in the hub room until the cluster sees the node gone): the join waits for it to leave instead
  of a 409. The room's history has what was said before the kill, Wendy is there, and they chat
  both ways once more."""
import asyncio
import signal
import time

import pytest

from conftest import BUILD, run
from harness.cluster_nodes import ClusterNodes
from harness.janus_api import Admin
from harness.room_members import ApiWebUser
from harness.xmpp_client import XmppClient

PLUGIN = "janus.plugin.sylk.xmpp"
NODES = ["node0", "node1"]
ROOM = "xteam"
DELIVERY_S = 15
STANDBY_MS = 500


@pytest.fixture(scope="module")
def cluster(prosody):
    xmpp = {"server_host": prosody.host, "server_port": prosody.component_port, "domain": prosody.domain,
            "component_secret": prosody.secret, "standby_retry_ms": STANDBY_MS}
    yield from ClusterNodes(BUILD, NODES, 2000, ws_port=8380, admin_port=7380, http_port=8480,
                           without_plugins=["audiomixer", "sip", "msrp", "irc"],
                           run_options={"xmpp_options": xmpp}).serve()


async def links(admin):
    status = await admin.message_plugin(PLUGIN, {"request": "status"})
    status = status.get("status", status)
    return {"muc": status["muc"]["link"], "sip": status["sip"]["link"]}


def test_one_node_holds_the_domains_and_another_takes_them_over(cluster, prosody):
    room = "%s@%s" % (ROOM, prosody.muc_domain)

    async def body():
        admins = {n: await Admin.open(node.admin_url, node.admin_secret) for n, node in zip(NODES, cluster.nodes)}
        wendy = alice = again = None
        try:
            # Each domain connected on one node, the other standing by.
            deadline = time.monotonic() + 20
            while True:
                state = {n: await links(admins[n]) for n in NODES}
                held = {d: [n for n in NODES if state[n][d]["connected"]] for d in ("muc", "sip")}
                standing = {d: [n for n in NODES if state[n][d]["standby"]] for d in ("muc", "sip")}
                if all(len(held[d]) == 1 and len(standing[d]) == 1 for d in held):
                    break
                assert time.monotonic() < deadline, state
                await asyncio.sleep(0.2)
            holder = held["muc"][0]
            other = next(n for n in NODES if n != holder)
            node_of = dict(zip(NODES, cluster.nodes))
            wendy = await ApiWebUser.join(node_of[other].ws_url, ROOM, "Wendy")
            alice = await XmppClient.connect(prosody, "alice")
            joined = await alice.join(room, "Alice")
            assert joined.error is None, joined.order
            alice.groupchat(room, "before the kill")
            await wendy.wait_message(lambda m: m["text"] == "before the kill", DELIVERY_S)
            await wendy.say("hello alice")
            await alice.wait_message(lambda m: m.body == "hello alice", DELIVERY_S)

            # The holder dies.
            await admins[holder].close()
            del admins[holder]
            cluster.killed.add(holder)
            node_of[holder].process.send_signal(signal.SIGKILL)
            killed = time.monotonic()
            while True:
                now = await links(admins[other])
                if now["muc"]["connected"] and now["sip"]["connected"]:
                    break
                assert time.monotonic() - killed < 15, now
                await asyncio.sleep(0.05)
            taken_after = time.monotonic() - killed

            # Alice's client finds out by self-ping and joins again, at the same address.
            ping = await alice.iq(room + "/Alice", "<ping xmlns='urn:xmpp:ping'/>")
            await alice.disconnect()
            alice = None
            again = await XmppClient.connect(prosody, "alice")
            asked = time.monotonic()
            rejoined = await again.join(room, "Alice", timeout=20)
            rejoined_after = time.monotonic() - killed
            waited = time.monotonic() - asked
            again.groupchat(room, "after the kill")
            await wendy.wait_message(lambda m: m["text"] == "after the kill", DELIVERY_S)
            await wendy.say("welcome back")
            await again.wait_message(lambda m: m.body == "welcome back", DELIVERY_S)
            status = (await admins[other].message_plugin(PLUGIN, {"request": "status"}))
            return taken_after, now, ping, rejoined, rejoined_after, waited, status
        finally:
            for client in (alice, again):
                if client:
                    await client.disconnect()
            if wendy:
                await wendy.close()
            for admin in admins.values():
                await admin.close()

    taken_after, now, ping, rejoined, rejoined_after, waited, status = run(body(), timeout=120)
    print("the standby node held both domains %.2f s after the kill (standby retry %d ms); Alice was back in the "
          "room %.2f s after it, her join having waited %.2f s for her ghost" % (taken_after, STANDBY_MS, rejoined_after, waited))
    assert taken_after <= 5, taken_after
    assert now["muc"]["takeovers"] == 1 and now["sip"]["takeovers"] == 1, now
    assert ping.type == "error" and ping.error_condition == "not-acceptable", ping
    assert rejoined.error is None and rejoined.occupants == ["Wendy"], rejoined.order
    assert [m.body for m in rejoined.history] == ["before the kill", "hello alice"], [m.body for m in rejoined.history]
    # Her nickname was her ghost's (node gone after the lease, 2 s): the join waited, not 409.
    rooms = {r["room"]: r for r in status.get("status", status)["muc"]["rooms"]}
    assert rooms[ROOM]["joins_held"] == 1 and rooms[ROOM]["joins_waiting"] == 0, rooms[ROOM]
    assert waited < 8, waited
    assert prosody.alive()
