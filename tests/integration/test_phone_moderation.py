"""Room moderators mute phones (issue 16, phonemute16): a web moderator of the video room mutes a
phone that called in through the SIP focus (mixed by the audio mixer) with the video room's
`moderate {"member", "mute"}`; the hub carries a `mute` order to the audio mixer, which takes
the phone out of the mix and republishes it muted_by_moderator. Two sipp phones with RTP tones:
the second hears the first's tone until the mute, then no longer. The muted phone is told by a
MESSAGE from the room ("You were muted by the moderator", then "unmuted"). A participant who
does not moderate is refused. Every assertion is what a real peer received."""
import asyncio

import numpy

from conftest import run
from harness.room_members import ApiWebUser, RoomPhone
from test_audiomixer import tone_db

ROOM = "phonemute"
MIXER = "janus.plugin.sylk.audiomixer"
DELIVERY_S = 15
TONE_HZ = 600  # RoomPhone's RTP tone


async def heard_after(phone, mark, seconds=1.0, timeout=10):
    """The PCM the phone received after its mark, once it holds `seconds` of it."""
    rtp = phone.rtp
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        chunks = rtp.received[mark:]
        if chunks and sum(len(c) for c in chunks) >= seconds * rtp.rate:
            return numpy.concatenate(chunks)[-int(seconds * rtp.rate):].astype(numpy.float64)
        await asyncio.sleep(0.05)
    raise AssertionError("the phone received under %.1f s of audio after the mark" % seconds)


def test_moderator_mutes_a_phone_through_the_hub(janus):
    async def body():
        wendy = walter = caller = listener = None
        try:
            wendy = await ApiWebUser.join(janus.ws_url, ROOM, "Wendy")  # made the room: moderates it
            walter = await ApiWebUser.join(janus.ws_url, ROOM, "Walter")
            assert wendy.joined.get("moderator") is True and walter.joined.get("moderator") is False
            caller = await RoomPhone(ROOM, scenario="room_phone_moderated.xml").call()
            first = await wendy.wait(lambda: [a for a in wendy.attendee_events()
                                              if a.get("plugin") == MIXER and a["present"]], DELIVERY_S, "the phone")
            member = first[0]["id"]
            listener = await RoomPhone(ROOM, scenario="room_phone_idle.xml").call()
            await wendy.wait(lambda: [a for a in wendy.attendee_events()
                                      if a.get("plugin") == MIXER and a["present"] and a["id"] != member],
                             DELIVERY_S, "the second phone")
            before = tone_db(await heard_after(listener, len(listener.rtp.received)), listener.rtp.rate, TONE_HZ)

            # Walter does not moderate: refused, and the phone stays unmuted
            refused = await walter.handle.send({"request": "moderate", "member": member, "mute": True})
            assert refused[0].get("error_code") == 433, refused
            refused = await wendy.handle.send({"request": "moderate", "member": MIXER + "/999999", "mute": True})
            assert refused[0].get("error_code") == 428, refused  # nobody of that id

            # Wendy mutes the phone: everyone's attendee says muted_by_moderator, its tone leaves the mix
            done = await wendy.handle.send({"request": "moderate", "member": member, "mute": True})
            assert done[0].get("videoroom") == "success", done
            for user in (wendy, walter):
                await user.wait(lambda: [a for a in user.attendee_events()
                                         if a["id"] == member and a.get("muted_by_moderator")], DELIVERY_S, "muted")
            muted = tone_db(await heard_after(listener, len(listener.rtp.received)), listener.rtp.rate, TONE_HZ)

            # and lifts it: back in the mix
            done = await wendy.handle.send({"request": "moderate", "member": member, "mute": False})
            assert done[0].get("videoroom") == "success", done
            await wendy.wait(lambda: [a for a in wendy.attendee_events()[-1:]
                                      if a["id"] == member and a.get("updated") and not a.get("muted_by_moderator")],
                             DELIVERY_S, "unmuted")
            unmuted = tone_db(await heard_after(listener, len(listener.rtp.received)), listener.rtp.rate, TONE_HZ)
            # the muted phone was told both, in its call, and the other phone nothing
            await caller.wait_trace(r"You were unmuted by the moderator")
            told = [body.splitlines()[-1] for _, body in caller.received_messages()]
            assert told == ["You were muted by the moderator", "You were unmuted by the moderator"], told
            assert listener.received_messages() == [], listener.received_messages()
            return before, muted, unmuted
        finally:
            for member_ in (caller, listener, walter, wendy):
                if member_ is not None:
                    await member_.close()

    before, muted, unmuted = run(body(), timeout=90)
    assert before - muted >= 30, (before, muted)   # the phone's tone is gone from the other phone's mix
    assert unmuted - muted >= 30, (unmuted, muted)  # and back after the unmute
