"""The conference MSRP switch (janus.plugin.sylk.msrp) with real peers: MSRP chat clients (the
Python MSRP endpoint, harness/msrp_peer.py, speaking RFC 4975 over TCP to the plugin's listener),
a web user in the video room (the Janus API, as room.js is) and a hub member of another plugin
(hubprobe). The web user of the first test also publishes audio and video from aiortc, as a
browser in the room does. Sessions are opened through the hub service msrp.open_session exactly as the SIP
focus opens them for a phone's m=message; hubprobe's "call" request is that caller here.

Every MSRP session first gets a status notice (CPIM with Message-Type: status in SylkServer's
namespace), then the room's history; the helpers below tell notices from people's messages by
that header, as chat clients do."""
import asyncio
import base64
import json
import os
import re
import tempfile

import pytest

from conftest import BUILD, run
from harness.event_collector import EventCollector
from harness.janus_api import Admin, Session
from harness.janus_process import JanusProcess, sanitizer_env
from harness.peers import ColourTrack, ToneTrack, accept, make_peer, offer
from harness.processes import spawn
from harness.rtp_peer import RtpPeer
from harness.msrp_peer import MsrpEndpoint, MsrpUri, cpim, is_composing, parse_cpim, parse_is_composing

PROBE = "janus.plugin.sylk.hubprobe.a"
MSRP = "janus.plugin.sylk.msrp"
VIDEOROOM = "janus.plugin.sylk.videoroom"
AG_NS = "urn:ag-projects:xml:ns:cpim"
HISTORY = 5           # history_length: what a joining session gets replayed
SEND_QUEUE = 32768    # send_queue_bytes: what the switch holds for a session that stops reading


@pytest.fixture(scope="module")
def janus():
    collector = EventCollector().start()   # Janus's sample event handler posts every event to it
    process = JanusProcess(BUILD, tempfile.mkdtemp(prefix="sylk-janus-msrp-"), env=sanitizer_env(),
                           event_handler=collector.handler_options(),
                           run_options={"msrp_options": {"listen_ip": "10.77.0.1", "history_length": HISTORY,
                                                         "send_queue_bytes": SEND_QUEUE}})
    process.events = collector
    try:
        process.start()
    except BaseException:
        collector.stop()
        raise
    yield process
    alive = process.alive()
    code = process.stop()
    collector.stop()
    if not alive:
        pytest.fail("janus died during the tests (exit %s):\n%s" % (code, process.log_tail()))


def is_notice(message):
    return parse_cpim(message.body).namespaced(AG_NS, "Message-Type") == "status"


class ChatClient:
    """A SIP chat client's MSRP side in a room: its own MSRP endpoint on 10.77.0.2 and one
    session, handed to the plugin through msrp.open_session (role passive: the plugin waits and
    this client connects, as a client that offered with a=setup:active does)."""

    def __init__(self, endpoint, session, answer, uri, display):
        self.endpoint, self.session, self.answer = endpoint, session, answer
        self.uri, self.display = uri, display
        self.member = answer["member"]
        self.id = answer["session"]

    @classmethod
    async def join(cls, caller, room, uri, display, role="passive", member=None, rcvbuf=None):
        endpoint = MsrpEndpoint(host="10.77.0.2", rcvbuf=rcvbuf)
        if role == "active":
            await endpoint.listen()   # the plugin connects to us
        session = endpoint.session()
        args = {"room": room, "uri": uri, "display": display, "role": role,
                "remote": {"path": [str(session.uri)], "accept_types": ["message/cpim", "text/plain"],
                           "accept_wrapped_types": ["*"]}}
        if member:
            args["member"] = member
        reply, _ = await caller.send({"request": "call", "service": "msrp.open_session", "args": args})
        assert "error" not in reply, reply
        answer = reply["result"]
        if role == "passive":
            await session.connect(remote_path=answer["local"]["path"])
        else:
            session.remote_path = [MsrpUri.parse(uri) for uri in answer["local"]["path"]]
            await session.wait_bound()
        return cls(endpoint, session, answer, uri, display)

    async def say(self, text, to=None, sender=None, content_type="text/plain", wait=True):
        body = cpim(text, content_type=content_type, sender=sender or "%s <%s>" % (self.display, self.uri),
                    recipients=[to] if to else [])
        return await self.session.send_message(body, content_type="message/cpim", wait=wait)

    async def next(self, notices=False, timeout=5):
        """The next message in arrival order (people's, or with notices=True the next notice),
        skipping the other kind; returns the parsed CPIM."""
        while True:
            message = await self.session.next_message(timeout=timeout)
            if is_notice(message) == notices:
                return parse_cpim(message.body)

    async def close(self, caller):
        await caller.send({"request": "call", "service": "msrp.close_session", "args": {"session": self.id}})
        await self.session.close()


