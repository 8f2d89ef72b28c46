"""Monitoring: every plugin reports to Janus's event handlers, and answers the admin API's
handle_info with its view of the handle (plugin_specific).

Janus's own sample event handler (Debian's libjanus_sampleevh.so) is loaded and POSTs what it
gets to a collector on 127.0.0.1 (EVENT_COLLECTOR, see conftest.py); the tests drive real peers
(aiortc, sipp with a Python RTP phone) and check the events that arrive, their shapes
(docs/events.md) and the session and handle ids Janus puts around them."""
import asyncio
import os
import shutil
import tempfile

from conftest import run
from harness.janus_api import Admin, Session
from harness.peers import ColourTrack, ToneTrack, accept, make_peer, offer
from harness.processes import spawn
from harness.rtp_peer import RtpPeer
from test_audiomixer import Voice
from test_sip_focus import SCENARIOS, sipp, wait_for
from test_sip_gateway import CALLEE_PORT, REGISTRAR_PORT, WebUser, sip_event, sipp_uas
from test_videoroom_api import Participant

EVENT_COLLECTOR = True  # grouped: sampleevh POSTs JSON arrays

ECHO = "janus.plugin.sylk.echo"
ROOM = "janus.plugin.sylk.videoroom"
MIXER = "janus.plugin.sylk.audiomixer"
SIP = "janus.plugin.sylk.sip"


def on_handle(handle, **fields):
    """A predicate: the event was about handle (Janus's ids around it) and has these fields."""
    return lambda e: (e["_handle_id"] == handle.id and e["_session_id"] == handle.session.id
                      and all(e.get(k) == v for k, v in fields.items()))


def having(**fields):
    return lambda e: all(e.get(k) == v for k, v in fields.items())


async def plugin_specific(admin, handle):
    info = await handle.info(admin)
    return info["info"]["plugin_specific"]


async def plugin_specific_after_open(janus, handle):
    """The same with an admin connection of its own."""
    admin = await Admin.open(janus.admin_url, janus.admin_secret)
    try:
        return await plugin_specific(admin, handle)
    finally:
        await admin.close()


def test_echo_reports_its_configuration_and_describes_the_handle(janus):
    async def body():
        session = await Session.create(janus.ws_url)
        admin = await Admin.open(janus.admin_url, janus.admin_secret)
        pc, _ = await make_peer(data_channel=False)
        try:
            handle = await session.attach(ECHO)
            pc.addTrack(ToneTrack(440))
            pc.addTrack(ColourTrack((0, 0, 200)))
            data, jsep = await handle.send({"request": "configure", "audio": True, "video": False, "bitrate": 128000},
                                           jsep=await offer(pc))
            await accept(pc, jsep)
            configured = await janus.events.wait(ECHO, on_handle(handle, event="configured"))
            await handle.next_event(timeout=15, predicate=lambda e: e.get("janus") == "webrtcup")
            described = await plugin_specific(admin, handle)
            return data, configured, described
        finally:
            await pc.close()
            await admin.close()
            await session.close()

    data, configured, described = run(body())
    assert data["result"] == "ok", data
    assert configured["audio_active"] is True and configured["video_active"] is False, configured
    assert configured["bitrate"] == 128000
    assert described["audio_codec"] == "opus" and described["video_codec"] == "vp8", described
    assert described["media_up"] is True and described["video"] is False
    assert janus.events.grouped_posts > 0 and not janus.events.malformed


