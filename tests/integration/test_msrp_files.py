"""Files in rooms over MSRP (RFC 5547) with real peers: an MSRP client (harness/msrp_peer.py over
TCP to the msrp plugin's listener) sends or pulls a file through a file transfer session, opened
through the hub service msrp.open_session with a "file" member exactly as the SIP focus opens it
for a phone's file-transfer INVITE (hubprobe's "call" request is that caller here); a web user of
the video room uploads and downloads over the web app's HTTP room-files URLs, as room.js does.

- a 50 MB file sent by the MSRP client in chunks is announced to the web user (hub "file" event,
  with its sha-1), to an MSRP chat client in the room (a status notice naming it), and downloads
  byte-identical over HTTP;
- a file uploaded over HTTP is pulled by the MSRP client by its sha-1, byte-identical, and the
  answer describes it (RFC 5547 file-selector);
- a pull naming a hash the room does not have is refused (error 1620, the SIP side's 404); a file
  whose content does not match its announced sha-1 is not kept;
- a room with only SIP clients deletes its files when its last session leaves;
- the room page in headless Chromium downloads a 50 MB MSRP file byte-identical (room.js's own
  download, SHA-1 by WebCrypto);
- end to end through the SIP focus: sipp INVITEs the room with a file-transfer m=message and the
  MSRP peer is the phone's MSRP side, pushing and pulling; a pull of a missing hash gets 404."""
import asyncio
import hashlib
import http.client
import json
import os
import re
import tempfile
import urllib.parse

import pytest

from conftest import BUILD, TOP, run
from harness.janus_api import Session
from harness.janus_process import JanusProcess, sanitizer_env
from harness.msrp_peer import MsrpEndpoint, parse_cpim
from harness.processes import spawn

PROBE = "janus.plugin.sylk.hubprobe.a"
VIDEOROOM = "janus.plugin.sylk.videoroom"
AG_NS = "urn:ag-projects:xml:ns:cpim"
BIG = 50 * 1024 * 1024
TRANSFER_TIMEOUT = 180


@pytest.fixture(scope="module")
def janus():
    process = JanusProcess(BUILD, tempfile.mkdtemp(prefix="sylk-janus-msrp-files-"), env=sanitizer_env(),
                           run_options={"msrp_options": {"listen_ip": "10.77.0.1"}})
    process.start()
    yield process
    alive = process.alive()
    code = process.stop()
    if not alive:
        pytest.fail("janus died during the tests (exit %s):\n%s" % (code, process.log_tail()))


def colon_hex(sha1_hex):
    return ":".join(sha1_hex[i:i + 2] for i in range(0, 40, 2)).upper()


def data_of(event):
    return event.get("plugindata", {}).get("data", {})


class Http:
    """The web app's room-files URLs, used as a browser uses them (plain GET and POST)."""

    def __init__(self, janus):
        self.host = "127.0.0.1"
        self.port = int(janus.http_url.rstrip("/").rsplit(":", 1)[1])

    def upload(self, token, name, payload):
        connection = http.client.HTTPConnection(self.host, self.port, timeout=120)
        connection.request("POST", "/files/%s?name=%s" % (token, urllib.parse.quote(name)), body=payload)
        response = connection.getresponse()
        data = response.read()
        connection.close()
        return response.status, data

    def download_digest(self, token, file_id):
        """Streams the download (never all in memory): status, Content-Disposition, size, sha-1."""
        connection = http.client.HTTPConnection(self.host, self.port, timeout=120)
        connection.request("GET", "/files/%s/%s" % (token, file_id))
        response = connection.getresponse()
        digest, size = hashlib.sha1(), 0
        while True:
            block = response.read(1 << 20)
            if not block:
                break
            digest.update(block)
            size += len(block)
        connection.close()
        return response.status, response.getheader("Content-Disposition"), size, digest.hexdigest()

    def list(self, token):
        import json
        connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
        connection.request("GET", "/files/%s" % token)
        response = connection.getresponse()
        data = response.read()
        connection.close()
        return response.status, json.loads(data)


async def web_user(janus, room, display):
    session = await Session.create(janus.ws_url)
    handle = await session.attach(VIDEOROOM)
    joined, _ = await handle.send({"request": "join", "ptype": "publisher", "room": room, "display": display})
    return session, handle, joined


