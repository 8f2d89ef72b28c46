"""A SIP chat client in a room while the msrp plugin reaches it through Kamailio's MSRP relay
(RFC 4976) with short grants: Kamailio names a new Use-Path at every AUTH refresh and forwards on
the old one only until that grant expires, so the plugin moves the session to the new path and
the SIP focus re-INVITEs the phone with it (hub event msrp-path; docs/sip-api.md). sipp is the
phone (chat_call_repath.xml answers the re-INVITEs), the MSRP test peer behind the same relay is
its MSRP side and follows each re-INVITE's a=path, as a real client would; a web user of the
room's video room chats with it. Checked: every re-INVITE carries a new relay hop before the same
session URI, with the o= version one up and nothing else changed, and messages cross both ways
after the first and the second refresh, by which time the path of the first answer is dead.
The same for the SIP gateway: the phone calls a web user (a guest account on the Janus API)
with chat only, the user accepts, and the gateway re-INVITEs the phone with each new path."""
import asyncio
import hashlib
import json
import os
import re
import tempfile

import pytest

from conftest import BUILD, run
from harness.janus_api import Admin, Session
from harness.janus_process import JanusProcess, sanitizer_env
from harness.kamailio_msrp import KamailioMsrpRelay
from harness.rtp_peer import RtpPeer
from harness.msrp_peer import MsrpEndpoint, cpim, parse_cpim, parse_path
from test_gateway_msrp_files import answer_of
from test_msrp_switch_relay import msrp_status
from test_sip_msrp_chat import (SCENARIOS, ConferenceWatcher, answered, attribute, finish, messages, msrp_sessions, sipp,
                                trace, user_of)

EXPIRES = 8  # the plugin refreshes at 3/4 of it: a new path every 6 s, the old one dead 2 s later
REINVITES = 3  # what chat_call_repath.xml answers before its BYE


@pytest.fixture(scope="module")
def relay():
    relay = KamailioMsrpRelay(tempfile.mkdtemp(prefix="sylk-kamailio-"), port=2915, tls_port=2916, inner_port=2917,
                              tls=False, min_expires=EXPIRES)
    relay.start()
    yield relay
    alive = relay.alive()
    relay.stop()
    if not alive:
        pytest.fail("kamailio died during the tests:\n%s" % relay.log_tail())


@pytest.fixture(scope="module")
def janus(relay):
    process = JanusProcess(BUILD, tempfile.mkdtemp(prefix="sylk-janus-sip-repath-"), env=sanitizer_env(),
                           run_options={"msrp_options": {"listen_ip": "10.77.0.1", "relay_uri": relay.uri,
                                                         "relay_user": relay.user, "relay_password": relay.password,
                                                         "relay_expires": EXPIRES}})
    process.start()
    yield process
    alive = process.alive()
    code = process.stop()
    if not alive:
        pytest.fail("janus died during the tests (exit %s):\n%s" % (code, process.log_tail()))


def reinvites(trace_dir):
    """The focus's re-INVITEs to the phone (its Contact user is chatter), as SDP bodies, in order."""
    return [body for head, body in messages(trace(trace_dir)) if head.startswith("INVITE sip:chatter@")]


async def nth_reinvite(trace_dir, n, timeout=20):
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        found = reinvites(trace_dir)
        if len(found) >= n:
            return found[n - 1]
        await asyncio.sleep(0.05)
    raise AssertionError("no re-INVITE %d:\n%s" % (n, trace(trace_dir)[-4000:]))


def origin_version(sdp):
    return int(re.search(r"^o=\S+ \S+ (\d+) ", sdp, re.M).group(1))