def test_videoroom_events_and_handle_info(janus):
    async def body():
        alice = Participant(janus, "events-room", "Alice")
        bob = Participant(janus, "events-room", "Bob")
        admin = await Admin.open(janus.admin_url, janus.admin_secret)
        events = janus.events
        try:
            await alice.join(tone=440, colour=(0, 200, 0), amplitude=12000)
            alice_id = alice.joined["id"]
            await bob.join()
            await bob.subscribe([alice_id], private_id=bob.joined["private_id"])
            await bob.sub.next_event(timeout=15, predicate=lambda e: e.get("janus") == "webrtcup")
            seen = {
                "created": await events.wait(ROOM, having(event="created", room="events-room")),
                "joined": await events.wait(ROOM, on_handle(alice.handle, event="joined")),
                "configured": await events.wait(ROOM, on_handle(alice.handle, event="configured")),
                "published": await events.wait(ROOM, on_handle(alice.handle, event="published")),
                "subscribing": await events.wait(ROOM, on_handle(bob.sub, event="subscribing")),
                "subscribed": await events.wait(ROOM, on_handle(bob.sub, event="subscribed")),
                "talking": await events.wait(ROOM, on_handle(alice.handle, videoroom="talking"), timeout=15),
            }
            publisher = await plugin_specific(admin, alice.handle)
            subscriber = await plugin_specific(admin, bob.sub)
            alice.tone.amplitude = 0
            seen["stopped-talking"] = await events.wait(ROOM, on_handle(alice.handle, videoroom="stopped-talking"),
                                                        timeout=15)
            await bob.sub.send({"request": "unsubscribe", "streams": [{"feed": alice_id}]})
            seen["updated"] = await events.wait(ROOM, on_handle(bob.sub, event="updated"))
            await alice.handle.send({"request": "unpublish"})
            seen["unpublished"] = await events.wait(ROOM, on_handle(alice.handle, event="unpublished"))
            await alice.handle.send({"request": "leave"})
            seen["leaving"] = await events.wait(ROOM, on_handle(alice.handle, event="leaving"))
            await bob.handle.send({"request": "leave"})  # the room, made on demand, goes with its last one
            seen["destroyed"] = await events.wait(ROOM, having(event="destroyed", room="events-room"))
            return alice_id, bob.joined["private_id"], seen, publisher, subscriber
        finally:
            await admin.close()
            await bob.close()
            await alice.close()

    alice_id, bob_private, seen, publisher, subscriber = run(body(), timeout=120)
    assert seen["created"]["_handle_id"] is None  # a room is nobody's handle
    joined = seen["joined"]
    assert joined["room"] == "events-room" and joined["id"] == alice_id and joined["display"] == "Alice", joined
    assert isinstance(joined["private_id"], int)
    published = seen["published"]
    assert published["id"] == alice_id and published["display"] == "Alice"
    codecs = {s["type"]: s["codec"] for s in published["streams"]}
    assert codecs == {"audio": "opus", "video": "vp8"}, published
    assert all(s["mid"] and isinstance(s["mindex"], int) for s in published["streams"])
    subscribing = seen["subscribing"]
    assert subscribing["room"] == "events-room" and subscribing["private_id"] == bob_private
    assert [s["feed_id"] for s in subscribing["streams"]] == [alice_id, alice_id], subscribing
    assert seen["talking"]["id"] == alice_id and isinstance(seen["talking"]["audio-level-dBov-avg"], int)
    assert seen["stopped-talking"]["id"] == alice_id
    assert all(s.get("active") is False for s in seen["updated"]["streams"]), seen["updated"]
    assert seen["unpublished"]["id"] == alice_id and seen["leaving"]["id"] == alice_id
    # handle_info: the publisher, its streams and who receives them
    assert publisher["type"] == "publisher" and publisher["room"] == "events-room", publisher
    assert publisher["id"] == alice_id and publisher["display"] == "Alice" and publisher["active"] is True
    streams = {s["type"]: s for s in publisher["streams"]}
    assert streams["audio"]["codec"] == "opus" and streams["video"]["codec"] == "vp8"
    assert streams["audio"]["subscribers"] == 1 and streams["video"]["subscribers"] == 1, publisher
    # ... and the subscriber, its slots and their source
    assert subscriber["type"] == "subscriber" and subscriber["private_id"] == bob_private, subscriber
    assert subscriber["answered"] is True and subscriber["subscriptions"] == 2
    assert {(s["type"], s["feed_id"], s["feed_display"]) for s in subscriber["streams"]} == {
        ("audio", alice_id, "Alice"), ("video", alice_id, "Alice")}
    assert janus.alive()