async def caller_for(janus):
    session = await Session.create(janus.ws_url)
    return session, await session.attach(PROBE)


async def open_file_session(caller, room, selector, direction, uri="sip:bob@example.com", display="Bob"):
    """msrp.open_session for a file transfer, the plugin passive (the client connects, as one
    that offered a=setup:active). Returns the MSRP endpoint, its session and the reply."""
    endpoint = MsrpEndpoint(host="10.77.0.2")
    session = endpoint.session()
    args = {"room": room, "uri": uri, "display": display, "role": "passive",
            "remote": {"path": [str(session.uri)], "accept_types": ["*"]},
            "file": {"selector": selector, "transfer_id": "t%s" % session.session_id, "direction": direction}}
    reply, _ = await caller.send({"request": "call", "service": "msrp.open_session", "args": args})
    return endpoint, session, reply


async def close_file_session(caller, endpoint, session, reply):
    if "result" in reply:
        await caller.send({"request": "call", "service": "msrp.close_session",
                           "args": {"session": reply["result"]["session"]}})
    await session.close()
    await endpoint.close()


async def wait_transfer(janus, session_id, state, timeout=30):
    """The msrp plugin's status of one file transfer session, once it reaches state."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        session = await Session.create(janus.ws_url)
        try:
            handle = await session.attach("janus.plugin.sylk.msrp")
            status = (await handle.send({"request": "status"}))[0]["status"]
        finally:
            await session.close()
        transfer = next((t for t in status["file_transfers"] if t["session"] == session_id), None)
        if transfer and transfer["state"] == state:
            return transfer
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("transfer %s never %s: %r" % (session_id, state, transfer))
        await asyncio.sleep(0.1)


async def chat_client(caller, room):
    """An MSRP chat client in the room (a session without "file"), to see the room's notices."""
    endpoint = MsrpEndpoint(host="10.77.0.2")
    session = endpoint.session()
    args = {"room": room, "uri": "sip:carol@example.com", "display": "Carol", "role": "passive",
            "remote": {"path": [str(session.uri)], "accept_types": ["message/cpim"], "accept_wrapped_types": ["*"]}}
    reply, _ = await caller.send({"request": "call", "service": "msrp.open_session", "args": args})
    assert "error" not in reply, reply
    await session.connect(remote_path=reply["result"]["local"]["path"])
    return endpoint, session, reply


def test_msrp_file_downloads_byte_identical_over_http(janus):
    """50 MB from an MSRP client in 32 KiB chunks: stored as it arrives, announced on the hub and in
    the room's chat, downloaded over HTTP byte-identical."""
    room = "msrp-files-up"
    payload = os.urandom(BIG)
    sha1 = hashlib.sha1(payload).hexdigest()
    selector = 'name:"big %%22one%%22.bin" type:application/octet-stream size:%d hash:sha-1:%s' % (BIG, colon_hex(sha1))
    web = Http(janus)

    async def body():
        ws, handle, joined = await web_user(janus, room, "Alice")
        probe_session, caller = await caller_for(janus)
        chat_endpoint, chat, chat_reply = await chat_client(caller, room)
        endpoint, session, reply = await open_file_session(caller, room, selector, "sendonly")
        try:
            assert "error" not in reply, reply
            answer = reply["result"]
            await session.connect(remote_path=answer["local"]["path"])
            sent = await session.send_message(payload, content_type="application/octet-stream", chunk_size=32768,
                                              window=64, timeout=TRANSFER_TIMEOUT)
            event = await handle.next_event(timeout=30, predicate=lambda e: "file" in data_of(e))
            announced = data_of(event)["file"]

            def shared_notice(message):
                document = parse_cpim(message.body)
                return document.namespaced(AG_NS, "Message-Type") == "status" and "big" in document.text()
            notice = parse_cpim((await chat.wait_message(shared_notice, timeout=30)).body).text()
            loop = asyncio.get_running_loop()
            download = await loop.run_in_executor(None, lambda: web.download_digest(joined["file_token"], announced["id"]))
            listed = await loop.run_in_executor(None, lambda: web.list(joined["file_token"]))
            return answer, sent, announced, notice, download, listed
        finally:
            await close_file_session(caller, endpoint, session, reply)
            await close_file_session(caller, chat_endpoint, chat, chat_reply)
            await probe_session.close()
            await ws.close()

    answer, sent, announced, notice, download, listed = run(body(), timeout=TRANSFER_TIMEOUT)
    # The answer echoes the offered file (RFC 5547: the SDP answer's file-selector).
    assert answer["file"]["selector"] == selector.replace("%%", "%")
    assert answer["file"]["direction"] == "sendonly"
    assert all(status == 200 for status in sent.statuses), set(sent.statuses)
    assert announced["name"] == 'big "one".bin' and announced["size"] == BIG
    assert announced["sha1"] == sha1 and announced["display"] == "Bob"
    assert announced["type"] == "application/octet-stream"
    assert "Bob has shared the file big \"one\".bin (%d bytes)" % BIG in notice and colon_hex(sha1) in notice
    status, disposition, size, digest = download
    assert status == 200 and size == BIG and digest == sha1
    assert "attachment" in disposition
    assert listed[0] == 200 and [f["sha1"] for f in listed[1]["files"]] == [sha1]