class WebUser:
    """A participant of the video room (what room.js is for a browser), chatting through it."""

    def __init__(self, session, handle, joined):
        self.session, self.handle, self.joined = session, handle, joined
        self.id = joined["id"]
        self.member = "%s/%d" % (VIDEOROOM, self.id)
        self.uri = "urn:sylk:%s:%d" % (VIDEOROOM, self.id)
        self.pc = None

    @classmethod
    async def join(cls, url, room, display, publish=False):
        """publish: an aiortc PeerConnection publishes audio and video first, as a browser in
        the room does (room.js), until close()."""
        session = await Session.create(url)
        handle = await session.attach(VIDEOROOM)
        joined, _ = await handle.send({"request": "join", "ptype": "publisher", "room": room, "display": display})
        user = cls(session, handle, joined)
        if publish:
            user.pc, _ = await make_peer(data_channel=False)
            user.pc.addTrack(ToneTrack(440))
            user.pc.addTrack(ColourTrack((200, 40, 40)))
            data, jsep = await handle.send({"request": "publish"}, jsep=await offer(user.pc))
            assert data.get("configured") == "ok", data
            await accept(user.pc, jsep)
            await handle.next_event(timeout=15, predicate=lambda e: e.get("janus") == "webrtcup")
        return user

    async def close(self):
        if self.pc:
            await self.pc.close()
        await self.session.close()

    async def say(self, text):
        return (await self.handle.send({"request": "message", "text": text}))[0]

    async def next_message(self, timeout=5):
        """The next message from someone else (the video room hands a participant's own back)."""
        def others(event):
            message = event.get("plugindata", {}).get("data", {}).get("message")
            return bool(message) and message["from"] != self.id
        event = await self.handle.next_event(timeout=timeout, predicate=others)
        return event["plugindata"]["data"]["message"]

    async def next_composing(self, timeout=5):
        event = await self.handle.next_event(timeout=timeout,
                                             predicate=lambda e: "composing" in e.get("plugindata", {}).get("data", {}))
        return event["plugindata"]["data"]["composing"]


async def caller_for(janus):
    """A hubprobe handle: the caller of the msrp services (the SIP focus's part), and a hub member
    that sees every room event."""
    session = await Session.create(janus.ws_url)
    return session, await session.attach(PROBE)


async def msrp_status(janus):
    session = await Session.create(janus.ws_url)
    try:
        handle = await session.attach(MSRP)
        return (await handle.send({"request": "status"}))[0]["status"]
    finally:
        await session.close()


def session_status(status, session_id):
    for room in status["rooms"]:
        for session in room["sessions"]:
            if session["session"] == session_id:
                return session
    return None


