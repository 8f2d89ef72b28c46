"""XMPP users in rooms (issue 12): janus.plugin.sylk.xmpp as the XEP-0114 component
conference.localhost of a real Prosody, with slixmpp users (harness/xmpp_client.py) in the same hub
rooms as web users of the video room (over the API and in headless Chromium on room.html) and a
phone through the SIP focus (sipp). Every assertion is what one of those peers received."""
import asyncio
import collections
import re

from conftest import run
from harness.janus_api import Admin
from harness.room_members import ApiWebUser, BrowserWebUser, RoomPhone
from harness.xmpp_client import (NS_MUC, XmppClient, disco_features, disco_identities,
                                 disco_item_jids)

XMPP = True  # the janus fixture starts after this module's Prosody, with the xmpp plugin pointed at it
PLUGIN = "janus.plugin.sylk.xmpp"
DELIVERY_S = 15   # generous: the machine is shared (a delivery takes milliseconds)
SETTLE_S = 1.5    # how long we wait for a duplicate before calling something "exactly once"
STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")


def room_jid(prosody, name):
    return "%s@%s" % (name, prosody.muc_domain)


async def connect_all(prosody, *users):
    return [await XmppClient.connect(prosody, user) for user in users]


async def close_all(*members):
    for member in members:
        if member is None:
            continue
        try:
            if isinstance(member, XmppClient):
                await member.disconnect()
            else:
                await member.close()
        except Exception:  # noqa: BLE001 - closing what a failed test left; the failure is reported already
            pass


def bodies_from(client, room, start=0):
    """Counter of (sender nick, body) of the groupchat messages without <delay/> from the room."""
    return collections.Counter((m.resource, m.body) for m in client.messages(
        lambda m: m.bare_from == room and m.type == "groupchat" and m.body is not None and m.delay is None, start))


def room_roster(client, room):
    """The nicks a client sees in the room now (its own included): by each occupant's last presence."""
    last = {}
    for stanza in client.received:
        if stanza.kind == "presence" and stanza.bare_from == room:
            last[stanza.resource] = stanza.type
    return sorted(nick for nick, kind in last.items() if kind in (None, "available"))


def attendee_displays(attendees):
    return sorted(a["display"] for a in attendees)


