"""Rooms' lifetime and what the room shows of itself, with real peers (MSRP test peer, web users of
the video room over the Janus API, sipp-style raw SIP SUBSCRIBE, a real janus restarted):

- a room configured persistent (a video room `room-<name>` category) keeps its files and its
  chat history after everyone left and across a janus restart: an MSRP client and a web user
  joining after the restart get the history, the file is still listed; a room that was not
  configured loses its files, folder and history when it ends;
- a room made by a mixer participant (the audio mixer) deletes the files shared in it when it
  ends, whichever plugin let the room go last;
- conference-info (RFC 4575) lists the room's files in SylkServer's extension
  (urn:ag-projects:xml:ns:conference-info) and each chat participant's message media and
  nickname, and still validates against the RFC's schema;
- a message in several chunks whose CPIM From is forged is refused on its first chunk (403 and a
  REPORT) when that chunk holds the CPIM headers, else the sender gets a status notice saying
  why, and nobody else gets the message;
- a web user of the room page (headless Chromium, room.js's sendChat) sends a private message to
  an MSRP participant by its member id: it arrives as a private CPIM message (To = the
  participant); the participant's private answer reaches the page; a third client gets neither."""
import asyncio
import hashlib
import json
import os
import re
import subprocess
import tempfile

import pytest

from conftest import BUILD, TOP, run
from harness.janus_api import Session
from harness.janus_process import JanusProcess, sanitizer_env
from test_msrp_files import Http, close_file_session, colon_hex, open_file_session, wait_transfer
from harness.msrp_peer import cpim, is_composing, parse_is_composing
from harness.processes import spawn
from test_msrp_switch import ChatClient, WebUser, caller_for
from test_sip_msrp_chat import ConferenceWatcher

KEPT = "kept-room"
SCENARIOS = os.path.join(os.path.dirname(__file__), "sip")
AG_CONF_NS = "urn:ag-projects:xml:ns:conference-info"


@pytest.fixture(scope="module")
def janus():
    # The files folder lives outside the run folder, which every start makes afresh: a restart
    # finds what the last process left in it.
    files_dir = tempfile.mkdtemp(prefix="sylk-room-files-")
    process = JanusProcess(BUILD, tempfile.mkdtemp(prefix="sylk-janus-msrp-rooms-"), env=sanitizer_env(),
                           run_options={"msrp_options": {"listen_ip": "10.77.0.1"}, "files_dir": files_dir,
                                        "videoroom_rooms": [KEPT]})
    process.files_dir = files_dir
    process.start()
    yield process
    alive = process.alive()
    code = process.stop()
    if not alive:
        pytest.fail("janus died during the tests (exit %s):\n%s" % (code, process.log_tail()))


def room_folder(janus, room):
    return os.path.join(janus.files_dir, hashlib.sha256(room.encode()).hexdigest())


async def send_file(caller, janus, room, payload, name):
    sha1 = hashlib.sha1(payload).hexdigest()
    endpoint, session, reply = await open_file_session(
        caller, room, 'name:"%s" size:%d hash:sha-1:%s' % (name, len(payload), colon_hex(sha1)), "sendonly")
    assert "error" not in reply, reply
    await session.connect(remote_path=reply["result"]["local"]["path"])
    await session.send_message(payload, content_type="text/plain", timeout=30)
    await wait_transfer(janus, reply["result"]["session"], "done")
    await close_file_session(caller, endpoint, session, reply)
    return sha1


async def wait_until(condition, timeout=10):
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            return False
        await asyncio.sleep(0.1)
    return True


async def people_messages(client, timeout=2):
    """Every person's message the client gets until timeout passes without one."""
    texts = []
    while True:
        try:
            texts.append((await client.next(timeout=timeout)).text())
        except (asyncio.TimeoutError, TimeoutError):
            return texts