def test_messages_cross_between_msrp_clients_and_a_web_user(janus):
    room = "cross@conference.sylk.test"

    async def body():
        probe_session, caller = await caller_for(janus)
        web = await WebUser.join(janus.ws_url, room, "Webby", publish=True)
        try:
            alice = await ChatClient.join(caller, room, "sip:alice@sylk.test", "Alice")
            bob = await ChatClient.join(caller, room, "sip:bob@sylk.test", "Bob", role="active")
            welcome = await alice.next(notices=True)
            sent = await alice.say("hello from alice")
            at_bob = await bob.next()
            at_web = await web.next_message()
            await web.say("hello from the web")
            web_at_alice = await alice.next()
            web_at_bob = await bob.next()
            await bob.say("hello from bob")
            bob_at_alice = await alice.next()   # alice's own message never came back before it
            bob_at_web = await web.next_message()
            return alice, bob, web, welcome, sent, at_bob, at_web, web_at_alice, web_at_bob, bob_at_alice, bob_at_web
        finally:
            await web.close()
            await probe_session.close()

    (alice, bob, web, welcome, sent, at_bob, at_web, web_at_alice, web_at_bob, bob_at_alice,
     bob_at_web) = run(body())
    assert welcome.text().startswith("Welcome to the conference " + room)
    assert sent.statuses == [200]
    assert alice.member.startswith(MSRP + "/") and alice.answer["local"]["setup"] == "passive"
    assert bob.answer["local"]["setup"] == "active"
    assert alice.answer["local"]["path"][0].startswith("msrp://10.77.0.1:")
    # MSRP -> MSRP: CPIM with the sender, the room as recipient
    assert at_bob.text() == "hello from alice"
    assert at_bob.header("From") == '"Alice" <sip:alice@sylk.test>'
    assert at_bob.header("To") == "<sip:%s>" % room
    assert at_bob.content_type.startswith("text/plain")
    # MSRP -> web
    assert at_web["text"] == "hello from alice" and at_web["display"] == "Alice"
    assert at_web["origin"] == MSRP and at_web["from"] == alice.member and at_web["private"] is False
    # web -> MSRP: the web user's member URI, as conference-info names it
    for message in (web_at_alice, web_at_bob):
        assert message.text() == "hello from the web"
        assert message.header("From") == '"Webby" <%s>' % web.uri
    assert bob_at_alice.text() == "hello from bob"
    assert bob_at_web["text"] == "hello from bob" and bob_at_web["from"] == bob.member


def test_private_messages_reach_only_their_recipient(janus):
    room = "private@conference.sylk.test"

    async def body():
        probe_session, caller = await caller_for(janus)
        web = await WebUser.join(janus.ws_url, room, "Webby")
        try:
            alice = await ChatClient.join(caller, room, "sip:alice@sylk.test", "Alice")
            bob = await ChatClient.join(caller, room, "sip:bob@sylk.test", "Bob")
            carol = await ChatClient.join(caller, room, "sip:carol@sylk.test", "Carol")
            await alice.say("only for bob", to="Bob <sip:bob@sylk.test>")
            await alice.say("only for the web user", to=web.uri)
            await alice.say("for everyone")
            at_bob = await bob.next()
            at_bob_next = await bob.next()
            at_carol = await carol.next()
            at_web = await web.next_message()
            at_web_next = await web.next_message()
            # To a participant who is not there: not posted, the sender is told
            await alice.say("to nobody", to="sip:nobody@sylk.test")
            notice = await alice.next(notices=True)
            while "nobody" not in notice.text():
                notice = await alice.next(notices=True)
            return at_bob, at_bob_next, at_carol, at_web, at_web_next, notice, bob
        finally:
            await web.close()
            await probe_session.close()

    at_bob, at_bob_next, at_carol, at_web, at_web_next, notice, bob = run(body())
    assert at_bob.text() == "only for bob" and at_bob.header("To") == "<sip:bob@sylk.test>"
    assert at_bob_next.text() == "for everyone"   # the web user's private one never reached bob
    assert at_carol.text() == "for everyone"      # nor carol, who got neither private one
    assert at_web["text"] == "only for the web user" and at_web["private"] is True
    assert at_web_next["text"] == "for everyone" and at_web_next["private"] is False
    assert "not delivered" in notice.text()


