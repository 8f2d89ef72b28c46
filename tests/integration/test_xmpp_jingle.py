"""Jingle audio calls to rooms (issue 12): a real Jingle caller, StanzaJS with libwebrtc for
node (tests/jingle/jingle_peer.js over Prosody's WebSocket: XEP-0166/0167/0176 with DTLS
fingerprints, XEP-0320, Opus), calls room@conference.localhost while a web user (aiortc) is in
that room's audio mix. Janus core terminates the caller's ICE and DTLS-SRTP (the XMPP plugin
reaches the mixer through the in-process Janus API). Each side sends its own tone; each must
hear the other's and the caller not its own. Bad Jingle requests get stanza errors and leave no
call, session or participant behind."""
import asyncio
import json
import os
import tempfile

import numpy

from conftest import run
from harness.janus_api import Admin, Session
from harness.room_members import RoomPhone
from harness.xmpp_client import XmppClient
from test_audiomixer import Voice, tone_db

XMPP = True
PLUGIN = "janus.plugin.sylk.xmpp"
MIXER = "janus.plugin.sylk.audiomixer"
PEER = os.path.join(os.path.dirname(__file__), "..", "jingle", "jingle_peer.js")
WEB_TONE, CALLER_TONE = 440, 1000
PHONE_TONE = 600  # RoomPhone's RTP peer
PHONE_NOISE_REFERENCE = 850  # a frequency nobody sends
CALL_S = 12
FINGERPRINT = ("02:1A:CC:54:27:AB:EB:9C:53:3F:3E:4B:65:2E:7D:46:3F:54:42:CD:54:F1:7A:03:A2:7D:F9:B0:7F:46:"
               "19:B2")
NS_JINGLE_ERRORS = "urn:xmpp:jingle:errors:1"


def room_jid(prosody, name):
    return "%s@%s" % (name, prosody.muc_domain)


async def mixer_participants(admin, room):
    rooms = (await admin.message_plugin(MIXER, {"request": "list"}))["list"]
    found = [r for r in rooms if r["room"] == room]
    return found[0]["participants"] if found else []


async def jingle_status(admin):
    reply = await admin.message_plugin(PLUGIN, {"request": "status"})
    return reply.get("status", reply)["muc"]["jingle"]


