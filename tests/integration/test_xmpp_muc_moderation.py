"""Moderation and nickname changes in XMPP rooms (issue 12, XEP-0045 §7.6 and §8.2): the hub
room knows who moderates (hub::Member::moderator): here alice@localhost through the xmpp
plugin's `moderators` list and the web user who made the video room. A moderator's kick removes
any member, whichever plugin serves it (status 307 to XMPP occupants, a `kicked` leave to web
users); everyone else gets clear errors. A nickname change is seen by the XMPP occupants (303)
and by the web users (an updated attendee). Every assertion is what a real peer received."""
import asyncio
import re

from conftest import run
from harness.janus_api import Admin
from harness.room_members import ApiWebUser, RoomPhone
from harness.xmpp_client import XmppClient

XMPP = {"moderators": "alice@localhost"}
PLUGIN = "janus.plugin.sylk.xmpp"
NS_ADMIN = "http://jabber.org/protocol/muc#admin"
DELIVERY_S = 15
SETTLE_S = 1.5


def room_jid(prosody, name):
    return "%s@%s" % (name, prosody.muc_domain)


def kick_query(nick, reason=None):
    why = "<reason>%s</reason>" % reason if reason else ""
    return "<query xmlns='%s'><item nick='%s' role='none'>%s</item></query>" % (NS_ADMIN, nick, why)


def actor_of(presence):
    """The nick of <actor/> in a presence's muc#user item, or None."""
    x = presence.child("http://jabber.org/protocol/muc#user", "x")
    actor = None if x is None else x.find(".//{http://jabber.org/protocol/muc#user}actor")
    return None if actor is None else actor.get("nick")


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


