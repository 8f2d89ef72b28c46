"""The rooms' fan-out through Prosody's own copies (mod_sylk_multicast in plugins/xmpp/prosody):
with the module loaded and our rooms' component trusted, a groupchat message leaves janus as one
stanza to the server's domain with the occupants in its recipients' list (urn:sylk:multicast:0;
test_xmpp_multicast_xep0033.py has the XEP-0033 bcc addresses), and Prosody delivers one copy to each; without the module the component falls back to a copy per
occupant. Either way every occupant gets every message exactly once, in each sender's order,
without the <addresses/> element. A client cannot use the module: its multicast is refused and
reaches nobody, and the feature is not advertised to it."""
import asyncio
import collections

from conftest import run
from harness.room_members import ApiWebUser
from harness.xmpp_client import XmppClient, disco_features, xml_escape
from harness.xmpp_status import xmpp_status

XMPP = {"reconnect_min_ms": 200, "reconnect_max_ms": 1000}  # the fallback test restarts Prosody
NS_ADDRESS = "http://jabber.org/protocol/address"
NS_RECIPIENTS = "urn:sylk:multicast:0"  # mod_sylk_multicast's recipients' list
USERS = ("alice", "bob", "carol", "dave")
PER_SENDER = 15   # messages each XMPP occupant sends, interleaved with the others'
DELIVERY_S = 30   # generous: the machine is shared (a delivery takes milliseconds)
SETTLE_S = 1.5    # how long we wait for a duplicate or a stray copy before calling it absent
LINK_S = 30


def room_jid(prosody, name):
    return "%s@%s" % (name, prosody.muc_domain)


async def wait_status(janus, predicate, what, timeout=LINK_S):
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        status = await xmpp_status(janus.ws_url)
        if predicate(status):
            return status
        if loop.time() > deadline:
            raise AssertionError("%s not within %ss: %s" % (what, timeout, status["muc"]))
        await asyncio.sleep(0.2)  # polling interval of the status, not a wait for an event


async def exchange(janus, prosody, name):
    """Four XMPP users and a web user in room `name`; each XMPP user sends PER_SENDER messages,
    round robin, and the web user PER_SENDER too. Asserts every occupant (and the web user) gets
    every message once, in each sender's order, with no <addresses/>. Returns how many stanzas
    the rooms' link sent for the XMPP users' messages (its stanzas_out before and after)."""
    room = room_jid(prosody, name)
    clients = []
    wendy = await ApiWebUser.join(janus.ws_url, name, "Wendy")
    try:
        for user in USERS:
            clients.append(await XmppClient.connect(prosody, user))
        nicks = [user.capitalize() for user in USERS]
        for client, nick in zip(clients, nicks):
            joined = await client.join(room, nick, history={"maxstanzas": 0})
            assert joined.error is None, joined.error
        for client in clients:  # everyone has seen everyone's presence: the room is settled
            for nick in nicks:
                await client.wait_presence(lambda p, n=nick: p.sender == "%s/%s" % (room, n), DELIVERY_S)
        marks = [client.mark() for client in clients]
        before = (await xmpp_status(janus.ws_url))["muc"]["link"]["stanzas_out"]

        expected = []  # (nick, body) in sending order
        for index in range(PER_SENDER):
            for client, nick in zip(clients, nicks):
                body = "%s says %d" % (nick, index)
                client.groupchat(room, body)
                expected.append((nick, body))
        for client in clients:
            await client.wait_message(lambda m: m.body == expected[-1][1], DELIVERY_S)
        await asyncio.sleep(SETTLE_S)
        after = (await xmpp_status(janus.ws_url))["muc"]["link"]["stanzas_out"]

        for client, mark in zip(clients, marks):
            got = [m for m in client.messages(lambda m: m.bare_from == room and m.type == "groupchat"
                                              and m.body is not None, mark)]
            pairs = [(m.resource, m.body) for m in got]
            duplicates = [pair for pair, count in collections.Counter(pairs).items() if count > 1]
            assert not duplicates, (client.jid, duplicates)
            assert sorted(pairs) == sorted(expected), (client.jid, len(pairs), len(expected))
            for nick in nicks:  # each sender's messages in the order sent
                assert [b for n, b in pairs if n == nick] == [b for n, b in expected if n == nick], (client.jid, nick)
            assert all(m.child(NS_ADDRESS, "addresses") is None for m in got), [m for m in got
                                                                            if m.child(NS_ADDRESS, "addresses") is not None][:1]
            assert all(m.child(NS_RECIPIENTS, "recipients") is None for m in got), [
                m for m in got if m.child(NS_RECIPIENTS, "recipients") is not None][:1]
            assert all(m.to == client.jid for m in got), got[:1]

        # the web user's messages reach every occupant once and in order too (hub -> room)
        marks = [client.mark() for client in clients]
        for index in range(PER_SENDER):
            await wendy.say("Wendy says %d" % index)
        last = "Wendy says %d" % (PER_SENDER - 1)
        for client in clients:
            await client.wait_message(lambda m: m.body == last, DELIVERY_S)
        await asyncio.sleep(SETTLE_S)
        for client, mark in zip(clients, marks):
            bodies = [m.body for m in client.messages(lambda m: m.bare_from == room and m.resource == "Wendy"
                                                      and m.body is not None, mark)]
            assert bodies == ["Wendy says %d" % i for i in range(PER_SENDER)], (client.jid, bodies)
        # and the XMPP users' messages reached the web user once each, in order
        texts = [m["text"] for m in wendy.messages(lambda m: m.get("display") in nicks)]
        for nick in nicks:
            assert [t for t in texts if t.startswith(nick + " ")] == [b for n, b in expected if n == nick], nick

        # the last one leaves: the others see it go once (a presence fan-out), it gets its own 110
        marks = [client.mark() for client in clients]
        before_leave = (await xmpp_status(janus.ws_url))["muc"]["link"]["stanzas_out"]
        await clients[-1].leave(room, nicks[-1])
        gone = "%s/%s" % (room, nicks[-1])
        await clients[-1].wait_presence(lambda p: p.sender == gone and p.type == "unavailable", DELIVERY_S, marks[-1])
        for client, mark in zip(clients[:-1], marks):
            await client.wait_presence(lambda p: p.sender == gone and p.type == "unavailable", DELIVERY_S, mark)
        await asyncio.sleep(SETTLE_S)
        for client, mark in zip(clients[:-1], marks):
            seen = [p for p in client.received[mark:] if p.kind == "presence" and p.sender == gone]
            assert len(seen) == 1 and seen[0].child(NS_ADDRESS, "addresses") is None, (client.jid, seen)
            assert seen[0].child(NS_RECIPIENTS, "recipients") is None, (client.jid, seen)
        left = (await xmpp_status(janus.ws_url))["muc"]["link"]["stanzas_out"] - before_leave
        return after - before, left
    finally:
        for client in clients:
            await client.disconnect()
        await wendy.close()


