"""The IRC bridge (issue 14): janus.plugin.sylk.irc bridges the room "ircroom" to #ircroom of a
real ngircd. In the room: a web user over the Janus API (the video room) and phones through the
SIP focus (sipp; a chat-only one with the MSRP test peer); in the channel: IRC users of the test
(harness/irc_peer.py). Every assertion is what one of those peers received."""
import asyncio
import os
import re
import shutil
import tempfile

import pytest

from conftest import run
from harness.irc_peer import IrcUser, Ngircd
from harness.janus_api import Session
from harness.msrp_peer import MsrpEndpoint, parse_cpim, parse_path
from harness.processes import spawn
from harness.room_members import SCENARIOS, ApiWebUser, RoomPhone
from test_sip_msrp_chat import answered, attribute, finish
from test_sip_msrp_chat import sipp as chat_sipp

PLUGIN = "janus.plugin.sylk.irc"
ROOM, CHANNEL = "ircroom", "#ircroom"
TLS_ROOM, TLS_CHANNEL = "ircsecure", "#ircsecure"
IRC_PORT, IRC_TLS_PORT = 6667, 6697
MAX_NICK = 12
# 13 bytes: ngircd refuses it (432, "max. 12"), the bot takes "sylkbridgebo", which a squatter holds
# (433), so it ends up "sylkbridgeb1".
BOT = "sylkbridgebot"
DELIVERY_S = 15  # generous: the machine is shared (a delivery takes milliseconds)

# the TLS bridge trusts the test server's self-signed certificate (tls_ca_file): the fixture
# `ngircd` makes it when it starts, before `janus` (every test names ngircd first)
SERVER = Ngircd(port=IRC_PORT, max_nick_length=MAX_NICK, tls_port=IRC_TLS_PORT)
IRC_CONFIG = {
    "general": {"reconnect_min_ms": 300, "reconnect_max_ms": 2400, "lines_per_10s": 50, "burst": 10,
                "timeout_ms": 10000},
    "bridge-ircroom": {"server": "127.0.0.1", "port": IRC_PORT, "channel": CHANNEL, "nick": BOT},
    "bridge-ircsecure": {"server": "127.0.0.1", "port": IRC_TLS_PORT, "tls": True,
                         "tls_ca_file": SERVER.certificate, "tls_server_name": "localhost",
                         "channel": TLS_CHANNEL, "nick": "securebot"},
}


@pytest.fixture(scope="module")
def ngircd():
    SERVER.start()
    yield SERVER
    alive = SERVER.alive()
    SERVER.stop()
    log = SERVER.log_tail()
    SERVER.remove()
    if not alive:
        pytest.fail("ngircd died during the tests:\n" + log)


async def close_all(*peers):
    for peer in peers:
        if peer is None:
            continue
        try:
            await peer.close()
        except Exception:  # noqa: BLE001 - closing what a failed test left; the failure is reported already
            pass


def attendee(user, display, present=True):
    return lambda: [a for a in user.attendee_events()
                    if a["display"] == display and a["present"] == present and a["plugin"] == PLUGIN]


def privmsg(channel, text):
    return lambda nick, command, params: command == "PRIVMSG" and params == [channel, text]


