"""A SIP chat client in a room (issue 11), end to end: sipp INVITEs the room with an m=message
stream, the focus hands it to the msrp plugin (msrp.open_session) and answers with the a=path
the plugin gave; the MSRP test peer (tests/integration/harness/msrp_peer.py, an RFC 4975
endpoint) connects to that path and chats with a web user of the room's video room, both ways.
The a=path, a=setup and port of the SDP answer are checked against the msrp plugin's own view
of the session (its admin status); the call's end closes the session (msrp.close_session)."""
import asyncio
import os
import re
import socket
import subprocess
import tempfile
import uuid

from conftest import run
from harness.janus_api import Admin, Session
from harness.msrp_peer import MsrpEndpoint, MsrpError, cpim, parse_cpim, parse_path
from harness.processes import spawn

SCENARIOS = os.path.join(os.path.dirname(__file__), "sip")
FOCUS = "127.0.0.1:5060"
EVENT_COLLECTOR = True  # the focus's joined/left events to Janus's event handlers (conftest.py)


def having(**fields):
    return lambda event: all(event.get(key) == value for key, value in fields.items())


async def sipp(scenario, trace_dir, *sets, call_ms=1000):
    """One sipp call to the focus; call_ms is how long an answered call lasts (sipp's -d)."""
    arguments = ["sipp", FOCUS, "-sf", os.path.join(SCENARIOS, scenario), "-m", "1", "-i", "127.0.0.1", "-p", "0",
                 "-nostdin", "-timeout", "60s", "-d", str(call_ms), "-trace_msg",
                 "-message_file", os.path.join(trace_dir, "messages.log")]
    for name, value in sets:
        arguments += ["-set", name, str(value)]
    return await spawn(*arguments, cwd=trace_dir, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)


def trace(trace_dir):
    path = os.path.join(trace_dir, "messages.log")
    return open(path, errors="replace").read() if os.path.exists(path) else ""


def messages(text):
    """sipp's -trace_msg file as (head, body) pairs, one per SIP message."""
    found = []
    for block in re.split(r"^-{20,}.*$", text, flags=re.M):
        start = re.search(r"^\s*((?:[A-Z]+ \S+ SIP/2\.0|SIP/2\.0 \d{3}).*)", block, re.M | re.S)
        if start:
            lines = [line.strip() for line in start.group(1).splitlines()]
            blank = lines.index("") if "" in lines else len(lines)
            found.append(("\n".join(lines[:blank]), "\n".join(line for line in lines[blank:] if line)))
    return found


async def answered(trace_dir, timeout=15, cseq=1):
    """(the INVITE's From URI, the SDP of the 200 to the INVITE with that CSeq) from sipp's
    trace, once the 200 is there."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        parsed = messages(trace(trace_dir))
        sender = [re.search(r"^From: \"Chatter\" <([^>]+)>", head, re.M) for head, _ in parsed if head.startswith("INVITE ")]
        answers = [body for head, body in parsed
                   if head.startswith("SIP/2.0 200") and re.search(r"^CSeq: %d INVITE$" % cseq, head, re.M)]
        if answers and sender and sender[0]:
            return sender[0].group(1), answers[0]
        await asyncio.sleep(0.1)
    raise AssertionError("no 200 with SDP to INVITE %d:\n%s" % (cseq, trace(trace_dir)[-4000:]))


class ConferenceWatcher:
    """A raw UDP SIP subscriber to a room's conference state (RFC 4575): SUBSCRIBE, then every
    NOTIFY is answered 200 and its body kept."""

    def __init__(self, room):
        self.room = room
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.socket.bind(("127.0.0.1", 0))
        self.socket.setblocking(False)
        self.port = self.socket.getsockname()[1]
        self.call_id = uuid.uuid4().hex
        self.bodies = []
        self.to_tag = None

    def _subscribe(self, cseq, expires):
        to = "<sip:%s@%s>" % (self.room, FOCUS) + (";tag=" + self.to_tag if self.to_tag else "")
        request = ("SUBSCRIBE sip:%s@%s SIP/2.0\r\n"
                   "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK%s;rport\r\n"
                   "From: <sip:watcher@127.0.0.1:%d>;tag=w1\r\nTo: %s\r\nCall-ID: %s\r\nCSeq: %d SUBSCRIBE\r\n"
                   "Contact: <sip:watcher@127.0.0.1:%d>\r\nEvent: conference\r\nExpires: %d\r\n"
                   "Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
                   % (self.room, FOCUS, self.port, uuid.uuid4().hex, self.port, to, self.call_id, cseq, self.port,
                      expires))
        self.socket.sendto(request.encode(), ("127.0.0.1", 5060))

    async def _receive(self):
        loop = asyncio.get_running_loop()
        data = (await loop.sock_recvfrom(self.socket, 65536))[0].decode(errors="replace")
        head, _, body = data.partition("\r\n\r\n")
        if head.startswith("SIP/2.0 2"):
            tag = re.search(r"^To:.*;tag=([^;\s]+)", head, re.M | re.I)
            self.to_tag = self.to_tag or (tag.group(1) if tag else None)
        elif head.startswith("NOTIFY "):
            # 200 OK: the request's Via, From, To, Call-ID and CSeq back.
            keep = [line for line in head.split("\r\n")[1:]
                    if re.match(r"(Via|v|From|f|To|t|Call-ID|i|CSeq):", line, re.I)]
            self.socket.sendto(("SIP/2.0 200 OK\r\n" + "\r\n".join(keep) + "\r\nContent-Length: 0\r\n\r\n").encode(),
                               ("127.0.0.1", 5060))
            self.bodies.append(body)

    async def start(self):
        self._subscribe(1, 120)

    async def wait(self, predicate, timeout=10):
        """The first NOTIFY body (new or kept) for which predicate holds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            for body in self.bodies:
                if predicate(body):
                    return body
            if loop.time() > deadline:
                raise AssertionError("no such NOTIFY; the last:\n" + (self.bodies[-1] if self.bodies else "(none)"))
            try:
                await asyncio.wait_for(self._receive(), max(0.05, deadline - loop.time()))
            except asyncio.TimeoutError:
                pass

    async def stop(self):
        if self.to_tag:
            self._subscribe(2, 0)
            try:
                await self.wait(lambda body: False, timeout=1)  # answers the final NOTIFY
            except AssertionError:
                pass
        self.socket.close()