def test_phone_web_and_xmpp_users_share_one_room(janus, prosody):
    """Three XMPP users, a web user over the API, two in Chromium on room.html and a phone through
    the SIP focus: each sees the same roster, and every message reaches every other member
    exactly once (and its XMPP sender once, as its echo, with the same id)."""
    name = "everyone"
    room = room_jid(prosody, name)

    async def body():
        wendy = bruno = bianca = phone = alice = bob = carol = None
        try:
            wendy = await ApiWebUser.join(janus.ws_url, name, "Wendy")
            bruno = await BrowserWebUser.join(janus.http_url, name, "Bruno")
            bianca = await BrowserWebUser.join(janus.http_url, name, "Bianca")
            alice, bob, carol = await connect_all(prosody, "alice", "bob", "carol")

            joined_alice = await alice.join(room, "Alice")
            assert joined_alice.error is None, joined_alice.error
            assert sorted(joined_alice.occupants) == ["Bianca", "Bruno", "Wendy"], joined_alice.order
            assert 110 in joined_alice.self_presence.status_codes
            assert joined_alice.self_presence.sender == room + "/Alice"
            assert joined_alice.order[-2:] == ["self", "subject"], joined_alice.order  # no history yet
            joined_bob = await bob.join(room, "Bob")
            assert sorted(joined_bob.occupants) == ["Alice", "Bianca", "Bruno", "Wendy"], joined_bob.order
            await alice.wait_presence(lambda p: p.sender == room + "/Bob" and p.type == "available")

            # the web users see the XMPP users as attendees (members of another plugin)
            for nick in ("Alice", "Bob"):
                await wendy.wait(lambda: [a for a in wendy.attendee_events()
                                          if a["display"] == nick and a["present"] and a["plugin"] == PLUGIN],
                                 DELIVERY_S, "attendee %s" % nick)
            participants, attendees = await wendy.listing(name)
            assert sorted(p["display"] for p in participants) == ["Bianca", "Bruno", "Wendy"]
            assert attendee_displays(attendees) == ["Alice", "Bob"]
            for page_user in (bruno, bianca):
                state = await page_user.wait_state(lambda s: attendee_displays(s["attendees"]) == ["Alice", "Bob"],
                                                   DELIVERY_S, "Alice and Bob as attendees")
                assert all(a["plugin"] == PLUGIN for a in state["attendees"])

            # the phone calls in: every XMPP occupant gets its presence
            phone = await RoomPhone(name).call()
            for client in (alice, bob):
                await client.wait_presence(lambda p: p.sender == room + "/Phone" and p.type == "available",
                                           DELIVERY_S)
            # its MESSAGE (sent ~4 s after the call is up) reaches the XMPP and the web users
            for client in (alice, bob):
                got = await client.wait_message(lambda m: m.body == "hello from the phone", DELIVERY_S)
                assert got.sender == room + "/Phone" and got.type == "groupchat" and got.delay is None
            from_phone = await wendy.wait_message(lambda m: m["text"] == "hello from the phone", DELIVERY_S)
            assert from_phone["display"] == "Phone"

            # each member speaks in turn; the next speaks once the last was delivered
            said = alice.groupchat(room, "from Alice")
            echo = await alice.wait_message(lambda m: m.body == "from Alice", DELIVERY_S)
            assert echo.id == said and echo.sender == room + "/Alice" and echo.type == "groupchat"
            at_wendy = await wendy.wait_message(lambda m: m["text"] == "from Alice", DELIVERY_S)
            assert at_wendy["display"] == "Alice" and at_wendy["origin"] == PLUGIN
            bob.groupchat(room, "from Bob")
            await wendy.wait_message(lambda m: m["text"] == "from Bob", DELIVERY_S)
            await wendy.say("from Wendy")
            got = await alice.wait_message(lambda m: m.body == "from Wendy", DELIVERY_S)
            assert got.sender == room + "/Wendy" and got.type == "groupchat"
            await bruno.say("from Bruno")
            got = await bob.wait_message(lambda m: m.body == "from Bruno", DELIVERY_S)
            assert got.sender == room + "/Bruno"
            await wendy.wait_message(lambda m: m["text"] == "from Bruno", DELIVERY_S)

            # Carol joins late: the phone among the occupants, the history in order, with <delay/>
            joined_carol = await carol.join(room, "Carol")
            assert sorted(joined_carol.occupants) == ["Alice", "Bianca", "Bob", "Bruno", "Phone", "Wendy"], joined_carol.order
            history = [(m.resource, m.body) for m in joined_carol.history]
            assert history == [("Phone", "hello from the phone"), ("Alice", "from Alice"), ("Bob", "from Bob"),
                               ("Wendy", "from Wendy"), ("Bruno", "from Bruno")], joined_carol.order
            for message in joined_carol.history:
                stamp, delay_from = message.delay
                assert STAMP.match(stamp or ""), stamp
                assert delay_from == room, message
                assert message.type == "groupchat"
            assert joined_carol.order == ["presence"] * 6 + ["self"] + ["history"] * 5 + ["subject"]
            carol.groupchat(room, "from Carol")
            for client in (alice, bob):
                await client.wait_message(lambda m: m.body == "from Carol", DELIVERY_S)

            # the phone took exactly five MESSAGEs (a sixth aborts its scenario), then hung up
            status, errors = await phone.finish()
            assert status == 0, "sipp failed (%s): %s\n%s" % (status, errors[-1000:], phone.trace()[-3000:])
            received = phone.received_messages()
            texts = [body for _, body in received]
            for text in ("from Alice", "from Bob", "from Wendy", "from Bruno", "from Carol"):
                assert sum(text in body for body in texts) == 1, (text, texts)
            assert all("message/cpim" in headers.lower() for headers, _ in received)
            for client in (alice, bob, carol):
                await client.wait_presence(lambda p: p.sender == room + "/Phone" and p.type == "unavailable",
                                           DELIVERY_S)
            await wendy.wait(lambda: [a for a in wendy.attendee_events() if a["display"] == "Phone" and not a["present"]],
                             DELIVERY_S, "Phone leaving")

            # the second page speaks once the phone is gone (its scenario takes five MESSAGEs)
            await bianca.say("from Bianca")
            for client in (alice, bob, carol):
                got = await client.wait_message(lambda m: m.body == "from Bianca", DELIVERY_S)
                assert got.sender == room + "/Bianca" and got.type == "groupchat" and got.delay is None
            await wendy.wait_message(lambda m: m["text"] == "from Bianca", DELIVERY_S)
            await bruno.wait_state(lambda s: any(m["text"] == "from Bianca" for m in s["messages"]),
                                   DELIVERY_S, "Bianca's message on Bruno's page")

            # exactly once everywhere
            await asyncio.sleep(SETTLE_S)
            everything = {("Phone", "hello from the phone"), ("Alice", "from Alice"), ("Bob", "from Bob"),
                          ("Wendy", "from Wendy"), ("Bruno", "from Bruno"), ("Carol", "from Carol"),
                          ("Bianca", "from Bianca")}
            for client in (alice, bob):
                assert bodies_from(client, room) == collections.Counter(everything), (client.jid, bodies_from(client, room))
            assert bodies_from(carol, room) == collections.Counter({("Carol", "from Carol"): 1, ("Bianca", "from Bianca"): 1})
            web_seen = collections.Counter((m["display"], m["text"]) for m in wendy.messages())
            assert web_seen == collections.Counter(everything), web_seen
            for page_user in (bruno, bianca):
                page = await page_user.state()
                page_seen = collections.Counter((m["display"], m["text"]) for m in page["messages"])
                assert page_seen == collections.Counter(everything), page_seen

            # the rosters agree at the end: the three XMPP users and the three web users
            participants, attendees = await wendy.listing(name)
            assert attendee_displays(attendees) == ["Alice", "Bob", "Carol"]
            assert sorted(p["display"] for p in participants) == ["Bianca", "Bruno", "Wendy"]
            for page_user in (bruno, bianca):
                page = await page_user.wait_state(lambda s: attendee_displays(s["attendees"]) == ["Alice", "Bob", "Carol"],
                                                  DELIVERY_S, "the three XMPP users")
                assert sorted(p["display"] for p in page["listed"]) == ["Bianca", "Bruno", "Wendy"], page["listed"]
            # and the XMPP users see the same room: the web users and each other
            for client in (alice, bob, carol):
                present = room_roster(client, room)
                assert present == ["Alice", "Bianca", "Bob", "Bruno", "Carol", "Wendy"], (client.jid, present)
        finally:
            await close_all(phone, bianca, bruno, wendy, alice, bob, carol)
    run(body(), timeout=240)