def test_persistent_room_keeps_history_and_files_across_a_restart(janus):
    temporary = "passing-room"
    kept_payload, passing_payload = os.urandom(64 * 1024), os.urandom(32 * 1024)

    async def before_restart():
        probe_session, caller = await caller_for(janus)
        web = await WebUser.join(janus.ws_url, KEPT, "Webby")
        try:
            alice = await ChatClient.join(caller, KEPT, "sip:alice@sylk.test", "Alice")
            await alice.say("kept one")
            await alice.say("private, never saved", to=web.uri)
            await web.say("kept two")
            kept_sha1 = await send_file(caller, janus, KEPT, kept_payload, "kept.bin")
            passer = await ChatClient.join(caller, temporary, "sip:passer@sylk.test", "Passer")
            await passer.say("gone with the room")
            await send_file(caller, janus, temporary, passing_payload, "passing.bin")
            passing_while_open = os.listdir(room_folder(janus, temporary))
            await alice.say("kept three")
            await web.next_message()  # kept three crossed the room
            await alice.close(caller)
            await passer.close(caller)
            passing_gone = await wait_until(lambda: not os.path.exists(room_folder(janus, temporary)))
            return kept_sha1, passing_while_open, passing_gone
        finally:
            await web.close()
            await probe_session.close()

    async def after_restart():
        probe_session, caller = await caller_for(janus)
        try:
            bob = await ChatClient.join(caller, KEPT, "sip:bob@sylk.test", "Bob")
            welcome = await bob.next(notices=True)
            replayed = await people_messages(bob)
            web = await WebUser.join(janus.ws_url, KEPT, "Late web")
            loop = asyncio.get_running_loop()
            status, listed = await loop.run_in_executor(None, lambda: Http(janus).list(web.joined["file_token"]))
            await web.close()
            newcomer = await ChatClient.join(caller, temporary, "sip:new@sylk.test", "New")
            await newcomer.next(notices=True)
            temporary_history = await people_messages(newcomer)
            await newcomer.close(caller)
            await bob.close(caller)
            return welcome, replayed, web.joined["history"], status, listed, temporary_history
        finally:
            await probe_session.close()

    kept_sha1, passing_while_open, passing_gone = run(before_restart(), timeout=90)
    assert any(not name.endswith(".json") and not name.endswith(".jsonl") for name in passing_while_open)
    assert passing_gone, os.listdir(room_folder(janus, temporary))
    saved = open(os.path.join(room_folder(janus, KEPT), "history.jsonl")).read()
    assert "kept one" in saved and "private, never saved" not in saved

    janus.stop()
    janus.start()
    welcome, replayed, web_history, status, listed, temporary_history = run(after_restart(), timeout=90)
    assert "Welcome" in welcome.text()
    assert replayed == ["kept one", "kept two", "kept three"], replayed
    assert [m["text"] for m in web_history] == ["kept one", "kept two", "kept three"], web_history
    assert web_history[0]["display"] == "Alice"
    assert status == 200 and [(f["name"], f["sha1"]) for f in listed["files"]] == [("kept.bin", kept_sha1)], listed
    assert temporary_history == []
    assert not os.path.exists(room_folder(janus, temporary))


def test_a_mixer_room_deletes_its_files_when_it_ends(janus):
    """The mixer's room, made by its participant, outlives the MSRP sessions in it; the file
    shared there stays while the mixer participant is in, and goes once the room ends."""
    room = "mixer-files-room"
    payload = os.urandom(16 * 1024)

    async def body():
        probe_session, caller = await caller_for(janus)
        mixer_session = await Session.create(janus.ws_url)
        try:
            mixer = await mixer_session.attach("janus.plugin.sylk.audiomixer")
            joined, _ = await mixer.send({"request": "join", "room": room, "display": "Phone"})
            assert "error" not in joined, joined
            carol = await ChatClient.join(caller, room, "sip:carol@sylk.test", "Carol")
            await send_file(caller, janus, room, payload, "mixed.bin")
            await carol.close(caller)
            await asyncio.sleep(0.5)
            while_mixer_in = os.path.exists(room_folder(janus, room)) and len(os.listdir(room_folder(janus, room)))
            await mixer.send({"request": "leave"})
            gone = await wait_until(lambda: not os.path.exists(room_folder(janus, room)))
            return while_mixer_in, gone
        finally:
            await mixer_session.close()
            await probe_session.close()

    while_mixer_in, gone = run(body())
    assert while_mixer_in == 2, while_mixer_in  # the file and its metadata
    assert gone


def test_conference_info_lists_files_chat_media_and_nicknames(janus):
    room = "info-room"
    payload = os.urandom(8 * 1024)

    async def body():
        probe_session, caller = await caller_for(janus)
        watcher = ConferenceWatcher(room)
        try:
            dana = await ChatClient.join(caller, room, "sip:dana@sylk.test", "Dana")
            await watcher.start()
            await watcher.wait(lambda xml: "<display-text>Dana</display-text>" in xml)
            assert (await dana.session.send_nickname("dee")).status == 200
            named = await watcher.wait(lambda xml: "<display-text>dee</display-text>" in xml)
            sha1 = await send_file(caller, janus, room, payload, 'a <b> & c.txt')
            listed = await watcher.wait(lambda xml: "agp-conf:file " in xml)
            await dana.close(caller)
            return named, listed, sha1
        finally:
            await watcher.stop()
            await probe_session.close()

    named, listed, sha1 = run(body())
    user = re.search(r"<user [^>]*>\s*<display-text>dee</display-text>.*?</user>", named, re.S)
    assert user and "<type>message</type>" in user.group(0), named
    assert '<agp-conf:resources xmlns:agp-conf="%s">' % AG_CONF_NS in listed
    found = re.search(r'<agp-conf:file name="([^"]*)" hash="([^"]*)" size="(\d+)" sender="([^"]*)" status="OK"/>', listed)
    assert found, listed
    assert found.group(1) == "a &lt;b&gt; &amp; c.txt"
    assert found.group(2) == "sha-1:" + colon_hex(sha1)
    assert int(found.group(3)) == len(payload)
    assert found.group(4) == "Bob"  # open_file_session's sender
    path = tempfile.mktemp(suffix=".xml")
    with open(path, "w") as f:
        f.write(listed)
    check = subprocess.run(["xmllint", "--noout", "--schema", os.path.join(SCENARIOS, "conference-info.xsd"), path],
                           capture_output=True, text=True)
    os.unlink(path)
    assert check.returncode == 0, check.stderr + listed