def test_nicknames_are_unique_in_the_room(janus):
    room = "nicks@conference.sylk.test"

    def nickname_event(event):
        found = event.get("plugindata", {}).get("data", {}).get("room_event")
        return bool(found) and found["kind"] == "nickname"

    async def body():
        probe_session, caller = await caller_for(janus)
        try:
            await caller.send({"request": "join", "room": room, "display": "Probe"})
            alice = await ChatClient.join(caller, room, "sip:alice@sylk.test", "Alice")
            bob = await ChatClient.join(caller, room, "sip:bob@sylk.test", "Bob")
            taken_first = await alice.session.send_nickname("Ali")
            hub_event = await caller.next_event(predicate=nickname_event)
            clash = await bob.session.send_nickname("ALI")
            bad = await bob.session.request("NICKNAME", headers=[("Use-Nickname", "no quotes")])
            other = await bob.session.send_nickname("bobby")
            await alice.say("signed with a nickname")
            at_bob = await bob.next()
            return alice, taken_first, hub_event, clash, bad, other, at_bob
        finally:
            await probe_session.close()

    alice, taken_first, hub_event, clash, bad, other, at_bob = run(body())
    assert taken_first.status == 200
    event = hub_event["plugindata"]["data"]["room_event"]
    assert event["member"] == alice.member and event["data"] == {"nickname": "Ali"} and event["plugin"] == MSRP
    assert clash.status == 425
    assert bad.status == 400
    assert other.status == 200
    assert at_bob.header("From") == '"Ali" <sip:alice@sylk.test>'


def test_is_composing_is_relayed_both_ways(janus):
    room = "typing@conference.sylk.test"

    async def body():
        probe_session, caller = await caller_for(janus)
        web = await WebUser.join(janus.ws_url, room, "Webby")
        try:
            alice = await ChatClient.join(caller, room, "sip:alice@sylk.test", "Alice")
            bob = await ChatClient.join(caller, room, "sip:bob@sylk.test", "Bob")
            await alice.say(is_composing("active", refresh=60).decode(), content_type="application/im-iscomposing+xml")
            at_web = await web.next_composing()
            at_bob = await bob.next()
            await web.handle.send({"request": "composing", "active": False})
            web_at_alice = await alice.next()
            return at_web, at_bob, web_at_alice, web
        finally:
            await web.close()
            await probe_session.close()

    at_web, at_bob, web_at_alice, web = run(body())
    assert at_web["active"] is True and at_web["display"] == "Alice"
    assert at_bob.content_type == "application/im-iscomposing+xml"
    assert parse_is_composing(at_bob.body)["state"] == "active"
    assert at_bob.header("From") == '"Alice" <sip:alice@sylk.test>'
    assert parse_is_composing(web_at_alice.body)["state"] == "idle"
    assert web_at_alice.header("From") == '"Webby" <%s>' % web.uri


def test_history_is_replayed_after_the_welcome(janus):
    room = "history@conference.sylk.test"

    async def body():
        probe_session, caller = await caller_for(janus)
        web = await WebUser.join(janus.ws_url, room, "Webby")
        try:
            alice = await ChatClient.join(caller, room, "sip:alice@sylk.test", "Alice")
            for number in range(HISTORY + 2):
                await web.say("web %d" % number)
            await alice.say("from alice")
            await alice.say("private, never history", to=web.uri)
            await web.next_message()   # wait for alice's public message to have crossed the room
            late = await ChatClient.join(caller, room, "sip:late@sylk.test", "Late")
            first = parse_cpim((await late.session.next_message()).body)
            replayed = [await late.next() for _ in range(HISTORY)]
            await web.say("after the join")
            live = await late.next()
            # a web user joining now gets the same history, the MSRP client's message included
            late_web = await WebUser.join(janus.ws_url, room, "Late web")
            await late_web.session.close()
            return first, replayed, live, late_web.joined["history"]
        finally:
            await web.close()
            await probe_session.close()

    first, replayed, live, web_history = run(body())
    assert first.namespaced(AG_NS, "Message-Type") == "status"
    assert first.text().startswith("Welcome to the conference %s (2 other participants)" % room)
    # the last HISTORY public messages, oldest first; the private one is not among them
    assert [m.text() for m in replayed] == ["web %d" % n for n in range(3, HISTORY + 2)] + ["from alice"]
    assert replayed[-1].header("From") == '"Alice" <sip:alice@sylk.test>'
    assert live.text() == "after the join"
    texts = [m["text"] for m in web_history]
    assert "from alice" in texts and "private, never history" not in texts
    alice_message = web_history[texts.index("from alice")]
    assert alice_message["origin"] == MSRP and alice_message["display"] == "Alice"
    assert texts[-1] == "after the join"