def test_history_on_join_is_the_rooms_with_delay(janus, prosody):
    name = "history"
    room = room_jid(prosody, name)

    async def body():
        wendy = alice = bob = None
        try:
            wendy = await ApiWebUser.join(janus.ws_url, name, "Wendy")
            alice, bob = await connect_all(prosody, "alice", "bob")
            await wendy.say("one")
            await wendy.say("two")
            joined = await alice.join(room, "Alice")
            assert [(m.resource, m.body) for m in joined.history] == [("Wendy", "one"), ("Wendy", "two")]
            alice.groupchat(room, "three")
            await wendy.wait_message(lambda m: m["text"] == "three", DELIVERY_S)
            joined = await bob.join(room, "Bob")
            assert joined.order == ["presence", "presence", "self", "history", "history", "history", "subject"], \
                joined.order
            assert [(m.resource, m.body) for m in joined.history] == [("Wendy", "one"), ("Wendy", "two"),
                                                                        ("Alice", "three")]
            stamps = [m.delay[0] for m in joined.history]
            assert all(STAMP.match(s or "") for s in stamps), stamps
            assert stamps == sorted(stamps)
            # the same history the video room gives its late joiners
            late = await ApiWebUser.join(janus.ws_url, name, "Late")
            try:
                assert [m["text"] for m in late.history] == ["one", "two", "three"]
            finally:
                await late.close()
            # the subject is there and empty (no one set one)
            assert joined.subject is not None and (joined.subject.subject or "") == ""
        finally:
            await close_all(wendy, alice, bob)
    run(body())


