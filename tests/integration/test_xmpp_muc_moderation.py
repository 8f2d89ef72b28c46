"""Moderation and nickname changes in XMPP rooms (issue 12, XEP-0045 §7.6 and §8.2): the hub
room knows who moderates (hub::Member::moderator): here alice@localhost through the xmpp
plugin's `moderators` list and the web user who made the video room. A moderator's kick removes
any member, whichever plugin serves it (status 307 to XMPP occupants, a `kicked` leave to web
users); everyone else gets clear errors. A nickname change is seen by the XMPP occupants (303)
and by the web users (an updated attendee). Every assertion is what a real peer received."""
import asyncio
import json
import os
import re
import shutil
import tempfile

from conftest import run
from harness.janus_api import Admin, Session
from harness.processes import spawn
from harness.room_members import ApiWebUser, RoomPhone
from harness.rtp_peer import RtpPeer
from harness.xmpp_client import XmppClient
from test_sip_focus import SCENARIOS

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
            seen = await bob.wait_presence(lambda p: p.sender == room + "/Walter" and p.type == "unavailable",
                                           DELIVERY_S, mark_bob)
            assert 307 in seen.status_codes and actor_of(seen) == "Alice", seen  # a kick, also for a web user
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

            # Wendy kicks a web user the video room's own way (by id): XMPP sees a kick too
            wanda = await ApiWebUser.join(janus.ws_url, name, "Wanda")
            try:
                mark_alice = alice.mark()
                await alice.wait_presence(lambda p: p.sender == room + "/Wanda" and p.type == "available", DELIVERY_S)
                done = await wendy.handle.send({"request": "kick", "id": wanda.id})
                assert done[0].get("videoroom") == "success", done
                seen = await alice.wait_presence(lambda p: p.sender == room + "/Wanda" and p.type == "unavailable",
                                                 DELIVERY_S, mark_alice)
                assert 307 in seen.status_codes and actor_of(seen) == "Wendy", seen
            finally:
                await wanda.close()

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

            # the web user renames itself (configure display): the XMPP occupants see 303 + new presence
            mark = alice.mark()
            reply, _ = await wendy.handle.send({"request": "configure", "display": "Wendolyn"})
            assert reply.get("configured") == "ok", reply
            gone = await alice.wait_presence(lambda p: p.sender == room + "/Wendy" and p.type == "unavailable",
                                             DELIVERY_S, mark)
            assert gone.status_codes == {303} and gone.muc_item.get("nick") == "Wendolyn", gone
            back = await alice.wait_presence(lambda p: p.sender == room + "/Wendolyn" and p.type == "available",
                                             DELIVERY_S, mark)
            assert alice.received.index(gone) < alice.received.index(back)

            # he speaks as Robert; Bob is free again; a newcomer sees Robert
            bob.groupchat(room, "call me Robert")
            got = await wendy.wait_message(lambda m: m["text"] == "call me Robert", DELIVERY_S)
            assert got["display"] == "Robert"
            echo = await alice.wait_message(lambda m: m.body == "call me Robert", DELIVERY_S)
            assert echo.sender == room + "/Robert"
            joined = await carol.join(room, "Bob")
            assert joined.error is None, joined.error
            assert sorted(joined.occupants) == ["Alice", "Robert", "Wendolyn"], joined.order
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
            assert 307 in gone.status_codes and actor_of(gone) == "Alice", gone
        finally:
            await close_all(phone, alice, bob)
    run(body(), timeout=120)


async def focus_calls(janus, count, timeout=DELIVERY_S):
    """Waits until the SIP focus's admin status counts `count` active calls."""
    admin = await Admin.open(janus.admin_url, janus.admin_secret)
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            reply = await admin.message_plugin("janus.plugin.sylk.sip", {"request": "status"})
            found = re.search(r'"active_calls": (\d+)', json.dumps(reply))
            if found and int(found.group(1)) == count:
                return
            if loop.time() > deadline:
                raise AssertionError("the focus never had %d calls: %s" % (count, reply))
            await asyncio.sleep(0.1)
    finally:
        await admin.close()


def invitation_of(message):
    """(from, reason) of a muc#user <invite/> in a message, or None."""
    x = message.child("http://jabber.org/protocol/muc#user", "x")
    invite = None if x is None else x.find("{http://jabber.org/protocol/muc#user}invite")
    if invite is None:
        return None
    reason = invite.find("{http://jabber.org/protocol/muc#user}reason")
    return invite.get("from"), (reason.text if reason is not None else None)


