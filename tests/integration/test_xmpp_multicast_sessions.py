"""How mod_sylk_multicast hands the copies to the occupants' sessions. A message's text is made
once and written to every session whose send would only serialise and write it; a session with
a "stanzas/out" filter (XEP-0198 here: the server counts and queues what it sends) gets the
stanza through its send, as mod_message gives it. Checked with real clients of one room:

- an occupant whose resource holds XML's special characters gets well-formed copies addressed
  to its exact JID, with bodies holding them too, byte for byte;
- an occupant with stream management enabled gets every copy once and in order, and the server
  counted each: its client acknowledges what it handled, and a copy written past the server's
  counter would make that acknowledgement exceed the server's count (Prosody then closes the
  stream, handled-count-too-high);
- an occupant without either gets the same copies.
"""
import asyncio
import collections

from conftest import run
from harness.xmpp_client import XmppClient
from harness.xmpp_status import xmpp_status

XMPP = True
PROSODY_MODULES = ("smacks",)
PER_SENDER = 20
DELIVERY_S = 30   # generous: the machine is shared (a delivery takes milliseconds)
SETTLE_S = 1.5    # how long we wait for a duplicate, a stray copy or a closed stream
LINK_S = 30
ODD_RESOURCE = "desk & 'home' \"<1>\""
ODD_BODY = "<b>bold</b> & 'quoted' \"too\" \u00e9\u65e5\u672c"


async def wait_multicast(janus):
    loop = asyncio.get_running_loop()
    deadline = loop.time() + LINK_S
    while True:
        status = (await xmpp_status(janus.ws_url))["muc"]["multicast"]
        if status["available"]:
            return status
        assert loop.time() < deadline, "multicast not offered within %ss: %s" % (LINK_S, status)
        await asyncio.sleep(0.2)  # polling interval of the status, not a wait for an event


def test_copies_reach_odd_resources_and_counted_sessions(janus, prosody):
    async def body():
        status = await wait_multicast(janus)
        assert status["format"] == "recipients", status
        room = "copies@%s" % prosody.muc_domain
        alice = await XmppClient.connect(prosody, "alice", resource=ODD_RESOURCE)
        bob = await XmppClient.connect(prosody, "bob", stream_management=True)
        carol = await XmppClient.connect(prosody, "carol")
        clients, nicks = [alice, bob, carol], ["Alice", "Bob", "Carol"]
        try:
            assert alice.jid == "alice@%s/%s" % (prosody.domain, ODD_RESOURCE), alice.jid
            for client, nick in zip(clients, nicks):
                joined = await client.join(room, nick, history={"maxstanzas": 0})
                assert joined.error is None, joined.error
            for client in clients:
                for nick in nicks:
                    await client.wait_presence(lambda p, n=nick: p.sender == "%s/%s" % (room, n), DELIVERY_S)
            marks = [client.mark() for client in clients]

            expected = []  # (nick, body) in sending order
            for index in range(PER_SENDER):
                for client, nick in zip(clients, nicks):
                    text = "%s %d %s" % (nick, index, ODD_BODY)
                    client.groupchat(room, text)
                    expected.append((nick, text))
            for client in clients:
                await client.wait_message(lambda m: m.body == expected[-1][1], DELIVERY_S)
            await asyncio.sleep(SETTLE_S)

            for client, mark in zip(clients, marks):
                got = client.messages(lambda m: m.bare_from == room and m.type == "groupchat"
                                      and m.body is not None, mark)
                pairs = [(m.resource, m.body) for m in got]
                duplicates = [pair for pair, count in collections.Counter(pairs).items() if count > 1]
                assert not duplicates, (client.jid, duplicates[:3])
                assert sorted(pairs) == sorted(expected), (client.jid, len(pairs), len(expected))
                for nick in nicks:  # each sender's messages in the order sent
                    assert [b for n, b in pairs if n == nick] == [b for n, b in expected if n == nick], (client.jid, nick)
                assert all(m.to == client.jid for m in got), (client.jid, [m.to for m in got if m.to != client.jid][:3])

            # Bob acknowledges everything he handled; the server's count must cover it
            assert bob.connected, "the server closed Bob's stream"
            handled = bob.handled
            assert handled >= len(expected), (handled, len(expected))
            bob.send_raw("<a xmlns='urn:xmpp:sm:3' h='%d'/>" % handled)
            reply = await bob.iq(prosody.domain, "<query xmlns='http://jabber.org/protocol/disco#info'/>")
            assert reply.type == "result", reply
            await asyncio.sleep(SETTLE_S)
            assert bob.connected, "the server closed Bob's stream after his ack of %d stanzas" % handled
            assert "but we sent" not in prosody.log(), prosody.log_tail()
            assert "Traceback" not in prosody.log(), prosody.log_tail()
        finally:
            for client in clients:
                await client.disconnect()
    run(body())
