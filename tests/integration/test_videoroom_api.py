"""janus.plugin.sylk.videoroom over its stock-compatible API, with aiortc peers: publishing,
multistream subscriptions, chat through the hub, and refusals."""
import asyncio
import os

import numpy

from conftest import run
from harness.janus_api import Session
from harness.peers import ColourTrack, Collector, ToneTrack, accept, dominant_frequency, make_peer, offer

ROOM = "janus.plugin.sylk.videoroom"


class Participant:
    """One aiortc participant: a publisher handle and, when asked, a subscriber handle."""

    def __init__(self, janus, room, display):
        self.janus, self.room, self.display = janus, room, display
        self.pcs, self.collectors = [], []

    async def join(self, tone=None, colour=None, amplitude=12000, **extra):
        self.session = await Session.create(self.janus.ws_url)
        self.handle = await self.session.attach(ROOM)
        body = {"request": "join", "ptype": "publisher", "room": self.room, "display": self.display}
        body.update(extra)
        self.joined, _ = await self.handle.send(body)
        if tone is None:
            return self.joined
        pc, _ = await make_peer(data_channel=False)
        self.pcs.append(pc)
        self.tone = ToneTrack(tone, amplitude)
        pc.addTrack(self.tone)
        pc.addTrack(ColourTrack(colour))
        data, jsep = await self.handle.send({"request": "publish"}, jsep=await offer(pc))
        assert data.get("configured") == "ok", data
        await accept(pc, jsep)
        for transceiver in pc.getTransceivers():
            setattr(self, "%s_mid" % transceiver.kind, transceiver.mid)
        await self.handle.next_event(timeout=15, predicate=lambda e: e.get("janus") == "webrtcup")
        return self.joined

    async def subscribe(self, feeds, **extra):
        self.sub = await self.session.attach(ROOM)
        body = {"request": "join", "ptype": "subscriber", "room": self.room,
                "streams": [{"feed": feed} for feed in feeds]}
        body.update(extra)
        data, jsep = await self.sub.send(body)
        assert data["videoroom"] == "attached", data
        pc, _ = await make_peer(data_channel=False)
        self.pcs.append(pc)
        pc.on("track", lambda track: self.collectors.append(Collector(track)))
        await accept(pc, jsep)
        await pc.setLocalDescription(await pc.createAnswer())
        started, _ = await self.sub.send({"request": "start"},
                                         jsep={"type": "answer", "sdp": pc.localDescription.sdp})
        assert started.get("started") == "ok", started
        return data

    async def close(self):
        for collector in self.collectors:
            collector.stop()
        for pc in self.pcs:
            await pc.close()
        if hasattr(self, "session"):
            await self.session.close()


def test_publishers_see_each_other_and_subscriber_gets_media(janus):
    async def body():
        alice = Participant(janus, "media-room", "Alice")
        bob = Participant(janus, "media-room", "Bob")
        try:
            await alice.join(tone=440, colour=(0, 200, 0))
            joined_bob = await bob.join(tone=660, colour=(200, 0, 0))
            # Bob joined after Alice published: Alice is in his list
            feeds = [p["id"] for p in joined_bob["publishers"]]
            assert feeds == [alice.joined["id"]], joined_bob
            # Alice learns of Bob's feed once his PeerConnection is up
            event = await alice.handle.next_event(predicate=lambda e: "publishers" in e.get("plugindata", {}).get("data", {}))
            announced = event["plugindata"]["data"]["publishers"][0]
            assert announced["id"] == bob.joined["id"] and announced["display"] == "Bob"
            assert {s["type"] for s in announced["streams"]} == {"audio", "video"}
            attached = await bob.subscribe([alice.joined["id"]])
            await asyncio.sleep(4)
            audio = next(c for c in bob.collectors if c.track.kind == "audio")
            video = next(c for c in bob.collectors if c.track.kind == "video")
            return attached, audio, video
        finally:
            await bob.close()
            await alice.close()
    attached, audio, video = run(body())
    assert [s["feed_display"] for s in attached["streams"]] == ["Alice", "Alice"]
    assert audio.frames > 100
    assert abs(dominant_frequency(numpy.concatenate(audio.audio[-100:]), audio.rate) - 440) < 10
    assert video.frames > 20
    r, g, b = video.last_rgb
    assert g > 150 and r < 60, video.last_rgb


