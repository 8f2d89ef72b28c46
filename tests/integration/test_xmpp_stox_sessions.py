"""SIP chat sessions with XMPP users (issue 12, RFC 7573): a SIP chat client (sipp for the INVITE
with m=message to sip:alice@localhost, the Python MSRP peer for the session) and a slixmpp
XMPP user of a real Prosody. The SIP gateway routes the INVITE to an XMPP user to a handle the
xmpp plugin keeps waiting, which accepts it (the msrp plugin terminates MSRP): the session's
messages and is-composing become chat messages and chat states between the SIP user's JID
(chatter\\40127.0.0.1\\3aPORT@sip.localhost) and alice, both ways; the SIP side's BYE is a
<gone/> to alice, and alice's <gone/> a BYE; IMDN in the session is receipts and markers both
ways; a second session of the same SIP user replaces the first (BYE). An audio call to alice is a Jingle call to her
(StanzaJS + @roamhq/wrtc, tests/jingle/jingle_peer.js in its answering mode: XEP-0353, then
session-initiate from the SIP user's JID): each side hears the other's tone (FFT), and either
side's hangup ends the other's; an unanswered call rings (180) only once her device sends
XEP-0353 <ringing/>, and ends with 480 and a <retract/> after stox_ring_timeout_ms. Every assertion is what sipp, the MSRP peer or the
XMPP client received."""
import asyncio
import json
import os
import re
import tempfile
import time

from conftest import run
from harness.janus_api import Admin
from harness.msrp_peer import MsrpEndpoint, cpim, is_composing, parse_cpim, parse_path
from harness.processes import spawn
from harness.rtp_peer import RtpPeer
from harness.xmpp_client import XmppClient
from test_audiomixer import tone_db
from test_sip_msrp_chat import answered, attribute, finish, messages, trace
from test_xmpp_jingle import JinglePeer
from test_xmpp_jingle_sip import session_count

XMPP = {"stox_ring_timeout_ms": 3000}  # XEP-0353: how long a SIP call waits for a proceed
RING_TIMEOUT = 3.0
SIP_OPTIONS = {"xmpp_domains": "localhost"}
SCENARIOS = os.path.join(os.path.dirname(__file__), "sip")
CHATSTATES = "http://jabber.org/protocol/chatstates"
RECEIPTS, MARKERS = "urn:xmpp:receipts", "urn:xmpp:chat-markers:0"
IMDN_NS = "urn:ietf:params:imdn"
JMI = "urn:xmpp:jingle-message:0"


async def sipp(scenario, trace_dir, *sets, call_ms=None):
    arguments = ["sipp", "127.0.0.1:5060", "-sf", os.path.join(SCENARIOS, scenario), "-m", "1", "-i", "127.0.0.1",
                 "-p", "0", "-nostdin", "-timeout", "40s", "-trace_msg",
                 "-message_file", os.path.join(trace_dir, "messages.log")]
    if call_ms is not None:
        arguments += ["-d", str(call_ms)]
    for name, value in sets:
        arguments += ["-set", name, str(value)]
    return await spawn(*arguments, cwd=trace_dir, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)