def test_http_upload_pulled_by_msrp_client(janus):
    """A file uploaded over HTTP is pulled by an MSRP client that names its sha-1 (recvonly),
    byte-identical, with the answer describing the file; an unknown hash is refused."""
    room = "msrp-files-down"
    payload = os.urandom(20 * 1024 * 1024)
    sha1 = hashlib.sha1(payload).hexdigest()
    web = Http(janus)

    async def body():
        ws, handle, joined = await web_user(janus, room, "Alice")
        probe_session, caller = await caller_for(janus)
        loop = asyncio.get_running_loop()
        try:
            created = await loop.run_in_executor(None, lambda: web.upload(joined["file_token"], "photo ü.jpg", payload))
            endpoint, session, reply = await open_file_session(caller, room, "hash:sha-1:%s" % colon_hex(sha1), "recvonly")
            try:
                assert "error" not in reply, reply
                await session.connect(remote_path=reply["result"]["local"]["path"])
                message = await session.wait_message(timeout=TRANSFER_TIMEOUT)
            finally:
                await close_file_session(caller, endpoint, session, reply)
            unknown = await open_file_session(caller, room, "hash:sha-1:%s" % colon_hex("00" * 20), "recvonly")
            await close_file_session(caller, *unknown)
            other_room = await open_file_session(caller, "msrp-files-elsewhere", "hash:sha-1:%s" % colon_hex(sha1),
                                                 "recvonly")
            await close_file_session(caller, *other_room)
            no_hash = await open_file_session(caller, room, 'name:"photo ü.jpg"', "recvonly")
            await close_file_session(caller, *no_hash)
            return created, reply["result"], message, unknown[2], other_room[2], no_hash[2]
        finally:
            await probe_session.close()
            await ws.close()

    created, answer, message, unknown, other_room, no_hash = run(body(), timeout=TRANSFER_TIMEOUT)
    assert created[0] == 201, created
    assert answer["file"]["selector"] == 'name:"photo ü.jpg" type:application/octet-stream size:%d hash:sha-1:%s' % (
        len(payload), colon_hex(sha1))
    assert message.content_type == "application/octet-stream"
    assert len(message.body) == len(payload) and hashlib.sha1(message.body).hexdigest() == sha1
    # Unknown in this room (and a room's files are not another room's): refused for the SIP 404.
    for refused in (unknown, other_room):
        assert refused.get("error_code") == 1620, refused
        assert "no file with sha-1" in refused["error"]
    assert no_hash.get("error_code") == 1621 and "sha-1" in no_hash["error"], no_hash