def test_the_focus_reinvites_the_phone_with_each_new_relay_path(janus, relay):
    trace_dir = tempfile.mkdtemp(prefix="sylk-sipp-")
    room = "repath-room"

    async def chat_both_ways(chat, web, caller, text):
        sent = await chat.send_message(cpim(text, sender="Chatter <%s>" % caller,
                                            recipients=["sip:%s@127.0.0.1" % room]), "message/cpim")
        assert sent.statuses == [200], sent.statuses
        event = await web.next_event(predicate=lambda e: (e.get("plugindata", {}).get("data", {}).get("message") or {})
                                     .get("text") == text, timeout=10)
        at_web = event["plugindata"]["data"]["message"]["text"]
        await web.send({"request": "message", "text": "back " + text})
        at_phone = await chat.wait_message(
            lambda m: (m.content_type or "").startswith("message/cpim") and parse_cpim(m.body).text() == "back " + text,
            timeout=10)
        return at_web, parse_cpim(at_phone.body).text()

    async def body():
        status = await msrp_status(janus)
        for _ in range(75):
            if status.get("relay", {}).get("state") == "ready":
                break
            await asyncio.sleep(0.2)  # polling the plugin's status until its AUTH is granted
            status = await msrp_status(janus)
        assert status.get("relay", {}).get("state") == "ready", status
        endpoint = MsrpEndpoint(host="10.77.0.2")  # the phone's MSRP side, behind the relay too
        grant = await endpoint.authenticate(relay.uri, relay.user, relay.password)
        assert grant.status == 200
        chat = endpoint.session()
        session = await Session.create(janus.ws_url)
        try:
            web = await session.attach("janus.plugin.sylk.videoroom")
            await web.send({"request": "join", "ptype": "publisher", "room": room, "display": "Web"})
            call = await sipp("chat_call_repath.xml", trace_dir, ("room", room),
                              ("msrppath", " ".join(str(hop) for hop in chat.path)))
            caller, answer = await answered(trace_dir)
            paths = [parse_path(attribute(answer, "path"))]
            sdps = [answer]
            chat.remote_path = paths[0]
            await chat.wait_bound()  # the plugin connected to us through the relay (we are passive)
            crossed = [await chat_both_ways(chat, web, caller, "before any refresh")]
            for refresh in (1, 2):
                offer = await nth_reinvite(trace_dir, refresh)
                sdps.append(offer)
                paths.append(parse_path(attribute(offer, "path")))
                chat.remote_path = paths[-1]  # what the phone does with the re-INVITE
                crossed.append(await chat_both_ways(chat, web, caller, "after refresh %d" % refresh))
            await finish(call, trace_dir)  # the third re-INVITE answered too, then BYE
            return paths, sdps, crossed, reinvites(trace_dir), await msrp_status(janus)
        finally:
            await endpoint.close()
            await session.close()

    with relay.log_on_failure():
        paths, sdps, crossed, offers, status = run(body(), 120)
    assert crossed == [(text, "back " + text) for text in ("before any refresh", "after refresh 1", "after refresh 2")]
    check_repaths(relay, paths, sdps, offers)
    assert status["relay"]["authentications"] >= 3


def check_repaths(relay, paths, sdps, offers):
    assert len(offers) == REINVITES
    all_paths = paths + [parse_path(attribute(offer, "path")) for offer in offers[2:]]
    for path in all_paths:
        assert len(path) == 2 and (path[0].host, path[0].port) == (relay.host, relay.port), path
        assert path[1] == paths[0][1]                                   # the same session URI
    assert len({path[0].session_id for path in all_paths}) == len(all_paths)  # a new relay hop each time
    for before, after in zip(sdps, sdps[1:]):
        assert origin_version(after) == origin_version(before) + 1, (before, after)
        # nothing but the o= version and the a=path changed
        strip = lambda sdp: [line for line in sdp.splitlines() if not line.startswith(("o=", "a=path:"))]
        assert strip(after) == strip(before), (before, after)


