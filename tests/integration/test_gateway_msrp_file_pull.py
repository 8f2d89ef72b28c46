"""A SIP client pulls a file from a web user of the SIP gateway (issue 11, RFC 5547 section 8.2:
an INVITE with one m=message, a=recvonly and a file-selector). sipp sends the INVITE, the Python
MSRP peer receives the file, html/phone.html in headless Chromium is the web user
(tests/browser/phone_file_request_test.mjs):
- a request for a file the web user never sent that client rings the page as a file request;
  the user picks a file with the request's own controls and it reaches the client byte-identical
  (our answer a=sendonly, its selector the picked file's name, size and sha-1);
- a client asking again, by its hash, for the file the web user sent it is served at once, and
  the page only shows that it was."""
import asyncio
import hashlib
import json
import os
import re
import tempfile

from conftest import run
from harness.msrp_peer import MsrpEndpoint, parse_path
from harness.processes import spawn
from test_gateway_msrp_chat import json_line
from test_gateway_msrp_files import answer_of, colon_hex
from test_sip_focus import wait_for
from test_sip_msrp_chat import attribute, finish, sipp, trace

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(TOP, "tests", "browser", "phone_file_request_test.mjs")


async def failing(failure, browser, trace_dir):
    if browser.returncode is None:
        browser.terminate()
    output = await asyncio.wait_for(browser.stdout.read(), 20)
    return AssertionError("%s\nbrowser: %s\nsipp: %s" % (failure, output.decode(errors="replace")[-3000:],
                                                         trace(trace_dir)[-2000:]))