def test_chat_reaches_everyone_and_late_joiners_get_history(janus):
    async def body():
        alice = Participant(janus, "chat-room", "Alice")
        bob = Participant(janus, "chat-room", "Bob")
        carol = Participant(janus, "chat-room", "Carol")
        try:
            await alice.join()
            await bob.join()
            sent, _ = await alice.handle.send({"request": "message", "text": "hello room"})
            at_bob = await bob.handle.next_event(predicate=lambda e: "message" in e.get("plugindata", {}).get("data", {}))
            private, _ = await bob.handle.send({"request": "message", "text": "psst", "to": alice.joined["id"]})
            at_alice = await alice.handle.next_event(
                predicate=lambda e: e.get("plugindata", {}).get("data", {}).get("message", {}).get("private"))
            late = await carol.join()
            too_long, _ = await carol.handle.send({"request": "message", "text": "x" * 70000})
            return sent, at_bob, at_alice, late, too_long
        finally:
            for p in (alice, bob, carol):
                await p.close()
    sent, at_bob, at_alice, late, too_long = run(body())
    message = at_bob["plugindata"]["data"]["message"]
    assert message["text"] == "hello room" and message["display"] == "Alice"
    assert message["id"] == sent["message_sent"] and message["private"] is False
    assert at_alice["plugindata"]["data"]["message"]["text"] == "psst"
    assert [m["text"] for m in late["history"]] == ["hello room"]  # private messages are not kept
    assert too_long["error_code"] == 1005  # the 64 KiB request limit comes first


def test_room_rules_and_bad_requests(janus):
    async def body():
        session = await Session.create(janus.ws_url)
        try:
            admin = await session.attach(ROOM)
            created, _ = await admin.send({"request": "create", "room": 4242, "pin": "1234",
                                           "secret": "s3cret", "publishers": 1})
            again, _ = await admin.send({"request": "create", "room": 4242})
            exists, _ = await admin.send({"request": "exists", "room": 4242})
            listed, _ = await admin.send({"request": "list"})
            user = await session.attach(ROOM)
            wrong_pin, _ = await user.send({"request": "join", "ptype": "publisher", "room": 4242, "pin": "0000"})
            bad_ptype, _ = await user.send({"request": "join", "ptype": "viewer", "room": 4242})
            no_room, _ = await user.send({"request": "join", "ptype": "subscriber", "room": "nowhere",
                                          "streams": [{"feed": 1}]})
            no_join, _ = await user.send({"request": "publish"})
            joined, _ = await user.send({"request": "join", "ptype": "publisher", "room": 4242, "pin": "1234",
                                         "display": "Dave"})
            twice, _ = await user.send({"request": "join", "ptype": "publisher", "room": 4242, "pin": "1234"})
            no_feed_handle = await session.attach(ROOM)
            no_feed, _ = await no_feed_handle.send({"request": "join", "ptype": "subscriber", "room": 4242,
                                                    "pin": "1234", "streams": [{"feed": 999}]})
            participants, _ = await admin.send({"request": "listparticipants", "room": 4242})
            wrong_secret, _ = await admin.send({"request": "destroy", "room": 4242, "secret": "nope"})
            destroyed, _ = await admin.send({"request": "destroy", "room": 4242, "secret": "s3cret"})
            told = await user.next_event(predicate=lambda e: e.get("plugindata", {}).get("data", {}).get("videoroom") == "destroyed")
            gone, _ = await admin.send({"request": "exists", "room": 4242})
            return locals()
        finally:
            await session.close()
    r = run(body())
    assert r["created"] == {"videoroom": "created", "room": 4242, "permanent": False}
    assert r["again"]["error_code"] == 427
    assert r["exists"]["exists"] is True
    assert any(room["room"] == 4242 and room["pin_required"] for room in r["listed"]["list"])
    assert r["wrong_pin"]["error_code"] == 433 and "PIN" in r["wrong_pin"]["error"]
    assert r["bad_ptype"]["error_code"] == 1003
    assert r["no_room"]["error_code"] == 426
    assert r["no_join"]["error_code"] == 424
    assert r["joined"]["videoroom"] == "joined" and r["joined"]["publishers"] == []
    assert r["twice"]["error_code"] == 436
    assert r["no_feed"]["error_code"] == 428
    assert [p["display"] for p in r["participants"]["participants"]] == ["Dave"]
    assert r["wrong_secret"]["error_code"] == 433
    assert r["destroyed"]["videoroom"] == "destroyed"
    assert r["told"]["plugindata"]["data"]["room"] == 4242
    assert r["gone"]["exists"] is False
    assert janus.alive()


