"""The component link of janus.plugin.sylk.xmpp (XEP-0114) to a real Prosody, seen from its
peers: the core path end to end (a slixmpp user and a web user of the video room in one room,
messages crossing both ways exactly once), the handle's status request and its errors, the SIP
users' domain, and a handshake the server refuses (wrong secret): the plugin keeps retrying with
backoff, says why in its status, and connects once the server takes the secret again."""
import asyncio

from conftest import run
from harness.janus_api import Session
from harness.room_members import ApiWebUser
from harness.xmpp_client import XmppClient, disco_identities

XMPP = {"reconnect_min_ms": 200, "reconnect_max_ms": 1000}  # a short backoff: the refusal test waits for it
PLUGIN = "janus.plugin.sylk.xmpp"
SETTLE_S = 1.5  # how long we wait for a duplicate before calling something "exactly once"
LINK_S = 30     # backoff 0.2 s doubling to 1 s, plus Prosody's restart on a busy machine


def room_jid(prosody, name):
    return "%s@%s" % (name, prosody.muc_domain)


async def plugin_status(janus):
    """The status request on a handle of the plugin (what a client of the Janus API sees)."""
    session = await Session.create(janus.ws_url)
    try:
        handle = await session.attach(PLUGIN)
        reply, _ = await handle.send({"request": "status"})
        return reply
    finally:
        await session.close()


async def wait_link(janus, connected, timeout=LINK_S):
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        status = (await plugin_status(janus))["status"]
        if status["muc"]["link"]["connected"] == connected and status["sip"]["link"]["connected"] == connected:
            return status
        if loop.time() > deadline:
            raise AssertionError("links not %s within %ss: %s" % ("up" if connected else "down", timeout, status))
        await asyncio.sleep(0.2)  # polling interval of the status, not a wait for an event


def test_an_xmpp_user_and_a_web_user_share_a_room(janus, prosody):
    name = "core-path"
    room = room_jid(prosody, name)

    async def body():
        wendy = await ApiWebUser.join(janus.ws_url, name, "Wendy")
        alice = await XmppClient.connect(prosody, "alice")
        try:
            joined = await alice.join(room, "Alice")
            assert joined.error is None, joined.error
            # the web user is an occupant; our own presence (110) comes last, then the subject
            assert joined.occupants == ["Wendy"], joined.order
            assert joined.order == ["presence", "self", "subject"], joined.order
            # the web user sees the XMPP user as a member of the room
            await wendy.wait(lambda: [a for a in wendy.attendee_events() if a.get("display") == "Alice"],
                             what="Alice as attendee")

            # web -> XMPP: once, from the web user's occupant JID
            mark = alice.mark()
            await wendy.say("hello from the web")
            got = await alice.wait_message(lambda m: m.body == "hello from the web", start=mark)
            assert got.type == "groupchat" and got.resource == "Wendy" and got.delay is None, got

            # XMPP -> web: once to the web user; once back to its sender as the echo, same id
            stanza_id = alice.groupchat(room, "hello from xmpp")
            message = await wendy.wait_message(lambda m: m.get("text") == "hello from xmpp")
            assert message["display"] == "Alice", message
            echo = await alice.wait_message(lambda m: m.body == "hello from xmpp", start=mark)
            assert echo.id == stanza_id and echo.resource == "Alice", echo
            await asyncio.sleep(SETTLE_S)
            assert len(wendy.messages(lambda m: m.get("text") == "hello from xmpp")) == 1
            assert len(alice.messages(lambda m: m.body == "hello from xmpp", mark)) == 1
            assert len(alice.messages(lambda m: m.body == "hello from the web", mark)) == 1

            # the status says who is where
            status = (await plugin_status(janus))["status"]
            assert status["muc"]["link"]["connected"] is True
            rooms = {r["room"]: r for r in status["muc"]["rooms"]}
            assert [o["nick"] for o in rooms[name]["occupants"]] == ["Alice"], rooms
            assert rooms[name]["messages_in"] == 1 and rooms[name]["messages_out"] >= 2, rooms
            assert "component_secret" not in str(status) and prosody.secret not in str(status)
        finally:
            await alice.disconnect()
            await wendy.close()
    run(body())


def test_status_requests_are_validated(janus, prosody):
    async def body():
        session = await Session.create(janus.ws_url)
        try:
            handle = await session.attach(PLUGIN)
            reply, _ = await handle.send({"request": "status", "bogus": 1})
            assert reply["error_code"] == 1003 and "bogus" in reply["error"], reply
            reply, _ = await handle.send({"request": "join"})
            assert reply["error_code"] == 1004 and "status" in reply["error"], reply
            reply, _ = await handle.send({"request": "status"})
            assert reply["xmpp"] == "event" and reply["status"]["domain"] == prosody.domain, reply
        finally:
            await session.close()
    run(body())


