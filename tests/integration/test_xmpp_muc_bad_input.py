"""Bad input to janus.plugin.sylk.xmpp through a real Prosody: stanzas a client can get routed to
the component that make no sense to a room (unknown namespaces, a join without a nick, a room name
the hub refuses, a message from a non-occupant, an oversized body, error stanzas, ...). Each gets
a clear stanza error (or, for an error stanza, silence), nothing reaches the room, and the room
and janus stay well: a normal join and message work afterwards."""
import asyncio

from conftest import run
from harness.room_members import ApiWebUser
from harness.xmpp_client import XmppClient, disco_features

XMPP = True
DELIVERY_S = 15
SETTLE_S = 1.5
BODY_LIMIT = 64 * 1024  # the contract's limit for a message body


def room_jid(prosody, name):
    return "%s@%s" % (name, prosody.muc_domain)


async def error_for(client, stanza_text, match_id, timeout=DELIVERY_S):
    """Sends raw XML and returns the type='error' stanza answering it (matched by id)."""
    start = client.mark()
    client.send_raw(stanza_text)
    return await client.wait_for(lambda s: s.id == match_id and s.type == "error", timeout, start,
                                 "error answer to %s" % match_id)


def test_unknown_namespaces_get_service_unavailable(janus, prosody):
    room = room_jid(prosody, "bad-ns")

    async def body():
        alice = await XmppClient.connect(prosody, "alice")
        try:
            for target in (prosody.muc_domain, room, prosody.sip_domain):
                for iq_type in ("get", "set"):
                    answer = await alice.iq(target, "<query xmlns='urn:example:nothing-we-know'/>", iq_type)
                    assert answer.type == "error", answer
                    assert answer.error_condition == "service-unavailable", answer
                    assert answer.sender == target
            # an iq with no child at all
            answer = await alice.iq(prosody.muc_domain, "", "get")
            assert answer.type == "error" and answer.error_condition == "bad-request", answer
        finally:
            await alice.disconnect()
    run(body())


def test_joins_the_room_cannot_take_are_refused(janus, prosody):
    async def body():
        alice = await XmppClient.connect(prosody, "alice")
        try:
            # no nick: presence to the bare room JID
            answer = await error_for(alice, "<presence id='no-nick' to='%s'><x xmlns='http://jabber.org/protocol/muc'/>"
                                     "</presence>" % room_jid(prosody, "bad-join"), "no-nick")
            assert answer.error_condition == "jid-malformed", answer
            # a room name longer than the hub takes (1..256 bytes)
            long_room = room_jid(prosody, "r" * 300)
            answer = await error_for(alice, "<presence id='long-room' to='%s/Alice'><x xmlns='http://jabber.org/protocol/muc'/>"
                                     "</presence>" % long_room, "long-room")
            assert answer.error_condition == "not-allowed", answer
            # a presence to the service itself
            answer = await error_for(alice, "<presence id='to-service' to='%s/Alice'><x xmlns="
                                     "'http://jabber.org/protocol/muc'/></presence>" % prosody.muc_domain, "to-service")
            assert answer.error_condition is not None, answer
            # none of these made a room
            items = await alice.disco_items(prosody.muc_domain)
            assert all("bad-join" not in (jid or "") and "rrrr" not in (jid or "") for jid in
                       [i.get("jid") for i in items.xml.iter("{http://jabber.org/protocol/disco#items}item")])
        finally:
            await alice.disconnect()
    run(body())