def test_the_gateway_reinvites_a_chat_caller_with_each_new_relay_path(janus, relay):
    trace_dir = tempfile.mkdtemp(prefix="sylk-sipp-")

    async def body():
        status = await msrp_status(janus)
        for _ in range(75):
            if status.get("relay", {}).get("state") == "ready":
                break
            await asyncio.sleep(0.2)
            status = await msrp_status(janus)
        endpoint = MsrpEndpoint(host="10.77.0.2")
        grant = await endpoint.authenticate(relay.uri, relay.user, relay.password)
        assert grant.status == 200
        chat = endpoint.session()
        session = await Session.create(janus.ws_url)
        try:
            web = await session.attach("janus.plugin.sylk.sip")
            registered, _ = await web.send({"request": "register", "username": "sip:webuser@sylk.test", "type": "guest"})
            if "contact_user" not in json.dumps(registered):  # the answer or the event after it
                registered = await web.next_event(predicate=lambda e: "contact_user" in json.dumps(e), timeout=10)
            contact_user = re.search(r'"contact_user": "([^"]+)"', json.dumps(registered)).group(1)
            call = await sipp("chat_call_repath.xml", trace_dir, ("room", contact_user),
                              ("msrppath", " ".join(str(hop) for hop in chat.path)))
            await web.next_event(predicate=lambda e: "incomingcall" in json.dumps(e), timeout=20)
            await web.send({"request": "accept"})
            caller, answer = await answered(trace_dir)
            paths = [parse_path(attribute(answer, "path"))]
            sdps = [answer]
            chat.remote_path = paths[0]
            await chat.wait_bound()

            async def chat_both_ways(text):
                sent = await chat.send_message(cpim(text, sender="Chatter <%s>" % caller,
                                                    recipients=["sip:webuser@sylk.test"]), "message/cpim")
                assert sent.statuses == [200], sent.statuses
                await web.next_event(predicate=lambda e: json.dumps(text) in json.dumps(e), timeout=10)
                await web.send({"request": "message", "content": "back " + text})
                at_phone = await chat.wait_message(
                    lambda m: (m.content_type or "").startswith("message/cpim") and parse_cpim(m.body).text() == "back " + text,
                    timeout=10)
                return text, parse_cpim(at_phone.body).text()

            crossed = [await chat_both_ways("before any refresh")]
            for refresh in (1, 2):
                offer = await nth_reinvite(trace_dir, refresh)
                sdps.append(offer)
                paths.append(parse_path(attribute(offer, "path")))
                chat.remote_path = paths[-1]
                crossed.append(await chat_both_ways("after refresh %d" % refresh))
            await finish(call, trace_dir)
            return paths, sdps, crossed, reinvites(trace_dir)
        finally:
            await endpoint.close()
            await session.close()

    with relay.log_on_failure():
        paths, sdps, crossed, offers = run(body(), 120)
    assert crossed == [(text, "back " + text) for text in ("before any refresh", "after refresh 1", "after refresh 2")]
    check_repaths(relay, paths, sdps, offers)



async def relay_ready(janus):
    status = await msrp_status(janus)
    for _ in range(75):
        if status.get("relay", {}).get("state") == "ready":
            break
        await asyncio.sleep(0.2)
        status = await msrp_status(janus)
    assert status.get("relay", {}).get("state") == "ready", status


def bye_to_phone(trace_dir):
    """The head of the BYE the server sent the phone, or None."""
    return next((head for head, _ in messages(trace(trace_dir)) if head.startswith("BYE sip:chatter@")), None)


def janus_log(janus):
    return open(janus.log_path, errors="replace").read()


def test_the_focus_ends_a_chat_call_whose_phone_refuses_the_new_path(janus, relay):
    """The phone answers the focus's re-INVITE with the new relay path 488: the chat-only call
    cannot be reached any more once the old grant ends, so the focus ends it at once (BYE with
    Reason: SIP;cause=488), the log says why, and the call's MSRP session leaves the room."""
    trace_dir = tempfile.mkdtemp(prefix="sylk-sipp-")
    room = "repath-refused-room"

    async def body():
        await relay_ready(janus)
        endpoint = MsrpEndpoint(host="10.77.0.2")
        grant = await endpoint.authenticate(relay.uri, relay.user, relay.password)
        assert grant.status == 200
        chat = endpoint.session()
        session = await Session.create(janus.ws_url)
        try:
            web = await session.attach("janus.plugin.sylk.videoroom")
            await web.send({"request": "join", "ptype": "publisher", "room": room, "display": "Web"})
            call = await sipp("chat_call_repath_refused.xml", trace_dir, ("room", room),
                              ("msrppath", " ".join(str(hop) for hop in chat.path)))
            caller, answer = await answered(trace_dir)
            chat.remote_path = parse_path(attribute(answer, "path"))
            await chat.wait_bound()
            sent = await chat.send_message(cpim("before the refresh", sender="Chatter <%s>" % caller,
                                                recipients=["sip:%s@127.0.0.1" % room]), "message/cpim")
            assert sent.statuses == [200], sent.statuses
            during = (await msrp_status(janus))["rooms"]
            await finish(call, trace_dir)   # the re-INVITE refused, then our BYE taken
            after = await msrp_status(janus)
            for _ in range(50):
                if not any(entry["room"] == room and entry["sessions"] for entry in after["rooms"]):
                    break
                await asyncio.sleep(0.1)
                after = await msrp_status(janus)
            return during, after, bye_to_phone(trace_dir), janus_log(janus)
        finally:
            await endpoint.close()
            await session.close()

    with relay.log_on_failure():
        during, after, bye, log = run(body(), 120)
    assert any(entry["room"] == room and entry["sessions"] for entry in during), during
    assert bye is not None and re.search(r'^Reason: SIP;cause=488;text="new MSRP path refused"$', bye, re.M), bye
    assert re.search(r"re-INVITE of a call in room %s refused: 488" % room, log), log[-3000:]
    assert re.search(r"in room %s ended: its peer refused the new MSRP path \(488\)" % room, log), log[-3000:]
    assert not any(entry["room"] == room and entry["sessions"] for entry in after["rooms"]), after


