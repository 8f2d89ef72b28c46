"""Calls with chat to a web user of the SIP gateway beyond the chat-only call (issue 11): audio
and chat in one INVITE (the page answers the audio with its microphone and gets the chat view
in the same call), and re-INVITEs of calls with chat: a refresh or a hold of the audio keeps the
MSRP session (messages still cross after it), what cannot change is refused with 488 and the
call goes on. Real peers: sipp for the INVITEs, the Python MSRP peer, phone.html in headless
Chromium (tests/browser/phone_chat_test.mjs)."""
import asyncio
import json
import os
import re
import tempfile

from conftest import run
from harness.janus_api import Admin
from harness.msrp_peer import MsrpEndpoint, cpim, is_composing, parse_cpim, parse_path
from harness.processes import script_result, spawn
from test_gateway_msrp_chat import IMDN_NS, direct_sessions, imdn_xml, json_line
from test_sip_msrp_chat import answered, attribute, finish, messages, sipp, trace

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def cpim_of(message, inner):
    if not (message.content_type or "").startswith("message/cpim"):
        return False
    return (parse_cpim(message.body).content_type or "").startswith(inner)


def notification(status, message_id):
    def found(message):
        if not cpim_of(message, "message/imdn+xml"):
            return False
        body = parse_cpim(message.body).body
        return b"<%s/>" % status.encode() in body and b"<message-id>%s</message-id>" % message_id.encode() in body
    return found


def final_of(trace_dir, cseq):
    """The final response status and head to the INVITE with this CSeq in sipp's trace."""
    for head, body in messages(trace(trace_dir)):
        found = re.match(r"SIP/2\.0 (\d{3})", head)
        if found and int(found.group(1)) >= 200 and re.search(r"^CSeq: %d INVITE$" % cseq, head, re.M):
            return int(found.group(1)), head, body
    return None, "", ""