async def sip_status(admin, probe, timeout=15):
    """The xmpp plugin's status of its SIP users' domain, once probe(it) is true."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        status = (await admin.message_plugin("janus.plugin.sylk.xmpp", {"request": "status"}))["status"]["sip"]
        if probe(status):
            return status
        if loop.time() > deadline:
            raise AssertionError("xmpp plugin status: %s" % json.dumps(status))
        await asyncio.sleep(0.1)


def jid_of(caller):
    """RFC 7247 with XEP-0106: sip:chatter@127.0.0.1:PORT is chatter\\40127.0.0.1\\3aPORT@sip.localhost."""
    user, host = re.match(r"sip:([^@]+)@(.+)$", caller).groups()
    return "%s\\40%s@sip.localhost" % (user, host.replace(":", "\\3a"))


def cpim_text(message):
    """(content type, text) inside a message/cpim MSRP message."""
    inner = parse_cpim(message.body)
    return (inner.content_type or "").split(";")[0], inner.body.decode()


def imdn_body(message_id, status):
    """An IMDN document (RFC 5438) for message_id: delivered or displayed."""
    kind = "delivery" if status == "delivered" else "display"
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<imdn xmlns="urn:ietf:params:xml:ns:imdn">\n'
            "<message-id>%s</message-id>\n<datetime>2026-12-05T06:00:00Z</datetime>\n"
            "<%s-notification><status><%s/></status></%s-notification>\n</imdn>\n"
            % (message_id, kind, status, kind))


def child_id(stanza, namespace, name):
    element = stanza.child(namespace, name)
    return None if element is None else element.get("id")


def imdn_of(message_id, status):
    """A predicate: an MSRP message that is the IMDN `status` for message_id."""
    def match(message):
        if cpim_text(message)[0] != "message/imdn+xml":
            return False
        document = cpim_text(message)[1]
        return "<message-id>%s</message-id>" % message_id in document and "<%s/>" % status in document
    return match


def test_sip_chat_sessions_with_an_xmpp_user(janus, prosody):
    trace_dir = tempfile.mkdtemp(prefix="sylk-stox-session-")

    async def body():
        peer = MsrpEndpoint("127.0.0.1")
        admin = await Admin.open(janus.admin_url, janus.admin_secret)
        alice = await XmppClient.connect(prosody, "alice")
        try:
            await sip_status(admin, lambda s: s.get("chat_session_ready"))

            # 1. alice ends it: her <gone/> is our BYE
            chat = peer.session()
            call = await sipp("xmpp_chat_call_bye.xml", trace_dir, ("user", "alice"), ("domain", "localhost"),
                              ("msrpport", chat.uri.port), ("msrpsession", chat.session_id))
            caller, sdp = await answered(trace_dir, timeout=20)
            jid = jid_of(caller)
            opened = await alice.wait_message(lambda m: m.sender == jid and m.chat_state == "active", 15)
            assert opened.body is None and opened.type == "chat", opened
            await chat.connect(remote_path=parse_path(attribute(sdp, "path")))

            sent = await chat.send_message(cpim("hello alice", sender="Chatter <%s>" % caller,
                                                recipients=["sip:alice@localhost"]), "message/cpim")
            assert sent.statuses == [200], sent.statuses
            got = await alice.wait_message(lambda m: m.body == "hello alice", 15)
            assert got.sender == jid and got.type == "chat", got
            await chat.send_message(cpim(is_composing("active"), content_type="application/im-iscomposing+xml",
                                         sender="Chatter <%s>" % caller), "message/cpim")
            await alice.wait_message(lambda m: m.sender == jid and m.chat_state == "composing", 15)

            alice.send_raw("<message type='chat' to='%s'><composing xmlns='%s'/></message>" % (jid, CHATSTATES))
            typing = await chat.wait_message(lambda m: cpim_text(m)[0] == "application/im-iscomposing+xml", 15)
            assert "<state>active</state>" in cpim_text(typing)[1], typing
            alice.send_raw("<message type='chat' to='%s' id='a1'><body>hello chatter</body></message>" % jid)
            reply = await chat.wait_message(lambda m: cpim_text(m) == ("text/plain", "hello chatter"), 15)
            assert "sip:alice@localhost" in parse_cpim(reply.body).header("From"), parse_cpim(reply.body).headers
            status = await sip_status(admin, lambda s: s["chat_sessions"])
            assert [(c["xmpp_user"], c["jid"], c["to_xmpp"], c["to_sip"]) for c in status["chat_sessions"]] == \
                [("alice@localhost", jid, 1, 1)], status
            assert status["to_sip"] == 0  # nothing went out as MESSAGE

            # IMDN in the session <-> XEP-0184 receipts and XEP-0333 markers, both ways
            await chat.send_message(cpim("read me", sender="Chatter <%s>" % caller, namespaces={"imdn": IMDN_NS},
                                         headers=[("imdn.Message-ID", "sip-msg-1"),
                                                  ("imdn.Disposition-Notification", "positive-delivery, display")]),
                                    "message/cpim")
            asking = await alice.wait_message(lambda m: m.body == "read me", 15)
            assert asking.id == "sip-msg-1" and asking.child(RECEIPTS, "request") is not None \
                and asking.child(MARKERS, "markable") is not None, asking
            # delivered is alice's client's to say: her receipt, not the gateway's hand-over. Her
            # client acknowledges only the second message; the MSRP session is ordered, so when
            # the second's delivered IMDN arrives, the first's would have come before it.
            await chat.send_message(cpim("and me", sender="Chatter <%s>" % caller, namespaces={"imdn": IMDN_NS},
                                         headers=[("imdn.Message-ID", "sip-msg-2"),
                                                  ("imdn.Disposition-Notification", "positive-delivery, display")]),
                                    "message/cpim")
            await alice.wait_message(lambda m: m.body == "and me", 15)
            alice.send_raw("<message type='chat' to='%s'><received xmlns='%s' id='sip-msg-2'/></message>"
                           % (jid, RECEIPTS))
            await chat.wait_message(imdn_of("sip-msg-2", "delivered"), 15)
            assert not [m for m in chat.complete_messages() if imdn_of("sip-msg-1", "delivered")(m)], \
                "a delivered IMDN without alice's receipt"
            # A displayed marker without a receipt: displayed implies delivered, both go.
            alice.send_raw("<message type='chat' to='%s'><displayed xmlns='%s' id='sip-msg-1'/></message>"
                           % (jid, MARKERS))
            await chat.wait_message(imdn_of("sip-msg-1", "delivered"), 15)
            await chat.wait_message(imdn_of("sip-msg-1", "displayed"), 15)

            alice.send_raw("<message type='chat' to='%s' id='a2'><body>seen it?</body><request xmlns='%s'/>"
                           "<markable xmlns='%s'/></message>" % (jid, RECEIPTS, MARKERS))
            outgoing = parse_cpim((await chat.wait_message(lambda m: cpim_text(m) == ("text/plain", "seen it?"),
                                                           15)).body)
            message_id = outgoing.namespaced(IMDN_NS, "Message-ID")
            assert message_id and "display" in outgoing.namespaced(IMDN_NS, "Disposition-Notification"), \
                outgoing.headers
            mark = alice.mark()
            for status in ("delivered", "displayed"):
                await chat.send_message(cpim(imdn_body(message_id, status), content_type="message/imdn+xml",
                                             sender="Chatter <%s>" % caller, namespaces={"imdn": IMDN_NS},
                                             headers=[("imdn.Message-ID", "sip-imdn-" + status)]), "message/cpim")
            await alice.wait_message(lambda m: child_id(m, RECEIPTS, "received") == "a2", 15, mark)
            await alice.wait_message(lambda m: child_id(m, MARKERS, "displayed") == "a2", 15, mark)

            alice.send_raw("<message type='chat' to='%s'><gone xmlns='%s'/></message>" % (jid, CHATSTATES))
            await finish(call, trace_dir)  # sipp got our BYE and answered it
            await sip_status(admin, lambda s: not s["chat_sessions"] and s.get("chat_session_ready"))

            # 2. the SIP side ends it: its BYE is a <gone/> to alice
            os.remove(os.path.join(trace_dir, "messages.log"))
            second = peer.session()
            mark = alice.mark()
            call = await sipp("xmpp_chat_call.xml", trace_dir, ("user", "alice"), ("domain", "localhost"),
                              ("msrpport", second.uri.port), ("msrpsession", second.session_id), call_ms=300)
            caller, sdp = await answered(trace_dir, timeout=20)
            await second.connect(remote_path=parse_path(attribute(sdp, "path")))
            await finish(call, trace_dir)
            gone = await alice.wait_message(lambda m: m.sender == jid_of(caller) and m.chat_state == "gone", 15, mark)
            assert gone.body is None, gone
            await sip_status(admin, lambda s: not s["chat_sessions"] and s.get("chat_session_ready"))

        finally:
            await alice.disconnect()
            await peer.close()
            await admin.close()

    run(body(), timeout=90)
    assert janus.alive()


def test_a_second_session_between_the_same_users_replaces_the_first(janus, prosody):
    """RFC 7573, one session per pair: the same SIP user (two sipps, one From) opens a second
    session with alice while the first lasts; the first gets our BYE, alice no <gone/>, and her
    next message goes into the second only."""
    first_dir, second_dir = tempfile.mkdtemp(prefix="sylk-stox-first-"), tempfile.mkdtemp(prefix="sylk-stox-second-")

    async def body():
        peer = MsrpEndpoint("127.0.0.1")
        admin = await Admin.open(janus.admin_url, janus.admin_secret)
        alice = await XmppClient.connect(prosody, "alice")
        try:
            sessions = []
            for trace_dir in (first_dir, second_dir):
                await sip_status(admin, lambda s: s.get("chat_session_ready"))
                chat = peer.session()
                call = await sipp("xmpp_chat_call_same_user.xml", trace_dir, ("user", "alice"),
                                  ("domain", "localhost"), ("msrpport", chat.uri.port), ("msrpsession", chat.session_id))
                caller, sdp = await answered(trace_dir, timeout=20)
                await chat.connect(remote_path=parse_path(attribute(sdp, "path")))
                sessions.append((call, chat, caller))
            (first_call, first, caller), (second_call, second, second_caller) = sessions
            assert caller == second_caller, (caller, second_caller)
            jid = jid_of(caller)
            await finish(first_call, first_dir)  # the older session got our BYE and answered it

            alice.send_raw("<message type='chat' to='%s' id='r1'><body>to the live one</body></message>" % jid)
            await second.wait_message(lambda m: cpim_text(m) == ("text/plain", "to the live one"), 15)
            status = await sip_status(admin, lambda s: len(s["chat_sessions"]) == 1)
            assert status["chat_sessions"][0]["jid"] == jid, status
            assert not [m for m in first.complete_messages() if cpim_text(m)[1] == "to the live one"]
            assert not [m for m in alice.received if m.kind == "message" and m.chat_state == "gone"], alice.received

            alice.send_raw("<message type='chat' to='%s'><gone xmlns='%s'/></message>" % (jid, CHATSTATES))
            await finish(second_call, second_dir)
            await sip_status(admin, lambda s: not s["chat_sessions"] and s.get("chat_session_ready"))
        finally:
            await alice.disconnect()
            await peer.close()
            await admin.close()

    run(body(), timeout=60)
    assert janus.alive()


PHONE_TONE, ALICE_TONE = 600, 1000


async def answer_port(trace_dir, timeout=5):
    """janus's RTP port: the m=audio of the 200 to the INVITE in sipp's trace. sipp writes its
    trace after it handled the 200, so the trace may not have it yet when alice's media is up."""
    deadline = time.monotonic() + timeout
    while True:
        text = open(os.path.join(trace_dir, "messages.log"), errors="replace").read()
        found = re.search(r"SIP/2\.0 200 OK.*?CSeq: 1 INVITE.*?m=audio (\d+) RTP/AVP", text, re.S)
        if found or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.05)
    assert found, text[-3000:]
    return int(found.group(1))