def test_the_gateway_ends_a_chat_call_whose_peer_refuses_the_new_path(janus, relay):
    """The same for a chat-only call to a web user of the gateway, refused 403: BYE with the
    reason, and the page's "hangup" says why (the code and the refused path)."""
    trace_dir = tempfile.mkdtemp(prefix="sylk-sipp-")

    async def body():
        await relay_ready(janus)
        endpoint = MsrpEndpoint(host="10.77.0.2")
        grant = await endpoint.authenticate(relay.uri, relay.user, relay.password)
        assert grant.status == 200
        chat = endpoint.session()
        session = await Session.create(janus.ws_url)
        try:
            web = await session.attach("janus.plugin.sylk.sip")
            registered, _ = await web.send({"request": "register", "username": "sip:webuser@sylk.test", "type": "guest"})
            if "contact_user" not in json.dumps(registered):
                registered = await web.next_event(predicate=lambda e: "contact_user" in json.dumps(e), timeout=10)
            contact_user = re.search(r'"contact_user": "([^"]+)"', json.dumps(registered)).group(1)
            scenario = os.path.join(trace_dir, "refused_403.xml")  # the same phone, refusing with 403
            with open(os.path.join(SCENARIOS, "chat_call_repath_refused.xml")) as source, open(scenario, "w") as copy:
                copy.write(source.read().replace("SIP/2.0 488 Not Acceptable Here", "SIP/2.0 403 Forbidden"))
            call = await sipp(scenario, trace_dir, ("room", contact_user),
                              ("msrppath", " ".join(str(hop) for hop in chat.path)))
            await web.next_event(predicate=lambda e: "incomingcall" in json.dumps(e), timeout=20)
            await web.send({"request": "accept"})
            caller, answer = await answered(trace_dir)
            chat.remote_path = parse_path(attribute(answer, "path"))
            await chat.wait_bound()
            hangup = await web.next_event(predicate=lambda e: '"hangup"' in json.dumps(e), timeout=30)
            await finish(call, trace_dir)
            return hangup["plugindata"]["data"]["result"], bye_to_phone(trace_dir), janus_log(janus)
        finally:
            await endpoint.close()
            await session.close()

    with relay.log_on_failure():
        hangup, bye, log = run(body(), 120)
    assert hangup["code"] == 403 and "refused the chat's new MSRP path" in hangup["reason"], hangup
    assert bye is not None and re.search(r'^Reason: SIP;cause=403;text="new MSRP path refused"$', bye, re.M), bye
    assert re.search(r"chat call \S+ ended: its peer refused the new MSRP path \(403\)", log), log[-3000:]


def reinvites_to(trace_dir, user):
    return [body for head, body in messages(trace(trace_dir)) if head.startswith("INVITE sip:%s@" % user)]


async def nth_reinvite_to(trace_dir, user, n, timeout=20):
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        found = reinvites_to(trace_dir, user)
        if len(found) >= n:
            return found[n - 1]
        await asyncio.sleep(0.05)
    raise AssertionError("no re-INVITE %d:\n%s" % (n, trace(trace_dir)[-4000:]))


async def send_file_after_move(trace_dir, transfer, answer, payload):
    """The phone's side of a file transfer through the relay: bound on our first path, it follows
    the first re-INVITE's path, waits until the old path's grant is surely over (2 s after the
    refresh, EXPIRES 8) and only then sends the file, which so can only arrive by the new path."""
    transfer.remote_path = parse_path(attribute(answer, "path"))
    await transfer.wait_bound()
    offer = await nth_reinvite_to(trace_dir, "filer", 1)
    transfer.remote_path = parse_path(attribute(offer, "path"))
    await asyncio.sleep(3)
    sent = await transfer.send_message(payload, content_type="application/octet-stream", chunk_size=4000,
                                        timeout=30)
    return offer, sent


