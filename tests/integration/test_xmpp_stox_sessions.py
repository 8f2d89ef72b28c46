"""SIP chat sessions with XMPP users (issue 12, RFC 7573): a SIP chat client (sipp for the INVITE
with m=message to sip:alice@localhost, the Python MSRP peer for the session) and a slixmpp
XMPP user of a real Prosody. The SIP gateway routes the INVITE to an XMPP user to a handle the
xmpp plugin keeps waiting, which accepts it (the msrp plugin terminates MSRP): the session's
messages and is-composing become chat messages and chat states between the SIP user's JID
(chatter\\40127.0.0.1\\3aPORT@sip.localhost) and alice, both ways; the SIP side's BYE is a
<gone/> to alice, and alice's <gone/> a BYE; an audio call is refused (488). Every assertion is what sipp, the MSRP peer or the
XMPP client received."""
import asyncio
import json
import os
import re
import tempfile

from conftest import run
from harness.janus_api import Admin
from harness.msrp_peer import MsrpEndpoint, cpim, is_composing, parse_cpim, parse_path
from harness.processes import spawn
from harness.xmpp_client import XmppClient
from test_sip_msrp_chat import answered, attribute, finish

XMPP = True
SIP_OPTIONS = {"xmpp_domains": "localhost"}
SCENARIOS = os.path.join(os.path.dirname(__file__), "sip")
CHATSTATES = "http://jabber.org/protocol/chatstates"


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

            # 3. an audio call to an XMPP user is refused (488: SIP-to-Jingle calls are not done)
            call = await sipp("xmpp_audio_refused.xml", trace_dir, ("user", "alice"), ("domain", "localhost"))
            await finish(call, trace_dir)
            await sip_status(admin, lambda s: not s["chat_sessions"] and s.get("chat_session_ready"))
        finally:
            await alice.disconnect()
            await peer.close()
            await admin.close()

    run(body(), timeout=90)
    assert janus.alive()