def test_nickname_conflict_is_409_also_against_a_web_user(janus, prosody):
    name = "conflict"
    room = room_jid(prosody, name)

    async def body():
        wendy = alice = bob = carol = None
        try:
            wendy = await ApiWebUser.join(janus.ws_url, name, "Wendy")
            alice, bob, carol = await connect_all(prosody, "alice", "bob", "carol")
            assert (await alice.join(room, "Alice")).error is None
            mark = alice.mark()
            for client, nick in ((bob, "Alice"), (carol, "Wendy")):
                refused = await client.join(room, nick)
                assert refused.error is not None, refused.order
                assert refused.error.error_condition == "conflict", refused.error
                assert refused.error.type == "error" and refused.error.sender == "%s/%s" % (room, nick)
                code = refused.error.xml.find("{jabber:client}error").get("code")
                assert code in (None, "409"), code
                assert refused.self_presence is None and refused.subject is None
            # the refused ones are nobody's occupants
            await asyncio.sleep(SETTLE_S)
            assert [p for p in alice.received[mark:] if p.kind == "presence"] == []
            _, attendees = await wendy.listing(name)
            assert attendee_displays(attendees) == ["Alice"]
            # another nick works
            joined = await bob.join(room, "Bobby")
            assert joined.error is None and sorted(joined.occupants) == ["Alice", "Wendy"]
        finally:
            await close_all(wendy, alice, bob, carol)
    run(body())


def test_private_messages_reach_only_their_recipient(janus, prosody):
    name = "private"
    room = room_jid(prosody, name)

    async def body():
        wendy = walt = alice = bob = carol = None
        try:
            wendy = await ApiWebUser.join(janus.ws_url, name, "Wendy")
            walt = await ApiWebUser.join(janus.ws_url, name, "Walt")
            alice, bob, carol = await connect_all(prosody, "alice", "bob", "carol")
            for client, nick in ((alice, "Alice"), (bob, "Bob"), (carol, "Carol")):
                assert (await client.join(room, nick)).error is None
            marks = {c: c.mark() for c in (bob, carol)}

            # XMPP -> XMPP
            alice.private(room, "Bob", "psst bob")
            got = await bob.wait_message(lambda m: m.body == "psst bob", DELIVERY_S)
            assert got.type == "chat" and got.sender == room + "/Alice"
            # XMPP -> web user: a private video room message to Wendy alone
            alice.private(room, "Wendy", "psst wendy")
            got = await wendy.wait_message(lambda m: m["text"] == "psst wendy", DELIVERY_S)
            assert got["private"] is True and got["display"] == "Alice" and got["origin"] == PLUGIN
            # (web user -> XMPP member is not asked here: the video room's `message` addresses
            # only its own participants, by number)
            await asyncio.sleep(SETTLE_S)
            assert [m for m in carol.messages(start=marks[carol]) if m.body in ("psst bob", "psst wendy")] == []
            assert walt.messages(lambda m: m["text"] in ("psst bob", "psst wendy")) == []
            assert [m for m in bob.messages(start=marks[bob]) if m.body == "psst wendy"] == []
            assert len(bob.messages(lambda m: m.body == "psst bob")) == 1
        finally:
            await close_all(wendy, walt, alice, bob, carol)
    run(body())


def test_a_private_message_to_a_phone_reaches_it_alone(janus, prosody):
    """A private message to the phone's nickname is a CPIM MESSAGE to that phone, and to nobody
    else; a private message between two XMPP users never reaches the phone (its scenario takes
    exactly the one MESSAGE, body checked)."""
    name = "private-phone"
    room = room_jid(prosody, name)

    async def body():
        wendy = phone = alice = bob = None
        try:
            wendy = await ApiWebUser.join(janus.ws_url, name, "Wendy")
            alice, bob = await connect_all(prosody, "alice", "bob")
            for client, nick in ((alice, "Alice"), (bob, "Bob")):
                assert (await client.join(room, nick)).error is None
            phone = await RoomPhone(name, "xmpp_room_phone_private.xml").call()
            await alice.wait_presence(lambda p: p.sender == room + "/Phone" and p.type == "available", DELIVERY_S)
            bob.private(room, "Alice", "not for the phone")
            await alice.wait_message(lambda m: m.body == "not for the phone", DELIVERY_S)
            alice.private(room, "Phone", "just for the phone")
            status, errors = await phone.finish()
            assert status == 0, "sipp failed (%s): %s\n%s" % (status, errors[-1000:], phone.trace()[-3000:])
            [(headers, text)] = phone.received_messages()
            assert "message/cpim" in headers.lower() and "just for the phone" in text, (headers, text)
            assert '"Alice"' in text, text  # CPIM From: the sender's nickname
            await asyncio.sleep(SETTLE_S)
            assert [m for m in bob.messages() if m.body == "just for the phone"] == []
            assert wendy.messages(lambda m: m["text"] in ("just for the phone", "not for the phone")) == []
        finally:
            await close_all(phone, wendy, alice, bob)
    run(body(), timeout=120)