def test_messages_from_outside_or_too_big_are_refused_and_not_delivered(janus, prosody):
    name = "bad-messages"
    room = room_jid(prosody, name)

    async def body():
        wendy = await ApiWebUser.join(janus.ws_url, name, "Wendy")
        alice = await XmppClient.connect(prosody, "alice")
        bob = await XmppClient.connect(prosody, "bob")
        try:
            assert (await alice.join(room, "Alice")).error is None
            mark = alice.mark()
            # bob is no occupant: his groupchat is refused
            answer = await error_for(bob, "<message id='outsider' to='%s' type='groupchat'><body>let me in</body>"
                                     "</message>" % room, "outsider")
            assert answer.error_condition == "not-acceptable", answer
            # an occupant's body over the limit: not-acceptable, delivered to no one
            big = "x" * (BODY_LIMIT + 1024)
            answer = await error_for(alice, "<message id='too-big' to='%s' type='groupchat'><body>%s</body></message>"
                                     % (room, big), "too-big")
            assert answer.error_condition == "not-acceptable", answer
            # a private message to a nick that is not there
            answer = await error_for(alice, "<message id='nobody' to='%s/Nobody' type='chat'><body>hi</body></message>"
                                     % room, "nobody")
            assert answer.error_condition == "item-not-found", answer
            # a nickname change to a nickname a web user holds is refused (409); an invitation to
            # something that is no user's JID too (test_xmpp_muc_moderation.py has good ones)
            answer = await error_for(alice, "<presence id='renick' to='%s/Wendy'/>" % room, "renick")
            assert answer.error_condition == "conflict", answer
            answer = await error_for(alice, "<message id='invite' to='%s'><x xmlns='http://jabber.org/protocol/muc#user'>"
                                     "<invite to='localhost'/></x></message>" % room, "invite")
            assert answer.error_condition == "jid-malformed", answer
            # error stanzas are never answered (no error loops), and nothing above reached the room
            alice.send_raw("<message id='err1' to='%s' type='error'><error type='cancel'><item-not-found "
                           "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>" % room)
            bob.send_raw("<presence id='err2' to='%s/Bob' type='error'/>" % room)  # from a non-occupant
            alice.send_raw("<iq id='err3' to='%s' type='result'/>" % room)  # a result nobody asked for
            await asyncio.sleep(SETTLE_S)
            answers = [s for s in alice.received[mark:] + bob.received if s.id in ("err1", "err2", "err3")]
            assert answers == [], answers
            assert [m for m in alice.messages(start=mark) if m.body in ("let me in", big)] == []
            assert wendy.messages(lambda m: m["text"] in ("let me in", big)) == []
            # the room works as before
            alice.groupchat(room, "still here")
            got = await wendy.wait_message(lambda m: m["text"] == "still here", DELIVERY_S)
            assert got["display"] == "Alice"
            # a presence error from an occupant (its client bounced something) removes it
            alice.send_raw("<presence to='%s/Alice' type='error'><error type='cancel'><recipient-unavailable "
                           "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></presence>" % room)
            await wendy.wait(lambda: [a for a in wendy.attendee_events() if a["display"] == "Alice" and not a["present"]],
                             DELIVERY_S, "Alice removed")
        finally:
            await alice.disconnect()
            await bob.disconnect()
            await wendy.close()
    run(body())


def test_odd_but_well_formed_stanzas_do_not_hurt(janus, prosody):
    """Stanzas with unexpected children, empty bodies, unknown types and huge attribute values:
    whatever the plugin answers, janus lives and the room still carries messages."""
    name = "odd-stanzas"
    room = room_jid(prosody, name)

    async def body():
        alice = await XmppClient.connect(prosody, "alice")
        bob = await XmppClient.connect(prosody, "bob")
        try:
            assert (await alice.join(room, "Alice")).error is None
            assert (await bob.join(room, "Bob")).error is None
            odd = [
                "<message to='%s' type='groupchat'><body/></message>" % room,
                "<message to='%s' type='groupchat'><body>a</body><body>b</body></message>" % room,
                "<message to='%s' type='weird'><body>w</body></message>" % room,
                "<message to='%s' type='groupchat'><x xmlns='urn:example:x'><deep><deeper/></deep></x></message>" % room,
                "<message to='%s' type='groupchat' id='%s'><body>long id</body></message>" % (room, "i" * 4000),
                "<presence to='%s/Alice'><x xmlns='http://jabber.org/protocol/muc'><history maxstanzas='-5' "
                "seconds='abc'/></x></presence>" % room,
                "<presence to='%s/Alice' type='probe'/>" % room,
                "<presence to='%s/Alice' type='subscribe'/>" % room,
                "<iq to='%s/Bob' type='get' id='occ'><vCard xmlns='vcard-temp'/></iq>" % room,
                "<iq to='%s' type='set' id='admin'><query xmlns='http://jabber.org/protocol/muc#admin'>"
                "<item nick='Bob'/></query></iq>" % room,
                "<message to='%s' type='groupchat'><composing xmlns='http://jabber.org/protocol/chatstates'/>"
                "<paused xmlns='http://jabber.org/protocol/chatstates'/></message>" % room,
            ]
            for text in odd:
                alice.send_raw(text)
            await asyncio.sleep(SETTLE_S)
            assert janus.alive()
            bob.groupchat(room, "after the odd ones")
            got = await alice.wait_message(lambda m: m.body == "after the odd ones", DELIVERY_S)
            assert got.sender == room + "/Bob"
            # answers to the iqs are results or errors, never silence
            for iq_id in ("occ", "admin"):
                await alice.wait_for(lambda s, i=iq_id: s.kind == "iq" and s.id == i, DELIVERY_S)
        finally:
            await alice.disconnect()
            await bob.disconnect()
    run(body())


