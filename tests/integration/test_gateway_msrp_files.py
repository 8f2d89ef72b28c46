"""Files from a SIP client to a web user of the SIP gateway (issue 11, RFC 5547): sipp INVITEs
the page's account with one m=message carrying a file-selector (a=sendonly), the Python MSRP
peer sends the file; html/phone.html in headless Chromium (tests/browser/phone_file_test.mjs)
shows the offer, accepts it, shows the progress while it arrives and a download link once it is
stored, and downloads it byte-identical. The link's token is the page session's: another
session's token, an unknown one and traversal attempts are refused, and the page session's end
deletes the file and the token. A declined offer gets 603 and opens no MSRP session."""
import asyncio
import hashlib
import http.client
import os
import re
import tempfile

from conftest import run
from harness.janus_api import Admin, Session
from harness.msrp_peer import MsrpEndpoint, parse_path
from harness.processes import script_result, spawn
from test_gateway_msrp_chat import json_line
from test_sip_focus import wait_for
from test_sip_msrp_chat import attribute, finish, messages, sipp, trace

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SIZE = 5 * 1024 * 1024


def colon_hex(sha1_hex):
    return ":".join(sha1_hex[i:i + 2] for i in range(0, 40, 2)).upper()


def http_get(janus, path):
    """(status, body) of a plain GET on the web app's server, the path sent as written."""
    port = int(janus.http_url.rstrip("/").rsplit(":", 1)[1].split("/")[0])
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


async def answer_of(trace_dir, timeout=60):
    """The SDP of the 200 to the INVITE, from sipp's trace."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        for head, body in messages(trace(trace_dir)):
            if head.startswith("SIP/2.0 200") and re.search(r"^CSeq: 1 INVITE$", head, re.M):
                return body
        await asyncio.sleep(0.1)
    raise AssertionError("no 200 to the INVITE:\n" + trace(trace_dir)[-3000:])


async def other_session_tokens(janus):
    """File tokens other page sessions hold: another web user's on the gateway (its own file
    room, from "filetoken") and a video room participant's (room files)."""
    session = await Session.create(janus.ws_url)
    phone = await session.attach("janus.plugin.sylk.sip")
    registered, _ = await phone.send({"request": "register", "username": "sip:other@sylk.test", "type": "guest"})
    assert registered["result"]["event"] == "registered", registered
    token, _ = await phone.send({"request": "filetoken"})
    room = await session.attach("janus.plugin.sylk.videoroom")
    joined, _ = await room.send({"request": "join", "ptype": "publisher", "room": "gw-files-other", "display": "Other"})
    return session, token["result"]["token"], joined["file_token"]