def invite_stanza(room, to, reason="", stanza_id="inv"):
    why = "<reason>%s</reason>" % reason if reason else ""
    return ("<message id='%s' to='%s'><x xmlns='http://jabber.org/protocol/muc#user'><invite to='%s'>%s</invite>"
            "</x></message>" % (stanza_id, room, to, why))


def test_invitations_reach_xmpp_users_and_call_sip_users_in(janus, prosody):
    """XEP-0045 §7.8.2 mediated invitations: to an XMPP user the room sends the invitation; to a
    web user of the SIP gateway an event on its handle; to another SIP user (user\\40host@sip.<domain>) a moderator's invitation makes the SIP focus call that
    user into the room, as a REFER would (a sipp UAS answers; the moderator then kicks it)."""
    name = "invitations"
    room = room_jid(prosody, name)
    trace_dir = tempfile.mkdtemp(prefix="sylk-invite-")

    async def body():
        alice = bob = dave = target = rtp = web = None
        try:
            alice, bob, dave = [await XmppClient.connect(prosody, user) for user in ("alice", "bob", "dave")]
            assert (await alice.join(room, "Alice")).error is None
            assert (await bob.join(room, "Bob")).error is None

            # to XMPP users: the room's invitation, from the inviter, with the reason
            mark = dave.mark()
            alice.send_raw(invite_stanza(room, "dave@localhost", "come and see"))
            got = await dave.wait_message(lambda m: invitation_of(m) is not None, DELIVERY_S, mark)
            assert got.sender == room and invitation_of(got) == ("alice@localhost", "come and see"), got
            bob.send_raw(invite_stanza(room, "dave@localhost", stanza_id="inv-bob"))  # anyone may invite XMPP users
            got = await dave.wait_message(lambda m: invitation_of(m) is not None and invitation_of(m)[0] == "bob@localhost",
                                          DELIVERY_S, mark)
            assert invitation_of(got) == ("bob@localhost", None)

            # bad invitations: clear errors, nobody called
            sip_user = "bob\\40127.0.0.1\\3a5079@%s" % prosody.sip_domain
            for client, to, condition in ((bob, sip_user, "forbidden"),          # only moderators call phones
                                          (alice, "@localhost", "jid-malformed"),
                                          (alice, "nobody@%s" % prosody.sip_domain, "jid-malformed"),  # no SIP host
                                          (alice, room + "/Bob", "bad-request")):
                mark = client.mark()
                client.send_raw(invite_stanza(room, to, stanza_id="bad"))
                answer = await client.wait_for(lambda s: s.id == "bad" and s.type == "error", DELIVERY_S, mark)
                assert answer.error_condition == condition, (to, answer)

            # to a web user of the SIP gateway (here a guest account): an event on its handle; any
            # occupant may send it, as to an XMPP user; nobody is called
            web = await Session.create(janus.ws_url)
            phone_page = await web.attach("janus.plugin.sylk.sip")
            data, _ = await phone_page.send({"request": "register", "type": "guest", "username": "sip:wendy@sylk.test"})
            assert data["result"]["event"] == "registered", data
            mark = bob.mark()
            bob.send_raw(invite_stanza(room, "wendy\\40sylk.test@%s" % prosody.sip_domain, "see you", "inv-web"))
            event = await phone_page.next_event(timeout=DELIVERY_S, predicate=lambda e: e.get("plugindata", {})
                                                .get("data", {}).get("result", {}).get("event") == "conference_invitation")
            invitation = event["plugindata"]["data"]["result"]
            assert invitation == {"event": "conference_invitation", "room": name, "from": "xmpp:bob@localhost",
                                  "display": "Bob", "reason": "see you"}, invitation
            await web.close()
            web = None
            assert [s for s in bob.received[mark:] if s.id == "inv-web" and s.type == "error"] == []

            # to a SIP user: the focus calls it in; it appears as an occupant; Alice kicks it
            rtp = await RtpPeer("pcmu", 600).open()
            target = await spawn(
                "sipp", "-sf", os.path.join(SCENARIOS, "refer_target.xml"), "-m", "1", "-i", "127.0.0.1", "-p", "5079",
                "-nostdin", "-timeout", "60s", "-trace_msg", "-message_file", os.path.join(trace_dir, "target.log"),
                "-set", "rtpport", str(rtp.port), cwd=trace_dir, stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE)
            await asyncio.sleep(0.5)
            mark = alice.mark()
            alice.send_raw(invite_stanza(room, sip_user, "join us", stanza_id="inv-sip"))
            arrived = await alice.wait_presence(lambda p: p.bare_from == room and p.resource == "bob"
                                                and p.type == "available", DELIVERY_S, mark)
            assert [s for s in alice.received[mark:] if s.id == "inv-sip" and s.type == "error"] == []
            # the occupant appears when the room's mixer leg is made, before the phone answers:
            # kick once the focus counts the call as answered (a kick before cancels the call)
            await focus_calls(janus, 1)
            answer = await alice.iq(room, kick_query(arrived.resource), "set")
            assert answer.type == "result", answer
            _, errors = await asyncio.wait_for(target.communicate(), 30)
            assert target.returncode == 0, errors.decode(errors="replace")[-1000:]
            trace = open(os.path.join(trace_dir, "target.log"), errors="replace").read()  # complete once sipp ended
            assert re.search(r"INVITE sip:bob@127\.0\.0\.1:5079", trace), trace[-2000:]
            assert re.search(r"BYE sip:.*Reason: SIP;cause=403", trace, re.S), trace[-2000:]
            await alice.wait_presence(lambda p: p.bare_from == room and p.resource == "bob" and p.type == "unavailable",
                                      DELIVERY_S, mark)
        finally:
            if target and target.returncode is None:
                target.kill()
                await target.wait()
            if rtp:
                rtp.close()
            await close_all(alice, bob, dave, web)
    try:
        run(body(), timeout=120)
    finally:
        shutil.rmtree(trace_dir, ignore_errors=True)