def test_audiomixer_events_and_handle_info(janus):
    async def body():
        ann = Voice(janus, "events-mix", "Ann", 440)
        admin = await Admin.open(janus.admin_url, janus.admin_secret)
        events = janus.events
        try:
            await ann.join()
            seen = {
                "created": await events.wait(MIXER, having(event="created", room="events-mix")),
                "joined": await events.wait(MIXER, on_handle(ann.handle, event="joined")),
                "configured": await events.wait(MIXER, on_handle(ann.handle, event="configured")),
                "talking": await events.wait(MIXER, on_handle(ann.handle, audiobridge="talking"), timeout=15),
            }
            await asyncio.sleep(1)  # 50 packets each way
            described = await plugin_specific(admin, ann.handle)
            await ann.handle.send({"request": "configure", "muted": True})
            seen["muted"] = await events.wait(MIXER, on_handle(ann.handle, event="configured", muted=True))
            ann.tone.amplitude = 0
            seen["stopped-talking"] = await events.wait(MIXER, on_handle(ann.handle, audiobridge="stopped-talking"),
                                                        timeout=15)
            await ann.handle.send({"request": "leave"})
            seen["left"] = await events.wait(MIXER, on_handle(ann.handle, event="left"))
            seen["destroyed"] = await events.wait(MIXER, having(event="destroyed", room="events-mix"))
            idle = await plugin_specific(admin, ann.handle)
            return ann.joined["id"], seen, described, idle
        finally:
            await admin.close()
            await ann.close()

    ann_id, seen, described, idle = run(body(), timeout=90)
    joined = seen["joined"]
    assert joined["room"] == "events-mix" and joined["id"] == ann_id and joined["display"] == "Ann", joined
    assert joined["muted"] is False and joined["codec"] == "opus" and "plain_rtp" not in joined
    assert seen["talking"]["id"] == ann_id and seen["stopped-talking"]["id"] == ann_id
    assert seen["left"] == dict(seen["left"], event="left", room="events-mix", id=ann_id, display="Ann")
    assert described["state"] == "inroom" and described["room"] == "events-mix", described
    assert described["id"] == ann_id and described["display"] == "Ann" and described["codec"] == "opus"
    assert described["muted"] is False and described["talking"] is True
    assert described["stats"]["packets_in"] > 40 and described["stats"]["packets_out"] > 40, described
    assert idle["state"] == "idle" and "room" not in idle, idle


def test_sip_gateway_registration_and_call_events_and_handle_info(janus):
    trace_dir = tempfile.mkdtemp(prefix="sylk-events-")

    async def body():
        phone = await RtpPeer("pcmu", 600).open()
        registrar = await sipp_uas("registrar.xml", REGISTRAR_PORT, trace_dir, "registrar")
        callee = await sipp_uas("callee.xml", CALLEE_PORT, trace_dir, "callee", ("rtpport", phone.port))
        user = await WebUser(janus, 440).open()
        admin = await Admin.open(janus.admin_url, janus.admin_secret)
        events = janus.events
        try:
            await asyncio.sleep(0.5)
            aor = "sip:alice@127.0.0.1:%d" % REGISTRAR_PORT
            await user.handle.send({"request": "register", "username": aor, "secret": "secret", "display_name": "Alice"})
            await sip_event(user.handle, ("registered", "registration_failed"))
            seen = {"registered": await events.wait(SIP, on_handle(user.handle, event="registered"))}
            registered_info = await plugin_specific(admin, user.handle)
            await user.handle.send({"request": "call", "uri": "sip:bob@127.0.0.1:%d" % CALLEE_PORT},
                                   jsep=await offer(user.pc))
            accepted, jsep = await sip_event(user.handle, ("accepted", "hangup"))
            await accept(user.pc, jsep)
            invite = await wait_for(os.path.join(trace_dir, "callee.log"), r"INVITE sip:bob.*?m=audio (\d+) RTP/AVP")
            await phone.stream(("127.0.0.1", int(invite.group(1))), 2)
            in_call = await plugin_specific(admin, user.handle)
            seen["calling"] = await events.wait(SIP, on_handle(user.handle, event="calling"))
            seen["proceeding"] = await events.wait(SIP, on_handle(user.handle, event="proceeding"))
            seen["accepted"] = await events.wait(SIP, on_handle(user.handle, event="accepted"))
            await user.handle.send({"request": "dtmf_info", "digit": "5"})  # callee.xml waits for it
            await asyncio.sleep(0.5)
            await user.handle.send({"request": "hangup"})
            await sip_event(user.handle, ("hangup",))
            seen["hangup"] = await events.wait(SIP, on_handle(user.handle, event="hangup"))
            await asyncio.wait_for(callee.communicate(), 20)
            await user.handle.send({"request": "unregister"})
            await sip_event(user.handle, ("unregistered", "unregistration_failed"))
            seen["unregistered"] = await events.wait(SIP, on_handle(user.handle, event="unregistered"))
            await asyncio.wait_for(registrar.communicate(), 20)
            return aor, accepted, seen, registered_info, in_call
        finally:
            phone.close()
            await admin.close()
            await user.close()

    try:
        aor, accepted, seen, registered_info, in_call = run(body(), timeout=120)
    finally:
        shutil.rmtree(trace_dir, ignore_errors=True)
    call_id = accepted["call_id"]
    assert seen["registered"] == dict(seen["registered"], identity=aor, type="sip"), seen["registered"]
    assert seen["calling"]["callee"] == "sip:bob@127.0.0.1:%d" % CALLEE_PORT and seen["calling"]["call-id"] == call_id
    assert seen["proceeding"]["code"] == 180 and seen["proceeding"]["call-id"] == call_id
    assert seen["accepted"]["call-id"] == call_id and seen["accepted"]["codec"] == "pcmu", seen["accepted"]
    assert seen["hangup"]["call-id"] == call_id and seen["hangup"]["code"] == 200, seen["hangup"]
    assert seen["unregistered"]["identity"] == aor
    assert registered_info["registration_status"] == "registered" and registered_info["identity"] == aor
    assert registered_info["call_status"] == "idle" and "secret" not in str(registered_info)
    assert in_call["call_status"] == "incall" and in_call["call_id"] == call_id, in_call
    assert in_call["callee"] == "sip:bob@127.0.0.1:%d" % CALLEE_PORT and in_call["incoming"] is False
    media = in_call["media"]
    assert media["codec"] == "pcmu" and media["transcoding"] is True and media["srtp"] is False, media
    assert media["packets_to_sip"] > 20 and media["packets_to_webrtc"] > 20, media


