"""Jingle audio calls to SIP users (issue 12): a real Jingle caller (StanzaJS with libwebrtc for
node, tests/jingle/jingle_peer.js over Prosody's WebSocket) calls a SIP user's JID in the SIP
users' domain, bob\\40127.0.0.1\\3aPORT@sip.localhost. The XMPP plugin attaches to the SIP
gateway through the in-process Janus API as a guest account sip:alice@localhost (RFC 7247) and
calls sip:bob@127.0.0.1:PORT with the caller's offer; janus core terminates the caller's ICE and
DTLS-SRTP, the gateway transcodes Opus to the phone's PCMU. The phone is sipp for signalling
with a Python RTP peer for its media. Each side sends its own tone and must hear the other's;
ringing, the answer and hangups either way cross over, and nothing stays behind (no Janus
session, no gateway call, no Jingle call). Bad Jingle requests to SIP users get stanza errors."""
import asyncio
import os
import shutil
import tempfile

from conftest import run
from harness.janus_api import Admin
from harness.rtp_peer import RtpPeer
from harness.xmpp_client import XmppClient
from test_audiomixer import tone_db
from test_sip_focus import wait_for
from test_sip_gateway import sipp_uas
from test_xmpp_jingle import NS_JINGLE_ERRORS, JinglePeer, initiate

XMPP = True
PLUGIN = "janus.plugin.sylk.xmpp"
SIP = "janus.plugin.sylk.sip"
PHONE_TONE, CALLER_TONE = 600, 1000


def sip_user_jid(prosody, port, user="bob"):
    return "%s\\40127.0.0.1\\3a%d@sip.%s" % (user, port, prosody.domain)


async def jingle_status(admin):
    reply = await admin.message_plugin(PLUGIN, {"request": "status"})
    return reply.get("status", reply)["sip"]["jingle"]


async def gateway_calls(admin):
    reply = await admin.message_plugin(SIP, {"request": "status"})
    return reply["gateway"]["active_calls"]


async def session_count(admin):
    return len((await admin.call("list_sessions"))["sessions"])


async def settle(admin, sessions_before, timeout=10):
    """What is left once the call is over: jingle calls, gateway calls, janus sessions."""
    for _ in range(timeout * 10):
        state = ((await jingle_status(admin))["calls"], await gateway_calls(admin), await session_count(admin))
        if not state[0] and state[1] == 0 and state[2] <= sessions_before:
            break
        await asyncio.sleep(0.1)
    return state


def test_jingle_caller_talks_with_a_sip_phone_and_hangs_up(janus, prosody):
    port = 5110
    trace_dir = tempfile.mkdtemp(prefix="sylk-jingle-sip-")

    async def body():
        admin = await Admin.open(janus.admin_url, janus.admin_secret)
        phone = await RtpPeer("pcmu", PHONE_TONE).open()
        callee = await sipp_uas("jingle_callee.xml", port, trace_dir, "callee", ("rtpport", phone.port))
        caller = JinglePeer()
        try:
            sessions_before = await session_count(admin)
            await asyncio.sleep(0.5)
            await caller.start(prosody, "alice", sip_user_jid(prosody, port), CALLER_TONE, 12)
            invite = await wait_for(os.path.join(trace_dir, "callee.log"),
                                    r"INVITE sip:bob@127\.0\.0\.1:%d.*?\r?\nFrom: ([^\r\n]*).*?m=audio (\d+) RTP/AVP" % port)
            await caller.wait_event("ringing")
            await caller.wait_event("accepted")
            await caller.wait_event("track")
            await phone.stream(("127.0.0.1", int(invite.group(2))), 5)
            # read after the media flowed: janus reports webrtcup on its own time (later under ASan)
            in_call = await jingle_status(admin)
            calls_in_call = await gateway_calls(admin)
            phone_heard = phone.heard(2.0)
            heard_by_caller = await caller.finish()  # it hangs up after 12 s
            _, callee_errors = await asyncio.wait_for(callee.communicate(), 20)
            left = await settle(admin, sessions_before)
            return (invite.group(1), in_call, calls_in_call, phone_heard, heard_by_caller, caller.events,
                    callee.returncode, callee_errors, left, sessions_before)
        finally:
            caller.kill()
            phone.close()
            await admin.close()

    try:
        (from_header, in_call, calls_in_call, phone_heard, heard_by_caller, events, callee_status, callee_errors, left,
         sessions_before) = run(body(), timeout=120)
    finally:
        shutil.rmtree(trace_dir, ignore_errors=True)
    # the INVITE comes from the caller's SIP address (RFC 7247: alice@localhost is sip:alice@localhost)
    assert "<sip:alice@localhost>" in from_header, from_header
    [call] = in_call["calls"]
    assert call["uri"] == "sip:bob@127.0.0.1:%d" % port and call["from"] == "sip:alice@localhost", call
    assert call["accepted"] is True and call["media_up"] is True and call["ringing"] is True, call
    assert calls_in_call == 1
    # the phone hears the caller's tone (through DTLS-SRTP, Opus -> PCMU)
    samples, rate = phone_heard
    assert tone_db(samples, rate, CALLER_TONE) - tone_db(samples, rate, PHONE_TONE) >= 20, "the phone does not hear the caller"
    # the caller hears the phone's tone
    done = [e for e in events if e["event"] == "done"][0]
    rate = done["sample_rate"]
    assert done["received_frames"] > 200, done
    heard = heard_by_caller[-8 * rate:]
    assert tone_db(heard, rate, PHONE_TONE) - tone_db(heard, rate, CALLER_TONE) >= 20, "the caller does not hear the phone"
    # the caller's session-terminate became a BYE (sipp got it and answered), and nothing is left
    assert callee_status == 0, callee_errors.decode(errors="replace")[-1000:]
    assert left[0] == [] and left[1] == 0 and left[2] <= sessions_before, left
    assert janus.alive()


