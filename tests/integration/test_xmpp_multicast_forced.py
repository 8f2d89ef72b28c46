"""`multicast = "on"` against a Prosody without mod_sylk_multicast (the setting's documented
cost, docs/decisions.md): the rooms use multicast without asking, the server refuses the first
multicast message (service-unavailable from its domain), nobody gets that one, and the component
falls back to a copy per occupant at once: the next message reaches everyone exactly once."""
import asyncio

from conftest import run
from harness.xmpp_client import XmppClient
from harness.xmpp_status import xmpp_status

XMPP = {"multicast": "on"}
PROSODY_MULTICAST = False
DELIVERY_S = 15
SETTLE_S = 1.5


async def multicast_status(janus):
    return (await xmpp_status(janus.ws_url))["muc"]["multicast"]


def test_a_refused_multicast_falls_back_to_copies(janus, prosody):
    room = "forced@%s" % prosody.muc_domain

    async def body():
        alice = await XmppClient.connect(prosody, "alice")
        bob = await XmppClient.connect(prosody, "bob")
        try:
            status = await multicast_status(janus)
            assert status["mode"] == "on" and status["available"] is True and status["bounces"] == 0, status
            assert (await alice.join(room, "Alice")).error is None
            assert (await bob.join(room, "Bob")).error is None  # its presence to alice: one recipient, a copy
            await alice.wait_presence(lambda p: p.sender == room + "/Bob", DELIVERY_S)
            marks = [alice.mark(), bob.mark()]
            alice.groupchat(room, "first")   # two recipients: multicast, which this server refuses
            loop = asyncio.get_running_loop()
            deadline = loop.time() + DELIVERY_S
            while (await multicast_status(janus))["bounces"] == 0:
                assert loop.time() < deadline, "no bounce from the server"
                await asyncio.sleep(0.2)  # polling interval of the status
            status = await multicast_status(janus)
            assert status["available"] is False and status["bounces"] == 1, status
            alice.groupchat(room, "second")  # a copy per occupant now
            for client in (alice, bob):
                await client.wait_message(lambda m: m.body == "second", DELIVERY_S)
            await asyncio.sleep(SETTLE_S)
            for client, mark in zip((alice, bob), marks):
                bodies = [m.body for m in client.messages(lambda m: m.type == "groupchat" and m.body, mark)]
                assert bodies == ["second"], (client.jid, bodies)
        finally:
            await alice.disconnect()
            await bob.disconnect()
    run(body())