def test_chat_states_cross_both_ways(janus, prosody):
    name = "typing"
    room = room_jid(prosody, name)

    async def body():
        wendy = alice = bob = None
        try:
            wendy = await ApiWebUser.join(janus.ws_url, name, "Wendy")
            alice, bob = await connect_all(prosody, "alice", "bob")
            assert (await alice.join(room, "Alice")).error is None
            assert (await bob.join(room, "Bob")).error is None

            alice.chat_state(room, "composing")
            state = await bob.wait_message(lambda m: m.chat_state == "composing", DELIVERY_S)
            assert state.sender == room + "/Alice" and state.body is None
            typing = await wendy.wait(lambda: [c for c in wendy.composing_events() if c["display"] == "Alice"],
                                      DELIVERY_S, "Alice composing")
            assert typing[0]["active"] is True
            alice.chat_state(room, "paused")
            await bob.wait_message(lambda m: m.chat_state == "paused" and m.sender == room + "/Alice", DELIVERY_S)
            await wendy.wait(lambda: [c for c in wendy.composing_events() if c["display"] == "Alice" and not c["active"]],
                             DELIVERY_S, "Alice paused")

            await wendy.composing(True)
            for client in (alice, bob):
                got = await client.wait_message(lambda m: m.chat_state == "composing" and m.sender == room + "/Wendy",
                                                DELIVERY_S)
                assert got.type == "groupchat" and got.body is None
            await wendy.composing(False)
            for client in (alice, bob):
                await client.wait_message(lambda m: m.chat_state in ("paused", "active") and m.sender == room + "/Wendy",
                                          DELIVERY_S)
            # a chat state is no message: nothing in the history
            late = await ApiWebUser.join(janus.ws_url, name, "Late")
            try:
                assert late.history == []
            finally:
                await late.close()
        finally:
            await close_all(wendy, alice, bob)
    run(body())


def test_leaving_is_seen_by_everyone(janus, prosody):
    name = "leaving"
    room = room_jid(prosody, name)

    async def body():
        wendy = alice = bob = None
        try:
            wendy = await ApiWebUser.join(janus.ws_url, name, "Wendy")
            alice, bob = await connect_all(prosody, "alice", "bob")
            assert (await alice.join(room, "Alice")).error is None
            assert (await bob.join(room, "Bob")).error is None
            await alice.leave(room, "Alice")
            gone = await bob.wait_presence(lambda p: p.sender == room + "/Alice" and p.type == "unavailable", DELIVERY_S)
            assert gone is not None
            own = await alice.wait_presence(lambda p: p.sender == room + "/Alice" and p.type == "unavailable", DELIVERY_S)
            assert 110 in own.status_codes
            await wendy.wait(lambda: [a for a in wendy.attendee_events() if a["display"] == "Alice" and not a["present"]],
                             DELIVERY_S, "Alice leaving")
            # a client that just disconnects leaves too (Prosody sends the room its unavailable presence)
            await bob.disconnect()
            await wendy.wait(lambda: [a for a in wendy.attendee_events() if a["display"] == "Bob" and not a["present"]],
                             DELIVERY_S, "Bob leaving")
            _, attendees = await wendy.listing(name)
            assert attendees == []
            # the web user leaving is an unavailable presence to the XMPP occupants
            carol = await XmppClient.connect(prosody, "carol")
            try:
                assert (await carol.join(room, "Carol")).occupants == ["Wendy"]
                await wendy.close()
                wendy = None
                await carol.wait_presence(lambda p: p.sender == room + "/Wendy" and p.type == "unavailable", DELIVERY_S)
            finally:
                await carol.disconnect()
        finally:
            await close_all(wendy, alice, bob)
    run(body())


