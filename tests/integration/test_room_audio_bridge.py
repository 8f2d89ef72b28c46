"""The room audio bridge (docs/architecture.md, "Web users and phones hear each other"): web
publishers of a video room (aiortc, 440 and 880 Hz) and a phone in the audio mixer room of the
same name (plain RTP, PCMU, 600 Hz) hear each other. A subscriber of the video room hears the
phone through the room's audio-only mix feed ("audio_mix": true), which never carries the web
users (they hear each other through the SFU); the phone hears both web users and not itself;
when the phone leaves, the bridge goes (the mix feed is unpublished, the counters say so)."""
import asyncio

import numpy

from conftest import run
from harness.janus_api import Admin, Session
from harness.rtp_peer import RtpPeer
from test_audiomixer import tone_db
from test_videoroom_api import Participant

VIDEOROOM = "janus.plugin.sylk.videoroom"
MIXER = "janus.plugin.sylk.audiomixer"
ROOM = "bridge-room"


def data_of(event):
    return event.get("plugindata", {}).get("data", {})


def announces_mix(event):
    return any(p.get("audio_mix") for p in data_of(event).get("publishers", []))


async def wait_for(condition, timeout=15, interval=0.2):
    """Polls an async condition until it gives something true; returns it (None on timeout)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = await condition()
        if value or loop.time() >= deadline:
            return value
        await asyncio.sleep(interval)


def test_web_users_and_a_phone_hear_each_other_through_the_bridge(janus):
    async def body():
        alice = Participant(janus, ROOM, "Alice")
        bob = Participant(janus, ROOM, "Bob")
        vic = Participant(janus, ROOM, "Vic")  # only listens
        phone = await RtpPeer("pcmu", 600).open()
        admin = await Admin.open(janus.admin_url, janus.admin_secret)
        session = await Session.create(janus.ws_url)
        try:
            await alice.join(tone=440, colour=(0, 200, 0))
            await bob.join(tone=880, colour=(200, 0, 0))
            before = await admin.message_plugin(VIDEOROOM, {"request": "list_audio_bridges", "room": ROOM})
            line = await session.attach(MIXER)
            joined, _ = await line.send({"request": "join", "room": ROOM, "display": "Phone", "codec": "pcmu",
                                         "rtp": {"ip": "127.0.0.1", "port": phone.port}})
            address = (joined["rtp"]["ip"], joined["rtp"]["port"])
            announced = await alice.handle.next_event(timeout=15, predicate=announces_mix)
            mix = next(p for p in data_of(announced)["publishers"] if p.get("audio_mix"))
            vic_joined = await vic.join()
            listed = {p["id"]: p for p in vic_joined["publishers"]}
            await vic.subscribe([mix["id"]])
            # The phone talks while everyone listens; heard again (at most 3 times) while the
            # test's own peers were late (a starved machine: the gaps would be the test's).
            for _ in range(3):
                late = await phone.stream(address, 4)
                audio = next(c for c in vic.collectors if c.track.kind == "audio")
                through_mix = numpy.concatenate(audio.audio[-50:]), audio.rate
                phone_heard = phone.heard()
                if late <= 0.05:
                    break
            bridges = await admin.message_plugin(VIDEOROOM, {"request": "list_audio_bridges", "room": ROOM})
            mixer = await admin.message_plugin(MIXER, {"request": "list"})
            await line.send({"request": "leave"})
            unpublished = await alice.handle.next_event(
                timeout=15, predicate=lambda e: data_of(e).get("unpublished") == mix["id"])

            async def closed():
                answer = await admin.message_plugin(VIDEOROOM, {"request": "list_audio_bridges", "room": ROOM})
                return answer if not answer["rooms"][0]["bridged"] else None
            after = await wait_for(closed)
            # Another phone comes: a new bridge (a new mix feed) for it.
            again, _ = await (await session.attach(MIXER)).send(
                {"request": "join", "room": ROOM, "display": "Phone 2", "codec": "pcmu",
                 "rtp": {"ip": "127.0.0.1", "port": phone.port}})
            assert "error" not in again, again
            reannounced = await alice.handle.next_event(timeout=15, predicate=announces_mix)
            remix = next(p for p in data_of(reannounced)["publishers"] if p.get("audio_mix"))
            nowhere = await admin.message_plugin(VIDEOROOM, {"request": "list_audio_bridges", "room": "nowhere"})
            return (before, mix, listed, through_mix, phone_heard, bridges, mixer, unpublished, after, nowhere, remix)
        finally:
            phone.close()
            for participant in (vic, bob, alice):
                await participant.close()
            await session.close()
            await admin.close()

    before, mix, listed, through_mix, phone_heard, bridges, mixer, unpublished, after, nowhere, remix = run(body(), timeout=120)
    print("mix levels", {f: round(tone_db(through_mix[0], through_mix[1], f), 1) for f in (440, 600, 880)},
          "phone levels", {f: round(tone_db(phone_heard[0], phone_heard[1], f), 1) for f in (440, 600, 880)})
    # No phone, no bridge.
    assert before["rooms"][0]["bridged"] is False, before
    # The mix feed: one audio stream, named after the room, marked for pages.
    assert mix["display"] == ROOM + " (phones)" and [s["type"] for s in mix["streams"]] == ["audio"], mix
    assert listed[mix["id"]].get("audio_mix") is True
    # The video room's subscriber hears the phone through the mix, and not the web users there.
    samples, rate = through_mix
    levels = {f: tone_db(samples, rate, f) for f in (440, 600, 880)}
    assert levels[600] - max(levels[440], levels[880]) >= 30, levels
    # The phone hears both web users and not itself.
    samples, rate = phone_heard
    levels = {f: tone_db(samples, rate, f) for f in (440, 600, 880)}
    assert min(levels[440], levels[880]) - levels[600] >= 30, levels
    # What each side counted while bridged.
    room = bridges["rooms"][0]
    assert room["bridged"] is True and len(room["web_feeds"]) == 2, room
    assert all(feed["packets"] > 100 for feed in room["web_feeds"]), room
    assert room["mix_feed"]["packets"] > 100 and room["mix_feed"]["refused"] == 0, room
    mixed = next(r for r in mixer["list"] if r["room"] == ROOM)
    assert len(mixed["web_bridge"]["web_feeds"]) == 2, mixed
    assert all(feed["stats"]["packets_in"] > 100 for feed in mixed["web_bridge"]["web_feeds"]), mixed
    assert mixer["web_bridges"]["open"] == 1, mixer["web_bridges"]
    # The phone left: the bridge went.
    assert data_of(unpublished)["unpublished"] == mix["id"]
    assert after is not None and after["closed"] >= 1 and after["opened"] >= 1, after
    assert remix["id"] != mix["id"], (remix, mix)
    # Bad input: a room that does not exist.
    assert nowhere.get("error_code") == 426 and "nowhere" in nowhere.get("error", ""), nowhere
    assert janus.alive()


def test_a_page_that_only_listens_hears_the_phone(janus):
    """A page that never publishes (listen-only) still gets the mix feed: the bridge opens while
    the room has phones and pages, publishing or not, and closes when the page leaves."""
    room = "bridge-listen"

    async def body():
        vic = Participant(janus, room, "Vic")
        phone = await RtpPeer("pcmu", 600).open()
        admin = await Admin.open(janus.admin_url, janus.admin_secret)
        session = await Session.create(janus.ws_url)
        try:
            line = await session.attach(MIXER)
            joined, _ = await line.send({"request": "join", "room": room, "display": "Phone", "codec": "pcmu",
                                         "rtp": {"ip": "127.0.0.1", "port": phone.port}})
            assert "error" not in joined, joined
            address = (joined["rtp"]["ip"], joined["rtp"]["port"])
            vic_joined = await vic.join()
            assert not any(p.get("audio_mix") for p in vic_joined.get("publishers", [])), vic_joined
            # After "joined": the mix feed opens for Vic, who publishes nothing.
            announced = await vic.handle.next_event(timeout=15, predicate=announces_mix)
            mix = next(p for p in data_of(announced)["publishers"] if p.get("audio_mix"))
            await vic.subscribe([mix["id"]])
            for _ in range(3):
                late = await phone.stream(address, 4)
                audio = next(c for c in vic.collectors if c.track.kind == "audio")
                heard = numpy.concatenate(audio.audio[-50:]), audio.rate
                if late <= 0.05 and tone_db(heard[0], heard[1], 600) > -60:
                    break
            bridges = await admin.message_plugin(VIDEOROOM, {"request": "list_audio_bridges", "room": room})
            await vic.close()
            vic = None

            async def closed():
                answer = await admin.message_plugin(MIXER, {"request": "list"})
                mixed = next((r for r in answer["list"] if r["room"] == room), None)
                return answer if mixed and not mixed.get("web_bridge") else None
            after = await wait_for(closed)
            await line.send({"request": "leave"})
            return heard, bridges, after
        finally:
            phone.close()
            if vic:
                await vic.close()
            await session.close()
            await admin.close()

    heard, bridges, after = run(body(), timeout=90)
    levels = {f: tone_db(heard[0], heard[1], f) for f in (440, 600)}
    print("Vic hears (dB)", {f: round(v, 1) for f, v in levels.items()})
    assert levels[600] > -40 and levels[600] - levels[440] >= 30, levels
    bridged = bridges["rooms"][0]
    assert bridged["bridged"] is True and bridged["web_feeds"] == [], bridged
    # Vic left: the mixer's room is the phone's alone again.
    assert after is not None, "the bridge stayed open after the last page left"
    assert janus.alive()


def test_a_pinned_video_rooms_audio_needs_its_pin_in_the_mixer(janus):
    """A video room made with a PIN: joining the audio mixer's room of the same name (which
    would be bridged to it) asks the same PIN (the stock audiobridge's 489 without it),
    and the PIN goes with the room."""
    room = "bridge-pinned"

    async def body():
        phone = await RtpPeer("pcmu", 600).open()
        session = await Session.create(janus.ws_url)
        try:
            video = await session.attach(VIDEOROOM)
            created, _ = await video.send({"request": "create", "room": room, "pin": "2468"})
            assert created.get("videoroom") == "created", created
            mixer = await session.attach(MIXER)
            join = {"request": "join", "room": room, "display": "Phone", "codec": "pcmu",
                    "rtp": {"ip": "127.0.0.1", "port": phone.port}}
            without, _ = await mixer.send(join)
            wrong, _ = await mixer.send(dict(join, pin="1357"))
            right, _ = await mixer.send(dict(join, pin="2468"))
            await mixer.send({"request": "leave"})
            destroyed, _ = await video.send({"request": "destroy", "room": room})
            after, _ = await (await session.attach(MIXER)).send(join)  # the PIN went with the room
            return without, wrong, right, destroyed, after
        finally:
            phone.close()
            await session.close()

    without, wrong, right, destroyed, after = run(body(), timeout=60)
    for refused in (without, wrong):
        assert refused.get("error_code") == 489 and "PIN" in refused.get("error", ""), refused  # audiobridge's 489
    assert right.get("audiobridge") == "joined", right
    assert destroyed.get("videoroom") == "destroyed", destroyed
    assert after.get("audiobridge") == "joined", after
    assert janus.alive()
