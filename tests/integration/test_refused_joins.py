"""Refused joins leave nothing behind (issue 17, item 1): a join that the audio mixer or the video
room refuses must not leave the room it would have made on demand, nor its hub room. Each kind of
refused join is sent 200 times, each time to a new room name, against a real janus; afterwards the
plugins' admin `list` and the hub's room count (admin `info`) must be what they were before."""
import asyncio

from conftest import run
from harness.janus_api import Admin, Session

MIXER = "janus.plugin.sylk.audiomixer"
VIDEOROOM = "janus.plugin.sylk.videoroom"
ATTEMPTS = 200
BATCH = 20  # requests in flight at once on one handle

# name -> (join body without the room, error codes it may be refused with)
MIXER_REFUSALS = {
    "bad-id": ({"id": -5}, {1003}),
    "bad-display": ({"display": 42}, {1003}),
    "bad-codec": ({"codec": "speex"}, {1302}),
    "bad-rtp-missing-port": ({"codec": "pcmu", "rtp": {"ip": "127.0.0.1"}}, {1002}),
    "bad-rtp-address": ({"codec": "pcmu", "rtp": {"ip": "999.1.2.3", "port": 5004}}, {1003, 1303}),
}
VIDEOROOM_REFUSALS = {
    "secret-to-a-room-with-none": ({"ptype": "publisher", "secret": "guess"}, {433}),
    "bad-id": ({"ptype": "publisher", "id": "seven"}, {1003}),
}
PINNED_ROOM = "pinned-room"


async def room_counts(admin):
    """Rooms each plugin holds (admin list shows private rooms too) and the hub's rooms."""
    mixer = await admin.message_plugin(MIXER, {"request": "list"})
    videoroom = await admin.message_plugin(VIDEOROOM, {"request": "list"})
    info = await admin.message_plugin(MIXER, {"request": "info"})
    return {"mixer": sorted(str(r["room"]) for r in mixer["list"]),
            "videoroom": sorted(str(r["room"]) for r in videoroom["list"]),
            "hub": info["hub_rooms"]}


async def refuse_many(handle, prefix, body, codes):
    """Sends ATTEMPTS joins, each to a new room; every one must be refused with one of codes."""
    refused = []
    for start in range(0, ATTEMPTS, BATCH):
        requests = [handle.send(dict(body, request="join", room="%s-%d" % (prefix, n)))
                    for n in range(start, min(start + BATCH, ATTEMPTS))]
        for data, _ in await asyncio.gather(*requests):
            refused.append(data.get("error_code"))
    wrong = [code for code in refused if code not in codes]
    assert not wrong, "%s: expected refusals %s, got %s" % (prefix, codes, wrong[:5])


def test_refused_mixer_and_video_room_joins_leave_no_room(janus):
    async def body():
        admin = await Admin.open(janus.admin_url, janus.admin_secret)
        session = await Session.create(janus.ws_url)
        try:
            mixer = await session.attach(MIXER)
            videoroom = await session.attach(VIDEOROOM)
            owner = await session.attach(VIDEOROOM)
            created, _ = await owner.send({"request": "create", "room": PINNED_ROOM, "pin": "1234"})
            assert created.get("videoroom") == "created", created
            before = await room_counts(admin)
            assert PINNED_ROOM in before["videoroom"], before
            for kind, (join, codes) in MIXER_REFUSALS.items():
                await refuse_many(mixer, "mixer-" + kind, join, codes)
            for kind, (join, codes) in VIDEOROOM_REFUSALS.items():
                await refuse_many(videoroom, "videoroom-" + kind, join, codes)
            # a wrong PIN to a room that has one: refused, and the room stays as it was
            for _ in range(ATTEMPTS // BATCH):
                requests = [videoroom.send({"request": "join", "ptype": "publisher", "room": PINNED_ROOM, "pin": "0000"})
                            for _ in range(BATCH)]
                for data, _ in await asyncio.gather(*requests):
                    assert data.get("error_code") == 433, data
            after = await room_counts(admin)
            # the handles that were refused can still join (nothing half-done stuck to them)
            joined, _ = await mixer.send({"request": "join", "room": "mixer-after", "display": "ok"})
            assert joined.get("audiobridge") == "joined", joined
            published, _ = await videoroom.send({"request": "join", "ptype": "publisher", "room": PINNED_ROOM,
                                                 "pin": "1234"})
            assert published.get("videoroom") == "joined", published
            await mixer.send({"request": "leave"})
            await videoroom.send({"request": "leave"})
            await owner.send({"request": "destroy", "room": PINNED_ROOM})
            # the mixer's on-demand room goes with its last participant
            settled = await room_counts(admin)
            return before, after, settled
        finally:
            await session.close()
            await admin.close()

    before, after, settled = run(body(), timeout=240)
    assert after == before, "refused joins left rooms behind: %d mixer, %d video room, %d hub (before %s)" % (
        len(after["mixer"]) - len(before["mixer"]), len(after["videoroom"]) - len(before["videoroom"]),
        after["hub"] - before["hub"], before)
    assert "mixer-after" not in settled["mixer"] and PINNED_ROOM not in settled["videoroom"], settled
    assert settled["hub"] == before["hub"] - 1, (before, settled)  # the pinned room's hub room went with it


def test_a_handle_that_joins_and_leaves_again_and_again_keeps_no_old_participants(janus):
    """Each mixer join makes a participant (Opus coders, jitter buffer: tens of KiB); a handle
    used to keep every one it ever had until it went, so one client joining and leaving in a loop
    grew janus without bound. Now it keeps at most the one its media thread may still touch."""
    async def body():
        admin = await Admin.open(janus.admin_url, janus.admin_secret)
        session = await Session.create(janus.ws_url)
        try:
            mixer = await session.attach(MIXER)
            for n in range(ATTEMPTS):
                joined, _ = await mixer.send({"request": "join", "room": "rejoin-%d" % (n % 3), "display": "again"})
                assert joined.get("audiobridge") == "joined", joined
                left, _ = await mixer.send({"request": "leave"})
                assert left.get("audiobridge") == "left", left
            info = await mixer.info(admin)
            rooms = await room_counts(admin)
            return info["info"]["plugin_specific"], rooms
        finally:
            await session.close()
            await admin.close()

    kept, rooms = run(body(), timeout=120)
    assert kept["previous_participants"] <= 1, kept
    assert not [r for r in rooms["mixer"] if r.startswith("rejoin-")], rooms