def user_of(xml, entity):
    found = re.search(r'<user entity="%s".*?</user>' % re.escape(entity), xml, re.S)
    return found.group(0) if found else ""


def attribute(sdp, name):
    found = re.search(r"^a=%s:(.*?)\r?$" % name, sdp, re.M)
    return found.group(1) if found else None


async def msrp_sessions(admin, room):
    status = (await admin.message_plugin("janus.plugin.sylk.msrp", {"request": "status"}))["status"]
    for entry in status["rooms"]:
        if entry["room"] == room:
            return status, entry["sessions"]
    return status, []


async def finish(call, trace_dir):
    try:
        _, errors = await asyncio.wait_for(call.communicate(), 60)
    except asyncio.TimeoutError:
        call.kill()
        raise AssertionError("sipp stuck:\n" + trace(trace_dir)[-4000:])
    assert call.returncode == 0, "sipp failed (%s): %s\n%s" % (call.returncode, errors.decode(errors="replace"),
                                                                trace(trace_dir)[-4000:])


def test_sip_chat_client_talks_with_a_web_user(janus):
    trace_dir = tempfile.mkdtemp(prefix="sylk-sipp-")
    room = "msrp-room"

    async def body():
        peer = MsrpEndpoint("127.0.0.1")  # it connects (a=setup:active); its own URI only names it
        chat = peer.session()
        session = await Session.create(janus.ws_url)
        admin = await Admin.open(janus.admin_url, janus.admin_secret)
        try:
            web = await session.attach("janus.plugin.sylk.videoroom")
            await web.send({"request": "join", "ptype": "publisher", "room": room, "display": "Web"})
            call = await sipp("chat_call.xml", trace_dir, ("room", room), ("msrpport", chat.uri.port),
                              ("msrpsession", chat.session_id), ("setup", "active"), call_ms=10000)
            caller, sdp = await answered(trace_dir)

            # The answer: our m=message with what msrp.open_session returned for this call.
            lines = [line.strip() for line in sdp.splitlines() if line.startswith("m=")]
            assert len(lines) == 1 and re.match(r"m=message \d+ TCP/MSRP \*$", lines[0]), sdp
            assert attribute(sdp, "setup") == "passive", sdp  # the phone said active
            path = parse_path(attribute(sdp, "path"))
            assert len(path) == 1 and path[0].scheme == "msrp", sdp
            assert "message/cpim" in attribute(sdp, "accept-types").split(), sdp
            status, sessions = await msrp_sessions(admin, room)
            ours = [entry for entry in sessions if entry["session"] == path[0].session_id]
            assert ours and ours[0]["uri"] == caller and ours[0]["display"] == "Chatter", (sessions, sdp)
            assert path[0].port == status["port"] == int(re.match(r"m=message (\d+)", lines[0]).group(1))
            assert path[0].host == "127.0.0.1"
            joined = await janus.events.wait("janus.plugin.sylk.sip", having(event="joined", room=room))
            assert joined["chat"] is True and joined["codec"] == "" and joined["uri"] == caller, joined

            # The peer connects to that path; its CPIM reaches the web user, and back.
            await chat.connect(remote_path=path)
            sent = await chat.send_message(cpim("hello from MSRP", sender="Chatter <%s>" % caller,
                                                recipients=["sip:%s@127.0.0.1" % room]), "message/cpim")
            assert sent.statuses == [200], sent.statuses
            event = await web.next_event(predicate=lambda e: e.get("plugindata", {}).get("data", {}).get("message"))
            message = event["plugindata"]["data"]["message"]
            assert message["text"] == "hello from MSRP" and message["display"] == "Chatter", message
            await web.send({"request": "message", "text": "hello SIP chat"})
            received = await chat.wait_message(
                lambda m: (m.content_type or "").startswith("message/cpim") and parse_cpim(m.body).text() == "hello SIP chat",
                timeout=10)
            inner = parse_cpim(received.body)
            assert "Web" in inner.header("From"), inner.headers
            assert any(entry["bound"] for entry in (await msrp_sessions(admin, room))[1])

            # Conference state (RFC 4575): the chat-only caller with message media, and the
            # nickname it takes (RFC 7701 NICKNAME) as its display text.
            watcher = ConferenceWatcher(room)
            try:
                await watcher.start()
                xml = await watcher.wait(lambda body: "<type>message</type>" in user_of(body, caller))
                user = user_of(xml, caller)
                assert "<type>audio</type>" not in user and "<display-text>Chatter</display-text>" in user, xml
                assert '<entry label="message"><type>message</type>' in xml
                answer = await chat.send_nickname("Chatty")
                assert answer.status == 200, answer
                xml = await watcher.wait(lambda body: "<display-text>Chatty</display-text>" in user_of(body, caller))
                path_xml = os.path.join(trace_dir, "conference.xml")
                with open(path_xml, "w") as out:
                    out.write(xml)
                check = subprocess.run(["xmllint", "--noout", "--schema", os.path.join(SCENARIOS, "conference-info.xsd"),
                                        path_xml], capture_output=True, text=True)
                assert check.returncode == 0, check.stderr + xml
            finally:
                await watcher.stop()

            # The call ends (sipp's BYE): the focus closes the MSRP session.
            await finish(call, trace_dir)
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 5
            while loop.time() < deadline and (await msrp_sessions(admin, room))[1]:
                await asyncio.sleep(0.1)
            assert not (await msrp_sessions(admin, room))[1]
            left = await janus.events.wait("janus.plugin.sylk.sip", having(event="left", room=room))
            assert left["chat"] is True and left["call-id"] == joined["call-id"], left
        finally:
            await peer.close()
            await admin.close()
            await session.close()
    run(body(), timeout=90)