def test_a_sip_call_to_an_xmpp_user_is_a_jingle_call(janus, prosody):
    """The phone calls sip:alice@localhost; alice (answering) hears its tone and it hers; she
    hangs up (a BYE to the phone). Then the phone calls again and hangs up (session-terminate)."""
    trace_dir = tempfile.mkdtemp(prefix="sylk-sip-jingle-")

    async def body():
        admin = await Admin.open(janus.admin_url, janus.admin_secret)
        phone = await RtpPeer("pcmu", PHONE_TONE).open()
        alice = JinglePeer()
        try:
            await sip_status(admin, lambda s: s.get("chat_session_ready"))
            sessions_before = await session_count(admin)
            await alice.start(prosody, "alice", "answer", ALICE_TONE, 6)
            await alice.wait_event("connected")
            await asyncio.sleep(0.3)  # her initial presence reaches the server (it routes the propose by it)
            call = await sipp("xmpp_audio_call_bye.xml", trace_dir, ("user", "alice"), ("domain", "localhost"),
                              ("rtpport", phone.port))
            proposed = await alice.wait_event("proposed")
            incoming = await alice.wait_event("incoming")
            await alice.wait_event("track")
            await phone.stream(("127.0.0.1", await answer_port(trace_dir)), 3)
            phone_heard = phone.heard(2.0)
            heard_by_alice = await alice.finish()  # she hangs up after 6 s: our BYE to the phone
            await finish(call, trace_dir)
            first = (proposed, incoming, phone_heard, heard_by_alice, alice.events)

            os.remove(os.path.join(trace_dir, "messages.log"))
            await sip_status(admin, lambda s: s.get("chat_session_ready") and not s["chat_sessions"])
            alice = JinglePeer()
            await alice.start(prosody, "alice", "answer", ALICE_TONE, 30)
            await alice.wait_event("connected")
            await asyncio.sleep(0.3)
            call = await sipp("xmpp_audio_call.xml", trace_dir, ("user", "alice"), ("domain", "localhost"),
                              ("rtpport", phone.port), call_ms=1500)
            await alice.wait_event("accepted")
            await finish(call, trace_dir)  # the phone's BYE
            terminated = await alice.wait_event("terminated", 15)
            await alice.finish()
            left = None
            for _ in range(100):
                left = await session_count(admin)
                if left <= sessions_before:
                    break
                await asyncio.sleep(0.1)
            return first, terminated, left, sessions_before
        finally:
            alice.kill()
            phone.close()
            await admin.close()

    (proposed, incoming, phone_heard, heard_by_alice, events), terminated, left, before = run(body(), timeout=90)
    assert proposed["from"] == incoming["from"] and incoming["from"].endswith("@sip.localhost"), (proposed, incoming)
    samples, rate = phone_heard
    assert tone_db(samples, rate, ALICE_TONE) - tone_db(samples, rate, PHONE_TONE) >= 20, "the phone does not hear alice"
    done = [e for e in events if e["event"] == "done"][0]
    rate = done["sample_rate"]
    assert done["received_frames"] > 200, done
    heard = heard_by_alice[-3 * rate:]
    assert tone_db(heard, rate, PHONE_TONE) - tone_db(heard, rate, ALICE_TONE) >= 20, "alice does not hear the phone"
    assert terminated["reason"] == "success", terminated
    assert left <= before, (left, before)
    assert janus.alive()