def only_path_changed(before, after):
    strip = lambda sdp: [line for line in sdp.splitlines() if not line.startswith(("o=", "a=path:"))]
    return strip(before) == strip(after) and origin_version(after) == origin_version(before) + 1


def test_the_focus_reinvites_a_file_transfer_with_its_new_relay_path(janus, relay):
    """A phone sends a file to a room through the relay: the transfer's MSRP session is moved at
    the relay's refresh like a chat's, the focus re-INVITEs the phone with the new path (nothing
    else changed), and the file, sent only after the old path died, reaches the room's web user."""
    trace_dir = tempfile.mkdtemp(prefix="sylk-sipp-")
    room = "repath-file-room"
    payload = os.urandom(200 * 1024)
    selector = 'name:"moved.bin" type:application/octet-stream size:%d' % len(payload)

    async def body():
        await relay_ready(janus)
        endpoint = MsrpEndpoint(host="10.77.0.2")
        grant = await endpoint.authenticate(relay.uri, relay.user, relay.password)
        assert grant.status == 200
        transfer = endpoint.session()
        session = await Session.create(janus.ws_url)
        try:
            web = await session.attach("janus.plugin.sylk.videoroom")
            await web.send({"request": "join", "ptype": "publisher", "room": room, "display": "Web"})
            call = await sipp("file_call_repath.xml", trace_dir, ("room", room), ("selector", selector),
                              ("msrppath", " ".join(str(hop) for hop in transfer.path)))
            answer = await answer_of(trace_dir)
            offer, sent = await send_file_after_move(trace_dir, transfer, answer, payload)
            event = await web.next_event(timeout=30, predicate=lambda e: "file" in e.get("plugindata", {}).get("data", {}))
            await finish(call, trace_dir)   # the second re-INVITE answered too, then BYE
            return answer, offer, sent, event["plugindata"]["data"]["file"], reinvites_to(trace_dir, "filer")
        finally:
            await endpoint.close()
            await session.close()

    with relay.log_on_failure():
        answer, offer, sent, announced, offers = run(body(), 120)
    assert re.search(r"^a=recvonly$", answer, re.M) and attribute(answer, "file-selector"), answer
    first, moved = parse_path(attribute(answer, "path")), parse_path(attribute(offer, "path"))
    assert moved[1] == first[1] and moved[0].session_id != first[0].session_id, (first, moved)
    assert only_path_changed(answer, offer), (answer, offer)
    assert len(offers) == 2
    assert set(sent.statuses) == {200}, sent.statuses
    assert announced["name"] == "moved.bin" and announced["size"] == len(payload), announced
    assert announced["sha1"] == hashlib.sha1(payload).hexdigest(), announced


def test_the_gateway_reinvites_a_file_transfer_with_its_new_relay_path(janus, relay):
    """The same for a file a phone sends a web user of the gateway (accepted over the Janus API):
    its dialog is re-INVITEd with the new path, and the file sent after the old path died is
    stored for the web user ("filereceived", byte-identical)."""
    trace_dir = tempfile.mkdtemp(prefix="sylk-sipp-")
    payload = os.urandom(150 * 1024)
    selector = 'name:"moved to web.bin" type:application/octet-stream size:%d' % len(payload)

    async def body():
        await relay_ready(janus)
        endpoint = MsrpEndpoint(host="10.77.0.2")
        grant = await endpoint.authenticate(relay.uri, relay.user, relay.password)
        assert grant.status == 200
        transfer = endpoint.session()
        session = await Session.create(janus.ws_url)
        try:
            web = await session.attach("janus.plugin.sylk.sip")
            registered, _ = await web.send({"request": "register", "username": "sip:webuser@sylk.test", "type": "guest"})
            if "contact_user" not in json.dumps(registered):
                registered = await web.next_event(predicate=lambda e: "contact_user" in json.dumps(e), timeout=10)
            contact_user = re.search(r'"contact_user": "([^"]+)"', json.dumps(registered)).group(1)
            call = await sipp("file_call_repath.xml", trace_dir, ("room", contact_user), ("selector", selector),
                              ("msrppath", " ".join(str(hop) for hop in transfer.path)))
            offered = await web.next_event(predicate=lambda e: '"fileoffer"' in json.dumps(e), timeout=20)
            await web.send({"request": "acceptfile", "transfer": offered["plugindata"]["data"]["result"]["transfer"]})
            answer = await answer_of(trace_dir)
            offer, sent = await send_file_after_move(trace_dir, transfer, answer, payload)
            received = await web.next_event(predicate=lambda e: '"filereceived"' in json.dumps(e), timeout=30)
            await finish(call, trace_dir)
            return answer, offer, sent, received["plugindata"]["data"]["result"]
        finally:
            await endpoint.close()
            await session.close()

    with relay.log_on_failure():
        answer, offer, sent, received = run(body(), 120)
    first, moved = parse_path(attribute(answer, "path")), parse_path(attribute(offer, "path"))
    assert moved[1] == first[1] and moved[0].session_id != first[0].session_id, (first, moved)
    assert only_path_changed(answer, offer), (answer, offer)
    assert set(sent.statuses) == {200}, sent.statuses
    assert received["size"] == len(payload) and received["sha1"] == hashlib.sha1(payload).hexdigest(), received