def test_msrps_chat_the_plugin_cannot_take_is_refused(janus):
    """The msrp plugin present but refusing (msrps asked for, no certificate configured for it in
    the tests): a chat-only call gets 488 with the plugin's reason."""
    trace_dir = tempfile.mkdtemp(prefix="sylk-sipp-")

    async def body():
        call = await sipp("chat_only_refused.xml", trace_dir, ("room", "msrps-room"), ("msrpport", 2855),
                          ("msrpsession", "tlsChat1"), ("setup", "active"), ("proto", "TCP/TLS/MSRP"),
                          ("scheme", "msrps"))
        await finish(call, trace_dir)
        warning = re.search(r"Warning: 399 sylk \"chat: ([^\"\r\n]*)\"", trace(trace_dir))
        assert warning and "msrps" in warning.group(1), trace(trace_dir)[-3000:]
    run(body())


def test_audio_and_chat_call_is_one_participant(janus):
    """Audio and chat in one INVITE: both answered; the chat is posted as the call's audio member
    (msrp.open_session's "member"), so the room sees one participant with audio and message."""
    trace_dir = tempfile.mkdtemp(prefix="sylk-sipp-")
    room = "msrp-audio-room"

    async def body():
        from harness.rtp_peer import RtpPeer
        phone = await RtpPeer("pcmu", 600).open()
        peer = MsrpEndpoint("127.0.0.1")
        await peer.listen()  # it offers actpass: we take the active role and connect to it
        chat = peer.session()
        session = await Session.create(janus.ws_url)
        admin = await Admin.open(janus.admin_url, janus.admin_secret)
        try:
            web = await session.attach("janus.plugin.sylk.videoroom")
            await web.send({"request": "join", "ptype": "publisher", "room": room, "display": "Web"})
            call = await sipp("audio_chat_call.xml", trace_dir, ("room", room), ("rtpport", phone.port),
                              ("msrpport", chat.uri.port), ("msrpsession", chat.session_id), ("setup", "actpass"),
                              call_ms=4000)
            caller, sdp = await answered(trace_dir)
            lines = [line.strip() for line in sdp.splitlines() if line.startswith("m=")]
            assert len(lines) == 2 and lines[0].startswith("m=audio ") and lines[1].startswith("m=message "), sdp
            port = int(lines[1].split()[1])
            assert port != 0 and attribute(sdp, "setup") == "active", sdp  # actpass offered: we connect
            path = parse_path(attribute(sdp, "path"))
            _, sessions = await msrp_sessions(admin, room)
            ours = [entry for entry in sessions if entry["session"] == path[0].session_id]
            assert ours and ours[0]["member"].startswith("janus.plugin.sylk.audiomixer/"), sessions
            # We are active: the msrp plugin connects to the peer's path and binds the session.
            chat.remote_path = path
            await phone.stream(("127.0.0.1", int(lines[0].split()[1])), 0.5)
            await chat.wait_bound(timeout=10)
            sent = await chat.send_message(cpim("audio and chat", sender="Chatter <%s>" % caller), "message/cpim")
            assert sent.statuses == [200], sent.statuses
            event = await web.next_event(predicate=lambda e: e.get("plugindata", {}).get("data", {}).get("message"))
            message = event["plugindata"]["data"]["message"]
            assert message["text"] == "audio and chat" and message["display"] == "Chatter", message
            rooms = await admin.message_plugin("janus.plugin.sylk.audiomixer", {"request": "list"})
            mixed = [entry for entry in rooms["list"] if entry["room"] == room]
            assert mixed and [p["display"] for p in mixed[0]["participants"]] == ["Chatter"]
            await finish(call, trace_dir)
        finally:
            phone.close()
            await peer.close()
            await admin.close()
            await session.close()
    run(body(), timeout=60)