def test_file_with_wrong_hash_is_not_kept(janus):
    """Content that does not match the announced sha-1 is deleted, not listed; bad selectors and
    names that try to leave the room's folder are refused before any byte moves."""
    room = "msrp-files-bad"
    payload = os.urandom(300 * 1024)
    wrong = hashlib.sha1(b"something else").hexdigest()
    web = Http(janus)

    async def body():
        ws, handle, joined = await web_user(janus, room, "Alice")
        probe_session, caller = await caller_for(janus)
        loop = asyncio.get_running_loop()
        try:
            endpoint, session, reply = await open_file_session(
                caller, room, 'name:"x.bin" size:%d hash:sha-1:%s' % (len(payload), colon_hex(wrong)), "sendonly")
            try:
                assert "error" not in reply, reply
                await session.connect(remote_path=reply["result"]["local"]["path"])
                await session.send_message(payload, content_type="application/octet-stream", chunk_size=16384, timeout=30)
                # The transfer's state says why (the plugin's status), and nothing is listed.
                transfer = await wait_transfer(janus, reply["result"]["session"], "failed")
            finally:
                await close_file_session(caller, endpoint, session, reply)
            refusals = []
            for selector in ('name:"../../etc/passwd" size:3', 'name:unquoted', 'size:%d' % (200 * 1024 * 1024)):
                refused = await open_file_session(caller, room, selector, "sendonly")
                await close_file_session(caller, *refused)
                refusals.append(refused[2])
            listed = await loop.run_in_executor(None, lambda: web.list(joined["file_token"]))
            return transfer, listed, refusals
        finally:
            await probe_session.close()
            await ws.close()

    transfer, listed, refusals = run(body())
    assert "SHA-1" in transfer["error"], transfer
    assert listed[0] == 200 and listed[1]["files"] == []
    traversal, unquoted, too_big = refusals
    assert traversal.get("error_code") == 1622 and "invalid file name" in traversal["error"], traversal
    assert unquoted.get("error_code") == 1621 and "file-selector" in unquoted["error"], unquoted
    assert too_big.get("error_code") == 1622 and "larger than the limit" in too_big["error"], too_big


def test_files_go_when_the_room_ends(janus):
    """A room with only SIP clients in it (no video room user): a file sent over MSRP is on disk
    while the room lives, and deleted once its last session has left (the room was not
    configured persistent)."""
    room = "msrp-files-ephemeral"
    payload = os.urandom(256 * 1024)
    sha1 = hashlib.sha1(payload).hexdigest()
    files_dir = os.path.join(janus.run_dir, "files")

    def on_disk():
        found = []
        for folder, _, names in os.walk(files_dir):
            for name in names:
                path = os.path.join(folder, name)
                if os.path.getsize(path) == len(payload):
                    with open(path, "rb") as f:
                        if hashlib.sha1(f.read()).hexdigest() == sha1:
                            found.append(path)
        return found

    async def body():
        probe_session, caller = await caller_for(janus)
        chat_endpoint, chat, chat_reply = await chat_client(caller, room)
        try:
            endpoint, session, reply = await open_file_session(
                caller, room, 'name:"notes.txt" size:%d hash:sha-1:%s' % (len(payload), colon_hex(sha1)), "sendonly")
            assert "error" not in reply, reply
            await session.connect(remote_path=reply["result"]["local"]["path"])
            await session.send_message(payload, content_type="text/plain", timeout=30)
            await wait_transfer(janus, reply["result"]["session"], "done")
            while_open = on_disk()
            # Closing the file session alone does not end the room: the chat session is in it.
            await close_file_session(caller, endpoint, session, reply)
            after_file_session = on_disk()
        finally:
            await close_file_session(caller, chat_endpoint, chat, chat_reply)
        deadline = asyncio.get_running_loop().time() + 5
        while on_disk() and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.1)
        await probe_session.close()
        return while_open, after_file_session, on_disk()

    while_open, after_file_session, after_room = run(body())
    assert len(while_open) == 1 and after_file_session == while_open
    assert after_room == [], after_room