def out_packets(info, kind):
    """RTP packets janus sent on a handle's m-lines of one kind (admin handle_info)."""
    media = info["info"]["webrtc"]["media"]
    return sum(m.get("stats", {}).get("out", {}).get("packets", 0) for m in media.values() if m.get("type") == kind)


def test_moderation_is_authorized_and_mutes(janus):
    from harness.janus_api import Admin

    def data_of(event):
        return event.get("plugindata", {}).get("data", {})

    async def body():
        alice = Participant(janus, "moderated-room", "Alice")   # made the room: moderator
        bob = Participant(janus, "moderated-room", "Bob")
        carol = Participant(janus, "moderated-room", "Carol")
        admin = await Admin.open(janus.admin_url, janus.admin_secret)
        try:
            joined_alice = await alice.join()
            await bob.join(tone=660, colour=(0, 0, 200))
            joined_carol = await carol.join()
            await carol.subscribe([bob.joined["id"]])
            await asyncio.sleep(1.5)
            refused, _ = await carol.handle.send({"request": "mute_all", "kind": "audio"})
            refused_kick, _ = await carol.handle.send({"request": "kick", "id": bob.joined["id"]})
            before = out_packets(await carol.sub.info(admin), "audio")
            await asyncio.sleep(1)
            flowing = out_packets(await carol.sub.info(admin), "audio")
            muted, _ = await alice.handle.send({"request": "mute_all", "kind": "audio"})
            told = await carol.handle.next_event(predicate=lambda e: "moderation" in data_of(e))
            await asyncio.sleep(0.5)
            after_mute = out_packets(await carol.sub.info(admin), "audio")
            await asyncio.sleep(1.5)
            still = out_packets(await carol.sub.info(admin), "audio")
            hand, _ = await carol.handle.send({"request": "raise_hand", "raised": True})
            hand_seen = await alice.handle.next_event(predicate=lambda e: "hand" in data_of(e))
            kicked, _ = await alice.handle.send({"request": "kick", "id": bob.joined["id"]})
            bob_told = await bob.handle.next_event(predicate=lambda e: data_of(e).get("reason") == "kicked")
            carol_told = await carol.handle.next_event(predicate=lambda e: "kicked" in data_of(e))
            return locals()
        finally:
            await admin.close()
            for p in (alice, bob, carol):
                await p.close()
    r = run(body())
    assert r["joined_alice"]["moderator"] is True and r["joined_carol"]["moderator"] is False
    assert r["refused"]["error_code"] == 433 and "moderator" in r["refused"]["error"]
    assert r["refused_kick"]["error_code"] == 433
    assert r["flowing"] > r["before"] + 20  # Bob's audio reached Carol before the mute
    assert r["muted"]["streams"] == 1
    moderation = r["told"]["plugindata"]["data"]["moderation"]
    assert moderation["id"] == r["bob"].joined["id"] and moderation["type"] == "audio" and moderation["muted"]
    assert r["still"] - r["after_mute"] <= 2, (r["after_mute"], r["still"])  # nothing after the mute
    assert r["hand_seen"]["plugindata"]["data"]["hand"] == {"id": r["joined_carol"]["id"], "display": "Carol", "raised": True}
    assert r["kicked"]["videoroom"] == "success"
    assert r["carol_told"]["plugindata"]["data"]["kicked"] == r["bob"].joined["id"]


def out_packets_by_mindex(info):
    media = info["info"]["webrtc"]["media"]
    return {int(mindex): m.get("stats", {}).get("out", {}).get("packets", 0) for mindex, m in media.items()}


async def growth(admin, handle, seconds=2.0):
    """Packets janus sent the handle per m-line index over that many seconds."""
    before = out_packets_by_mindex(await handle.info(admin))
    await asyncio.sleep(seconds)
    after = out_packets_by_mindex(await handle.info(admin))
    return {mindex: after[mindex] - before.get(mindex, 0) for mindex in after}