def test_sip_focus_reports_phones_joining_and_leaving_rooms(janus):
    trace_dir = tempfile.mkdtemp(prefix="sylk-events-")

    async def body():
        phone = await RtpPeer("pcmu", 600).open()
        events = janus.events
        try:
            call = await sipp("codec_call.xml", trace_dir, ("room", "events-phones"), ("rtpport", phone.port),
                              ("pt", 0), ("rtpmap", "PCMU/8000"))
            answer = await wait_for(os.path.join(trace_dir, "messages.log"), r"SIP/2\.0 200 OK.*?m=audio (\d+) RTP/AVP")
            await phone.stream(("127.0.0.1", int(answer.group(1))), 1)
            joined = await events.wait(SIP, having(event="joined", room="events-phones"))
            mixer_joined = await events.wait(MIXER, having(event="joined", room="events-phones"))
            _, errors = await asyncio.wait_for(call.communicate(), 30)
            left = await events.wait(SIP, having(event="left", room="events-phones"))
            invite = open(os.path.join(trace_dir, "messages.log"), errors="replace").read()
            return joined, mixer_joined, left, call.returncode, errors, invite
        finally:
            phone.close()

    try:
        joined, mixer_joined, left, status, errors, trace = run(body(), timeout=90)
    finally:
        shutil.rmtree(trace_dir, ignore_errors=True)
    assert status == 0, errors.decode(errors="replace")[-1000:]
    assert joined["_handle_id"] is None  # phones are not Janus handles
    assert joined["codec"] == "pcmu" and joined["direction"] == "incoming" and joined["srtp"] is False, joined
    assert joined["chat"] is False, joined  # no m=message (test_sip_msrp_chat.py has one)
    assert joined["call-id"] and "Call-ID: %s" % joined["call-id"] in trace
    assert joined["uri"].startswith("sip:") and joined["id"] == mixer_joined["id"], (joined, mixer_joined)
    assert mixer_joined["plain_rtp"] is True and mixer_joined["codec"] == "pcmu"
    assert left["id"] == joined["id"] and left["call-id"] == joined["call-id"]