def test_a_forged_sender_of_a_chunked_message_hears_why(janus):
    room = "forged-chunks-room"

    async def body():
        probe_session, caller = await caller_for(janus)
        try:
            eve = await ChatClient.join(caller, room, "sip:eve@sylk.test", "Eve")
            bob = await ChatClient.join(caller, room, "sip:bob@sylk.test", "Bob")
            forged = cpim("x" * 5000, sender="Bob <sip:bob@sylk.test>")
            # The CPIM headers whole in the first of 1024-byte chunks: 403 on it, and a REPORT.
            early = await eve.session.send_message(forged, content_type="message/cpim", chunk_size=1024, window=1,
                                                   failure_report="yes")
            report = await eve.session.wait_report(early.message_id)
            # Chunks of 16 bytes: the first ends inside the CPIM headers, so the whole message is
            # judged at its end; it was answered 200 chunk by chunk, so a notice says why.
            late = await eve.session.send_message(forged, content_type="message/cpim", chunk_size=16, window=64)
            notice = await eve.next(notices=True)
            while "not delivered" not in notice.text():  # "Bob has joined the room" came first
                notice = await eve.next(notices=True)
            await eve.say("the real one")
            at_bob = await bob.next()
            return early, report, late, notice, at_bob
        finally:
            await probe_session.close()

    early, report, late, notice, at_bob = run(body())
    assert early.statuses == [403], early.statuses
    assert report.status_header[0] == 403
    assert set(late.statuses) == {200}
    assert "not delivered (403)" in notice.text() and "CPIM From" in notice.text(), notice.text()
    assert at_bob.text() == "the real one"  # neither forged message reached bob
    assert any("refused on its first chunk (403)" in line for line in open(janus.log_path, errors="replace"))


def test_web_user_and_msrp_client_message_privately(janus):
    room = "private-room"

    async def body():
        probe_session, caller = await caller_for(janus)
        browser = None
        try:
            alice = await ChatClient.join(caller, room, "sip:alice@sylk.test", "Alice")
            carol = await ChatClient.join(caller, room, "sip:carol@sylk.test", "Carol")
            browser = await spawn("node", os.path.join(TOP, "tests", "browser", "room_private_chat.mjs"),
                                  janus.http_url + "room.html", room, "Webby", alice.member, "to alice privately",
                                  "to the web privately", stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)

            async def line_with(key):
                while True:
                    line = await asyncio.wait_for(browser.stdout.readline(), 60)
                    assert line, "the browser ended: %s" % (await browser.stderr.read()).decode(errors="replace")[-2000:]
                    found = json.loads(line) if line.startswith(b"{") else {}
                    assert "error" not in found, found
                    if key in found:
                        return found

            my_id = (await line_with("joined"))["myId"]
            await line_with("sent")
            at_alice = await alice.next(timeout=10)
            web_uri = "urn:sylk:janus.plugin.sylk.videoroom:%d" % my_id
            await alice.say("to the web privately", to=web_uri)
            received = (await line_with("received"))["received"]
            at_carol = await people_messages(carol, timeout=1)
            await browser.wait()
            return at_alice, web_uri, received, at_carol, alice.member
        finally:
            if browser and browser.returncode is None:
                browser.kill()
                await browser.wait()
            await probe_session.close()

    at_alice, web_uri, received, at_carol, alice_member = run(body(), timeout=120)
    assert at_alice.text() == "to alice privately"
    assert at_alice.header("To") == "<sip:alice@sylk.test>", at_alice.header("To")
    assert web_uri in at_alice.header("From") and "Webby" in at_alice.header("From")
    assert received["private"] is True and received["display"] == "Alice" and received["from"] == alice_member
    assert at_carol == []