def media_of(xml, entity):
    """The media conference-info lists for a user (its <type>s), or None when it is not listed."""
    user = user_of(xml, entity)
    return re.findall(r"<type>(\w+)</type>", user) if user else None


async def audio_chat_call_in_room(janus, relay, room, scenario, call_ms):
    """A web user in room, then an audio + chat call from sipp (its RTP the phone below, its
    MSRP side the test peer behind the relay, bound): (sipp, the MSRP endpoint, its session, the
    Janus session, the web handle, the admin API); chat.phone streams PCMU to the room until
    closed, so that the call outlives the focus's RTP timeout."""
    await relay_ready(janus)
    endpoint = MsrpEndpoint(host="10.77.0.2")
    grant = await endpoint.authenticate(relay.uri, relay.user, relay.password)
    assert grant.status == 200
    chat = endpoint.session()
    session = await Session.create(janus.ws_url)
    admin = await Admin.open(janus.admin_url, janus.admin_secret)
    web = await session.attach("janus.plugin.sylk.videoroom")
    await web.send({"request": "join", "ptype": "publisher", "room": room, "display": "Web"})
    chat.phone = await RtpPeer("pcmu", 600).open()
    trace_dir = chat.trace_dir = tempfile.mkdtemp(prefix="sylk-sipp-")
    call = await sipp(scenario, trace_dir, ("room", room), ("rtpport", chat.phone.port),
                      ("msrppath", " ".join(str(hop) for hop in chat.path)), call_ms=call_ms)
    _, answer = await answered(trace_dir)
    audio_port = int(re.search(r"^m=audio (\d+) ", answer, re.M).group(1))
    chat.streaming = asyncio.ensure_future(chat.phone.stream(("127.0.0.1", audio_port), 30))
    chat.remote_path = parse_path(attribute(answer, "path"))
    await chat.wait_bound()
    return call, endpoint, chat, session, web, admin


async def end_call_in_room(endpoint, chat, session, admin):
    chat.streaming.cancel()
    chat.phone.close()
    await endpoint.close()
    await admin.close()
    await session.close()


def in_mix(rooms, room):
    return [p["display"] for entry in rooms["list"] if entry["room"] == room for p in entry["participants"]]