def test_forged_senders_and_other_types_are_refused(janus):
    room = "refused@conference.sylk.test"

    async def body():
        probe_session, caller = await caller_for(janus)
        try:
            alice = await ChatClient.join(caller, room, "sip:alice@sylk.test", "Alice")
            bob = await ChatClient.join(caller, room, "sip:bob@sylk.test", "Bob")
            forged = await alice.say("I am bob", sender="Bob <sip:bob@sylk.test>")
            bare = await alice.session.send_message(b"\x00\x01\x02", content_type="application/octet-stream",
                                                    failure_report="yes")
            report = await alice.session.wait_report(bare.message_id)
            wrapped = await alice.say("\x00binary", content_type="application/octet-stream")
            await alice.say("the real one")
            at_bob = await bob.next()
            status = await msrp_status(janus)
            return forged, bare, report, wrapped, at_bob, session_status(status, alice.id)
        finally:
            await probe_session.close()

    forged, bare, report, wrapped, at_bob, alice_status = run(body())
    assert bare.statuses == [415]
    assert report.status_header[0] == 415
    # bob's first message is the genuine one: the forged and the wrapped octet-stream never reached him
    assert at_bob.text() == "the real one"
    assert alice_status["refused"] == 2 and alice_status["received"] == 1
    # both judged on their one chunk: the sender hears why (RFC 4975 §7.1: 403 a forged CPIM From,
    # 415 a wrapped type the room does not take)
    assert forged.statuses == [403] and wrapped.statuses == [415]


def test_a_client_that_stops_reading_does_not_stall_the_others(janus):
    room = "slow@conference.sylk.test"
    count = 400
    text = "x" * 15000  # near the video room's 16 KiB limit: 6 MB in all, more than TCP buffers hold

    async def body():
        probe_session, caller = await caller_for(janus)
        web = await WebUser.join(janus.ws_url, room, "Webby")
        try:
            fast = await ChatClient.join(caller, room, "sip:fast@sylk.test", "Fast")
            # a small receive buffer, so the paused reader's socket fills at once
            slow = await ChatClient.join(caller, room, "sip:slow@sylk.test", "Slow", rcvbuf=4096)
            slow.session.pause_reading()
            # In step with the reading client (one message in flight to it at a time), so the only
            # session whose queue can fill is the one that stopped reading.
            received = []
            for number in range(count):
                await web.say("%d %s" % (number, text))
                received.append(await fast.next(timeout=10))
            status = await msrp_status(janus)
            # Reading again, it first gets what was queued before the bound, and once its queue has
            # drained it is served again: a message said then reaches it.
            slow.session.resume_reading()

            def after_stall(message):
                return not is_notice(message) and parse_cpim(message.body).text().startswith("after the stall")
            for attempt in range(40):
                await web.say("after the stall %d" % attempt)
                try:
                    await slow.session.wait_message(after_stall, timeout=0.5)
                    break
                except asyncio.TimeoutError:
                    continue
            else:
                raise AssertionError("the client that read again was never served again")
            return received, session_status(status, slow.id), session_status(status, fast.id)
        finally:
            await web.close()
            await probe_session.close()

    received, slow_status, fast_status = run(body(), timeout=120)
    assert [m.text().split(" ")[0] for m in received] == [str(n) for n in range(count)]
    assert fast_status["dropped"] == 0
    assert slow_status["dropped"] > 0, json.dumps([slow_status, fast_status])
    # bounded: the queue takes a message while under the bound, so at most one message over it
    assert slow_status["queued_bytes"] <= SEND_QUEUE + len(text) + 1024, slow_status


# ---------------------------------------------------------------- through SIP (the focus's side)

SCENARIOS = os.path.join(os.path.dirname(__file__), "sip")
FOCUS = "127.0.0.1:5060"