async def video_of_speaker(admin, watcher, speaker_id, also=lambda event: False):
    """Once the room names speaker_id the dominant speaker (or `also` matches an event of the
    watcher's), a second later: the packets sent to the watcher's subscription per m-line in 2 s."""
    def data(event):
        return event.get("plugindata", {}).get("data", {})
    await watcher.handle.next_event(timeout=15, predicate=lambda e: data(e).get("dominant_speaker") == speaker_id or also(e))
    await asyncio.sleep(1)
    return await growth(admin, watcher.sub)


def test_low_bandwidth_mode_follows_the_speaker(janus):
    from harness.janus_api import Admin

    def data_of(event):
        return event.get("plugindata", {}).get("data", {})

    async def body():
        ann = Participant(janus, "speaker-room", "Ann")
        bob = Participant(janus, "speaker-room", "Bob")
        cy = Participant(janus, "speaker-room", "Cy")
        dee = Participant(janus, "speaker-room", "Dee")
        admin = await Admin.open(janus.admin_url, janus.admin_secret)
        try:
            await ann.join(tone=440, colour=(200, 0, 0), amplitude=12000)
            await bob.join(tone=660, colour=(0, 200, 0), amplitude=0)
            await cy.join(tone=880, colour=(0, 0, 200), amplitude=0)
            await dee.join()
            feeds = {p.joined["id"]: p.display for p in (ann, bob, cy)}
            attached = await dee.subscribe(list(feeds), private_id=dee.joined["private_id"])
            video_slot = {s["mindex"]: feeds[s["feed_id"]] for s in attached["streams"] if s["type"] == "video"}
            configured, _ = await dee.sub.send({"request": "configure", "last_n": 1})
            first = await video_of_speaker(admin, dee, ann.joined["id"], lambda e: (
                data_of(e).get("videoroom") == "talking" and data_of(e).get("id") == ann.joined["id"]))
            ann.tone.amplitude, bob.tone.amplitude = 0, 12000
            second = await video_of_speaker(admin, dee, bob.joined["id"])
            audio_slots = [s["mindex"] for s in attached["streams"] if s["type"] == "audio"]
            return configured, video_slot, audio_slots, first, second
        finally:
            await admin.close()
            for p in (ann, bob, cy, dee):
                await p.close()

    configured, video_slot, audio_slots, first, second = run(body(), timeout=90)
    assert configured["last_n"] == 1
    by_name = lambda growth_map: {name: growth_map.get(mindex, 0) for mindex, name in video_slot.items()}
    first_video, second_video = by_name(first), by_name(second)
    assert first_video["Ann"] > 15 and first_video["Bob"] <= 2 and first_video["Cy"] <= 2, first_video
    assert second_video["Bob"] > 15 and second_video["Ann"] <= 2 and second_video["Cy"] <= 2, second_video
    # audio keeps flowing from everyone (silence included: Opus keeps sending)
    assert all(second.get(mindex, 0) > 10 for mindex in audio_slots), second


def test_file_sharing_upload_download_and_refusals(janus):
    import hashlib
    import http.client
    import os as _os
    import socket
    import urllib.parse

    host, port = "127.0.0.1", int(janus.http_url.rstrip("/").rsplit(":", 1)[1])

    def fetch(method, path, body=None, headers=None):
        connection = http.client.HTTPConnection(host, port, timeout=30)
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        data = response.read()
        connection.close()
        return response.status, data

    def data_of(event):
        return event.get("plugindata", {}).get("data", {})

    payload = _os.urandom(5 * 1024 * 1024)

    async def body():
        alice = Participant(janus, "files-room", "Alice")
        bob = Participant(janus, "files-room", "Bob")
        carol = Participant(janus, "files-room", "Carol")
        try:
            joined_alice = await alice.join()
            joined_bob = await bob.join()
            token = joined_alice["file_token"]
            loop = asyncio.get_running_loop()
            status, created = await loop.run_in_executor(None, lambda: fetch(
                "POST", "/files/%s?name=%s" % (token, urllib.parse.quote("report ü.bin")), payload))
            event = await bob.handle.next_event(predicate=lambda e: "file" in data_of(e))
            file_id = data_of(event)["file"]["id"]
            got = await loop.run_in_executor(None, lambda: fetch("GET", "/files/%s/%s" % (joined_bob["file_token"], file_id)))
            traversal = await loop.run_in_executor(None, lambda: fetch(
                "POST", "/files/%s?name=%s" % (token, urllib.parse.quote("../../etc/passwd")), b"x"))
            wrong_token = await loop.run_in_executor(None, lambda: fetch("GET", "/files/not-a-token/%s" % file_id))
            # 200 MB announced: refused before the body is read
            with socket.create_connection((host, port), timeout=10) as raw:
                raw.sendall(("POST /files/%s?name=big.bin HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n"
                             % (token, 200 * 1024 * 1024)).encode())
                too_big = raw.recv(4096).decode(errors="replace")
            joined_carol = await carol.join()
            return created, status, event, got, traversal, wrong_token, too_big, joined_carol
        finally:
            for p in (alice, bob, carol):
                await p.close()

    created, status, event, got, traversal, wrong_token, too_big, joined_carol = run(body())
    assert status == 201, created
    announced = event["plugindata"]["data"]["file"]
    assert announced["name"] == "report ü.bin" and announced["size"] == len(payload)
    assert announced["display"] == "Alice"
    assert got[0] == 200 and hashlib.sha256(got[1]).hexdigest() == hashlib.sha256(payload).hexdigest()
    assert traversal[0] == 400 and b"invalid file name" in traversal[1]
    assert wrong_token[0] == 403
    assert too_big.startswith("HTTP/1.1 413"), too_big[:100]
    assert [f["name"] for f in joined_carol["files"]] == ["report ü.bin"]
    # the room ended with its last participant: its files are gone from disk
    import time
    files_dir = os.path.join(janus.run_dir, "files")
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(files for _, _, files in os.walk(files_dir)):
        time.sleep(0.1)
    assert not any(files for _, _, files in os.walk(files_dir))