def test_prosody_makes_the_copies_when_it_offers_multicast(janus, prosody):
    async def body():
        status = await wait_status(janus, lambda s: s["muc"]["multicast"]["available"], "multicast offered")
        assert status["muc"]["multicast"]["mode"] == "auto" and status["muc"]["multicast"]["service"] == prosody.domain
        # the module offers its recipients' list too: the rooms use it (cheaper for Prosody to read)
        assert status["muc"]["multicast"]["format"] == "recipients", status["muc"]["multicast"]
        sent, left = await exchange(janus, prosody, "multicast-on")
        # one stanza a message (the server made the 4 copies), not one per occupant; a leave:
        # the leaver's own unavailable and one for the 3 others
        assert sent == PER_SENDER * len(USERS), sent
        assert left == 2, left
        assert "Traceback" not in prosody.log(), prosody.log_tail()
    run(body())


def test_a_client_cannot_use_the_multicast(janus, prosody):
    """A client's <addresses/> to the server is refused (forbidden) and delivered to nobody; the
    server's disco#info does not offer it the feature (only the trusted component sees it)."""
    async def body():
        alice, bob, carol = [await XmppClient.connect(prosody, user) for user in ("alice", "bob", "carol")]
        try:
            info = await alice.disco_info(prosody.domain)
            assert info.type == "result" and NS_ADDRESS not in disco_features(info), info
            assert NS_RECIPIENTS not in disco_features(info), info
            marks = [bob.mark(), carol.mark()]
            addresses = "".join("<address type='%s' jid='%s'/>" % (kind, xml_escape(jid)) for kind, jid in
                                (("bcc", bob.jid), ("to", carol.jid), ("bcc", prosody.jid("carol"))))
            for kind in ("chat", "groupchat", "normal"):
                mark = alice.mark()
                alice.send_raw("<message to='%s' type='%s' id='spam-%s'><body>spam %s</body>"
                               "<addresses xmlns='%s'>%s</addresses></message>"
                               % (prosody.domain, kind, kind, kind, NS_ADDRESS, addresses))
                refused = await alice.wait_for(lambda s, k=kind: s.id == "spam-" + k and s.type == "error", 10, mark,
                                               "refusal of the %s multicast" % kind)
                assert refused.error_condition == "forbidden", refused
                # nor the module's recipients' list
                mark = alice.mark()
                alice.send_raw("<message to='%s' type='%s' id='list-%s'><body>spam list %s</body>"
                               "<recipients xmlns='%s'>%s\n%s</recipients></message>"
                               % (prosody.domain, kind, kind, kind, NS_RECIPIENTS, xml_escape(bob.jid), xml_escape(carol.jid)))
                refused = await alice.wait_for(lambda s, k=kind: s.id == "list-" + k and s.type == "error", 10, mark,
                                               "refusal of the %s recipients' list" % kind)
                assert refused.error_condition == "forbidden", refused
            await asyncio.sleep(SETTLE_S)
            for client, mark in zip((bob, carol), marks):
                assert client.messages(lambda m: (m.body or "").startswith("spam"), mark) == [], client.jid
            # the component still has it
            status = await xmpp_status(janus.ws_url)
            assert status["muc"]["multicast"]["available"] is True, status["muc"]
        finally:
            for client in (alice, bob, carol):
                await client.disconnect()
    run(body())


def test_without_the_module_the_component_sends_a_copy_per_occupant(janus, prosody):
    async def body():
        prosody.stop()
        prosody.multicast = False
        prosody.prepare()
        prosody.start()
        try:
            await wait_status(janus, lambda s: s["muc"]["link"]["connected"] and s["muc"]["link"]["connects"] >= 2,
                              "the link made again")
            status = await xmpp_status(janus.ws_url)
            assert status["muc"]["multicast"]["available"] is False, status["muc"]
            sent, left = await exchange(janus, prosody, "multicast-off")
            assert sent == PER_SENDER * len(USERS) * len(USERS), sent  # 4 copies of each
            assert left == 1 + len(USERS) - 1, left
            status = await xmpp_status(janus.ws_url)
            assert status["muc"]["multicast"]["available"] is False and status["muc"]["multicast"]["bounces"] == 0
        finally:
            prosody.stop()
            prosody.multicast = True
            prosody.prepare()
            prosody.start()
    run(body())
