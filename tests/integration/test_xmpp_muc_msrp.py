"""An MSRP chat client (the MSRP peer, harness/msrp_peer.py, its session opened through the hub
service msrp.open_session as the SIP focus opens a phone's m=message) and XMPP users in one room:
the client is an occupant under its display name, and messages cross both ways exactly once."""
import asyncio

from conftest import run
from harness.janus_api import Session
from harness.msrp_peer import MsrpEndpoint, cpim, parse_cpim
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