def test_sip_gateway_incoming_call_events_and_handle_info(janus):
    """A phone (sipp) calls a guest account of a web user: incomingcall, accepted, the call as
    handle_info shows it, and the phone's BYE."""
    trace_dir = tempfile.mkdtemp(prefix="sylk-events-")

    async def body():
        phone = await RtpPeer("g722", 500).open()
        user = await WebUser(janus, 440).open()
        admin = await Admin.open(janus.admin_url, janus.admin_secret)
        events = janus.events
        try:
            data, _ = await user.handle.send({"request": "register", "username": "sip:carol-web@sylk.test", "type": "guest"})
            seen = {"registered": await events.wait(SIP, on_handle(user.handle, event="registered"))}
            caller = await spawn("sipp", "127.0.0.1:5060", "-sf", os.path.join(SCENARIOS, "call_web_user.xml"), "-m", "1",
                                 "-i", "127.0.0.1", "-p", "0", "-nostdin", "-timeout", "60s", "-trace_msg",
                                 "-message_file", os.path.join(trace_dir, "caller.log"),
                                 "-set", "user", data["result"]["contact_user"], "-set", "rtpport", str(phone.port),
                                 cwd=trace_dir, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
            _, jsep = await sip_event(user.handle, ("incomingcall",))
            seen["incomingcall"] = await events.wait(SIP, on_handle(user.handle, event="incomingcall"))
            await user.handle.send({"request": "accept"}, jsep=await user.answer(jsep))
            seen["accepted"] = await events.wait(SIP, on_handle(user.handle, event="accepted"))
            answer = await wait_for(os.path.join(trace_dir, "caller.log"), r"SIP/2\.0 200 OK.*?m=audio (\d+) RTP/AVP")
            await phone.stream(("127.0.0.1", int(answer.group(1))), 1)
            in_call = await plugin_specific(admin, user.handle)
            await sip_event(user.handle, ("message",))
            await sip_event(user.handle, ("composing",))  # after the IMDN of its message, as the scenario wants
            await user.handle.send({"request": "message", "content": "hi carol", "imdn": True})  # the scenario waits for it
            seen["hangup"] = await events.wait(SIP, on_handle(user.handle, event="hangup"), timeout=20)
            _, errors = await asyncio.wait_for(caller.communicate(), 20)
            trace = open(os.path.join(trace_dir, "caller.log"), errors="replace").read()
            return seen, in_call, caller.returncode, errors, trace
        finally:
            phone.close()
            await admin.close()
            await user.close()

    try:
        seen, in_call, status, errors, trace = run(body(), timeout=90)
    finally:
        shutil.rmtree(trace_dir, ignore_errors=True)
    assert status == 0, errors.decode(errors="replace")[-1000:]
    assert seen["registered"]["type"] == "guest" and seen["registered"]["identity"] == "sip:carol-web@sylk.test"
    incoming = seen["incomingcall"]
    call_id = incoming["call-id"]
    assert "Call-ID: %s" % call_id in trace, incoming
    assert incoming["username"].startswith("sip:carol@") and incoming["displayname"] == "Carol", incoming
    assert incoming["callee"] == "sip:alice@sylk.test" and incoming["codec"] == "g722"
    assert seen["accepted"]["call-id"] == call_id and seen["accepted"]["codec"] == "g722", seen["accepted"]
    assert seen["hangup"] == dict(seen["hangup"], event="hangup", code=200, reason="BYE"), seen["hangup"]
    assert seen["hangup"]["call-id"] == call_id
    assert in_call["call_status"] == "incall" and in_call["incoming"] is True and in_call["call_id"] == call_id
    assert in_call["caller"] == incoming["username"] and in_call["media"]["codec"] == "g722", in_call
    assert in_call["registration_status"] == "registered" and in_call["type"] == "guest"


def test_sip_gateway_reports_a_refused_registration(janus):
    trace_dir = tempfile.mkdtemp(prefix="sylk-events-")

    async def body():
        registrar = await sipp_uas("registrar.xml", REGISTRAR_PORT, trace_dir, "registrar")
        user = await WebUser(janus, 440).open()
        try:
            await asyncio.sleep(0.5)
            await user.handle.send({"request": "register", "username": "sip:alice@127.0.0.1:%d" % REGISTRAR_PORT,
                                    "secret": "wrong"})
            failed = await janus.events.wait(SIP, on_handle(user.handle, event="registration_failed"))
            await asyncio.wait_for(registrar.communicate(), 20)
            described = await plugin_specific_after_open(janus, user.handle)
            return failed, described
        finally:
            await user.close()

    try:
        failed, described = run(body(), timeout=60)
    finally:
        shutil.rmtree(trace_dir, ignore_errors=True)
    assert failed == dict(failed, code=403, reason="Forbidden"), failed
    assert described == {"registration_status": "unregistered", "call_status": "idle"}, described