def test_admin_rooms_edit_codecs_and_composing(janus):
    from harness.janus_api import Admin

    def data_of(event):
        return event.get("plugindata", {}).get("data", {})

    async def body():
        admin = await Admin.open(janus.admin_url, janus.admin_secret)
        alice = Participant(janus, "codec-room", "Alice")
        bob = Participant(janus, "codec-room", "Bob")
        try:
            created = await admin.message_plugin(ROOM, {"request": "create", "room": "codec-room",
                                                        "videocodec": "h264", "secret": "s"})
            bad_codec = await admin.message_plugin(ROOM, {"request": "create", "room": "x", "videocodec": "h265x"})
            listed = await admin.message_plugin(ROOM, {"request": "list"})
            await alice.join(tone=440, colour=(10, 10, 10))
            await bob.join()
            session = alice.session
            other = await session.attach(ROOM)
            edited, _ = await other.send({"request": "edit", "room": "codec-room", "secret": "s",
                                          "new_description": "Codec test"})
            wrong, _ = await other.send({"request": "edit", "room": "codec-room", "secret": "nope"})
            composing, _ = await alice.handle.send({"request": "composing", "active": True})
            seen = await bob.handle.next_event(predicate=lambda e: "composing" in data_of(e))
            sent, _ = await alice.handle.send({"request": "message", "text": "typed"})
            described = await admin.message_plugin(ROOM, {"request": "list"})
            destroyed = await admin.message_plugin(ROOM, {"request": "destroy", "room": "codec-room"})
            return locals()
        finally:
            await admin.close()
            for p in (alice, bob):
                await p.close()

    r = run(body())
    assert r["created"]["videoroom"] == "created"
    assert r["bad_codec"]["error_code"] == 1003 and "h265x" in r["bad_codec"]["error"]
    room = next(x for x in r["listed"]["list"] if x["room"] == "codec-room")
    assert room["videocodec"] == "h264"
    # aiortc offered VP8 and H.264: the room allows only H.264
    streams = r["bob"].joined["publishers"]
    assert [s["codec"] for s in streams[0]["streams"] if s["type"] == "video"] == ["h264"]
    assert r["edited"]["videoroom"] == "edited" and r["wrong"]["error_code"] == 433
    assert r["seen"]["plugindata"]["data"]["composing"]["display"] == "Alice"
    assert r["sent"]["recipients"] == 1
    assert next(x for x in r["described"]["list"] if x["room"] == "codec-room")["description"] == "Codec test"
    assert r["destroyed"]["videoroom"] == "destroyed"