def test_the_sip_users_domain_is_linked(janus, prosody):
    async def body():
        alice = await XmppClient.connect(prosody, "alice")
        try:
            info = await alice.disco_info(prosody.sip_domain)
            assert info.type == "result", info
            assert ("gateway", "sip") in [(i[0], i[1]) for i in disco_identities(info)], info
            # a local part that is no escaped SIP address (user\40host) reaches nobody: the sender
            # learns it at once (1:1 chat with SIP users: test_xmpp_stox.py)
            mark = alice.mark()
            alice.send_raw("<message to='bob@%s' type='chat' id='to-sip'><body>hi</body></message>" % prosody.sip_domain)
            answer = await alice.wait_for(lambda s: s.id == "to-sip" and s.type == "error", 10, mark, "error")
            assert answer.error_condition == "jid-malformed", answer
        finally:
            await alice.disconnect()
    run(body())


def test_a_refused_handshake_is_retried_until_the_server_takes_it(janus, prosody):
    async def body():
        await wait_link(janus, True)
        right = prosody.secret
        prosody.stop()
        prosody.secret = right + "-changed"
        prosody.prepare()
        prosody.start()
        try:
            # Prosody is up but refuses our handshake: the links stay down, retried with backoff
            status = await wait_link(janus, False)
            loop = asyncio.get_running_loop()
            deadline = loop.time() + LINK_S
            while True:
                status = (await plugin_status(janus))["status"]
                link = status["muc"]["link"]
                if "handshake" in link.get("last_error", "") or "stream error" in link.get("last_error", ""):
                    break
                assert loop.time() < deadline, status
                await asyncio.sleep(0.2)
            attempts = link["attempts"]
            await asyncio.sleep(2.5)  # a few backoff periods (at most 1 s each)
            status = (await plugin_status(janus))["status"]
            assert status["muc"]["link"]["attempts"] > attempts, status
            assert status["muc"]["link"]["connected"] is False
            # an XMPP user's join meanwhile reaches no room
            alice = await XmppClient.connect(prosody, "alice")
            try:
                joined = await alice.join(room_jid(prosody, "while-refused"), "Alice")
                assert joined.error is not None, joined.order
            finally:
                await alice.disconnect()
        finally:
            prosody.stop()
            prosody.secret = right
            prosody.prepare()
            prosody.start()
        status = await wait_link(janus, True)
        # and the rooms work again
        alice = await XmppClient.connect(prosody, "alice")
        try:
            joined = await alice.join(room_jid(prosody, "after-refusal"), "Alice")
            assert joined.error is None and joined.self_presence is not None, joined.order
        finally:
            await alice.disconnect()
    run(body())


def test_history_limits_asked_for_at_join(janus, prosody):
    """XEP-0045 §7.2.15: maxchars='0' asks for no history, maxstanzas for the last N, seconds
    for what was said in the last N seconds; each joiner gets what it asked, with <delay/>."""
    name = "history-limits"
    room = room_jid(prosody, name)

    async def body():
        wendy = await ApiWebUser.join(janus.ws_url, name, "Wendy")
        clients = []
        try:
            await wendy.say("old one")
            await wendy.say("old two")
            await wendy.wait(lambda: len(wendy.messages(lambda m: m.get("text", "").startswith("old"))) == 2,
                             what="both messages back")

            async def history(user, limits):
                client = await XmppClient.connect(prosody, user)
                clients.append(client)
                joined = await client.join(room, user.capitalize(), history=limits)
                assert joined.error is None, joined.order
                assert all(m.delay is not None for m in joined.history)
                return [m.body for m in joined.history]

            assert await history("alice", {"maxchars": 0}) == []
            assert await history("bob", {"maxstanzas": 1}) == ["old two"]
            assert await history("carol", {"seconds": 3600}) == ["old one", "old two"]
            await asyncio.sleep(2.2)  # the old messages fall out of a 2-second window
            await wendy.say("new")
            await wendy.wait(lambda: wendy.messages(lambda m: m.get("text") == "new"), what="new back")
            assert await history("dave", {"seconds": 2}) == ["new"]
        finally:
            for client in clients:
                await client.disconnect()
            await wendy.close()
    run(body())


def test_self_ping_says_whether_one_is_still_in_the_room(janus, prosody):
    """XEP-0410: clients ping their own occupant JID to learn whether they are still joined
    (after a link loss they are not, and join again)."""
    room = room_jid(prosody, "self-ping")

    async def body():
        alice = await XmppClient.connect(prosody, "alice")
        try:
            ping = "<ping xmlns='urn:xmpp:ping'/>"
            answer = await alice.iq(room + "/Alice", ping)
            assert answer.type == "error" and answer.error_condition == "not-acceptable", answer
            assert (await alice.join(room, "Alice")).error is None
            answer = await alice.iq(room + "/Alice", ping)
            assert answer.type == "result", answer
            answer = await alice.iq(room + "/Someone", ping)  # not one's own nickname
            assert answer.type == "error" and answer.error_condition == "not-acceptable", answer
            await alice.leave(room, "Alice")
            await alice.wait_presence(lambda p: p.type == "unavailable" and 110 in p.status_codes)
            answer = await alice.iq(room + "/Alice", ping)
            assert answer.type == "error" and answer.error_condition == "not-acceptable", answer
        finally:
            await alice.disconnect()
    run(body())