async def sipp_got(trace_dir, status, timeout=15):
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while "SIP/2.0 %d " % status not in trace(trace_dir):
        if loop.time() > deadline:
            raise AssertionError("no %d in sipp's trace:\n%s" % (status, trace(trace_dir)[-3000:]))
        await asyncio.sleep(0.05)


def test_an_unanswered_call_rings_when_her_device_rings_then_ends(janus, prosody):
    """XEP-0353 ringing: the phone hears 180 only once alice's device sends <ringing/> for the
    propose, and when nobody proceeds within stox_ring_timeout_ms the call ends (480) and alice
    gets a <retract/>."""
    trace_dir = tempfile.mkdtemp(prefix="sylk-stox-ring-")

    async def body():
        admin = await Admin.open(janus.admin_url, janus.admin_secret)
        alice = await XmppClient.connect(prosody, "alice")
        try:
            await alice.iq("localhost", "<ping xmlns='urn:xmpp:ping'/>")  # her presence is in: she gets the propose
            await sip_status(admin, lambda s: s.get("chat_session_ready"))
            call = await sipp("xmpp_audio_call_unanswered.xml", trace_dir, ("user", "alice"), ("domain", "localhost"),
                              ("rtpport", 4000))
            propose = await alice.wait_message(lambda m: m.child(JMI, "propose") is not None, 15)
            sid = propose.child(JMI, "propose").get("id")
            assert sid and propose.sender.endswith("@sip.localhost"), propose
            assert "SIP/2.0 180 " not in trace(trace_dir), "180 before any device rang"
            alice.send_raw("<message to='%s'><ringing xmlns='%s' id='%s'/></message>" % (propose.sender, JMI, sid))
            await sipp_got(trace_dir, 180)
            retract = await alice.wait_message(lambda m: child_id(m, JMI, "retract") == sid, RING_TIMEOUT + 10)
            await finish(call, trace_dir)  # sipp had its 480 and ACKed it
            rang_for = retract.received_at - propose.received_at
            assert RING_TIMEOUT - 0.5 <= rang_for <= RING_TIMEOUT + 5, rang_for
            await sip_status(admin, lambda s: not s["chat_sessions"] and s.get("chat_session_ready"))
        finally:
            await alice.disconnect()
            await admin.close()

    run(body(), timeout=60)
    assert janus.alive()