def test_room_page_picks_a_private_recipient_from_the_roster(janus):
    """room.html's own control: the web user clicks "Message privately" next to an MSRP client in
    the roster (listed through the video room's attendees), the "To" select and the input say so,
    and the form sends the message to that client only; the client's private answer and the sent
    message are shown marked private (the sent one naming its recipient); a third MSRP client
    gets neither, nor the web user's typing (is-composing went to the picked client only)."""
    room = "picker-room"

    async def body():
        probe_session, caller = await caller_for(janus)
        browser = None
        try:
            alice = await ChatClient.join(caller, room, "sip:alice@sylk.test", "Alice")
            carol = await ChatClient.join(caller, room, "sip:carol@sylk.test", "Carol")
            browser = await spawn("node", os.path.join(TOP, "tests", "browser", "room_private_picker.mjs"),
                                  janus.http_url + "room.html", room, "Webby", "Alice", "picked alice privately",
                                  "answer to the web privately", stdout=asyncio.subprocess.PIPE,
                                  stderr=asyncio.subprocess.PIPE)

            async def line_with(key):
                while True:
                    line = await asyncio.wait_for(browser.stdout.readline(), 60)
                    assert line, "the browser ended: %s" % (await browser.stderr.read()).decode(errors="replace")[-2000:]
                    found = json.loads(line) if line.startswith(b"{") else {}
                    assert "error" not in found or found["error"] is None, found
                    if key in found:
                        return found

            my_id = (await line_with("joined"))["myId"]
            sent = (await line_with("sent"))["sent"]
            at_alice = await alice.next(timeout=10)
            typing_at_alice = []  # the page tells its typing to the picked recipient first
            while at_alice.content_type == "application/im-iscomposing+xml":
                typing_at_alice.append(parse_is_composing(at_alice.body)["state"])
                at_alice = await alice.next(timeout=10)
            await alice.say("answer to the web privately", to="urn:sylk:janus.plugin.sylk.videoroom:%d" % my_id)
            shown = await line_with("received")
            at_carol = await people_messages(carol, timeout=1)
            await browser.wait()
            return sent, at_alice, typing_at_alice, shown, at_carol, alice.member
        finally:
            if browser and browser.returncode is None:
                browser.kill()
                await browser.wait()
            await probe_session.close()

    sent, at_alice, typing_at_alice, shown, at_carol, alice_member = run(body(), timeout=120)
    assert typing_at_alice == ["active"], typing_at_alice
    assert sent["to"] == alice_member and sent["selected"] == "Alice (private)", sent
    assert sent["placeholder"] == "Private message to Alice", sent
    assert sent["options"][0] == "Everyone" and "Carol (private)" in sent["options"], sent
    assert at_alice.text() == "picked alice privately" and at_alice.header("To") == "<sip:alice@sylk.test>"
    assert shown["received"]["text"] == "Alice (private):answer to the web privately", shown
    assert "private" in shown["received"]["classes"], shown
    assert shown["mine"]["text"] == "Webby (private to Alice):picked alice privately", shown
    assert at_carol == [], at_carol


def test_room_page_shows_who_is_typing(janus):
    """room.html's typing line: an MSRP client's is-composing (RFC 3994) shows "Alice is typing…"
    under the chat; the web user typing in the page's input reaches the client as is-composing
    active; Alice's message clears the line."""
    room = "typing-page-room"

    async def body():
        probe_session, caller = await caller_for(janus)
        browser = None
        try:
            alice = await ChatClient.join(caller, room, "sip:alice@sylk.test", "Alice")
            browser = await spawn("node", os.path.join(TOP, "tests", "browser", "room_typing.mjs"),
                                  janus.http_url + "room.html", room, "Webby", "Alice", "hello the",
                                  stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)

            async def line_with(key):
                while True:
                    line = await asyncio.wait_for(browser.stdout.readline(), 60)
                    assert line, "the browser ended: %s" % (await browser.stderr.read()).decode(errors="replace")[-2000:]
                    found = json.loads(line) if line.startswith(b"{") else {}
                    assert "error" not in found, found
                    if key in found:
                        return found

            await line_with("joined")
            await alice.say(is_composing("active").decode(), content_type="application/im-iscomposing+xml")
            shown = (await line_with("shown"))["shown"]
            await line_with("typed")
            from_web = await alice.next(timeout=10)
            await alice.say("done typing")
            cleared = (await line_with("cleared"))["cleared"]
            await browser.wait()
            return shown, from_web, cleared
        finally:
            if browser and browser.returncode is None:
                browser.kill()
                await browser.wait()
            await probe_session.close()

    shown, from_web, cleared = run(body(), timeout=120)
    assert shown == "Alice is typing…"
    assert from_web.content_type == "application/im-iscomposing+xml"
    assert parse_is_composing(from_web.body)["state"] == "active"
    assert 'Webby' in from_web.header("From")
    assert cleared["typing"] == "" and "done typing" in cleared["messages"] and cleared["error"] is None