async def sipp_chat_call(trace_dir, room, msrp_port, msrp_session, call_ms, rtp_port=None):
    """sipp INVITEs the room with an m=message (a=setup:active: the phone connects), and with
    audio when rtp_port is given, keeps the call call_ms and hangs up (BYE): the phone's SIP side,
    whose MSRP side is the test's peer."""
    scenario = "audio_chat_call.xml" if rtp_port else "chat_call.xml"
    arguments = ["sipp", FOCUS, "-sf", os.path.join(SCENARIOS, scenario), "-m", "1", "-i", "127.0.0.1",
                 "-p", "0", "-nostdin", "-timeout", "30s", "-d", str(call_ms), "-trace_msg",
                 "-message_file", os.path.join(trace_dir, "messages.log"),
                 "-set", "room", room, "-set", "msrpport", str(msrp_port), "-set", "msrpsession", msrp_session,
                 "-set", "setup", "active"] + (["-set", "rtpport", str(rtp_port)] if rtp_port else [])
    return await spawn(*arguments, cwd=trace_dir, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)


async def answered_path(trace_dir, timeout=15):
    """The a=path of the focus's 200 OK to the INVITE, from sipp's message trace."""
    log = os.path.join(trace_dir, "messages.log")
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        text = open(log, errors="replace").read() if os.path.exists(log) else ""
        answer = re.search(r"SIP/2\.0 200 OK.*?CSeq: 1 INVITE.*?a=path:(\S+)", text, re.S)
        if answer:
            return answer.group(1)
        await asyncio.sleep(0.1)  # polling sipp's trace file, not waiting for an event
    raise AssertionError("no 200 OK with a=path:\n" + (open(log, errors="replace").read()[-3000:] if os.path.exists(log) else ""))


def test_a_phone_chats_in_the_room_through_the_sip_focus(janus):
    """sipp calls the room with chat only; the focus hands the m=message to msrp.open_session and
    answers with the switch's a=path; the phone's MSRP side (the peer) connects to it and chats
    with a web user and with an MSRP client; the BYE closes the session."""
    room = "sipchat"
    trace_dir = tempfile.mkdtemp(prefix="sylk-sipp-")

    async def body():
        probe_session, caller = await caller_for(janus)
        web = await WebUser.join(janus.ws_url, room, "Webby")
        try:
            alice = await ChatClient.join(caller, room, "sip:alice@sylk.test", "Alice")
            phone_msrp = MsrpEndpoint(host="127.0.0.1", advertised_port=2999)
            phone = phone_msrp.session(session_id="sippChat1")
            call = await sipp_chat_call(trace_dir, room, 2999, "sippChat1", call_ms=6000)
            path = await answered_path(trace_dir)
            await phone.connect(remote_path=[path])
            status = await msrp_status(janus)
            entry = next(s for r in status["rooms"] if r["room"] == room for s in r["sessions"]
                         if s["display"] == "Chatter")
            welcome = parse_cpim((await phone.next_message()).body)
            await phone.send_message(cpim("hello from the phone", sender="Chatter <%s>" % entry["uri"],
                                          recipients=["sip:%s@127.0.0.1" % room]), content_type="message/cpim")
            at_web = await web.next_message()
            at_alice = await alice.next()
            await web.say("hello phone")
            at_phone = None
            while at_phone is None or is_notice(at_phone):
                at_phone = await phone.next_message()
            _, errors = await asyncio.wait_for(call.communicate(), 30)
            after = await msrp_status(janus)
            return path, entry, welcome, at_web, at_alice, parse_cpim(at_phone.body), call.returncode, errors, after
        finally:
            await web.close()
            await probe_session.close()

    path, entry, welcome, at_web, at_alice, at_phone, code, errors, after = run(body())
    assert code == 0, errors.decode(errors="replace")
    assert path.startswith("msrp://10.77.0.1:") and path.endswith(";tcp")
    assert entry["uri"].startswith("sip:chatter@127.0.0.1")
    assert welcome.namespaced(AG_NS, "Message-Type") == "status"
    assert at_web["text"] == "hello from the phone" and at_web["display"] == "Chatter" and at_web["origin"] == MSRP
    assert at_alice.text() == "hello from the phone"
    assert at_alice.header("From") == '"Chatter" <%s>' % entry["uri"]
    assert at_phone.text() == "hello phone" and at_phone.header("From").startswith('"Webby" <urn:sylk:')
    # the BYE closed the chat session: only alice is left in the room
    sessions = [s for r in after["rooms"] if r["room"] == room for s in r["sessions"]]
    assert [s["display"] for s in sessions] == ["Alice"]