def answers_by_caller(trace_dir):
    """{From user: (From URI, the SDP of the 200 to its INVITE)} of every answered call in sipp's
    trace (several calls at once: matched by Call-ID)."""
    parsed = messages(trace(trace_dir))
    callers, answers = {}, {}
    for head, body in parsed:
        call_id = re.search(r"^Call-ID: (\S+)", head, re.M | re.I)
        if not call_id:
            continue
        if head.startswith("INVITE "):
            sender = re.search(r"^From: \"Chatter\" <(sip:([^@]+)@[^>]+)>", head, re.M)
            if sender:
                callers[call_id.group(1)] = (sender.group(2), sender.group(1))
        elif head.startswith("SIP/2.0 200") and re.search(r"^CSeq: 1 INVITE$", head, re.M):
            answers[call_id.group(1)] = body
    return {callers[c][0]: (callers[c][1], sdp) for c, sdp in answers.items() if c in callers}


def test_sessions_invited_within_a_millisecond_each_get_a_handle(janus, prosody):
    """Three INVITEs from one sipp 1 ms apart (two SIP users to alice, one to bob), while the xmpp
    plugin keeps one handle waiting: the gateway holds those that find none until the xmpp plugin's
    next handle registers, so each is answered (no 480) and each session carries its own chat,
    both ways, to the right XMPP user; each XMPP user's <gone/> ends her session only."""
    trace_dir = tempfile.mkdtemp(prefix="sylk-stox-parallel-")
    plan = [("alice", "chatter1"), ("alice", "chatter2"), ("bob", "chatter3")]

    async def body():
        peer = MsrpEndpoint("127.0.0.1")
        admin = await Admin.open(janus.admin_url, janus.admin_secret)
        users = {"alice": await XmppClient.connect(prosody, "alice"), "bob": await XmppClient.connect(prosody, "bob")}
        call = None
        try:
            await sip_status(admin, lambda s: s.get("chat_session_ready") and not s["chat_sessions"])
            chats = {sip_user: peer.session() for _, sip_user in plan}
            calls_file = os.path.join(trace_dir, "calls.csv")
            with open(calls_file, "w") as out:
                out.write("SEQUENTIAL\n")
                for xmpp_user, sip_user in plan:
                    out.write("%s;%s;%d;%s;\n" % (xmpp_user, sip_user, chats[sip_user].uri.port,
                                                  chats[sip_user].session_id))
            call = await spawn("sipp", "127.0.0.1:5060", "-sf", os.path.join(SCENARIOS, "xmpp_chat_calls_parallel.xml"),
                               "-inf", calls_file, "-set", "domain", "localhost", "-m", str(len(plan)), "-r", "1000",
                               "-i", "127.0.0.1", "-p", "0", "-nostdin", "-timeout", "40s", "-trace_msg",
                               "-message_file", os.path.join(trace_dir, "messages.log"),
                               cwd=trace_dir, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 20
            while len(answers_by_caller(trace_dir)) < len(plan):
                refused = re.findall(r"^SIP/2\.0 [3-6]\d\d .*$", trace(trace_dir), re.M)
                assert not refused and loop.time() < deadline, (refused, trace(trace_dir)[-3000:])
                await asyncio.sleep(0.05)
            answered_calls = answers_by_caller(trace_dir)
            jids = {}
            for xmpp_user, sip_user in plan:
                caller, sdp = answered_calls[sip_user]
                jids[sip_user] = jid_of(caller)
                await chats[sip_user].connect(remote_path=parse_path(attribute(sdp, "path")))
                sent = await chats[sip_user].send_message(cpim("from " + sip_user, sender="Chatter <%s>" % caller,
                                                               recipients=["sip:%s@localhost" % xmpp_user]),
                                                          "message/cpim")
                assert sent.statuses == [200], sent.statuses
            for xmpp_user, sip_user in plan:
                got = await users[xmpp_user].wait_message(lambda m: m.body == "from " + sip_user, 15)
                assert got.sender == jids[sip_user], (got, jids)
                users[xmpp_user].send_raw("<message type='chat' to='%s'><body>to %s</body></message>"
                                          % (jids[sip_user], sip_user))
            for xmpp_user, sip_user in plan:
                await chats[sip_user].wait_message(lambda m: cpim_text(m) == ("text/plain", "to " + sip_user), 15)
            for _, sip_user in plan:  # each session carried its own chat only
                texts = [cpim_text(m)[1] for m in chats[sip_user].complete_messages() if cpim_text(m)[0] == "text/plain"]
                assert texts == ["to " + sip_user], (sip_user, texts)
            status = await sip_status(admin, lambda s: len(s["chat_sessions"]) == len(plan))
            assert sorted((c["xmpp_user"], c["jid"]) for c in status["chat_sessions"]) == \
                sorted(("%s@localhost" % x, jids[s]) for x, s in plan), status

            for xmpp_user, sip_user in plan:
                users[xmpp_user].send_raw("<message type='chat' to='%s'><gone xmlns='%s'/></message>"
                                          % (jids[sip_user], CHATSTATES))
            await finish(call, trace_dir)  # every call got our BYE and answered it
            await sip_status(admin, lambda s: not s["chat_sessions"] and s.get("chat_session_ready"))
        finally:
            if call and call.returncode is None:
                call.kill()
                await call.wait()
            for client in users.values():
                await client.disconnect()
            await peer.close()
            await admin.close()

    run(body(), timeout=60)
    assert janus.alive()