def test_a_moderator_kicks_an_msrp_chat_client(janus, prosody):
    """A chat-only SIP call (its chat an MSRP session of the msrp plugin) is an occupant under
    its caller's name: Alice's kick makes the focus hang the call up, which closes the session."""
    from harness.msrp_peer import MsrpEndpoint, cpim, parse_path
    from test_sip_msrp_chat import answered, attribute, finish, msrp_sessions, sipp as chat_sipp
    name = "kick-msrp"
    room = room_jid(prosody, name)
    trace_dir = tempfile.mkdtemp(prefix="sylk-kick-msrp-")

    async def body():
        peer = MsrpEndpoint("127.0.0.1")
        chat = peer.session()
        admin = await Admin.open(janus.admin_url, janus.admin_secret)
        alice = None
        try:
            call = await chat_sipp("chat_call_removed.xml", trace_dir, ("room", name), ("msrpport", chat.uri.port),
                                   ("msrpsession", chat.session_id), ("setup", "active"))
            caller, sdp = await answered(trace_dir)
            await chat.connect(remote_path=parse_path(attribute(sdp, "path")))
            alice = await XmppClient.connect(prosody, "alice")
            joined = await alice.join(room, "Alice")
            assert joined.occupants == ["Chatter"], joined.order
            sent = await chat.send_message(cpim("from the chat client", sender="Chatter <%s>" % caller), "message/cpim")
            assert sent.statuses == [200]
            got = await alice.wait_message(lambda m: m.body == "from the chat client", DELIVERY_S)
            assert got.sender == room + "/Chatter"
            answer = await alice.iq(room, kick_query("Chatter"), "set")
            assert answer.type == "result", answer
            await finish(call, trace_dir)  # sipp got the focus's BYE and answered it
            text = open(os.path.join(trace_dir, "messages.log"), errors="replace").read()
            assert re.search(r"BYE sip:.*Reason: SIP;cause=403", text, re.S), text[-2000:]
            await alice.wait_presence(lambda p: p.sender == room + "/Chatter" and p.type == "unavailable", DELIVERY_S)
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 5
            while loop.time() < deadline and (await msrp_sessions(admin, name))[1]:
                await asyncio.sleep(0.1)
            assert not (await msrp_sessions(admin, name))[1]
        finally:
            if alice:
                await alice.disconnect()
            await peer.close()
            await admin.close()
    try:
        run(body(), timeout=90)
    finally:
        shutil.rmtree(trace_dir, ignore_errors=True)