def test_disco_lists_the_service_and_the_active_rooms(janus, prosody):
    name = "disco-room"

    async def body():
        wendy = alice = None
        try:
            wendy = await ApiWebUser.join(janus.ws_url, name, "Wendy")  # a hub room with a web user only
            [alice] = await connect_all(prosody, "alice")
            info = await alice.disco_info(prosody.muc_domain)
            assert info.type == "result", info
            assert ("conference", "text") in [(c, t) for c, t, _ in disco_identities(info)]
            assert NS_MUC in disco_features(info)
            items = await alice.disco_items(prosody.muc_domain)
            assert items.type == "result", items
            assert room_jid(prosody, name) in disco_item_jids(items)
            room_info = await alice.disco_info(room_jid(prosody, name))
            assert room_info.type == "result", room_info
            assert ("conference", "text") in [(c, t) for c, t, _ in disco_identities(room_info)]
            assert NS_MUC in disco_features(room_info)
            # the SIP users' domain is connected and answers disco too
            sip_info = await alice.disco_info(prosody.sip_domain)
            assert sip_info.type == "result", sip_info
            # a room is listed while it has members: once Wendy leaves, it is not
            await wendy.close()
            wendy = None
            loop = asyncio.get_running_loop()
            deadline = loop.time() + DELIVERY_S
            while room_jid(prosody, name) in disco_item_jids(await alice.disco_items(prosody.muc_domain)):
                assert loop.time() < deadline, "an empty room is still listed"
                await asyncio.sleep(0.2)
        finally:
            await close_all(wendy, alice)
    run(body())


def test_status_shows_the_link_rooms_and_occupants(janus, prosody):
    name = "status-room"
    room = room_jid(prosody, name)

    async def body():
        admin = await Admin.open(janus.admin_url, janus.admin_secret)
        [alice] = await connect_all(prosody, "alice")
        try:
            assert (await alice.join(room, "Alice")).error is None
            reply = await admin.message_plugin(PLUGIN, {"request": "status"})
            assert prosody.secret not in repr(reply)  # secrets are never shown
            return reply.get("status", reply)
        finally:
            await alice.disconnect()
            await admin.close()
    status = run(body())
    link = status["muc"]["link"]
    assert link["connected"] is True and link["domain"] == prosody.muc_domain, link
    assert status["sip"]["link"]["connected"] is True, status["sip"]
    [entry] = [r for r in status["muc"]["rooms"] if r["room"] == name]
    assert entry["jid"] == room
    assert [o["nick"] for o in entry["occupants"]] == ["Alice"]
    assert entry["occupants"][0]["member"].startswith(PLUGIN + "/")


def test_subject_changes_are_refused_and_the_subject_stays_empty(janus, prosody):
    name = "subject"
    room = room_jid(prosody, name)

    async def body():
        alice, bob = await connect_all(prosody, "alice", "bob")
        try:
            assert (await alice.join(room, "Alice")).error is None
            mark = bob.mark()
            assert (await bob.join(room, "Bob")).error is None
            start = alice.mark()
            alice.send_raw("<message to='%s' type='groupchat' id='subj'><subject>new topic</subject></message>" % room)
            answer = await alice.wait_for(lambda s: s.id == "subj" and s.type == "error", DELIVERY_S, start)
            assert answer.error_condition == "forbidden", answer
            await asyncio.sleep(SETTLE_S)
            assert [m for m in bob.messages(start=mark) if m.subject == "new topic"] == []
            carol = await XmppClient.connect(prosody, "carol")
            try:
                joined = await carol.join(room, "Carol")
                assert joined.subject is not None and (joined.subject.subject or "") == ""
            finally:
                await carol.disconnect()
        finally:
            await close_all(alice, bob)
    run(body())


def test_kick_by_a_non_moderator_is_forbidden(janus, prosody):
    """XEP-0045 §8.2 kick (role none) needs a moderator: this module's plugin lists none
    (`moderators`, docs/xmpp-api.md) and no web user is in the room, so Alice's kick is
    forbidden and Bob stays (test_xmpp_muc_moderation.py has kicks that work)."""
    name = "kick"
    room = room_jid(prosody, name)

    async def body():
        alice, bob = await connect_all(prosody, "alice", "bob")
        try:
            assert (await alice.join(room, "Alice")).error is None
            assert (await bob.join(room, "Bob")).error is None
            answer = await alice.iq(room, "<query xmlns='http://jabber.org/protocol/muc#admin'>"
                                          "<item nick='Bob' role='none'><reason>test</reason></item></query>", "set")
            assert answer.type == "error" and answer.error_condition == "forbidden", answer
            mark = alice.mark()
            bob.groupchat(room, "still in")
            await alice.wait_message(lambda m: m.body == "still in" and m.sender == room + "/Bob", DELIVERY_S, mark)
        finally:
            await close_all(alice, bob)
    run(body())