def test_a_phone_with_audio_chats_as_its_audio_member(janus):
    """A call with audio and chat: the focus gives the call's audio member to msrp.open_session,
    so the phone is one participant of the room (no msrp member of its own) and its chat comes
    from that member."""
    room = "sipaudiochat"
    trace_dir = tempfile.mkdtemp(prefix="sylk-sipp-")

    async def body():
        probe_session, caller = await caller_for(janus)
        web = await WebUser.join(janus.ws_url, room, "Webby")
        rtp = await RtpPeer("pcmu", 600).open()
        try:
            phone_msrp = MsrpEndpoint(host="127.0.0.1", advertised_port=2998)
            phone = phone_msrp.session(session_id="sippChat2")
            call = await sipp_chat_call(trace_dir, room, 2998, "sippChat2", call_ms=5000, rtp_port=rtp.port)
            await phone.connect(remote_path=[await answered_path(trace_dir)])
            status = await msrp_status(janus)
            entry = next(s for r in status["rooms"] if r["room"] == room for s in r["sessions"])
            joined, _ = await caller.send({"request": "join", "room": room, "display": "Probe"})
            await phone.send_message(cpim("hello with audio", sender="<%s>" % entry["uri"]), content_type="message/cpim")
            at_web = await web.next_message()
            _, errors = await asyncio.wait_for(call.communicate(), 30)
            return entry, joined["members"], at_web, call.returncode, errors
        finally:
            rtp.close()
            await web.close()
            await probe_session.close()

    entry, members, at_web, code, errors = run(body())
    assert code == 0, errors.decode(errors="replace")
    assert not entry["member"].startswith(MSRP), entry
    chatter = [m for m in members if m["display"] == "Chatter"]
    assert [m["id"] for m in chatter] == [entry["member"]], members
    assert not any(m["plugin"] == MSRP for m in members)
    assert at_web["text"] == "hello with audio" and at_web["from"] == entry["member"] and at_web["origin"] == MSRP


def test_sessions_are_reported_to_event_handlers_and_handles_described(janus):
    room = "events@conference.sylk.test"

    async def body():
        probe_session, caller = await caller_for(janus)
        admin = await Admin.open(janus.admin_url, janus.admin_secret)
        try:
            alice = await ChatClient.join(caller, room, "sip:alice@sylk.test", "Alice")
            opened = await janus.events.wait(MSRP, lambda e: e.get("event") == "opened" and e.get("session") == alice.id)
            await alice.close(caller)
            closed = await janus.events.wait(MSRP, lambda e: e.get("event") == "closed" and e.get("session") == alice.id)
            again, _ = await caller.send({"request": "call", "service": "msrp.close_session", "args": {"session": alice.id}})
            handle = await probe_session.attach(MSRP)
            info = await handle.info(admin)
            admin_status = await admin.message_plugin(MSRP, {"request": "status"})
            return alice, opened, closed, again, info["info"]["plugin_specific"], admin_status
        finally:
            await admin.close()
            await probe_session.close()

    alice, opened, closed, again, described, admin_status = run(body())
    assert opened["room"] == room and opened["member"] == alice.member
    assert closed["room"] == room
    assert again["error_code"] == 1601 and again["error_name"] == "no_such_session"
    assert described == {"kind": "status client"}
    assert admin_status["status"]["port"] > 0
    assert all(r["room"] != room for r in admin_status["status"]["rooms"])   # closed and pruned