def test_the_focus_ends_only_the_chat_of_an_audio_call_whose_phone_refuses_the_new_path(janus, relay):
    """An audio + chat call in a room; the phone answers the re-INVITE with the new relay path
    488. The audio goes on (no BYE, still in the mix) while the chat ends at once: its MSRP
    session leaves the msrp plugin, the room's chat gets a notice, and conference-info lists the
    participant with audio only. The phone hangs up later itself."""
    room = "repath-audio-refused-room"

    async def body():
        call, endpoint, chat, session, web, admin = await audio_chat_call_in_room(
            janus, relay, room, "audio_chat_call_repath_refused.xml", call_ms=1000)
        watcher = ConferenceWatcher(room)
        try:
            caller = re.search(r"^From: \"Chatter\" <([^>]+)>", trace(chat.trace_dir), re.M).group(1)
            await watcher.start()
            before = await watcher.wait(lambda xml: (media_of(xml, caller) or []) == ["audio", "message"], timeout=10)
            notice = await web.next_event(timeout=15, predicate=lambda e: "chat ended" in str(
                (e.get("plugindata", {}).get("data", {}).get("message") or {}).get("text")))
            after = await watcher.wait(lambda xml: media_of(xml, caller) == ["audio"], timeout=10)
            _, sessions = await msrp_sessions(admin, room)
            mixed = in_mix(await admin.message_plugin("janus.plugin.sylk.audiomixer", {"request": "list"}), room)
            bye_before_phone = bye_to_phone(chat.trace_dir)
            await finish(call, chat.trace_dir)  # the phone's own BYE, after -d
            return (before, after, notice["plugindata"]["data"]["message"]["text"], sessions, mixed, bye_before_phone,
                    trace(chat.trace_dir), janus_log(janus))
        finally:
            await watcher.stop()
            await end_call_in_room(endpoint, chat, session, admin)

    with relay.log_on_failure():
        before, after, notice, sessions, mixed, bye, phone_trace, log = run(body(), 60)
    assert "Chatter's chat ended: the new MSRP path was refused (488); the call goes on" == notice, notice
    assert sessions == [], sessions
    assert mixed == ["Chatter"], mixed
    assert bye is None, bye
    # the phone itself is told too: its room chat is now in-dialog MESSAGEs, the notice the first
    told = [body for head, body in messages(phone_trace) if head.startswith("MESSAGE sip:chatter@")]
    assert told and "Chatter's chat ended" in told[0], told
    assert re.search(r"the chat of call \S+ in room %s ended: its peer refused the new MSRP path \(488\)" % room, log)


def test_the_focus_retries_a_new_path_answered_491(janus, relay):
    """The phone answers the first re-INVITE with the new relay path 491 (glare): the focus sends
    the same offer again after RFC 3261 §14.1's wait (0 to 2 s: the phone made the Call-ID), the
    phone takes it, and the chat goes on (its MSRP session stays, no notice)."""
    room = "repath-audio-glare-room"

    async def body():
        call, endpoint, chat, session, web, admin = await audio_chat_call_in_room(
            janus, relay, room, "audio_chat_call_repath_glare.xml", call_ms=1000)
        try:
            await finish(call, chat.trace_dir)  # 491, the retry 200, then the phone's BYE
            found = [(head, body) for head, body in messages(trace(chat.trace_dir)) if head.startswith("INVITE sip:chatter@")]
            return found, trace(chat.trace_dir), janus_log(janus)
        finally:
            await end_call_in_room(endpoint, chat, session, admin)

    with relay.log_on_failure():
        found, sipp_trace, log = run(body(), 60)
    assert len(found) == 2 and found[0][1] == found[1][1], found   # the same offer, once more
    retried = re.search(r"in room %s with a new MSRP path: 491, again in (\d+) ms" % room, log)
    assert retried and 0 <= int(retried.group(1)) <= 2000, log[-3000:]
    assert not re.search(r"in room %s ended" % room, log)


def msrp_session_ids(status):
    """The msrp plugin's 1:1 (direct) sessions: a gateway call's chat is one."""
    return [entry["session"] for entry in status["direct"]]


async def gateway_audio_chat_call(janus, relay, scenario, during_call):
    """A phone (sipp running scenario, its MSRP side the test peer behind the relay) calls a web
    user of the gateway with audio and chat; the page answers the audio with aiortc, the phone
    streams PCMU. Returns what during_call(user, trace_dir, our MSRP session id) returns, then
    the phone's trace once sipp ended, and the page's hangup."""
    from test_sip_gateway import WebUser, sip_event
    await relay_ready(janus)
    endpoint = MsrpEndpoint(host="10.77.0.2")
    grant = await endpoint.authenticate(relay.uri, relay.user, relay.password)
    assert grant.status == 200
    chat = endpoint.session()
    user = await WebUser(janus, 440).open()
    phone = await RtpPeer("pcmu", 600).open()
    streaming = None
    try:
        registered, _ = await user.handle.send({"request": "register", "username": "sip:webuser@sylk.test", "type": "guest"})
        if "contact_user" not in json.dumps(registered):
            registered = await user.handle.next_event(predicate=lambda e: "contact_user" in json.dumps(e), timeout=10)
        contact_user = re.search(r'"contact_user": "([^"]+)"', json.dumps(registered)).group(1)
        trace_dir = tempfile.mkdtemp(prefix="sylk-sipp-")
        call = await sipp(scenario(trace_dir), trace_dir, ("room", contact_user), ("rtpport", phone.port),
                          ("msrppath", " ".join(str(hop) for hop in chat.path)), call_ms=1000)
        _, jsep = await sip_event(user.handle, ("incomingcall",), timeout=20)
        await user.handle.send({"request": "accept"}, jsep=await user.answer(jsep))
        _, answer = await answered(trace_dir)
        audio_port = int(re.search(r"^m=audio (\d+) ", answer, re.M).group(1))
        streaming = asyncio.ensure_future(phone.stream(("127.0.0.1", audio_port), 30))
        chat.remote_path = parse_path(attribute(answer, "path"))
        await chat.wait_bound()
        seen = await during_call(user, trace_dir, parse_path(attribute(answer, "path"))[-1].session_id)
        await finish(call, trace_dir)  # the phone's own BYE, after -d
        hangup, _ = await sip_event(user.handle, ("hangup",), timeout=10)
        return seen, trace(trace_dir), hangup["result"]
    finally:
        if streaming:
            streaming.cancel()
        phone.close()
        await endpoint.close()
        await user.close()