def run_scenario(janus, scenario, expect_audio):
    trace_dir = tempfile.mkdtemp(prefix="sylk-gwcalls-")
    # Message ids of this call's own: the journal takes a message id it has seen for the account
    # (the page's, in this module's other test) as a copy, answered but not shown again.
    ids = "calls-%s-" % scenario.split(".")[0]

    async def body():
        from harness.rtp_peer import RtpPeer
        phone = await RtpPeer("pcmu", 600).open()   # the client's audio: the RTP timeout must not end the call
        streaming = None
        peer = MsrpEndpoint("127.0.0.1")
        chat = peer.session()
        admin = await Admin.open(janus.admin_url, janus.admin_secret)
        browser = await spawn("node", os.path.join(TOP, "tests", "browser", "phone_chat_test.mjs"),
                              janus.http_url + "phone.html", "hello web", "hello SIP",
                              stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        try:
            contact_user = (await json_line(browser.stdout))["contact_user"]
            sets = [("room", contact_user), ("msrpport", chat.uri.port), ("msrpsession", chat.session_id)]
            if expect_audio:
                sets.append(("rtpport", phone.port))
            call = await sipp(scenario, trace_dir, *sets, call_ms=20000)
            caller, sdp = await answered(trace_dir, timeout=40)   # the page accepts
            lines = [line.strip() for line in sdp.splitlines() if line.startswith("m=")]
            if expect_audio:
                assert len(lines) == 2 and lines[0].startswith("m=audio ") and not lines[0].startswith("m=audio 0 "), sdp
                assert re.match(r"m=message \d+ TCP/MSRP \*$", lines[1]) and not lines[1].startswith("m=message 0 "), sdp
            else:
                assert len(lines) == 1 and re.match(r"m=message \d+ TCP/MSRP \*$", lines[0]), sdp
            if expect_audio:
                streaming = asyncio.ensure_future(phone.stream(("127.0.0.1", int(lines[0].split()[1])), 60))
            path = parse_path(attribute(sdp, "path"))
            sessions = await direct_sessions(admin)
            assert [entry for entry in sessions if entry["session"] == path[0].session_id], (sessions, sdp)

            await chat.connect(remote_path=path)
            sent = await chat.send_message(
                cpim("hello web", sender="Chatter <%s>" % caller, recipients=["sip:%s@127.0.0.1" % contact_user],
                     namespaces={"imdn": IMDN_NS},
                     headers=[("imdn.Message-ID", ids + "msg-1"),
                              ("imdn.Disposition-Notification", "positive-delivery, display")]),
                "message/cpim")
            assert sent.statuses == [200], sent.statuses
            await chat.wait_message(notification("delivered", ids + "msg-1"), timeout=20)
            await chat.wait_message(lambda m: cpim_of(m, "application/im-iscomposing+xml"), timeout=30)
            await chat.send_message(cpim(is_composing("active"), content_type="application/im-iscomposing+xml",
                                         sender="Chatter <%s>" % caller), "message/cpim")
            answer = parse_cpim((await chat.wait_message(
                lambda m: cpim_of(m, "text/plain") and parse_cpim(m.body).body == b"hello SIP", timeout=30)).body)
            message_id = answer.namespaced(IMDN_NS, "Message-ID")
            await chat.send_message(cpim(imdn_xml(message_id, "displayed"), content_type="message/imdn+xml",
                                         sender="Chatter <%s>" % caller, namespaces={"imdn": IMDN_NS},
                                         headers=[("imdn.Message-ID", ids + "imdn-1")]), "message/cpim")

            # sipp's -d ends: the CSeq 2 re-INVITE (hold or refresh) is answered 200 with the
            # same m=message, and the MSRP session still carries messages after it.
            _, refreshed = await answered(trace_dir, timeout=40, cseq=2)
            assert attribute(refreshed, "path") == attribute(sdp, "path"), (sdp, refreshed)
            if expect_audio:
                assert re.search(r"^a=(recvonly|inactive)\r?$", refreshed, re.M), refreshed   # the hold answered
            sent = await chat.send_message(
                cpim("after the re-INVITE", sender="Chatter <%s>" % caller, namespaces={"imdn": IMDN_NS},
                     headers=[("imdn.Message-ID", ids + "msg-2"), ("imdn.Disposition-Notification", "positive-delivery")]),
                "message/cpim")
            assert sent.statuses == [200], sent.statuses
            await chat.wait_message(notification("delivered", ids + "msg-2"), timeout=20)

            await finish(call, trace_dir)   # CSeq 3 got 488 (sipp checks), then the BYE's 200
            status, head, _ = final_of(trace_dir, 3)
            dropped = final_of(trace_dir, 4) if expect_audio else None
            output, errors = await asyncio.wait_for(browser.communicate(), 60)
            printed = script_result(output, errors)
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 5
            while loop.time() < deadline and await direct_sessions(admin):
                await asyncio.sleep(0.1)
            return printed, status, head, dropped, await direct_sessions(admin)
        except (AssertionError, asyncio.TimeoutError) as failure:
            if browser.returncode is None:
                browser.terminate()
            output = await asyncio.wait_for(browser.stdout.read(), 20)
            raise AssertionError("%s\nbrowser: %s\nsipp: %s" % (failure, output.decode(errors="replace")[-3000:],
                                                               trace(trace_dir)[-3000:])) from failure
        finally:
            if streaming:
                streaming.cancel()
            phone.close()
            if browser.returncode is None:
                browser.kill()
            await peer.close()
            await admin.close()

    result, status, head, dropped, left = run(body(), timeout=180)
    assert "error" not in result, json.dumps(result, indent=1)
    assert result["chatVisible"], result
    assert result["received"]["text"] == "hello web", result
    assert result["composingShown"], result
    assert result["events"][:3] == ["registered", "incomingcall", "accepted"], result
    # the call's own events end with the hang-up; the call history's "call" record may follow it
    assert [event for event in result["events"] if event != "call"][-1] == "hangup", result
    assert status == 488 and "Warning: 399 sylk" in head, head
    assert left == [], left
    assert janus.alive()
    return result, head, dropped


def test_audio_and_chat_in_one_call_and_its_re_invites(janus):
    """Audio (PCMU) and chat in one INVITE: the page answers the audio (its JSEP) and shows the
    chat; the peer's hold re-INVITE (same m=message) is answered 200 (audio recvonly, the chat
    goes on: a message crosses after it, the page saw remote_hold); one moving the chat to
    another a=path gets 488 and the call goes on; one dropping the chat (port 0) gets 200 with the
    audio kept, and the page gets chatclosed."""
    result, head, dropped = run_scenario(janus, "gateway_audio_chat.xml", expect_audio=True)
    assert "is calling with chat" in result["incoming"], result
    assert "remote_hold" in result["events"], result
    assert "a=path" in head, head
    # CSeq 4 dropped the chat (m=message port 0): 200 with both lines, the chat's refused, the
    # audio kept; the page got chatclosed before the BYE's hangup.
    code, _, sdp = dropped
    lines = [line.strip() for line in sdp.splitlines() if line.startswith("m=")]
    assert code == 200 and len(lines) == 2 and lines[1].startswith("m=message 0 ") and not lines[0].startswith("m=audio 0 "), sdp
    assert "chatclosed" in result["events"], result


def test_chat_call_refresh_re_invite(janus):
    """A chat-only call: the session refresh re-INVITE (same m=message) is answered 200 and the
    chat goes on; a re-INVITE removing the m=message (the call's only stream) gets 488."""
    result, head, _ = run_scenario(janus, "gateway_chat_refresh.xml", expect_audio=False)
    assert "wants to chat" in result["incoming"], result
    assert "cannot be removed" in head, head