def test_images_cross_byte_identical(janus):
    """image/* is taken (SylkServer's rule): the bytes reach the other MSRP client unchanged, and
    the hub carries them base64 (the web user's message says which encoding)."""
    room = "images@conference.sylk.test"
    image = bytes(range(256)) * 40 + b"\x89PNG\r\n\x1a\n"

    async def body():
        probe_session, caller = await caller_for(janus)
        try:
            await caller.send({"request": "join", "room": room, "display": "Probe"})
            alice = await ChatClient.join(caller, room, "sip:alice@sylk.test", "Alice")
            bob = await ChatClient.join(caller, room, "sip:bob@sylk.test", "Bob")
            sent = await alice.session.send_message(cpim(image, content_type="image/png", sender="<sip:alice@sylk.test>"),
                                                    content_type="message/cpim")
            at_bob = await bob.next()
            hub_chat = await caller.next_event(predicate=lambda e: (e.get("plugindata", {}).get("data", {})
                                                                    .get("room_event", {}).get("kind") == "chat"))
            return sent, at_bob, hub_chat["plugindata"]["data"]["room_event"]["data"]
        finally:
            await probe_session.close()

    sent, at_bob, hub_chat = run(body())
    assert all(status == 200 for status in sent.statuses)   # chunked: over 2048 bytes
    assert at_bob.content_type == "image/png" and at_bob.body == image
    assert hub_chat["content_type"] == "image/png" and hub_chat["encoding"] == "base64"
    assert base64.b64decode(hub_chat["text"]) == image


def test_private_is_composing_crosses_plugins(janus):
    """Typing privately across plugins, relayed through the hub like private messages: a web user
    of the video room typing to an MSRP client (its member id as `to`) reaches that client only,
    as a CPIM is-composing addressed to it; the client's is-composing with the web user as its
    one CPIM recipient reaches that web user only, marked private. The others see the public
    message sent next, not the private typing."""
    room = "private-typing@conference.sylk.test"

    async def body():
        probe_session, caller = await caller_for(janus)
        web = await WebUser.join(janus.ws_url, room, "Webby")
        other_web = await WebUser.join(janus.ws_url, room, "Other")
        try:
            alice = await ChatClient.join(caller, room, "sip:alice@sylk.test", "Alice")
            bob = await ChatClient.join(caller, room, "sip:bob@sylk.test", "Bob")
            reply, _ = await web.handle.send({"request": "composing", "active": True, "to": alice.member})
            assert "error" not in reply, reply
            await web.say("public after the typing")
            at_alice = await alice.next()
            at_bob = await bob.next()   # the public message: bob got no typing before it
            body = is_composing("active", refresh=60).decode()
            await alice.say(body, to=web.uri, content_type="application/im-iscomposing+xml")
            at_web = await web.next_composing()
            await alice.say("public from alice")
            other_saw = []  # what the other web user saw, up to alice's public message
            while not other_saw or (other_saw[-1].get("message") or {}).get("text") != "public from alice":
                event = await other_web.handle.next_event(
                    timeout=5, predicate=lambda e: any(k in e.get("plugindata", {}).get("data", {}) for k in ("composing", "message")))
                other_saw.append(event["plugindata"]["data"])
            unknown, _ = await web.handle.send({"request": "composing", "active": True, "to": "janus.plugin.sylk.msrp/none"})
            return at_alice, at_bob, at_web, other_saw, unknown, alice, web
        finally:
            await web.close()
            await other_web.close()
            await probe_session.close()

    at_alice, at_bob, at_web, other_saw, unknown, alice, web = run(body())
    assert at_alice.content_type == "application/im-iscomposing+xml", at_alice.content_type
    assert parse_is_composing(at_alice.body)["state"] == "active"
    assert at_alice.header("To") == "<sip:alice@sylk.test>", at_alice.header("To")
    assert at_alice.header("From") == '"Webby" <%s>' % web.uri
    assert at_bob.text() == "public after the typing", at_bob.text()
    assert at_web["active"] is True and at_web["display"] == "Alice" and at_web["private"] is True, at_web
    assert at_web["id"] == alice.member and at_web["to"] == web.id, at_web
    assert [seen["message"]["text"] for seen in other_saw] == ["public after the typing", "public from alice"], other_saw
    assert unknown.get("error_code"), unknown