def test_moderators_kick_members_of_every_plugin(janus, prosody):
    name = "moderated"
    room = room_jid(prosody, name)

    async def body():
        wendy = walter = alice = bob = carol = None
        try:
            wendy = await ApiWebUser.join(janus.ws_url, name, "Wendy")    # made the room: moderates it
            assert wendy.joined.get("moderator") is True, wendy.joined
            walter = await ApiWebUser.join(janus.ws_url, name, "Walter")
            assert walter.joined.get("moderator") is False, walter.joined
            alice, bob, carol = [await XmppClient.connect(prosody, user) for user in ("alice", "bob", "carol")]
            joined = await alice.join(room, "Alice")
            assert joined.error is None, joined.error
            assert joined.self_presence.muc_item.get("role") == "moderator", joined.self_presence
            assert (await bob.join(room, "Bob")).error is None
            joined = await carol.join(room, "Carol")
            roles = {p.resource: p.muc_item.get("role") for p in joined.presences}
            assert roles == {"Wendy": "moderator", "Walter": "participant", "Alice": "moderator",
                             "Bob": "participant"}, roles
            assert joined.self_presence.muc_item.get("role") == "participant"
            await wendy.wait(lambda: [a for a in wendy.attendee_events() if a["display"] == "Carol" and a["present"]],
                             DELIVERY_S, "Carol")

            # who may not kick, and whom no one can
            answer = await bob.iq(room, kick_query("Carol"), "set")
            assert answer.type == "error" and answer.error_condition == "forbidden", answer
            answer = await alice.iq(room, kick_query("Nobody"), "set")
            assert answer.type == "error" and answer.error_condition == "item-not-found", answer
            answer = await alice.iq(room, kick_query("Wendy"), "set")
            assert answer.type == "error" and answer.error_condition == "not-allowed", answer
            answer = await alice.iq(room, "<query xmlns='%s'><item nick='Bob' role='visitor'/></query>" % NS_ADMIN, "set")
            assert answer.type == "error" and answer.error_condition == "feature-not-implemented", answer
            _, attendees = await walter.listing(name)
            alice_member = next(a["id"] for a in attendees if a["display"] == "Alice")
            bob_member = next(a["id"] for a in attendees if a["display"] == "Bob")
            refused = await walter.handle.send({"request": "kick", "member": bob_member})
            assert refused[0].get("error_code") == 433, refused  # Walter does not moderate
            refused = await wendy.handle.send({"request": "kick", "member": alice_member})
            assert refused[0].get("error_code") == 433, refused  # a moderator cannot be kicked
            refused = await wendy.handle.send({"request": "kick", "member": PLUGIN + "/999"})
            assert refused[0].get("error_code") == 428, refused  # nobody of that id
            await asyncio.sleep(SETTLE_S)
            assert [p for p in bob.received if p.kind == "presence" and 307 in p.status_codes] == []

            # Alice kicks Carol (an XMPP occupant): 110+307 to Carol, 307 with the actor to the others
            mark_bob, mark_carol = bob.mark(), carol.mark()
            answer = await alice.iq(room, kick_query("Carol", "spam"), "set")
            assert answer.type == "result", answer
            own = await carol.wait_presence(lambda p: p.sender == room + "/Carol" and p.type == "unavailable",
                                            DELIVERY_S, mark_carol)
            assert {110, 307} <= own.status_codes, own
            assert own.muc_item.get("role") == "none" and actor_of(own) == "Alice", own
            seen = await bob.wait_presence(lambda p: p.sender == room + "/Carol" and p.type == "unavailable",
                                           DELIVERY_S, mark_bob)
            assert 307 in seen.status_codes and 110 not in seen.status_codes and actor_of(seen) == "Alice", seen
            await wendy.wait(lambda: [a for a in wendy.attendee_events() if a["display"] == "Carol" and not a["present"]],
                             DELIVERY_S, "Carol kicked")
            answer = await carol.iq(room, kick_query("Bob"), "set")  # no longer an occupant
            assert answer.error_condition == "forbidden", answer

            # Alice kicks Walter (a web user): the video room removes him, the XMPP side sees him go
            mark_bob = bob.mark()
            answer = await alice.iq(room, kick_query("Walter", "off topic"), "set")
            assert answer.type == "result", answer
            leaving = await walter.wait(lambda: [e for e in walter.events if e.get("leaving") == "ok"], DELIVERY_S,
                                        "Walter kicked")
            assert leaving[0]["reason"] == "kicked" and leaving[0]["by"] == "Alice" and leaving[0]["why"] == "off topic"
            await bob.wait_presence(lambda p: p.sender == room + "/Walter" and p.type == "unavailable",
                                    DELIVERY_S, mark_bob)
            participants, _ = await wendy.listing(name)
            assert [p["display"] for p in participants] == ["Wendy"], participants
            said = await walter.say("am I still here?")
            assert said.get("error_code"), said

            # Wendy (a web moderator) kicks Bob (an XMPP occupant) through the hub
            mark_alice, mark_bob = alice.mark(), bob.mark()
            done = await wendy.handle.send({"request": "kick", "member": bob_member})
            assert done[0].get("videoroom") == "success", done
            own = await bob.wait_presence(lambda p: p.sender == room + "/Bob" and p.type == "unavailable",
                                          DELIVERY_S, mark_bob)
            assert {110, 307} <= own.status_codes and actor_of(own) == "Wendy", own
            await alice.wait_presence(lambda p: p.sender == room + "/Bob" and 307 in p.status_codes,
                                      DELIVERY_S, mark_alice)

            # the room goes on for those left
            alice.groupchat(room, "order restored")
            got = await wendy.wait_message(lambda m: m["text"] == "order restored", DELIVERY_S)
            assert got["display"] == "Alice"
            admin = await Admin.open(janus.admin_url, janus.admin_secret)
            try:
                reply = await admin.message_plugin(PLUGIN, {"request": "status"})
            finally:
                await admin.close()
            rooms = {r["room"]: r for r in reply.get("status", reply)["muc"]["rooms"]}
            assert rooms[name]["kicks"] == 2, rooms[name]
            assert [(o["nick"], o["moderator"]) for o in rooms[name]["occupants"]] == [("Alice", True)]
        finally:
            await close_all(wendy, walter, alice, bob, carol)
    run(body(), timeout=180)


