"""1:1 MSRP chat with a web user of the SIP gateway (issue 11): html/phone.html in headless
Chromium registers an account on janus.plugin.sylk.sip; a SIP chat client (sipp for the INVITE
with m=message, the Python MSRP peer for the session) calls it. The gateway hands the stream to
the msrp plugin in its direct mode (msrp.open_session "mode": "direct", a private hub room) when
the web user accepts; our SDP answer carries the path the msrp plugin gave. Messages cross both
ways (CPIM, checked on both sides), is-composing both ways (RFC 3994), IMDN both ways (RFC
5438: the gateway's "delivered" and, once the page shows it, "displayed" to the client that
asked; the client's "displayed" shown on the page), and the caller's BYE closes the MSRP session."""
import asyncio
import json
import os
import re
import tempfile

from conftest import run
from harness.janus_api import Admin
from harness.msrp_peer import MsrpEndpoint, cpim, is_composing, parse_cpim, parse_path
from harness.processes import script_result, spawn
from test_sip_focus import wait_for
from test_sip_msrp_chat import SCENARIOS, answered, attribute, finish, sipp

IMDN_NS = "urn:ietf:params:imdn"


async def direct_sessions(admin):
    status = (await admin.message_plugin("janus.plugin.sylk.msrp", {"request": "status"}))["status"]
    return status.get("direct", [])


async def json_line(stream, timeout=60):
    while True:
        line = await asyncio.wait_for(stream.readline(), timeout)
        if not line:
            raise AssertionError("the browser script ended early")
        if line.startswith(b"{"):
            return json.loads(line)


def imdn_xml(message_id, status):
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<imdn xmlns="urn:ietf:params:xml:ns:imdn">\n'
            "<message-id>%s</message-id>\n<datetime>2026-12-04T19:00:00Z</datetime>\n"
            "<display-notification><status><%s/></status></display-notification>\n</imdn>\n"
            % (message_id, status))