def test_the_sip_phone_hangs_up_or_is_busy(janus, prosody):
    bye_port, busy_port = 5112, 5114
    trace_dir = tempfile.mkdtemp(prefix="sylk-jingle-sip-")

    async def body():
        admin = await Admin.open(janus.admin_url, janus.admin_secret)
        phone = await RtpPeer("pcmu", PHONE_TONE).open()
        bye = await sipp_uas("jingle_callee_hangs_up.xml", bye_port, trace_dir, "bye", ("rtpport", phone.port))
        busy = await sipp_uas("jingle_callee_busy.xml", busy_port, trace_dir, "busy")
        hung_up, declined = JinglePeer(), JinglePeer()
        try:
            sessions_before = await session_count(admin)
            await asyncio.sleep(0.5)
            # the phone answers, then sends BYE after 6 s: the caller gets session-terminate
            await hung_up.start(prosody, "alice", sip_user_jid(prosody, bye_port), CALLER_TONE, 30)
            await hung_up.wait_event("accepted")
            terminated_by_bye = await hung_up.wait_event("terminated", timeout=20)
            await hung_up.finish()
            _, bye_errors = await asyncio.wait_for(bye.communicate(), 20)
            after_bye = await settle(admin, sessions_before)
            # 486 Busy Here: session-terminate with <busy/>
            await declined.start(prosody, "bob", sip_user_jid(prosody, busy_port, "carol"), CALLER_TONE, 30)
            terminated_busy = await declined.wait_event("terminated", timeout=20)
            await declined.finish()
            _, busy_errors = await asyncio.wait_for(busy.communicate(), 20)
            after_busy = await settle(admin, sessions_before)
            return (terminated_by_bye, bye.returncode, bye_errors, after_bye, terminated_busy, busy.returncode,
                    busy_errors, after_busy, sessions_before, hung_up.events, declined.events)
        finally:
            hung_up.kill()
            declined.kill()
            phone.close()
            await admin.close()

    try:
        (terminated_by_bye, bye_status, bye_errors, after_bye, terminated_busy, busy_status, busy_errors, after_busy,
         sessions_before, bye_events, busy_events) = run(body(), timeout=150)
    finally:
        shutil.rmtree(trace_dir, ignore_errors=True)
    assert terminated_by_bye["reason"] == "success", bye_events
    assert not [e for e in bye_events if e["event"] == "hangup"], bye_events  # the phone ended it, not the caller
    assert bye_status == 0, bye_errors.decode(errors="replace")[-1000:]  # its BYE got 200
    assert after_bye[0] == [] and after_bye[1] == 0 and after_bye[2] <= sessions_before, after_bye
    assert terminated_busy["reason"] == "busy", busy_events
    assert "486" in (terminated_busy.get("text") or ""), busy_events
    assert not [e for e in busy_events if e["event"] == "accepted"], busy_events
    assert busy_status == 0, busy_errors.decode(errors="replace")[-1000:]
    assert after_busy[0] == [] and after_busy[1] == 0 and after_busy[2] <= sessions_before, after_busy
    assert janus.alive()


def test_bad_jingle_requests_to_sip_users_get_errors_and_leave_nothing(janus, prosody):
    async def body():
        admin = await Admin.open(janus.admin_url, janus.admin_secret)
        alice = await XmppClient.connect(prosody, "alice")
        try:
            sessions_before = await session_count(admin)
            before = await jingle_status(admin)
            bob = sip_user_jid(prosody, 5116)
            answers = {
                "not a SIP user": await alice.iq("nobody@sip." + prosody.domain, initiate("s1"), "set"),
                "the domain": await alice.iq("sip." + prosody.domain, initiate("s2"), "set"),
                "video": await alice.iq(bob, initiate("s3", media="video"), "set"),
                "no dtls": await alice.iq(bob, initiate("s4", fingerprint=False), "set"),
                "unknown session": await alice.iq(bob, "<jingle xmlns='urn:xmpp:jingle:1' action='transport-info' "
                                                       "sid='never'><content creator='initiator' name='0'/></jingle>",
                                                  "set"),
            }
            status = await jingle_status(admin)
            # a good first step is acknowledged; the caller's session-terminate ends it before any answer
            good = await alice.iq(bob, initiate("good"), "set")
            await asyncio.sleep(0.5)
            terminate = await alice.iq(bob, "<jingle xmlns='urn:xmpp:jingle:1' action='session-terminate' sid='good'>"
                                            "<reason><success/></reason></jingle>", "set")
            left = await settle(admin, sessions_before)
            status_after = await jingle_status(admin)
            return answers, before, status, good, terminate, left, status_after, sessions_before
        finally:
            await alice.disconnect()
            await admin.close()

    answers, before, status, good, terminate, left, status_after, sessions_before = run(body(), timeout=90)
    expected = {"not a SIP user": "jid-malformed", "the domain": "jid-malformed", "video": "feature-not-implemented",
                "no dtls": "bad-request", "unknown session": "item-not-found"}
    for case, condition in expected.items():
        assert answers[case].type == "error" and answers[case].error_condition == condition, (case, answers[case])
    unknown = answers["unknown session"].xml.find("{jabber:client}error")
    assert unknown.find("{%s}unknown-session" % NS_JINGLE_ERRORS) is not None
    assert status["calls"] == [] and status["refused"] - before["refused"] == len(expected), (before, status)
    assert good.type == "result" and terminate.type == "result", (good, terminate)
    assert status_after["started"] - before["started"] == 1, (before, status_after)
    assert left[0] == [] and left[1] == 0 and left[2] <= sessions_before, left
    assert janus.alive()