class JinglePeer:
    """tests/jingle/jingle_peer.js as a child process; its JSON lines are the events."""

    async def start(self, prosody, user, room, tone, seconds):
        self.out = tempfile.NamedTemporaryFile(prefix="jingle-heard-", suffix=".raw", delete=False).name
        self.events = []
        self.process = await asyncio.create_subprocess_exec(
            "node", PEER, prosody.websocket_url, prosody.jid(user), prosody.users[user], room, str(tone),
            str(seconds), self.out, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        self.reader = asyncio.get_running_loop().create_task(self._read())

    async def _read(self):
        while True:
            line = await self.process.stdout.readline()
            if not line:
                return
            try:
                self.events.append(json.loads(line))
            except ValueError:
                pass

    async def wait_event(self, name, timeout=30):
        for _ in range(int(timeout * 10)):
            found = [e for e in self.events if e["event"] == name]
            if found:
                return found[0]
            if self.process.returncode is not None and self.reader.done():
                break
            await asyncio.sleep(0.1)
        stderr = (await self.process.stderr.read()).decode(errors="replace")[-20000:] if self.process.returncode is not None else ""
        raise AssertionError("no %s from the Jingle peer: %s %s" % (name, self.events, stderr))

    async def finish(self, timeout=60):
        await asyncio.wait_for(self.process.wait(), timeout)
        await self.reader
        samples = numpy.fromfile(self.out, dtype=numpy.int16).astype(numpy.float64)
        os.unlink(self.out)
        return samples

    def kill(self):
        if self.process.returncode is None:
            self.process.kill()


def test_jingle_caller_and_web_user_hear_each_other_in_the_mix(janus, prosody):
    name = "jingle-room"

    async def body():
        admin = await Admin.open(janus.admin_url, janus.admin_secret)
        web = Voice(janus, name, "Web", WEB_TONE)
        caller = JinglePeer()
        try:
            sessions_before = len((await admin.call("list_sessions"))["sessions"])
            await web.join()
            await caller.start(prosody, "alice", room_jid(prosody, name), CALLER_TONE, CALL_S)
            await caller.wait_event("accepted")
            await caller.wait_event("track")
            await asyncio.sleep(5)  # media settles; the web user's recent audio is the caller's tone
            in_call = await mixer_participants(admin, name)
            status_in_call = await jingle_status(admin)
            web_heard = web.heard(2.0)
            heard_by_caller = await caller.finish()
            end = caller.events
            await asyncio.sleep(2)
            after = await mixer_participants(admin, name)
            status_after = await jingle_status(admin)
            await web.close()
            web = None
            await asyncio.sleep(1)
            sessions_after = len((await admin.call("list_sessions"))["sessions"])
            return (in_call, status_in_call, web_heard, heard_by_caller, end, after, status_after,
                    sessions_before, sessions_after)
        finally:
            caller.kill()
            if web:
                await web.close()
            await admin.close()

    (in_call, status_in_call, web_heard, heard_by_caller, events, after, status_after, sessions_before,
     sessions_after) = run(body(), timeout=120)
    # the caller is a participant of the mix, named by its JID's local part
    assert sorted(p["display"] for p in in_call) == ["Web", "alice"], in_call
    [call] = status_in_call["calls"]
    assert call["room"] == name and call["accepted"] is True and call["media_up"] is True, call
    assert call["candidates_in"] >= 1 and call["candidates_out"] >= 1, call
    # the web user hears the caller's tone
    samples, rate = web_heard
    assert tone_db(samples, rate, CALLER_TONE) - tone_db(samples, rate, 700) >= 20, "web user does not hear the caller"
    # the caller heard the web user's tone and not its own (mix minus)
    done = [e for e in events if e["event"] == "done"][0]
    rate = done["sample_rate"]
    assert done["received_frames"] > 200, done  # 10 ms frames: seconds of audio arrived
    tail = heard_by_caller[-2 * rate:]
    assert tone_db(tail, rate, WEB_TONE) - tone_db(tail, rate, CALLER_TONE) >= 20, "caller does not hear the web user"
    assert tone_db(tail, rate, WEB_TONE) - tone_db(tail, rate, 700) >= 20
    # the caller hung up: its participant, call and janus session are gone
    assert [p["display"] for p in after] == ["Web"], after
    assert status_after["calls"] == [], status_after
    assert sessions_after <= sessions_before, (sessions_before, sessions_after)


def test_jingle_caller_and_a_phone_hear_each_other_in_the_room(janus, prosody):
    """Issue 12's own case: a phone in the room (sipp through the SIP focus, PCMU, the RTP peer
    sending a 600 Hz tone) and the Jingle caller (1000 Hz): the phone hears the caller, the
    caller hears the phone and not itself (FFT on both sides)."""
    name = "jingle-phone"

    async def body():
        phone = await RoomPhone(name, "xmpp_room_phone_kicked.xml").call()  # stays until a BYE comes
        caller = JinglePeer()
        try:
            await caller.start(prosody, "alice", room_jid(prosody, name), CALLER_TONE, CALL_S)
            await caller.wait_event("accepted")
            await caller.wait_event("track")
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 20
            while True:  # until the phone's last second is the caller's tone (media settled)
                samples, rate = phone.rtp.heard(1.0)
                if len(samples) >= rate and \
                        tone_db(samples, rate, CALLER_TONE) - tone_db(samples, rate, PHONE_NOISE_REFERENCE) >= 20:
                    break
                assert loop.time() < deadline, "the phone never heard the caller"
                await asyncio.sleep(0.2)
            phone_heard = phone.rtp.heard(1.0)
            heard_by_caller = await caller.finish()
            return phone_heard, heard_by_caller, caller.events
        finally:
            caller.kill()
            await phone.close()

    (samples, rate), heard_by_caller, events = run(body(), timeout=120)
    assert tone_db(samples, rate, CALLER_TONE) - tone_db(samples, rate, PHONE_NOISE_REFERENCE) >= 20
    done = [e for e in events if e["event"] == "done"][0]
    caller_rate = done["sample_rate"]
    tail = heard_by_caller[-2 * caller_rate:]
    assert tone_db(tail, caller_rate, PHONE_TONE) - tone_db(tail, caller_rate, CALLER_TONE) >= 20, \
        "the caller does not hear the phone (or hears itself)"
    assert tone_db(tail, caller_rate, PHONE_TONE) - tone_db(tail, caller_rate, PHONE_NOISE_REFERENCE) >= 20


def initiate(sid, media="audio", fingerprint=True, ufrag="8hhy"):
    dtls = ("<fingerprint xmlns='urn:xmpp:jingle:apps:dtls:0' hash='sha-256' setup='actpass'>%s</fingerprint>"
            % FINGERPRINT) if fingerprint else ""
    return ("<jingle xmlns='urn:xmpp:jingle:1' action='session-initiate' sid='%s'>"
            "<content creator='initiator' name='0'><description xmlns='urn:xmpp:jingle:apps:rtp:1' media='%s'>"
            "<payload-type id='111' name='opus' clockrate='48000' channels='2'/><rtcp-mux/></description>"
            "<transport xmlns='urn:xmpp:jingle:transports:ice-udp:1' ufrag='%s' pwd='asd88fgpdd777uzjYhagZg'>%s"
            "<candidate component='1' foundation='1' generation='0' id='c1' ip='10.0.1.1' network='1' port='8998' "
            "priority='2130706431' protocol='udp' type='host'/></transport></content></jingle>"
            % (sid, media, ufrag, dtls))


def test_bad_jingle_requests_get_errors_and_leave_nothing(janus, prosody):
    name = "jingle-bad"
    room = room_jid(prosody, name)

    async def body():
        admin = await Admin.open(janus.admin_url, janus.admin_secret)
        alice = await XmppClient.connect(prosody, "alice")
        bob = await XmppClient.connect(prosody, "bob")
        try:
            assert (await bob.join(room, "Bob")).error is None  # someone is in the room
            before = await jingle_status(admin)
            answers = {
                "no sid": await alice.iq(room, "<jingle xmlns='urn:xmpp:jingle:1' action='session-initiate'/>", "set"),
                "bad action": await alice.iq(room, "<jingle xmlns='urn:xmpp:jingle:1' action='dance' sid='x'/>", "set"),
                "get": await alice.iq(room, initiate("s0"), "get"),
                "injected ufrag": await alice.iq(room, initiate("s1", ufrag="8hhy&#13;&#10;a=x"), "set"),
                "no dtls": await alice.iq(room, initiate("s2", fingerprint=False), "set"),
                "video": await alice.iq(room, initiate("s3", media="video"), "set"),
                "empty room": await alice.iq(room_jid(prosody, "nobody-is-here"), initiate("s4"), "set"),
                "not a room": await alice.iq(prosody.muc_domain, initiate("s5"), "set"),
                "occupant": await alice.iq(room + "/Bob", initiate("s6"), "set"),
                "unknown session": await alice.iq(room, "<jingle xmlns='urn:xmpp:jingle:1' action='transport-info' "
                                                        "sid='never'><content creator='initiator' name='0'/></jingle>",
                                                  "set"),
            }
            status = await jingle_status(admin)
            participants = await mixer_participants(admin, name)
            # and the room still takes a good call's first step (acknowledged, then ended by us)
            good = await alice.iq(room, initiate("good"), "set")
            terminate = await alice.iq(room, "<jingle xmlns='urn:xmpp:jingle:1' action='session-terminate' sid='good'>"
                                             "<reason><success/></reason></jingle>", "set")
            await asyncio.sleep(2)
            status_after = await jingle_status(admin)
            participants_after = await mixer_participants(admin, name)
            return answers, before, status, participants, good, terminate, status_after, participants_after
        finally:
            await alice.disconnect()
            await bob.disconnect()
            await admin.close()

    answers, before, status, participants, good, terminate, status_after, participants_after = run(body(), timeout=90)
    expected = {"no sid": "bad-request", "bad action": "bad-request", "get": "bad-request",
                "injected ufrag": "bad-request", "no dtls": "bad-request", "video": "feature-not-implemented",
                "empty room": "item-not-found", "not a room": "service-unavailable",
                "occupant": "service-unavailable", "unknown session": "item-not-found"}
    for case, condition in expected.items():
        assert answers[case].type == "error" and answers[case].error_condition == condition, (case, answers[case])
    unknown = answers["unknown session"].xml.find("{jabber:client}error")
    assert unknown.find("{%s}unknown-session" % NS_JINGLE_ERRORS) is not None
    video = answers["video"].xml.find("{jabber:client}error")
    assert video.find("{%s}unsupported-applications" % NS_JINGLE_ERRORS) is not None
    assert status["calls"] == [] and status["refused"] - before["refused"] == len(expected), (before, status)
    assert participants == []  # the mixer never saw any of them
    assert good.type == "result" and terminate.type == "result", (good, terminate)
    assert status_after["calls"] == [] and status_after["started"] - before["started"] == 1, (before, status_after)
    assert participants_after == [], participants_after


def test_a_caller_the_room_kicks_gets_session_terminate(janus, prosody):
    """The other way round: the mix ends the call (a moderator kicks the caller), and the XMPP
    user is told with session-terminate; nothing stays behind."""
    name = "jingle-kick"

    async def body():
        admin = await Admin.open(janus.admin_url, janus.admin_secret)
        moderator = await Session.create(janus.ws_url)
        web = Voice(janus, name, "Web", WEB_TONE)
        caller = JinglePeer()
        try:
            mixer = await moderator.attach(MIXER)
            created, _ = await mixer.send({"request": "create", "room": name, "secret": "mod-secret"})
            assert created.get("audiobridge") == "created", created
            await web.join()
            await caller.start(prosody, "bob", room_jid(prosody, name), CALLER_TONE, 60)
            await caller.wait_event("accepted")
            await caller.wait_event("track")
            [jingle] = [p for p in await mixer_participants(admin, name) if p["display"] == "bob"]
            kicked, _ = await mixer.send({"request": "kick", "room": name, "secret": "mod-secret", "id": jingle["id"]})
            terminated = await caller.wait_event("terminated", timeout=15)
            await caller.finish()
            await asyncio.sleep(1)
            return kicked, terminated, await mixer_participants(admin, name), await jingle_status(admin)
        finally:
            caller.kill()
            await web.close()
            await moderator.close()
            await admin.close()

    kicked, terminated, participants, status = run(body(), timeout=120)
    assert kicked.get("audiobridge") == "success", kicked
    assert terminated["reason"] in ("success", "connectivity-error"), terminated
    assert [p["display"] for p in participants] == ["Web"], participants
    assert status["calls"] == [], status


def test_one_user_cannot_open_many_calls(janus, prosody):
    name = "jingle-many"
    room = room_jid(prosody, name)

    async def body():
        admin = await Admin.open(janus.admin_url, janus.admin_secret)
        alice = await XmppClient.connect(prosody, "alice")
        bob = await XmppClient.connect(prosody, "bob")
        try:
            assert (await bob.join(room, "Bob")).error is None
            answers = [await alice.iq(room, initiate("many%d" % n), "set") for n in range(5)]
            await asyncio.sleep(1)
            during = await jingle_status(admin)
            in_mix = await mixer_participants(admin, name)
            for n in range(4):
                await alice.iq(room, "<jingle xmlns='urn:xmpp:jingle:1' action='session-terminate' sid='many%d'>"
                                     "<reason><success/></reason></jingle>" % n, "set")
            await asyncio.sleep(2)
            return answers, during, in_mix, await jingle_status(admin), await mixer_participants(admin, name)
        finally:
            await alice.disconnect()
            await bob.disconnect()
            await admin.close()

    answers, during, in_mix, after, in_mix_after = run(body(), timeout=90)
    assert [a.type for a in answers[:4]] == ["result"] * 4, answers
    assert answers[4].type == "error" and answers[4].error_condition == "resource-constraint", answers[4]
    assert len([c for c in during["calls"] if c["room"] == name]) == 4, during
    assert len(in_mix) == 4, in_mix  # each call is a participant of the mix (media never came up)
    assert after["calls"] == [] and in_mix_after == [], (after, in_mix_after)


def test_a_call_to_a_pinned_room_needs_the_pin_its_occupant_gave(janus, prosody):
    """A video room made with a PIN: an XMPP user who calls its audio without having joined the
    MUC room with that password is ended by the room (the mixer asks the PIN); after joining
    with it, the same user's call is a participant of the mix."""
    name = "jingle-pinned"
    room = room_jid(prosody, name)

    async def body():
        admin = await Admin.open(janus.admin_url, janus.admin_secret)
        session = await Session.create(janus.ws_url)
        alice = await XmppClient.connect(prosody, "alice")
        bob = await XmppClient.connect(prosody, "bob")
        try:
            video = await session.attach("janus.plugin.sylk.videoroom")
            created, _ = await video.send({"request": "create", "room": name, "pin": "8642"})
            assert created.get("videoroom") == "created", created
            assert (await bob.join(room, "Bob", password="8642")).error is None  # someone is in the room
            mark = alice.mark()
            outsider = await alice.iq(room, initiate("nopin"), "set")
            ended = await alice.wait_for(lambda s: s.kind == "iq" and s.type == "set" and "session-terminate" in repr(s)
                                         and "nopin" in repr(s), timeout=15, start=mark)
            refused_participants = await mixer_participants(admin, name)
            assert (await alice.join(room, "Alice", password="8642")).error is None
            occupant = await alice.iq(room, initiate("withpin"), "set")
            deadline = asyncio.get_running_loop().time() + 15
            while True:
                joined = await mixer_participants(admin, name)
                if any(p["display"] == "alice" for p in joined) or asyncio.get_running_loop().time() > deadline:
                    break
                await asyncio.sleep(0.1)
            await alice.iq(room, "<jingle xmlns='urn:xmpp:jingle:1' action='session-terminate' sid='withpin'>"
                                 "<reason><success/></reason></jingle>", "set")
            return outsider, ended, refused_participants, occupant, joined
        finally:
            await alice.disconnect()
            await bob.disconnect()
            await session.close()
            await admin.close()

    outsider, ended, refused_participants, occupant, joined = run(body(), timeout=90)
    assert outsider.type == "result", outsider  # acknowledged, then ended by the room
    assert "failed-application" in repr(ended) and "PIN" in repr(ended), repr(ended)
    assert refused_participants == [], refused_participants
    assert occupant.type == "result", occupant
    assert [p["display"] for p in joined] == ["alice"], joined