def test_a_video_room_pin_is_the_rooms_password(janus, prosody):
    """A video room with a PIN guards its hub room against XMPP joins too (XEP-0045 §7.2.6: the
    PIN is the room's password): no password or a wrong one gets auth/not-authorized and makes
    no occupant; the PIN lets the user in."""
    from harness.janus_api import Admin

    room = room_jid(prosody, "pinned-room")

    async def body():
        admin = await Admin.open(janus.admin_url, janus.admin_secret)
        try:
            created = await admin.message_plugin("janus.plugin.sylk.videoroom",
                                                 {"request": "create", "room": "pinned-room", "pin": "4321"})
        finally:
            await admin.close()
        assert created.get("videoroom") == "created", created
        alice = await XmppClient.connect(prosody, "alice")
        try:
            refused = await alice.join(room, "Alice")
            assert refused.error is not None and refused.error.error_condition == "not-authorized", refused.order
            wrong = await alice.join(room, "Alice", password="1234")
            assert wrong.error is not None and wrong.error.error_condition == "not-authorized", wrong.order
            items = await alice.disco_items(prosody.muc_domain)
            assert "pinned-room" not in str(items), items  # no occupant made the room
            joined = await alice.join(room, "Alice", password="4321")
            assert joined.error is None and joined.self_presence is not None, joined.order
        finally:
            await alice.disconnect()
    run(body())


def test_an_audio_mixer_room_pin_is_the_rooms_password(janus, prosody):
    """The audio mixer's own room PIN guards the hub room against XMPP joins as the video room's
    does (hub service audiomixer.admit): no password or a wrong one gets auth/not-authorized and
    makes no occupant; the PIN lets the user in. disco#info says which rooms are protected
    (XEP-0045 §6.4: muc_passwordprotected, else muc_unsecured), whichever plugin has the PIN."""
    from harness.janus_api import Admin, Session

    room = room_jid(prosody, "mixer-pinned")

    async def body():
        session = await Session.create(janus.ws_url)
        admin = await Admin.open(janus.admin_url, janus.admin_secret)
        alice = await XmppClient.connect(prosody, "alice")
        try:
            creator = await session.attach("janus.plugin.sylk.audiomixer")
            created, _ = await creator.send({"request": "create", "room": "mixer-pinned", "pin": "2468"})
            assert created.get("audiobridge") == "created", created  # the stock audiobridge API
            video = await admin.message_plugin("janus.plugin.sylk.videoroom",
                                               {"request": "create", "room": "video-pinned", "pin": "1357"})
            assert video.get("videoroom") == "created", video

            for name, expected, other in (("mixer-pinned", "muc_passwordprotected", "muc_unsecured"),
                                          ("video-pinned", "muc_passwordprotected", "muc_unsecured"),
                                          ("open-room", "muc_unsecured", "muc_passwordprotected")):
                info = await alice.disco_info(room_jid(prosody, name))
                features = disco_features(info)
                assert expected in features and other not in features, (name, features)

            refused = await alice.join(room, "Alice")
            assert refused.error is not None and refused.error.error_condition == "not-authorized", refused.order
            assert refused.self_presence is None, refused.order
            wrong = await alice.join(room, "Alice", password="1357")  # the other room's PIN
            assert wrong.error is not None and wrong.error.error_condition == "not-authorized", wrong.order
            # no occupant was made: the component has no room of that name
            xmpp = await session.attach("janus.plugin.sylk.xmpp")
            rooms, _ = await xmpp.send({"request": "status"})
            assert "mixer-pinned" not in [r["room"] for r in rooms["status"]["muc"]["rooms"]], rooms["status"]["muc"]
            joined = await alice.join(room, "Alice", password="2468")
            assert joined.error is None and joined.self_presence is not None, joined.order
            rooms, _ = await xmpp.send({"request": "status"})
            assert "mixer-pinned" in [r["room"] for r in rooms["status"]["muc"]["rooms"]], rooms["status"]["muc"]
        finally:
            await alice.disconnect()
            await admin.close()
            await session.close()
    run(body())