def test_switch_changes_the_source_without_renegotiation(janus):
    async def body():
        alice = Participant(janus, "switch-room", "Alice")
        bob = Participant(janus, "switch-room", "Bob")
        carol = Participant(janus, "switch-room", "Carol")
        try:
            await alice.join(tone=440, colour=(0, 200, 0))
            await bob.join(tone=660, colour=(200, 0, 0))
            await carol.join()
            attached = await carol.subscribe([alice.joined["id"]])
            await asyncio.sleep(2.5)
            video = next(c for c in carol.collectors if c.track.kind == "video")
            before = video.last_rgb
            video_slot = next(s["mid"] for s in attached["streams"] if s["type"] == "video")
            switched, _ = await carol.sub.send({"request": "switch", "streams": [
                {"feed": bob.joined["id"], "mid": bob.video_mid, "sub_mid": video_slot}]})
            await asyncio.sleep(2.5)
            after = video.last_rgb
            mismatched, _ = await carol.sub.send({"request": "switch", "streams": [
                {"feed": bob.joined["id"], "mid": bob.audio_mid, "sub_mid": video_slot}]})
            return before, after, switched, mismatched
        finally:
            for p in (alice, bob, carol):
                await p.close()
    before, after, switched, mismatched = run(body())
    assert before[1] > 150 and before[0] < 60, before      # Alice's green
    assert switched["switched"] == "ok" and switched["changes"] == 1
    assert switched["streams"][1]["feed_display"] == "Bob"
    assert after[0] > 150 and after[1] < 60, after          # now Bob's red, same PeerConnection
    assert mismatched["error_code"] == 1003


def test_recording_is_off_by_default_and_produces_playable_files(janus):
    import glob
    import subprocess
    import tempfile

    async def body():
        plain = Participant(janus, "rec-room", "Plain")
        taped = Participant(janus, "rec-room", "Taped")
        try:
            await plain.join(tone=440, colour=(0, 200, 0))
            await taped.join(tone=660, colour=(200, 0, 0))
            bad_name, _ = await taped.handle.send({"request": "configure", "record": True, "filename": "../x"})
            started, _ = await taped.handle.send({"request": "configure", "record": True, "filename": "taped"})
            await asyncio.sleep(3)
            stopped, _ = await taped.handle.send({"request": "configure", "record": False})
            return bad_name, started, stopped
        finally:
            await plain.close()
            await taped.close()

    bad_name, started, stopped = run(body())
    assert bad_name["error_code"] == 1003
    assert started["configured"] == "ok" and stopped["configured"] == "ok"
    folder = os.path.join(janus.run_dir, "recordings", "videoroom")
    files = sorted(os.path.basename(f) for f in glob.glob(os.path.join(folder, "*.mjr")))
    assert files == ["taped-audio-0.mjr", "taped-video-1.mjr"], files  # Plain was not recorded
    with tempfile.TemporaryDirectory() as out:
        for name, extension in (("taped-audio-0.mjr", "opus"), ("taped-video-1.mjr", "webm")):
            target = os.path.join(out, "converted." + extension)
            done = subprocess.run(["janus-pp-rec", os.path.join(folder, name), target], capture_output=True, timeout=60)
            assert done.returncode == 0, done.stderr[-500:]
            assert os.path.getsize(target) > 2000, name