async def conference_state(room):
    """The full conference-info (RFC 4575) the SIP focus NOTIFYs to a watcher of the room."""
    trace_dir = tempfile.mkdtemp(prefix="sylk-sipp-")
    log = os.path.join(trace_dir, "messages.log")
    try:
        watcher = await spawn("sipp", "127.0.0.1:5060", "-sf", os.path.join(SCENARIOS, "irc_conference_state.xml"),
                              "-m", "1", "-i", "127.0.0.1", "-p", "0", "-nostdin", "-timeout", "30s", "-trace_msg",
                              "-message_file", log, "-set", "room", room, cwd=trace_dir,
                              stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
        _, errors = await asyncio.wait_for(watcher.communicate(), 30)
        trace = open(log, errors="replace").read() if os.path.exists(log) else ""
        assert watcher.returncode == 0, errors.decode(errors="replace")[-1000:] + trace[-2000:]
        return re.findall(r"NOTIFY sip:.*?(<\?xml.*?</conference-info>)", trace, re.S)[0]
    finally:
        shutil.rmtree(trace_dir, ignore_errors=True)


async def bridge_status(janus, room):
    session = await Session.create(janus.ws_url)
    try:
        handle = await session.attach(PLUGIN)
        data, _ = await handle.send({"request": "status"})
        return next(b for b in data["bridges"] if b["room"] == room)
    finally:
        await session.close()


async def wait_status(janus, room, probe, what, timeout=DELIVERY_S):
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        status = await bridge_status(janus, room)
        if probe(status):
            return status
        if loop.time() > deadline:
            raise AssertionError("bridge of %s: no %s: %s" % (room, what, status))
        await asyncio.sleep(0.05)


def test_chat_and_roster_cross_the_bridge(ngircd, janus):
    """The room starts with a web user: the bot joins the channel (past a 432 and a 433); web
    user, phone and IRC users hear each other; IRC users are room attendees through JOIN, NICK,
    PART and QUIT; a private message to the bot is refused; the bot quits when the room ends."""
    async def body():
        squatter = alice = bob = carol = wendy = phone = None
        try:
            squatter = await IrcUser.connect(ngircd, "sylkbridgebo")
            alice, bob, carol = [await IrcUser.connect(ngircd, nick) for nick in ("alice", "bob", "carol")]
            # together: ngircd holds a new client's first JOIN for a second
            await asyncio.gather(alice.join(CHANNEL), bob.join(CHANNEL), carol.join(CHANNEL))
            wendy = await ApiWebUser.join(janus.ws_url, ROOM, "Wendy")

            bot, _, _ = await alice.wait(lambda n, c, p: c == "JOIN" and n.startswith("sylk"), DELIVERY_S,
                                         "the bot's JOIN")
            assert bot == "sylkbridgeb1"
            await wendy.wait(attendee(wendy, "carol"), DELIVERY_S, "carol as an attendee")
            _, attendees = await wendy.listing(ROOM)
            assert sorted((a["display"], a["plugin"]) for a in attendees) == [
                ("alice", PLUGIN), ("bob", PLUGIN), ("carol", PLUGIN)]
            state = await conference_state(ROOM)  # phones see the IRC users too
            assert "<display-text>alice</display-text>" in state and "<display-text>Wendy</display-text>" in state
            # an IRC user's identity is SylkServer's sip:<nick>@<ircserver>, not an internal member URI
            entities = re.findall(r'<user entity="([^"]*)"[^>]*>\s*<display-text>(\w+)</display-text>', state)
            assert ("sip:alice@127.0.0.1", "alice") in entities, entities

            phone = await RoomPhone(ROOM, scenario="irc_room_phone.xml").call()
            from_phone = await alice.wait(privmsg(CHANNEL, "Phone: hello from the phone"), DELIVERY_S)
            assert from_phone[0] == bot

            await wendy.say("hello IRC")
            await alice.wait(privmsg(CHANNEL, "Wendy: hello IRC"), DELIVERY_S)
            alice.say(CHANNEL, "\x02hello\x02 room")  # bold on IRC, plain text in the room
            got = await wendy.wait_message(lambda m: m["text"] == "hello room", DELIVERY_S)
            assert got["display"] == "alice" and got["origin"] == PLUGIN

            status, errors = await phone.finish()
            assert status == 0, "sipp failed (%s): %s\n%s" % (status, errors[-1000:], phone.trace()[-3000:])
            texts = [body for _, body in phone.received_messages()]
            for text in ("hello IRC", "hello room"):
                assert sum(text in body for body in texts) == 1, (text, texts)
            assert any('From: "alice" <sip:alice@127.0.0.1>' in body and "hello room" in body for body in texts), texts

            # a message with line breaks becomes one line each, every one with the sender
            await wendy.say("first line\nsecond line")
            await alice.wait(privmsg(CHANNEL, "Wendy: second line"), DELIVERY_S)
            lines = [t for n, t in alice.privmsgs(CHANNEL) if n == bot]
            assert lines[-2:] == ["Wendy: first line", "Wendy: second line"], lines

            # private messages to the bot are refused politely and go nowhere
            squatter.say(bot, "psst, are you a bot?")
            notice = await squatter.wait(lambda n, c, p: c == "NOTICE" and n == bot, DELIVERY_S, "the refusal")
            assert "private messages" in notice[2][1]
            assert not wendy.messages(lambda m: "psst" in m["text"])

            # the roster follows the channel: JOIN (above, and a late one), NICK, PART, QUIT
            dave = await IrcUser.connect(ngircd, "dave")
            await dave.join(CHANNEL)
            await wendy.wait(attendee(wendy, "dave"), DELIVERY_S, "dave joining")
            await dave.close()  # a connection closed without QUIT: the server QUITs it
            await wendy.wait(attendee(wendy, "dave", present=False), DELIVERY_S, "dave gone")
            bob.change_nick("bobby")
            await wendy.wait(lambda: [a for a in wendy.attendee_events() if a["display"] == "bobby" and a.get("updated")],
                             DELIVERY_S, "bob renamed bobby")
            alice.part(CHANNEL)
            await wendy.wait(attendee(wendy, "alice", present=False), DELIVERY_S, "alice parting")
            await carol.quit()
            carol = None
            await wendy.wait(attendee(wendy, "carol", present=False), DELIVERY_S, "carol quitting")
            _, attendees = await wendy.listing(ROOM)
            assert [a["display"] for a in attendees] == ["bobby"]

            # the room ends with its last member: the bot quits the channel
            mark = len(bob.lines)
            await wendy.close()
            wendy = None
            await bob.wait(lambda n, c, p: c == "QUIT" and n == bot, DELIVERY_S, "the bot's QUIT", mark)
            await wait_status(janus, ROOM, lambda s: not s["active"], "end")
        finally:
            await close_all(phone, wendy, alice, bob, carol, squatter)

    run(body())


def test_chat_said_as_the_room_starts_reaches_the_channel(ngircd, janus):
    """The bridge finds a new room on its next 200 ms tick: what the room says before that (here
    the first words of its first member, right after joining) still reaches the channel, once,
    after the bot joined."""
    async def body():
        carol = wendy = None
        try:
            carol = await IrcUser.connect(ngircd, "carol")
            await carol.join(CHANNEL)
            await wait_status(janus, ROOM, lambda s: not s["active"], "a quiet room")
            wendy = await ApiWebUser.join(janus.ws_url, ROOM, "Wendy")
            await wendy.say("first words")
            mark = len(carol.lines)
            await carol.wait(lambda n, c, p: c == "JOIN" and n.startswith("sylkbridge"), DELIVERY_S, "the bot's JOIN")
            await carol.wait(privmsg(CHANNEL, "Wendy: first words"), DELIVERY_S)
            await wendy.say("second words")  # the live path after the replay: no repeat of the first
            await carol.wait(privmsg(CHANNEL, "Wendy: second words"), DELIVERY_S, "the second line", mark)
            assert [t for n, t in carol.privmsgs(CHANNEL) if t.startswith("Wendy:")] == [
                "Wendy: first words", "Wendy: second words"]
        finally:
            await close_all(wendy, carol)

    run(body())


def test_msrp_chat_participant_gets_irc_users_as_sip_identities(ngircd, janus):
    """A phone in the room by chat alone (m=message, MSRP with the test peer) starts the room:
    a channel message reaches it over MSRP as CPIM From "nick" <sip:nick@ircserver>."""
    async def body():
        trace_dir = tempfile.mkdtemp(prefix="sylk-sipp-")
        carol = peer = call = None
        try:
            carol = await IrcUser.connect(ngircd, "carol")
            await carol.join(CHANNEL)
            await wait_status(janus, ROOM, lambda s: not s["active"], "a quiet room")
            peer = MsrpEndpoint("127.0.0.1")
            chat = peer.session()
            # the call (and so the room) lasts 6 s: long enough for the bot's JOIN on a loaded machine
            call = await chat_sipp("chat_call.xml", trace_dir, ("room", ROOM), ("msrpport", chat.uri.port),
                                   ("msrpsession", chat.session_id), ("setup", "active"), call_ms=6000)
            caller, sdp = await answered(trace_dir)
            await chat.connect(remote_path=parse_path(attribute(sdp, "path")))
            await carol.wait(lambda n, c, p: c == "JOIN" and n.startswith("sylkbridge"), DELIVERY_S, "the bot's JOIN")
            carol.say(CHANNEL, "hello chat phone")
            got = await chat.wait_message(lambda m: b"hello chat phone" in m.body, timeout=DELIVERY_S)
            await finish(call, trace_dir)
            call = None
            return parse_cpim(got.body)
        finally:
            if call is not None and call.returncode is None:
                call.kill()
            if peer is not None:
                await peer.close()
            await close_all(carol)
            shutil.rmtree(trace_dir, ignore_errors=True)

    message = run(body())
    assert message.header("From") == '"carol" <sip:carol@127.0.0.1>', message.headers
    assert message.text() == "hello chat phone"


def test_reconnect_after_server_restart_loses_nothing(ngircd, janus):
    """ngircd restarts while the room chats: what the room said meanwhile reaches the channel,
    in order, once the bot is back; the IRC user leaves the roster and comes back."""
    async def body():
        carol = wendy = None
        try:
            carol = await IrcUser.connect(ngircd, "carol")
            await carol.join(CHANNEL)
            wendy = await ApiWebUser.join(janus.ws_url, ROOM, "Wendy")
            await carol.wait(lambda n, c, p: c == "JOIN" and n.startswith("sylkbridge"), DELIVERY_S, "the bot's JOIN")
            await wendy.wait(attendee(wendy, "carol"), DELIVERY_S, "carol as an attendee")
            before = await bridge_status(janus, ROOM)

            await carol.close()
            carol = None
            ngircd.stop()
            await wendy.wait(attendee(wendy, "carol", present=False), DELIVERY_S, "carol gone with the server")
            # two failed attempts: the next one is at least 1.2 s away, time for carol to be there first
            await wait_status(janus, ROOM, lambda s: s["client"]["state"] == "waiting"
                              and s["client"]["connections"] >= before["client"]["connections"] + 2, "retries")
            for n in range(3):
                await wendy.say("while away %d" % n)
            await wait_status(janus, ROOM, lambda s: s["client"]["queued"] == 3, "3 queued lines")

            ngircd.start()
            carol = await IrcUser.connect(ngircd, "carol")
            await carol.join(CHANNEL)
            await carol.wait(privmsg(CHANNEL, "Wendy: while away 2"), DELIVERY_S)
            bot = [n for n, c, p in carol.lines if c == "JOIN" and n.startswith("sylkbridge")][-1]
            assert [t for n, t in carol.privmsgs(CHANNEL) if n == bot] == ["Wendy: while away %d" % n for n in range(3)]
            await wendy.wait(lambda: len(attendee(wendy, "carol")()) >= 2, DELIVERY_S, "carol back")
            status = await wait_status(janus, ROOM, lambda s: s["client"]["queued"] == 0, "the queue confirmed")
            assert status["client"]["dropped_lines"] == 0
        finally:
            await close_all(wendy, carol)

    run(body())


def test_tls_bridge_with_flood_control(ngircd, janus):
    """A bridge over TLS (the server's certificate checked against its CA file): chat both ways;
    a burst of lines is throttled by the token bucket."""
    async def body():
        dave = wendy = None
        try:
            dave = await IrcUser.connect(ngircd, "dave")
            await dave.join(TLS_CHANNEL)
            wendy = await ApiWebUser.join(janus.ws_url, TLS_ROOM, "Wendy")
            await dave.wait(lambda n, c, p: c == "JOIN" and n == "securebot", DELIVERY_S, "the bot's JOIN")
            await wendy.say("over TLS")
            await dave.wait(privmsg(TLS_CHANNEL, "Wendy: over TLS"), DELIVERY_S)
            dave.say(TLS_CHANNEL, "back over TLS")
            got = await wendy.wait_message(lambda m: m["text"] == "back over TLS", DELIVERY_S)
            assert got["display"] == "dave"
            status = await bridge_status(janus, TLS_ROOM)
            assert status["client"]["tls"] is True and status["client"]["state"] == "in-channel"

            # flood control: 12 lines at once against a burst of 10 and 5 lines a second: all come,
            # in order, the two past the burst no faster than the rate allows
            mark = len(dave.lines)
            await wendy.say("\n".join("line %d" % n for n in range(12)))
            await dave.wait(privmsg(TLS_CHANNEL, "Wendy: line 11"), DELIVERY_S, "the last line", mark)
            got = [i for i, (n, c, p) in enumerate(dave.lines) if i >= mark and c == "PRIVMSG"]
            assert [dave.lines[i][2][1] for i in got] == ["Wendy: line %d" % n for n in range(12)]
            spread = dave.times[got[-1]] - dave.times[got[0]]
            assert spread >= 0.35, spread  # two lines past the burst, 0.2 s each
        finally:
            await close_all(wendy, dave)

    run(body())