def test_the_gateway_ends_only_the_chat_of_an_audio_call_whose_peer_refuses_the_new_path(janus, relay):
    """A phone calls a web user of the gateway with audio and chat; the phone answers the
    re-INVITE with the new relay path 488. The audio goes on (no BYE, no hangup until the
    phone's) while the chat ends at once: the page gets "chatclosed" with the code and why, and
    the call's MSRP session is closed."""
    from test_sip_gateway import sip_event

    def scenario(trace_dir):
        # The same phone without the focus's MESSAGE step: the gateway's page is told instead.
        copy = os.path.join(trace_dir, "refused_no_message.xml")
        with open(os.path.join(SCENARIOS, "audio_chat_call_repath_refused.xml")) as source:
            text = re.sub(r"  <!-- the room's notice.*?</send>\n", "", source.read(), flags=re.S)
        with open(copy, "w") as out:
            out.write(text)
        return copy

    async def during_call(user, trace_dir, ours):
        during = msrp_session_ids(await msrp_status(janus))
        closed, _ = await sip_event(user.handle, ("chatclosed", "hangup"), timeout=15)
        after = msrp_session_ids(await msrp_status(janus))
        return closed["result"], ours, during, after, bye_to_phone(trace_dir)

    with relay.log_on_failure():
        seen, _, hangup = run(gateway_audio_chat_call(janus, relay, scenario, during_call), 60)
    closed, ours, during, after, bye = seen
    assert closed["event"] == "chatclosed" and closed["code"] == 488, closed
    assert closed["reason"] == "the peer refused the chat's new MSRP path: 488 Not Acceptable Here", closed
    assert bye is None, bye                       # the audio went on until the phone hung up
    assert hangup["event"] == "hangup", hangup
    assert ours in during and ours not in after, (ours, during, after)
    assert re.search(r"the chat of call \S+ ended: its peer refused the new MSRP path \(488\); the audio goes on",
                     janus_log(janus))


def test_the_gateway_retries_a_new_path_answered_491(janus, relay):
    """The same call, the phone answering the first re-INVITE with the new path 491 (glare):
    the gateway sends the same offer again 0 to 2 s later (the phone made the Call-ID), the
    phone takes it, and the chat stays (no chatclosed, the MSRP session still open)."""
    from test_sip_gateway import sip_event

    async def during_call(user, trace_dir, ours):
        await nth_reinvite_to(trace_dir, "chatter", 2)
        await answered(trace_dir, cseq=int(re.findall(r"^CSeq: (\d+) INVITE$", trace(trace_dir), re.M)[-1]))
        return ours, msrp_session_ids(await msrp_status(janus))

    with relay.log_on_failure():
        (ours, sessions), phone_trace, hangup = run(
            gateway_audio_chat_call(janus, relay, lambda _: "audio_chat_call_repath_glare.xml", during_call), 60)
    found = [body for head, body in messages(phone_trace) if head.startswith("INVITE sip:chatter@")]
    assert len(found) == 2 and found[0] == found[1], found   # the same offer, once more
    assert ours in sessions, (ours, sessions)
    assert hangup["event"] == "hangup", hangup
    log = janus_log(janus)
    retried = re.findall(r"re-INVITE of call \S+ with a new MSRP path: 491, again in (\d+) ms", log)
    assert retried and 0 <= int(retried[-1]) <= 2000, log[-3000:]
