"""Web users of the SIP gateway (phone.html's `message` and `composing` requests) chat with XMPP
users through the same SIP path as phones (issue 12): the web user registers with a real SIP
registrar/proxy (Kamailio, harness/kamailio_registrar.py), its MESSAGE to sip:alice@localhost
goes out through that proxy, which relays the XMPP domain to janus's SIP plugin (its XMPP
interworking) and on to Prosody; alice's reply to wendy\\40sylk.test@sip.localhost goes back as
a MESSAGE through xmpp_outbound_proxy (the same Kamailio), which finds the web user's
registered contact: the gateway's `message` event; both are in the account's message journal
(`sync_conversations`). A slixmpp client and the Janus API are the
peers."""
import tempfile

import pytest

from conftest import run
from harness.janus_api import Session
from harness.kamailio_registrar import KamailioRegistrar
from harness.xmpp_client import XmppClient

XMPP = True
PROXY_PORT = 5080
SIP_OPTIONS = {"xmpp_domains": "localhost", "xmpp_outbound_proxy": "sip:127.0.0.1:%d" % PROXY_PORT}
SIP = "janus.plugin.sylk.sip"
WENDY_JID = "wendy\\40sylk.test@sip.localhost"


@pytest.fixture(scope="module")
def registrar():
    proxy = KamailioRegistrar(tempfile.mkdtemp(prefix="sylk-kamailio-"), port=PROXY_PORT).start()
    yield proxy
    alive = proxy.alive()
    proxy.stop()
    if not alive:
        pytest.fail("kamailio died during the tests:\n%s" % proxy.log_tail())


async def sip_event(handle, wanted, timeout=15):
    event = await handle.next_event(timeout=timeout, predicate=lambda e: e.get("plugindata", {}).get("data", {})
                                    .get("result", {}).get("event") in wanted)
    return event["plugindata"]["data"]["result"]


def test_web_user_and_xmpp_user_chat(janus, prosody, registrar):
    async def body():
        session = await Session.create(janus.ws_url)
        alice = await XmppClient.connect(prosody, "alice")
        try:
            handle = await session.attach(SIP)
            data, _ = await handle.send({"request": "register", "username": "sip:wendy@sylk.test",
                                         "display_name": "Wendy", "proxy": registrar.uri,
                                         "outbound_proxy": registrar.uri})
            assert data["result"]["event"] == "registering", data
            registered = await sip_event(handle, ("registered", "registration_failed"))
            assert registered["event"] == "registered", registered

            data, _ = await handle.send({"request": "message", "uri": "sip:alice@localhost", "content": "hello alice"})
            assert data["result"]["event"] == "messagesent", data
            delivery = await sip_event(handle, ("messagedelivery",))
            assert delivery["code"] == 200, delivery
            got = await alice.wait_message(lambda m: m.body == "hello alice", timeout=15)
            assert got.sender == WENDY_JID and got.type == "chat", got

            await handle.send({"request": "composing", "uri": "sip:alice@localhost", "active": True})
            state = await alice.wait_message(lambda m: m.sender == WENDY_JID and m.chat_state == "composing", timeout=15)
            assert state.body is None

            alice.send_raw("<message type='chat' to='%s'><composing xmlns='http://jabber.org/protocol/chatstates'/>"
                           "</message>" % WENDY_JID)
            composing = await sip_event(handle, ("composing",))
            assert composing["sender"] == "sip:alice@localhost" and composing["state"] == "active", composing
            alice.send_raw("<message type='chat' to='%s' id='r1'><body>hello wendy</body></message>" % WENDY_JID)
            message = await sip_event(handle, ("message",))
            assert message["content"] == "hello wendy" and message["sender"] == "sip:alice@localhost", message

            # the account's journal (issue 13's message store) has the chat both ways, under alice's address
            data, _ = await handle.send({"request": "sync_conversations", "conversation": "sip:alice@localhost"})
            synced = data["result"]
            assert synced["event"] == "sync", data
            chat = [(e["direction"], e["content"]) for e in synced["entries"] if e["kind"] == "message"]
            assert chat == [("outgoing", "hello alice"), ("incoming", "hello wendy")], synced["entries"]

            # an XMPP user the server does not know: Prosody's service-unavailable is our 503,
            # which the proxy passes on as 500 (RFC 3261 §16.7: a proxy does not forward 503)
            await handle.send({"request": "message", "uri": "sip:nobody@localhost", "content": "anyone?"})
            delivery = await sip_event(handle, ("messagedelivery",))
            assert delivery["code"] == 500 and delivery["reason"] == "Service Unavailable", delivery
        finally:
            await alice.disconnect()
            await session.close()

    try:
        run(body(), timeout=90)
    except BaseException as error:
        raise AssertionError("%s\nkamailio's log:\n%s" % (error, registrar.log_tail())) from error