def test_a_sip_client_sends_a_web_user_a_file(janus):
    trace_dir = tempfile.mkdtemp(prefix="sylk-gwfiles-")
    payload = os.urandom(SIZE)
    sha1 = hashlib.sha1(payload).hexdigest()
    selector = 'name:"report 5mb.bin" type:application/octet-stream size:%d hash:sha-1:%s' % (SIZE, colon_hex(sha1))

    async def body():
        peer = MsrpEndpoint("127.0.0.1")
        chat = peer.session()
        admin = await Admin.open(janus.admin_url, janus.admin_secret)
        browser = await spawn("node", os.path.join(TOP, "tests", "browser", "phone_file_test.mjs"),
                              janus.http_url + "phone.html", stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        other = None
        try:
            contact_user = (await json_line(browser.stdout))["contact_user"]
            call = await sipp("file_call.xml", trace_dir, ("room", contact_user), ("msrpport", chat.uri.port),
                              ("msrpsession", chat.session_id), ("direction", "sendonly"), ("selector", selector),
                              ("transferid", "gwfile1"), call_ms=25000)
            shown = await json_line(browser.stdout)
            assert "offer" in shown, shown
            offer = shown["offer"]
            sdp = await answer_of(trace_dir)     # the page accepted
            assert re.search(r"^a=recvonly\r?$", sdp, re.M), sdp
            assert attribute(sdp, "file-selector") == selector, sdp
            assert attribute(sdp, "file-transfer-id") == "gwfile1", sdp
            await chat.connect(remote_path=parse_path(attribute(sdp, "path")))
            sent = await chat.send_message(payload, content_type="application/octet-stream", chunk_size=32768, timeout=120)
            assert set(sent.statuses) == {200}, sent.statuses
            shown = await json_line(browser.stdout, timeout=150)
            assert "error" not in shown, shown

            # The link, fetched here too; then what must be refused next to it.
            href = shown["linkHref"]
            found = re.match(r"^/files/([^/]+)/([^/]+)$", href)
            assert found, href
            token, file_id = found.groups()
            status, data = http_get(janus, href)
            assert status == 200 and hashlib.sha1(data).hexdigest() == sha1, status
            refused = {
                "traversal": http_get(janus, "/files/%s/../%s" % (token, file_id))[0],
                "traversal-escaped": http_get(janus, "/files/%s/..%%2F..%%2F%s" % (token, file_id))[0],
                "traversal-name": http_get(janus, "/files/%s/..%%2Fetc%%2Fpasswd" % token)[0],
                "unknown-token": http_get(janus, "/files/%s/%s" % ("x" * len(token), file_id))[0],
            }
            other, phone_token, room_token = await other_session_tokens(janus)
            assert phone_token != token
            refused["other-session"] = http_get(janus, "/files/%s/%s" % (phone_token, file_id))[0]
            refused["room-session"] = http_get(janus, "/files/%s/%s" % (room_token, file_id))[0]

            await finish(call, trace_dir)        # sipp's BYE: the dialog ends
            final = await json_line(browser.stdout, timeout=60)
            await asyncio.wait_for(browser.wait(), 30)
            # The page session ended: its token and its file are gone.
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 10
            while loop.time() < deadline and http_get(janus, href)[0] == 200:
                await asyncio.sleep(0.2)
            after = http_get(janus, href)[0]
            status = (await admin.message_plugin("janus.plugin.sylk.msrp", {"request": "status"}))["status"]
            return offer, shown, refused, final, after, status
        except (AssertionError, asyncio.TimeoutError) as failure:
            if browser.returncode is None:
                browser.terminate()
            output = await asyncio.wait_for(browser.stdout.read(), 20)
            raise AssertionError("%s\nbrowser: %s\nsipp: %s" % (failure, output.decode(errors="replace")[-3000:],
                                                               trace(trace_dir)[-2000:])) from failure
        finally:
            if browser.returncode is None:
                browser.kill()
            if other:
                await other.close()
            await peer.close()
            await admin.close()

    offer, shown, refused, final, after, status = run(body(), timeout=300)
    assert offer["name"] == "report 5mb.bin" and offer["size"] == SIZE and offer["state"] == "offered", offer
    assert "report 5mb.bin" in shown["offerShown"], shown
    assert shown["download"] == {"status": 200, "size": SIZE, "sha1": sha1}, shown["download"]
    assert shown["file"]["sha1"] == sha1 and shown["file"]["size"] == SIZE, shown["file"]
    progress = shown["progress"]
    # Seen while it arrived: several steps, growing, the last the whole file.
    assert len(progress) >= 3 and progress == sorted(progress) and progress[-1] == SIZE and progress[0] < SIZE, progress
    assert refused["traversal"] in (403, 404) and refused["traversal-escaped"] in (403, 404), refused
    assert refused["traversal-name"] in (403, 404), refused
    assert refused["unknown-token"] == 403 and refused["other-session"] == 404, refused
    assert refused["room-session"] == 404, refused
    assert final.get("done") and "error" not in final, final
    assert "fileended" in final["events"], final
    assert after == 403, after
    assert status["file_transfers"] == [], status
    assert janus.alive()


def test_a_declined_file_offer_gets_603(janus):
    """The page declines the offer: the client gets 180 then 603 (sipp checks both), the msrp
    plugin opened no session for it, and the page shows it declined."""
    trace_dir = tempfile.mkdtemp(prefix="sylk-gwfiles-")

    async def body():
        admin = await Admin.open(janus.admin_url, janus.admin_secret)
        browser = await spawn("node", os.path.join(TOP, "tests", "browser", "phone_file_test.mjs"),
                              janus.http_url + "phone.html", "decline",
                              stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        try:
            contact_user = (await json_line(browser.stdout))["contact_user"]
            call = await sipp("file_call_declined.xml", trace_dir, ("room", contact_user), ("msrpport", 2999),
                              ("msrpsession", "declinedfile1"), ("direction", "sendonly"),
                              ("selector", 'name:"no thanks.txt" size:3'), ("transferid", "gwfile2"))
            shown = await json_line(browser.stdout)
            assert "offer" in shown, shown
            offer = shown["offer"]
            await finish(call, trace_dir)
            output, errors = await asyncio.wait_for(browser.communicate(), 60)
            printed = script_result(output, errors)
            status = (await admin.message_plugin("janus.plugin.sylk.msrp", {"request": "status"}))["status"]
            return offer, printed, status
        except (AssertionError, asyncio.TimeoutError) as failure:
            if browser.returncode is None:
                browser.terminate()
            output = await asyncio.wait_for(browser.stdout.read(), 20)
            raise AssertionError("%s\nbrowser: %s\nsipp: %s" % (failure, output.decode(errors="replace")[-3000:],
                                                               trace(trace_dir)[-2000:])) from failure
        finally:
            if browser.returncode is None:
                browser.kill()
            await admin.close()

    offer, final, status = run(body(), timeout=120)
    assert offer["name"] == "no thanks.txt" and offer["size"] == 3, offer
    assert "error" not in final, final
    assert "filedeclining" in final["events"] and "fileended" in final["events"], final
    assert final["finalFiles"][offer["transfer"]]["state"] == "declined", final
    assert status["file_transfers"] == [], status
    assert janus.alive()


def test_a_web_user_sends_a_sip_client_a_file(janus):
    """The page uploads a file (its own sendFile: POST /files/<token>, upload progress seen) and
    sends it to a SIP client: our INVITE offers it (a=sendonly, a file-selector with its name,
    type, size and sha-1), the callee (sipp + the MSRP peer) answers and connects, and the MSRP
    peer receives it byte-identical; the page shows it sent, and the gateway's BYE ends it."""
    trace_dir = tempfile.mkdtemp(prefix="sylk-gwfiles-")
    size = 3 * 1024 * 1024 + 123

    async def body():
        peer = MsrpEndpoint("127.0.0.1")
        receiver = peer.session()
        callee = await spawn("sipp", "-sf", os.path.join(os.path.dirname(__file__), "sip", "file_callee.xml"), "-m", "1",
                             "-i", "127.0.0.1", "-p", "5106", "-nostdin", "-timeout", "120s", "-trace_msg",
                             "-message_file", os.path.join(trace_dir, "callee.log"),
                             "-set", "msrpport", str(receiver.uri.port), "-set", "msrpsession", receiver.session_id,
                             cwd=trace_dir, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
        browser = await spawn("node", os.path.join(TOP, "tests", "browser", "phone_file_send_test.mjs"),
                              janus.http_url + "phone.html", "sip:filebob@127.0.0.1:5106", str(size),
                              stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        try:
            sent = (await json_line(browser.stdout, timeout=90))["sent"]
            invite = await wait_for(os.path.join(trace_dir, "callee.log"),
                                    r"INVITE sip:filebob.*?(m=message \d+ TCP/MSRP \*.*?)(?:\r?\n){2}", timeout=40)
            offer = invite.group(1)
            # On the INVITE, a second before the callee's 200 OK: the gateway's session holds the
            # binding SEND until the answer gives it the peer's path (it answered 481 before).
            await receiver.connect(remote_path=parse_path(attribute(offer, "path")))
            await wait_for(os.path.join(trace_dir, "callee.log"), r"ACK sip:filebob", timeout=20)
            message = await receiver.wait_message(lambda m: len(m.body) > 0, timeout=120)
            output, errors = await asyncio.wait_for(browser.communicate(), 120)
            _, callee_errors = await asyncio.wait_for(callee.communicate(), 60)   # it took our BYE
            printed = script_result(output, errors)
            return sent, offer, message, printed, callee.returncode, callee_errors
        except (AssertionError, asyncio.TimeoutError) as failure:
            if browser.returncode is None:
                browser.terminate()
            output = await asyncio.wait_for(browser.stdout.read(), 20)
            raise AssertionError("%s\nbrowser: %s\njanus: %s" % (failure, output.decode(errors="replace")[-3000:],
                                                                janus.log_tail(40))) from failure
        finally:
            for process in (browser, callee):
                if process.returncode is None:
                    process.kill()
            await peer.close()

    sent, offer, message, final, status, callee_errors = run(body(), timeout=240)
    assert sent["size"] == size and sent["uploaded"]["size"] == size, sent
    assert sent["uploadProgress"] and sent["uploadProgress"][-1] == 1, sent["uploadProgress"]
    assert re.search(r"^a=sendonly\r?$", offer, re.M), offer
    selector = attribute(offer, "file-selector")
    assert 'name:"from the web.bin"' in selector and "size:%d" % size in selector, selector
    assert "hash:sha-1:%s" % colon_hex(sent["sha1"]) in selector, selector
    assert attribute(offer, "setup") == "passive" and attribute(offer, "file-transfer-id"), offer
    assert len(message.body) == size and hashlib.sha1(message.body).hexdigest() == sent["sha1"]
    assert "error" not in final, final
    assert "filesent" in final["events"] and "fileended" in final["events"], final
    assert list(final["files"].values())[0]["state"] == "sent", final
    # Sending progress: the bytes handed to MSRP, growing to the whole file.
    progress = list(final["progress"].values())[0]
    assert len(progress) >= 3 and progress == sorted(progress) and progress[-1] == size, progress
    assert status == 0, callee_errors.decode(errors="replace")[-1000:]
    assert janus.alive()