def test_chromium_downloads_an_msrp_file_byte_identical(janus):
    """The room page in headless Chromium (room.js's own download: fetch of the room-files URL
    into a Blob) gets a 50 MB file an MSRP client sent, byte-identical (SHA-1 by WebCrypto)."""
    room = "msrp-files-browser"
    payload = os.urandom(BIG)
    sha1 = hashlib.sha1(payload).hexdigest()
    selector = 'name:"for the browser.bin" size:%d hash:sha-1:%s' % (BIG, colon_hex(sha1))

    async def body():
        browser = await spawn("node", os.path.join(TOP, "tests", "browser", "room_file_download.mjs"),
                              janus.http_url + "room.html", room, "Browsy", "for the browser.bin",
                              stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        lines = []
        try:
            while not any('"joined"' in line or '"error"' in line for line in lines):
                line = await asyncio.wait_for(browser.stdout.readline(), 60)
                if not line:
                    break
                lines.append(line.decode(errors="replace").strip())
            assert any('"joined"' in line for line in lines), lines
            probe_session, caller = await caller_for(janus)
            endpoint, session, reply = await open_file_session(caller, room, selector, "sendonly")
            try:
                assert "error" not in reply, reply
                await session.connect(remote_path=reply["result"]["local"]["path"])
                await session.send_message(payload, content_type="application/octet-stream", chunk_size=32768,
                                           timeout=TRANSFER_TIMEOUT)
                out, errors = await asyncio.wait_for(browser.communicate(), TRANSFER_TIMEOUT)
            finally:
                await close_file_session(caller, endpoint, session, reply)
                await probe_session.close()
        finally:
            if browser.returncode is None:
                browser.kill()
                await browser.wait()
        lines += [line for line in out.decode(errors="replace").splitlines() if line.startswith("{")]
        return json.loads(lines[-1]), errors.decode(errors="replace")

    result, errors = run(body(), timeout=TRANSFER_TIMEOUT + 60)
    assert "error" not in result, (result, errors[-2000:])
    assert result["size"] == BIG and result["sha1"] == sha1
    assert result["file"]["display"] == "Bob"


# ---------------------------------------------------------------- through SIP (the focus's side)

SCENARIOS = os.path.join(os.path.dirname(__file__), "sip")
FOCUS = "127.0.0.1:5060"


async def sipp(scenario, trace_dir, sets, call_ms=1000):
    """One sipp call to the focus (the phone's SIP side; its MSRP side is the test's peer)."""
    arguments = ["sipp", FOCUS, "-sf", os.path.join(SCENARIOS, scenario), "-m", "1", "-i", "127.0.0.1", "-p", "0",
                 "-nostdin", "-timeout", "60s", "-d", str(call_ms), "-trace_msg",
                 "-message_file", os.path.join(trace_dir, "messages.log")]
    for name, value in sets:
        arguments += ["-set", name, str(value)]
    return await spawn(*arguments, cwd=trace_dir, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)


async def answer_sdp(trace_dir, timeout=15):
    """The SDP of the focus's 200 to the INVITE, from sipp's message trace."""
    log = os.path.join(trace_dir, "messages.log")
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        text = open(log, errors="replace").read() if os.path.exists(log) else ""
        answer = re.search(r"SIP/2\.0 200 OK.*?CSeq: 1 INVITE.*?\r?\n\r?\n(v=0.*?)(?:\n-{20,}|\Z)", text, re.S)
        if answer and "a=path:" in answer.group(1):
            return answer.group(1)
        await asyncio.sleep(0.1)  # polling sipp's trace file, not waiting for an event
    raise AssertionError("no 200 with SDP:\n" + (open(log, errors="replace").read()[-3000:] if os.path.exists(log) else ""))


def sdp_attribute(sdp, name):
    found = re.search(r"^a=%s:(.*?)\s*$" % re.escape(name), sdp, re.M)
    return found.group(1) if found else None


def test_a_phone_sends_and_pulls_files_through_the_sip_focus(janus):
    """sipp INVITEs the room with a file-transfer m=message (RFC 5547) and the MSRP peer is the
    phone's MSRP side: a=sendonly, its file reaches the web user byte-identical over HTTP; a=recvonly
    naming a web upload's sha-1, the 200 describes the file and the phone receives it
    byte-identical; a pull of a hash the room lacks is answered 404."""
    room = "sipfiles"
    pushed = os.urandom(3 * 1024 * 1024)
    pushed_sha1 = hashlib.sha1(pushed).hexdigest()
    uploaded = os.urandom(2 * 1024 * 1024)
    uploaded_sha1 = hashlib.sha1(uploaded).hexdigest()
    web = Http(janus)

    async def body():
        ws, handle, joined = await web_user(janus, room, "Alice")
        loop = asyncio.get_running_loop()
        try:
            # The phone sends a file into the room.
            push_dir = tempfile.mkdtemp(prefix="sylk-sipp-")
            push_selector = 'name:"from phone.bin" type:application/octet-stream size:%d hash:sha-1:%s' % (
                len(pushed), colon_hex(pushed_sha1))
            phone = MsrpEndpoint(host="127.0.0.1", advertised_port=2998)
            push_session = phone.session(session_id="sippFilePush1")
            call = await sipp("file_call.xml", push_dir, [
                ("room", room), ("msrpport", 2998), ("msrpsession", "sippFilePush1"), ("direction", "sendonly"),
                ("selector", push_selector), ("transferid", "pushTransfer1")], call_ms=8000)
            push_answer = await answer_sdp(push_dir)
            await push_session.connect(remote_path=[sdp_attribute(push_answer, "path")])
            await push_session.send_message(pushed, content_type="application/octet-stream", chunk_size=16384,
                                            timeout=60)
            event = await handle.next_event(timeout=30, predicate=lambda e: "file" in data_of(e))
            announced = data_of(event)["file"]
            download = await loop.run_in_executor(None, lambda: web.download_digest(joined["file_token"],
                                                                                     announced["id"]))
            _, push_errors = await asyncio.wait_for(call.communicate(), 30)
            push_code = call.returncode
            await push_session.close()
            await phone.close()

            # The phone pulls a web upload by its sha-1.
            created = await loop.run_in_executor(None, lambda: web.upload(joined["file_token"], "from web.bin", uploaded))
            pull_dir = tempfile.mkdtemp(prefix="sylk-sipp-")
            phone = MsrpEndpoint(host="127.0.0.1", advertised_port=2996)
            pull_session = phone.session(session_id="sippFilePull1")
            call = await sipp("file_call.xml", pull_dir, [
                ("room", room), ("msrpport", 2996), ("msrpsession", "sippFilePull1"), ("direction", "recvonly"),
                ("selector", "hash:sha-1:%s" % colon_hex(uploaded_sha1)), ("transferid", "pullTransfer1")],
                call_ms=8000)
            pull_answer = await answer_sdp(pull_dir)
            await pull_session.connect(remote_path=[sdp_attribute(pull_answer, "path")])
            pulled = await pull_session.wait_message(timeout=60)
            _, pull_errors = await asyncio.wait_for(call.communicate(), 30)
            pull_code = call.returncode
            await pull_session.close()
            await phone.close()

            # A pull of a hash this room lacks.
            missing_dir = tempfile.mkdtemp(prefix="sylk-sipp-")
            call = await sipp("file_pull_missing.xml", missing_dir, [
                ("room", room), ("selector", "hash:sha-1:%s" % colon_hex("ab" * 20))])
            _, missing_errors = await asyncio.wait_for(call.communicate(), 30)
            return (push_answer, announced, download, push_code, push_errors, created, pull_answer, pulled, pull_code,
                    pull_errors, call.returncode, missing_errors)
        finally:
            await ws.close()

    (push_answer, announced, download, push_code, push_errors, created, pull_answer, pulled, pull_code, pull_errors,
     missing_code, missing_errors) = run(body(), timeout=180)
    assert push_code == 0, push_errors.decode(errors="replace")
    assert sdp_attribute(push_answer, "file-selector") == (
        'name:"from phone.bin" type:application/octet-stream size:%d hash:sha-1:%s' % (len(pushed), colon_hex(pushed_sha1)))
    assert announced["name"] == "from phone.bin" and announced["sha1"] == pushed_sha1
    assert download[0] == 200 and download[2] == len(pushed) and download[3] == pushed_sha1
    assert created[0] == 201, created
    assert pull_code == 0, pull_errors.decode(errors="replace")
    assert sdp_attribute(pull_answer, "file-selector") == (
        'name:"from web.bin" type:application/octet-stream size:%d hash:sha-1:%s' % (len(uploaded), colon_hex(uploaded_sha1)))
    assert len(pulled.body) == len(uploaded) and hashlib.sha1(pulled.body).hexdigest() == uploaded_sha1
    assert missing_code == 0, missing_errors.decode(errors="replace")