def test_a_sip_client_asks_a_web_user_for_a_file(janus):
    trace_dir = tempfile.mkdtemp(prefix="sylk-gwpull-")
    size = 2 * 1024 * 1024 + 77

    async def body():
        peer = MsrpEndpoint("127.0.0.1")
        pull = peer.session()
        browser = await spawn("node", SCRIPT, janus.http_url + "phone.html", "request", "", str(size),
                              stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        try:
            contact_user = (await json_line(browser.stdout))["contact_user"]
            call = await sipp("file_call.xml", trace_dir, ("room", contact_user), ("msrpport", pull.uri.port),
                              ("msrpsession", pull.session_id), ("direction", "recvonly"),
                              ("selector", 'name:"wanted.bin" type:application/octet-stream'),
                              ("transferid", "gwpull1"), call_ms=20000)
            request = (await json_line(browser.stdout))["request"]
            answered = (await json_line(browser.stdout, timeout=60))["answered"]
            sdp = await answer_of(trace_dir)
            await pull.connect(remote_path=parse_path(attribute(sdp, "path")))
            message = await pull.wait_message(lambda m: len(m.body) > 0, timeout=120)
            await finish(call, trace_dir)          # sipp's BYE: the puller ends the dialog
            final = await json_line(browser.stdout, timeout=60)
            return request, answered, sdp, message, final
        except (AssertionError, asyncio.TimeoutError) as failure:
            raise await failing(failure, browser, trace_dir) from failure
        finally:
            if browser.returncode is None:
                browser.kill()
            await peer.close()

    request, answered, sdp, message, final = run(body(), timeout=240)
    assert request["state"] == "requested" and request["name"] == "wanted.bin", request
    assert "asks for a file: wanted.bin" in request["shown"], request
    assert re.search(r"^a=sendonly\r?$", sdp, re.M), sdp
    selector = attribute(sdp, "file-selector")
    assert 'name:"the answer.bin"' in selector and "size:%d" % size in selector, selector
    assert "hash:sha-1:%s" % colon_hex(answered["sha1"]) in selector, selector
    assert attribute(sdp, "file-transfer-id") == "gwpull1", sdp
    assert len(message.body) == size and hashlib.sha1(message.body).hexdigest() == answered["sha1"]
    assert "error" not in final, final
    assert "filerequest" in final["events"] and "filesent" in final["events"], final
    assert "fileended" in final["events"] and "filerequestserved" not in final["events"], final
    pulled = list(final["files"].values())[0]
    assert pulled["state"] == "sent" and pulled["name"] == "the answer.bin", pulled
    progress = list(final["progress"].values())[0]
    assert progress and progress == sorted(progress) and progress[-1] == size, progress
    assert janus.alive()


def test_a_file_sent_to_a_sip_client_is_served_again_by_its_hash(janus):
    trace_dir = tempfile.mkdtemp(prefix="sylk-gwpull-")
    size = 1024 * 1024 + 5

    async def body():
        peer = MsrpEndpoint("127.0.0.1")
        receiver, pull = peer.session(), peer.session()
        callee = await spawn("sipp", "-sf", os.path.join(os.path.dirname(__file__), "sip", "file_callee.xml"), "-m", "1",
                             "-i", "127.0.0.1", "-p", "5107", "-nostdin", "-timeout", "120s", "-trace_msg",
                             "-message_file", os.path.join(trace_dir, "callee.log"),
                             "-set", "msrpport", str(receiver.uri.port), "-set", "msrpsession", receiver.session_id,
                             cwd=trace_dir, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
        browser = await spawn("node", SCRIPT, janus.http_url + "phone.html", "served", "sip:filer@127.0.0.1:5107",
                              str(size), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        try:
            contact_user = (await json_line(browser.stdout))["contact_user"]
            invite = await wait_for(os.path.join(trace_dir, "callee.log"),
                                    r"INVITE sip:filer.*?(m=message \d+ TCP/MSRP \*.*?)(?:\r?\n){2}", timeout=60)
            await wait_for(os.path.join(trace_dir, "callee.log"), r"ACK sip:", timeout=20)
            await receiver.connect(remote_path=parse_path(attribute(invite.group(1), "path")))
            first = await receiver.wait_message(lambda m: len(m.body) > 0, timeout=120)
            sent = (await json_line(browser.stdout, timeout=90))["sent"]
            await asyncio.wait_for(callee.communicate(), 60)
            # The same client (filer@127.0.0.1, another port) asks for it by its hash.
            call = await sipp("file_call.xml", trace_dir, ("room", contact_user), ("msrpport", pull.uri.port),
                              ("msrpsession", pull.session_id), ("direction", "recvonly"),
                              ("selector", "hash:sha-1:%s" % colon_hex(sent["sha1"])),
                              ("transferid", "gwpull2"), call_ms=15000)
            sdp = await answer_of(trace_dir)
            await pull.connect(remote_path=parse_path(attribute(sdp, "path")))
            again = await pull.wait_message(lambda m: len(m.body) > 0, timeout=120)
            await finish(call, trace_dir)
            final = await json_line(browser.stdout, timeout=60)
            return sent, first, sdp, again, final
        except (AssertionError, asyncio.TimeoutError) as failure:
            raise await failing(failure, browser, trace_dir) from failure
        finally:
            for process in (browser, callee):
                if process.returncode is None:
                    process.kill()
            await peer.close()

    sent, first, sdp, again, final = run(body(), timeout=240)
    assert hashlib.sha1(first.body).hexdigest() == sent["sha1"]
    assert re.search(r"^a=sendonly\r?$", sdp, re.M), sdp
    selector = attribute(sdp, "file-selector")
    assert 'name:"shared before.bin"' in selector and "hash:sha-1:%s" % colon_hex(sent["sha1"]) in selector, selector
    assert len(again.body) == size and hashlib.sha1(again.body).hexdigest() == sent["sha1"]
    assert "error" not in final, final
    assert "filerequestserved" in final["events"] and "filerequest" not in final["events"], final
    served = [f for f in final["files"].values() if f.get("served")]
    assert len(served) == 1 and served[0]["state"] == "sent" and served[0]["name"] == "shared before.bin", final
    assert janus.alive()


def test_a_request_by_hash_takes_only_that_file_and_can_be_declined(janus):
    """Over the Janus API (what phone.html sends): a request naming a sha-1 is not answered with
    another file (error, the request stays open and the client keeps ringing), then the web user
    declines it: the client gets 180 then 603 (sipp checks both) and no MSRP session was opened."""
    trace_dir = tempfile.mkdtemp(prefix="sylk-gwpull-")
    wanted = hashlib.sha1(b"the file the client wants").hexdigest()

    async def body():
        from harness.janus_api import Admin, Session
        from test_msrp_files import Http
        admin = await Admin.open(janus.admin_url, janus.admin_secret)
        session = await Session.create(janus.ws_url)
        try:
            web = await session.attach("janus.plugin.sylk.sip")
            registered, _ = await web.send({"request": "register", "username": "sip:webuser@sylk.test", "type": "guest"})
            if "contact_user" not in json.dumps(registered):
                registered = await web.next_event(predicate=lambda e: "contact_user" in json.dumps(e), timeout=10)
            contact_user = re.search(r'"contact_user": "([^"]+)"', json.dumps(registered)).group(1)
            token = (await web.send({"request": "filetoken"}))[0]["result"]["token"]
            status, uploaded = Http(janus).upload(token, "another.txt", b"not what was asked for")
            assert status == 201, (status, uploaded)
            call = await sipp("file_call_declined.xml", trace_dir, ("room", contact_user), ("msrpport", 2999),
                              ("msrpsession", "pulldeclined1"), ("direction", "recvonly"),
                              ("selector", 'name:"wanted.txt" hash:sha-1:%s' % colon_hex(wanted)),
                              ("transferid", "gwpull3"))
            request = await web.next_event(predicate=lambda e: '"filerequest"' in json.dumps(e), timeout=20)
            request = request["plugindata"]["data"]["result"]
            wrong, _ = await web.send({"request": "acceptfile", "transfer": request["transfer"],
                                       "id": json.loads(uploaded)["id"]})
            declined, _ = await web.send({"request": "declinefile", "transfer": request["transfer"]})
            await finish(call, trace_dir)
            ended = await web.next_event(predicate=lambda e: '"fileended"' in json.dumps(e), timeout=20)
            status = (await admin.message_plugin("janus.plugin.sylk.msrp", {"request": "status"}))["status"]
            return request, wrong, declined, ended["plugindata"]["data"]["result"], status
        finally:
            await session.close()
            await admin.close()

    request, wrong, declined, ended, status = run(body(), timeout=120)
    assert request["name"] == "wanted.txt" and request["sha1"] == wanted, request
    assert wrong.get("error_code") == 1003 and "another file" in wrong.get("error", ""), wrong
    assert declined["result"]["event"] == "filedeclining" and declined["result"]["code"] == 603, declined
    assert ended["code"] == 603, ended
    assert status["file_transfers"] == [], status
    assert janus.alive()