def refer_bye(room, target):
    """REFER sip:room with Refer-To <target;method=BYE> (RFC 4579) from a raw UDP socket on
    loopback (a trusted peer); answers the NOTIFYs. Returns the REFER's final status and the
    sipfrags, up to the one that ends the implicit subscription."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        s.settimeout(10)
        port = s.getsockname()[1]
        s.sendto(("REFER sip:%s@%s SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK%s;rport\r\n"
                  "From: <sip:moderator@127.0.0.1:%d>;tag=m1\r\nTo: <sip:%s@%s>\r\nCall-ID: %s\r\nCSeq: 1 REFER\r\n"
                  "Contact: <sip:moderator@127.0.0.1:%d>\r\nRefer-To: <%s;method=BYE>\r\nMax-Forwards: 70\r\n"
                  "Content-Length: 0\r\n\r\n" % (room, FOCUS, port, uuid.uuid4().hex, port, room, FOCUS,
                                                 uuid.uuid4().hex, port, target)).encode(), ("127.0.0.1", 5060))
        status, fragments = None, []
        while True:
            data, address = s.recvfrom(65535)
            head, _, body = data.decode(errors="replace").partition("\r\n\r\n")
            if head.startswith("SIP/2.0"):
                status = int(head.split()[1])
                if status >= 300:
                    return status, fragments
            elif head.startswith("NOTIFY"):
                echoed = [line for line in head.split("\r\n")[1:]
                          if line.split(":")[0].lower() in ("via", "from", "to", "call-id", "cseq")]
                s.sendto(("SIP/2.0 200 OK\r\n" + "\r\n".join(echoed) + "\r\nContent-Length: 0\r\n\r\n").encode(), address)
                fragments.append(body.split("\r\n")[0])
                if "terminated" in head:
                    return status, fragments


def test_refer_bye_removal_closes_the_chat(janus):
    """A chat-only participant removed by REFER method=BYE: the focus's BYE ends the call, and
    with it the MSRP session (msrp.close_session): the msrp plugin lists none, and the peer's
    further messages are no longer taken."""
    trace_dir = tempfile.mkdtemp(prefix="sylk-sipp-")
    room = "msrp-refer-room"

    async def body():
        peer = MsrpEndpoint("127.0.0.1")
        chat = peer.session()
        admin = await Admin.open(janus.admin_url, janus.admin_secret)
        try:
            call = await sipp("chat_call_removed.xml", trace_dir, ("room", room), ("msrpport", chat.uri.port),
                              ("msrpsession", chat.session_id), ("setup", "active"))
            caller, sdp = await answered(trace_dir)
            await chat.connect(remote_path=parse_path(attribute(sdp, "path")))
            sent = await chat.send_message(cpim("before", sender="Chatter <%s>" % caller), "message/cpim")
            assert sent.statuses == [200]
            assert len((await msrp_sessions(admin, room))[1]) == 1
            loop = asyncio.get_running_loop()
            status, fragments = await loop.run_in_executor(None, refer_bye, room, caller)
            assert status == 202 and fragments[-1] == "SIP/2.0 200 OK", (status, fragments)
            await finish(call, trace_dir)  # sipp got the focus's BYE and answered it
            deadline = loop.time() + 5
            while loop.time() < deadline and (await msrp_sessions(admin, room))[1]:
                await asyncio.sleep(0.1)
            assert not (await msrp_sessions(admin, room))[1]
            try:
                after = await chat.send_message(cpim("after", sender="Chatter <%s>" % caller), "message/cpim")
                assert after.statuses != [200], after.statuses  # 481: no such session any more
            except (OSError, asyncio.TimeoutError, MsrpError):
                pass  # or the connection went with the session
        finally:
            await peer.close()
            await admin.close()
    run(body(), timeout=60)


def test_reinvite_keeps_the_chat_and_removing_it_closes_it(janus):
    """A re-INVITE with the same streams keeps the MSRP session (the same a=path; the peer goes on
    chatting on its connection); one whose m=message has port 0 closes it, the audio staying."""
    trace_dir = tempfile.mkdtemp(prefix="sylk-sipp-")
    room = "msrp-reinvite-room"

    async def body():
        from harness.rtp_peer import RtpPeer
        phone = await RtpPeer("pcmu", 600).open()
        peer = MsrpEndpoint("127.0.0.1")
        chat = peer.session()
        admin = await Admin.open(janus.admin_url, janus.admin_secret)
        media = None
        try:
            call = await sipp("audio_chat_reinvite.xml", trace_dir, ("room", room), ("rtpport", phone.port),
                              ("msrpport", chat.uri.port), ("msrpsession", chat.session_id), call_ms=2500)
            caller, first = await answered(trace_dir)
            rtp_port = int(re.search(r"m=audio (\d+)", first).group(1))
            media = asyncio.ensure_future(phone.stream(("127.0.0.1", rtp_port), 12))  # no RTP timeout meanwhile
            path = parse_path(attribute(first, "path"))
            await chat.connect(remote_path=path)
            assert (await chat.send_message(cpim("one", sender=caller), "message/cpim")).statuses == [200]

            _, second = await answered(trace_dir, cseq=2)
            assert attribute(second, "path") == attribute(first, "path"), (first, second)
            assert re.search(r"^m=audio %d RTP/AVP 0" % rtp_port, second, re.M), second
            _, sessions = await msrp_sessions(admin, room)
            assert [entry["session"] for entry in sessions] == [path[0].session_id], sessions
            assert (await chat.send_message(cpim("two", sender=caller), "message/cpim")).statuses == [200]

            _, third = await answered(trace_dir, cseq=3)
            assert re.search(r"^m=message 0 TCP/MSRP \*", third, re.M) and "a=path" not in third, third
            assert re.search(r"^m=audio %d RTP/AVP 0" % rtp_port, third, re.M), third
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 5
            while loop.time() < deadline and (await msrp_sessions(admin, room))[1]:
                await asyncio.sleep(0.1)
            assert not (await msrp_sessions(admin, room))[1]
            rooms = await admin.message_plugin("janus.plugin.sylk.audiomixer", {"request": "list"})
            mixed = [entry for entry in rooms["list"] if entry["room"] == room]
            assert mixed and [p["display"] for p in mixed[0]["participants"]] == ["Chatter"], rooms
            await finish(call, trace_dir)
        finally:
            if media:
                media.cancel()
            phone.close()
            await peer.close()
            await admin.close()
    run(body(), timeout=60)