def test_a_sip_chat_client_chats_with_a_web_phone_user(janus):
    trace_dir = tempfile.mkdtemp(prefix="sylk-gwchat-")
    top = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

    async def body():
        peer = MsrpEndpoint("127.0.0.1")
        chat = peer.session()
        admin = await Admin.open(janus.admin_url, janus.admin_secret)
        browser = await spawn("node", os.path.join(top, "tests", "browser", "phone_chat_test.mjs"),
                              janus.http_url + "phone.html", "hello web", "hello SIP",
                              stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        try:
            contact_user = (await json_line(browser.stdout))["contact_user"]
            assert contact_user and contact_user.startswith("webuser-"), contact_user
            # chat_call.xml's Request-URI user is its "room": the web user's Contact user.
            call = await sipp("chat_call.xml", trace_dir, ("room", contact_user), ("msrpport", chat.uri.port),
                              ("msrpsession", chat.session_id), ("setup", "active"), call_ms=20000)
            caller, sdp = await answered(trace_dir, timeout=40)   # the page accepts

            lines = [line.strip() for line in sdp.splitlines() if line.startswith("m=")]
            assert len(lines) == 1 and re.match(r"m=message \d+ TCP/MSRP \*$", lines[0]), sdp
            assert attribute(sdp, "setup") == "passive", sdp
            path = parse_path(attribute(sdp, "path"))
            sessions = await direct_sessions(admin)
            ours = [entry for entry in sessions if entry["session"] == path[0].session_id]
            assert ours and ours[0]["uri"] == caller, (sessions, sdp)
            assert ours[0]["room"].startswith("direct/%s/" % contact_user), ours

            await chat.connect(remote_path=path)
            # To the web user, asking for delivery and display notifications.
            sent = await chat.send_message(
                cpim("hello web", sender="Chatter <%s>" % caller, recipients=["sip:%s@127.0.0.1" % contact_user],
                     namespaces={"imdn": IMDN_NS},
                     headers=[("imdn.Message-ID", "chat-msg-1"),
                              ("imdn.Disposition-Notification", "positive-delivery, display")]),
                "message/cpim")
            assert sent.statuses == [200], sent.statuses

            def cpim_of(message, inner):
                if not (message.content_type or "").startswith("message/cpim"):
                    return False
                return (parse_cpim(message.body).content_type or "").startswith(inner)

            def notification(status):
                def found(message):
                    return cpim_of(message, "message/imdn+xml") and b"<%s/>" % status.encode() in parse_cpim(message.body).body
                return found
            delivered = parse_cpim((await chat.wait_message(notification("delivered"), timeout=20)).body)
            document = delivered.body.decode()
            assert "<message-id>chat-msg-1</message-id>" in document, document
            assert "urn:ietf:params:xml:ns:imdn" in document and "<delivery-notification>" in document, document
            # The page showed it: "displayed" too (html/phone/calls.js's displayed request), from the web user.
            shown = parse_cpim((await chat.wait_message(notification("displayed"), timeout=20)).body)
            assert "<message-id>chat-msg-1</message-id>" in shown.body.decode(), shown.body
            assert "sip:webuser@sylk.test" in shown.header("From") and caller in shown.header("To"), shown.headers
            # The page types: is-composing reaches the client, in CPIM.
            typing = parse_cpim((await chat.wait_message(
                lambda m: cpim_of(m, "application/im-iscomposing+xml"), timeout=30)).body)
            assert "<state>active</state>" in typing.body.decode(), typing.body
            await chat.send_message(cpim(is_composing("active"), content_type="application/im-iscomposing+xml",
                                         sender="Chatter <%s>" % caller), "message/cpim")
            # The page's message: CPIM from the web user's account, asking for notifications.
            answer = parse_cpim((await chat.wait_message(
                lambda m: cpim_of(m, "text/plain") and parse_cpim(m.body).body == b"hello SIP", timeout=30)).body)
            assert "sip:webuser@sylk.test" in answer.header("From"), answer.headers
            assert caller in answer.header("To"), answer.headers
            message_id = answer.namespaced(IMDN_NS, "Message-ID")
            assert message_id, answer.headers
            assert "display" in answer.namespaced(IMDN_NS, "Disposition-Notification"), answer.headers
            await chat.send_message(cpim(imdn_xml(message_id, "displayed"), content_type="message/imdn+xml",
                                         sender="Chatter <%s>" % caller, namespaces={"imdn": IMDN_NS},
                                         headers=[("imdn.Message-ID", "chat-imdn-1")]), "message/cpim")

            await finish(call, trace_dir)  # sipp's BYE after -d
            output, errors = await asyncio.wait_for(browser.communicate(), 60)
            printed = script_result(output, errors)
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 5
            while loop.time() < deadline and await direct_sessions(admin):
                await asyncio.sleep(0.1)
            return printed, message_id, await direct_sessions(admin)
        except (AssertionError, asyncio.TimeoutError) as failure:
            # What the page saw, for the report: the script prints its state when it is stopped.
            if browser.returncode is None:
                browser.terminate()
            output = await asyncio.wait_for(browser.stdout.read(), 20)
            raise AssertionError("%s\nbrowser: %s" % (failure, output.decode(errors="replace")[-3000:])) from failure
        finally:
            if browser.returncode is None:
                browser.kill()
            await peer.close()
            await admin.close()

    result, message_id, left = run(body(), timeout=150)
    assert "error" not in result, json.dumps(result, indent=1)
    assert "wants to chat" in result["incoming"], result
    assert result["chatVisible"], result
    assert result["received"]["text"] == "hello web" and result["received"]["messageId"] == "chat-msg-1", result
    assert "Chatter: hello web" in result["listAfterIn"], result
    assert result["composingShown"] and "is typing" in result["composingText"], result
    assert result["sent"]["messageId"] == message_id and result["receipts"][message_id] == "displayed", result
    assert "hello SIP (displayed)" in result["listAfterOut"], result
    assert result["events"][:3] == ["registered", "incomingcall", "accepted"], result
    # the call's own events end with the hang-up; the call history's "call" record may follow it
    assert [event for event in result["events"] if event != "call"][-1] == "hangup", result
    assert "displayedsent" in result["events"], result   # the gateway took the page's displayed
    assert left == [], left          # the BYE closed the direct session
    assert janus.alive()
    # The chat is in the message journal (issue 13): both messages, each with its displayed state.
    import sqlite3
    with sqlite3.connect(os.path.join(janus.run_dir, "state", "message-journal.sqlite")) as db:
        journal = dict(db.execute("SELECT message_id, direction || ':' || state FROM message_journal"
                                  " WHERE kind = 'message' AND account = 'sip:webuser@sylk.test'").fetchall())
    assert journal.get("chat-msg-1") == "incoming:displayed", journal
    assert journal.get(message_id) == "outgoing:displayed", journal


def test_a_declined_chat_call_opens_no_msrp_session(janus):
    """The page declines the chat call: the caller gets 180 then 486 (sipp checks both), the page
    never shows a chat, and the msrp plugin holds no direct session afterwards (the gateway opens
    one on accept only)."""
    trace_dir = tempfile.mkdtemp(prefix="sylk-gwchat-")
    top = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

    async def body():
        admin = await Admin.open(janus.admin_url, janus.admin_secret)
        browser = await spawn("node", os.path.join(top, "tests", "browser", "phone_chat_test.mjs"),
                              janus.http_url + "phone.html", "-", "-", "decline",
                              stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        try:
            contact_user = (await json_line(browser.stdout))["contact_user"]
            call = await sipp("chat_call_declined.xml", trace_dir, ("room", contact_user), ("msrpport", 2999),
                              ("msrpsession", "declined1"), ("setup", "active"))
            await finish(call, trace_dir)   # 180, then 486 (sipp checks both)
            output, errors = await asyncio.wait_for(browser.communicate(), 60)
            printed = script_result(output, errors)
            opened = [event for event in (await admin.message_plugin("janus.plugin.sylk.msrp", {"request": "status"}))
                      ["status"].get("direct", [])]
            return printed, opened
        finally:
            if browser.returncode is None:
                browser.kill()
            await admin.close()

    result, opened = run(body(), timeout=120)
    assert "error" not in result, json.dumps(result, indent=1)
    assert "wants to chat" in result["incoming"] and not result["chatVisible"], result
    assert result["events"][:2] == ["registered", "incomingcall"] and "declining" in result["events"], result
    assert opened == [], opened
    assert janus.alive()


def test_a_web_user_calls_a_sip_chat_client(janus):
    """The page calls a SIP URI with chat only: our INVITE offers m=message with the msrp plugin's
    path (a=setup:passive: we listen); the callee (sipp + the MSRP peer) answers active, its peer
    connects to that path, and messages cross both ways; the page's hang-up sends the BYE."""
    trace_dir = tempfile.mkdtemp(prefix="sylk-gwchat-")
    top = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

    async def body():
        peer = MsrpEndpoint("127.0.0.1")
        chat = peer.session()
        callee = await spawn("sipp", "-sf", os.path.join(SCENARIOS, "chat_callee.xml"), "-m", "1", "-i", "127.0.0.1",
                             "-p", "5104", "-nostdin", "-timeout", "60s", "-trace_msg",
                             "-message_file", os.path.join(trace_dir, "callee.log"),
                             "-set", "msrpport", str(chat.uri.port), "-set", "msrpsession", chat.session_id,
                             cwd=trace_dir, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
        browser = await spawn("node", os.path.join(top, "tests", "browser", "phone_chat_test.mjs"),
                              janus.http_url + "phone.html", "hi from SIP", "hi from the web", "dial",
                              "sip:chatbob@127.0.0.1:5104", stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        try:
            invite = await wait_for(os.path.join(trace_dir, "callee.log"),
                                    r"INVITE sip:chatbob.*?(m=message \d+ TCP/MSRP \*.*?)(?:\r?\n){2}", timeout=40)
            offer = invite.group(1)
            assert attribute(offer, "setup") == "passive", offer
            path = parse_path(attribute(offer, "path"))
            await wait_for(os.path.join(trace_dir, "callee.log"), r"ACK sip:chatbob", timeout=20)
            await chat.connect(remote_path=path)
            sent = await chat.send_message(cpim("hi from SIP", sender="Bob <sip:chatbob@127.0.0.1:5104>",
                                                recipients=["sip:webuser@sylk.test"]), "message/cpim")
            assert sent.statuses == [200], sent.statuses
            answer = parse_cpim((await chat.wait_message(
                lambda m: (m.content_type or "").startswith("message/cpim") and parse_cpim(m.body).body == b"hi from the web",
                timeout=30)).body)
            assert "sip:webuser@sylk.test" in answer.header("From"), answer.headers
            output, errors = await asyncio.wait_for(browser.communicate(), 60)
            _, callee_errors = await asyncio.wait_for(callee.communicate(), 30)   # it took our BYE
            printed = script_result(output, errors)
            return printed, callee.returncode, callee_errors
        finally:
            for process in (browser, callee):
                if process.returncode is None:
                    process.kill()
            await peer.close()

    result, status, errors = run(body(), timeout=150)
    assert "error" not in result, json.dumps(result, indent=1)
    assert result["chatVisible"] and "hi from SIP" in result["listAfterIn"], result
    assert result["events"][:2] == ["registered", "calling"] and "accepted" in result["events"], result
    # the call's own events end with the hang-up; the call history's "call" record may follow it
    assert [event for event in result["events"] if event != "call"][-1] == "hangup", result
    assert status == 0, errors.decode(errors="replace")[-1000:]
    assert janus.alive()