def test_own_mute_is_told_listed_and_stops_relaying(janus):
    """A publisher's configure {streams: [{mid, send: false}]} (its muted microphone, stopped
    camera): the others get {"muted"}, the room stops relaying the stream, a late joiner finds it
    in the publishers list; a bad mid changes nothing. An audio mixer member muted by itself is
    an attendee with "muted" (the join's list and the updated event)."""
    from harness.janus_api import Admin

    def data_of(event):
        return event.get("plugindata", {}).get("data", {})

    async def body():
        bob = Participant(janus, "mute-room", "Bob")
        carol = Participant(janus, "mute-room", "Carol")
        dave = Participant(janus, "mute-room", "Dave")
        admin = await Admin.open(janus.admin_url, janus.admin_secret)
        mixer = await Session.create(janus.ws_url)
        try:
            await bob.join(tone=660, colour=(0, 0, 200))
            await carol.join()
            await carol.subscribe([bob.joined["id"]])
            # Bob's audio reaches Carol before the mute (waited for: a loaded CI takes longer
            # than a second to bring the subscriber's PeerConnection up)
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 20
            flowing = 0
            while loop.time() < deadline and flowing <= 20:
                await asyncio.sleep(0.25)
                flowing = out_packets(await carol.sub.info(admin), "audio")
            bad, _ = await bob.handle.send({"request": "configure", "streams": [
                {"mid": bob.audio_mid, "send": False}, {"mid": "nope", "send": False}]})
            not_bool, _ = await bob.handle.send({"request": "configure", "streams": [{"mid": bob.audio_mid, "send": "no"}]})
            muted, _ = await bob.handle.send({"request": "configure", "streams": [
                {"mid": bob.audio_mid, "send": False}, {"mid": bob.video_mid, "send": False}]})
            told = [await carol.handle.next_event(predicate=lambda e: "muted" in data_of(e)) for _ in range(2)]
            await asyncio.sleep(0.5)
            after_mute = out_packets(await carol.sub.info(admin), "audio")
            await asyncio.sleep(1)
            still = out_packets(await carol.sub.info(admin), "audio")
            late = await dave.join()
            unmuted, _ = await bob.handle.send({"request": "configure", "streams": [{"mid": bob.audio_mid, "send": True}]})
            told_back = await carol.handle.next_event(predicate=lambda e: "muted" in data_of(e))
            await asyncio.sleep(1)
            resumed = out_packets(await carol.sub.info(admin), "audio")
            # a member of another plugin (the audio mixer, as the SIP focus's phones), muted by itself
            member = await mixer.attach("janus.plugin.sylk.audiomixer")
            await member.send({"request": "join", "room": "mute-room", "display": "Phone", "muted": True})
            listed, _ = await carol.handle.send({"request": "listparticipants", "room": "mute-room"})
            await member.send({"request": "configure", "muted": False})
            attendee = await carol.handle.next_event(
                predicate=lambda e: data_of(e).get("attendee", {}).get("updated") is True)
            return locals()
        finally:
            await mixer.close()
            await admin.close()
            for p in (bob, carol, dave):
                await p.close()
    r = run(body())
    assert r["bad"]["error_code"] == 428 and "nope" in r["bad"]["error"], r["bad"]
    assert r["not_bool"]["error_code"] == 1003, r["not_bool"]
    assert r["muted"]["configured"] == "ok"
    bob_id = r["bob"].joined["id"]
    told = sorted((data_of(e)["muted"]["type"], data_of(e)["muted"]["muted"], data_of(e)["muted"]["id"]) for e in r["told"])
    assert told == [("audio", True, bob_id), ("video", True, bob_id)], told  # the bad request muted nothing first
    assert r["flowing"] > 20 and r["still"] - r["after_mute"] <= 2, (r["flowing"], r["after_mute"], r["still"])
    bob_listed = [p for p in r["late"]["publishers"] if p["id"] == bob_id][0]
    assert sorted((s["type"], s.get("muted", False)) for s in bob_listed["streams"]) == [("audio", True), ("video", True)]
    assert data_of(r["told_back"])["muted"] == {"id": bob_id, "display": "Bob", "mid": r["bob"].audio_mid,
                                                "type": "audio", "muted": False}
    assert r["resumed"] > r["still"] + 20, (r["still"], r["resumed"])  # relayed again
    phone = [a for a in r["listed"]["attendees"] if a["display"] == "Phone"]
    assert phone and phone[0].get("muted") is True, r["listed"]
    assert data_of(r["attendee"])["attendee"]["display"] == "Phone" and "muted" not in data_of(r["attendee"])["attendee"]


def test_raised_hands_are_listed_in_the_order_they_were_raised(janus):
    """A late joiner gets raised_hands first raised first (not by participant id), and a hand
    lowered and raised again goes to the end of the queue."""
    from harness.room_members import ApiWebUser

    async def body():
        users = [await ApiWebUser.join(janus.ws_url, "hands-room", name) for name in ("Ann", "Ben", "Cat")]
        try:
            # raise by descending id, so that an id-ordered list would be the reverse
            by_id = sorted(users, key=lambda u: u.id, reverse=True)
            for user in by_id:
                await user.handle.send({"request": "raise_hand", "raised": True})
            first = by_id[0]
            await first.handle.send({"request": "raise_hand", "raised": False})
            await first.handle.send({"request": "raise_hand", "raised": True})
            late = await ApiWebUser.join(janus.ws_url, "hands-room", "Dan")
            try:
                return [u.id for u in by_id], late.joined["raised_hands"]
            finally:
                await late.close()
        finally:
            for user in users:
                await user.close()

    raised_order, listed = run(body())
    assert listed == raised_order[1:] + raised_order[:1], (raised_order, listed)
