"""An MSRP chat client (the MSRP peer, harness/msrp_peer.py, its session opened through the hub
service msrp.open_session as the SIP focus opens a phone's m=message) and XMPP users in one room:
the client is an occupant under its display name, and messages cross both ways exactly once."""
import asyncio

from conftest import run
from harness.janus_api import Session
from harness.msrp_peer import MsrpEndpoint, cpim, parse_cpim
from harness.room_members import ApiWebUser
from harness.xmpp_client import XmppClient

XMPP = True
PROBE = "janus.plugin.sylk.hubprobe.a"
AG_NS = "urn:ag-projects:xml:ns:cpim"
DELIVERY_S = 15


def test_an_msrp_chat_client_and_xmpp_users_share_a_room(janus, prosody):
    name = "msrp-xmpp"
    room = "%s@%s" % (name, prosody.muc_domain)

    async def body():
        probe_session = await Session.create(janus.ws_url)
        caller = await probe_session.attach(PROBE)
        endpoint = MsrpEndpoint(host="127.0.0.1")
        alice = bob = None
        try:
            msrp = endpoint.session()
            reply, _ = await caller.send({"request": "call", "service": "msrp.open_session", "args": {
                "room": name, "uri": "sip:mia@example.test", "display": "Mia", "role": "passive",
                "remote": {"path": [str(msrp.uri)], "accept_types": ["message/cpim", "text/plain"],
                           "accept_wrapped_types": ["*"]}}})
            assert "error" not in reply, reply
            await msrp.connect(remote_path=reply["result"]["local"]["path"])
            alice = await XmppClient.connect(prosody, "alice")
            bob = await XmppClient.connect(prosody, "bob")
            joined = await alice.join(room, "Alice")
            assert joined.occupants == ["Mia"], joined.order
            assert (await bob.join(room, "Bob")).error is None

            await msrp.send_message(cpim("hello from msrp", sender="Mia <sip:mia@example.test>"),
                                    content_type="message/cpim")
            for client in (alice, bob):
                got = await client.wait_message(lambda m: m.body == "hello from msrp", DELIVERY_S)
                assert got.sender == room + "/Mia" and got.type == "groupchat"

            alice.groupchat(room, "hello mia")

            texts = []   # people's messages (not the switch's status notices) the client got, in order

            async def read_until(text):
                loop = asyncio.get_running_loop()
                deadline = loop.time() + DELIVERY_S
                while text not in texts and loop.time() < deadline:
                    try:
                        message = await msrp.next_message(timeout=max(0.1, deadline - loop.time()))
                    except asyncio.TimeoutError:
                        break
                    document = parse_cpim(message.body)
                    if document.namespaced(AG_NS, "Message-Type") != "status":
                        texts.append(bytes(document.body).decode())
                assert text in texts, texts
            await read_until("hello mia")
            alice.private(room, "Mia", "just for mia")
            await read_until("just for mia")
            await asyncio.sleep(1.5)
            assert texts.count("hello mia") == 1 and texts.count("just for mia") == 1, texts
            for client in (alice, bob):
                assert len(client.messages(lambda m: m.body == "hello from msrp")) == 1
            assert bob.messages(lambda m: m.body == "just for mia") == []
        finally:
            for client in (alice, bob):
                if client:
                    await client.disconnect()
            await endpoint.close()
            await probe_session.close()
    run(body())


def test_bursts_from_every_kind_of_member_arrive_once_and_in_order(janus, prosody):
    """Three senders at once, each a burst of ten: an XMPP occupant, a web user of the video room
    and an MSRP chat client. Every other member (and a second XMPP occupant) gets each sender's
    ten exactly once and in the order sent."""
    name = "bursts"
    room = "%s@%s" % (name, prosody.muc_domain)
    count = 10

    async def body():
        probe_session = await Session.create(janus.ws_url)
        caller = await probe_session.attach(PROBE)
        endpoint = MsrpEndpoint(host="127.0.0.1")
        alice = bob = wendy = None
        try:
            msrp = endpoint.session()
            reply, _ = await caller.send({"request": "call", "service": "msrp.open_session", "args": {
                "room": name, "uri": "sip:mia@example.test", "display": "Mia", "role": "passive",
                "remote": {"path": [str(msrp.uri)], "accept_types": ["message/cpim", "text/plain"],
                           "accept_wrapped_types": ["*"]}}})
            assert "error" not in reply, reply
            await msrp.connect(remote_path=reply["result"]["local"]["path"])
            wendy = await ApiWebUser.join(janus.ws_url, name, "Wendy")
            alice = await XmppClient.connect(prosody, "alice")
            bob = await XmppClient.connect(prosody, "bob")
            assert (await alice.join(room, "Alice")).error is None
            assert (await bob.join(room, "Bob")).error is None

            async def from_alice():
                for i in range(count):
                    alice.groupchat(room, "alice %d" % i)

            async def from_wendy():
                for i in range(count):
                    await wendy.say("wendy %d" % i)

            async def from_mia():
                for i in range(count):
                    await msrp.send_message(cpim("mia %d" % i, sender="Mia <sip:mia@example.test>"),
                                            content_type="message/cpim")

            mia_got = []

            async def mia_reads():
                loop = asyncio.get_running_loop()
                deadline = loop.time() + DELIVERY_S
                while loop.time() < deadline and \
                        not ("alice %d" % (count - 1) in mia_got and "wendy %d" % (count - 1) in mia_got):
                    try:
                        message = await msrp.next_message(timeout=max(0.1, deadline - loop.time()))
                    except asyncio.TimeoutError:
                        break
                    document = parse_cpim(message.body)
                    if document.namespaced(AG_NS, "Message-Type") != "status":
                        mia_got.append(bytes(document.body).decode())

            reader = asyncio.ensure_future(mia_reads())
            await asyncio.gather(from_alice(), from_wendy(), from_mia())
            last = {sender: "%s %d" % (sender, count - 1) for sender in ("alice", "wendy", "mia")}
            for client, senders in ((bob, ("alice", "wendy", "mia")), (alice, ("wendy", "mia"))):
                for sender in senders:
                    await client.wait_message(lambda m, t=last[sender]: m.body == t, DELIVERY_S)
            for sender in ("alice", "mia"):
                await wendy.wait_message(lambda m, t=last[sender]: m["text"] == t, DELIVERY_S)
            await reader
            await asyncio.sleep(1.5)  # for a late duplicate

            def of(texts, sender):
                return [t for t in texts if t.startswith(sender + " ")]
            expected = {sender: ["%s %d" % (sender, i) for i in range(count)] for sender in ("alice", "wendy", "mia")}
            bob_texts = [m.body for m in bob.messages() if m.body]
            alice_texts = [m.body for m in alice.messages() if m.body]
            wendy_texts = [m["text"] for m in wendy.messages()]
            for sender in ("alice", "wendy", "mia"):
                assert of(bob_texts, sender) == expected[sender], (sender, bob_texts)
            for sender in ("wendy", "mia"):
                assert of(alice_texts, sender) == expected[sender], (sender, alice_texts)
            for sender in ("alice", "mia"):
                assert of(wendy_texts, sender) == expected[sender], (sender, wendy_texts)
            for sender in ("alice", "wendy"):
                assert of(mia_got, sender) == expected[sender], (sender, mia_got)
        finally:
            for client in (alice, bob):
                if client:
                    await client.disconnect()
            if wendy:
                await wendy.close()
            await endpoint.close()
            await probe_session.close()
    run(body(), timeout=90)