def test_nickname_change_is_seen_everywhere(janus, prosody):
    name = "renamed"
    room = room_jid(prosody, name)

    async def body():
        wendy = alice = bob = carol = None
        try:
            wendy = await ApiWebUser.join(janus.ws_url, name, "Wendy")
            alice, bob, carol = [await XmppClient.connect(prosody, user) for user in ("alice", "bob", "carol")]
            assert (await alice.join(room, "Alice")).error is None
            assert (await bob.join(room, "Bob")).error is None
            await wendy.wait(lambda: [a for a in wendy.attendee_events() if a["display"] == "Bob" and a["present"]],
                             DELIVERY_S, "Bob")

            # taken nicknames: an XMPP occupant's, a web user's: 409, nothing changes
            for taken in ("Alice", "Wendy"):
                mark = bob.mark()
                bob.send_raw("<presence id='to-%s' to='%s/%s'/>" % (taken, room, taken))
                answer = await bob.wait_for(lambda s: s.id == "to-%s" % taken, DELIVERY_S, mark)
                assert answer.type == "error" and answer.error_condition == "conflict", answer

            # Bob becomes Robert: unavailable 303 with the new nick, then available, to everyone
            mark_alice, mark_bob = alice.mark(), bob.mark()
            bob.send_raw("<presence to='%s/Robert'/>" % room)
            for client, mark, self_code in ((alice, mark_alice, set()), (bob, mark_bob, {110})):
                gone = await client.wait_presence(lambda p: p.sender == room + "/Bob" and p.type == "unavailable",
                                                  DELIVERY_S, mark)
                assert gone.status_codes == {303} | self_code, gone
                assert gone.muc_item.get("nick") == "Robert" and gone.muc_item.get("role") == "participant", gone
                back = await client.wait_presence(lambda p: p.sender == room + "/Robert" and p.type == "available",
                                                  DELIVERY_S, mark)
                assert back.status_codes == self_code, back
                assert client.received.index(gone) < client.received.index(back)
            update = await wendy.wait(lambda: [a for a in wendy.attendee_events()
                                               if a["display"] == "Robert" and a.get("updated")],
                                      DELIVERY_S, "Robert")
            assert update[0]["present"] is True and update[0]["plugin"] == PLUGIN
            _, attendees = await wendy.listing(name)
            assert sorted(a["display"] for a in attendees) == ["Alice", "Robert"], attendees

            # he speaks as Robert; Bob is free again; a newcomer sees Robert
            bob.groupchat(room, "call me Robert")
            got = await wendy.wait_message(lambda m: m["text"] == "call me Robert", DELIVERY_S)
            assert got["display"] == "Robert"
            echo = await alice.wait_message(lambda m: m.body == "call me Robert", DELIVERY_S)
            assert echo.sender == room + "/Robert"
            joined = await carol.join(room, "Bob")
            assert joined.error is None, joined.error
            assert sorted(joined.occupants) == ["Alice", "Robert", "Wendy"], joined.order
            # a private message to the new nick reaches him
            carol.private(room, "Robert", "hello Robert")
            got = await bob.wait_message(lambda m: m.body == "hello Robert", DELIVERY_S)
            assert got.sender == room + "/Bob" and got.type == "chat"
        finally:
            await close_all(wendy, alice, bob, carol)
    run(body(), timeout=120)


def test_a_moderator_kicks_a_phone_out_of_the_room(janus, prosody):
    """A phone through the SIP focus is a member of the audio mixer: Alice's kick reaches the
    focus over the hub, which hangs the call up (BYE with an RFC 3326 Reason)."""
    name = "kick-phone"
    room = room_jid(prosody, name)

    async def body():
        alice = bob = phone = None
        try:
            alice, bob = [await XmppClient.connect(prosody, user) for user in ("alice", "bob")]
            assert (await alice.join(room, "Alice")).error is None
            phone = await RoomPhone(name, "xmpp_room_phone_kicked.xml").call()
            await alice.wait_presence(lambda p: p.sender == room + "/Phone" and p.type == "available", DELIVERY_S)
            answer = await bob.iq(room, kick_query("Phone"), "set")  # not even an occupant
            assert answer.error_condition == "forbidden", answer
            answer = await alice.iq(room, kick_query("Phone", "noise"), "set")
            assert answer.type == "result", answer
            status, errors = await phone.finish()
            assert status == 0, "sipp failed (%s): %s\n%s" % (status, errors[-1000:], phone.trace()[-3000:])
            assert re.search(r"BYE sip:.*Reason: SIP;cause=403", phone.trace(), re.S), phone.trace()[-2000:]
            gone = await alice.wait_presence(lambda p: p.sender == room + "/Phone" and p.type == "unavailable",
                                             DELIVERY_S)
            assert gone is not None
        finally:
            await close_all(phone, alice, bob)
    run(body(), timeout=120)
