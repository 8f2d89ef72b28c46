"""Room layouts in the browser (issue 16, "Layouts"): three Chromium pages and a phone that
called in through the SIP focus (sipp, with an RTP tone) in one room, then a Firefox page. The
pages must lay their tiles out inside the viewport without overlap at phone and desktop widths,
switch to the speaker view by its button, put the dominant speaker on stage, pin a tile by
keyboard, show a screen share large, show the phone as an audio tile with its name, list raised
hands in raise order, and grade each tile's connection from getStats. room_layout_test.mjs
drives the pages; every assertion is on what a page showed."""
import asyncio
import json
import os

import pytest

from conftest import run
from harness.room_members import RoomPhone

# Chromium and Firefox started once for the session (conftest.py), not by each script
pytestmark = pytest.mark.usefixtures("shared_browsers")

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ROOM = "layouts"


async def browser_script(*args):
    process = await asyncio.create_subprocess_exec(
        "node", os.path.join(TOP, "tests", "browser", "room_layout_test.mjs"), *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    stdout, stderr = await process.communicate()
    lines = [line for line in stdout.decode(errors="replace").splitlines() if line.startswith("{")]
    assert lines, "browser script printed nothing:\n%s\n%s" % (stdout.decode(errors="replace"), stderr.decode(errors="replace"))
    return json.loads(lines[-1])


def assert_fits(geometry, count, where):
    assert geometry["count"] == count, (where, geometry)
    assert geometry["inside"], (where, geometry)
    assert geometry["overlapping"] == [], (where, geometry)


def tile_area(geometry, tile_id):
    rect = next(r for r in geometry["rects"] if r["id"] == tile_id)
    return rect["w"] * rect["h"]


def test_layouts_stage_pin_share_phone_hands_and_quality(janus):
    async def body():
        phone = await RoomPhone(ROOM, scenario="room_phone_moderated.xml").call()  # the moderator mutes it
        try:
            return await browser_script(janus.http_url + "room.html", ROOM)
        finally:
            await phone.close()

    result = run(body(), timeout=240)
    os.makedirs(os.path.join(TOP, "build", "test-results"), exist_ok=True)
    with open(os.path.join(TOP, "build", "test-results", "room_layouts.json"), "w") as kept:
        json.dump(result, kept, indent=1)  # the measured figures, kept with the screenshots
    assert "error" not in result, json.dumps(result, indent=1)
    ids = result["ids"]
    ben, cat = "tile-%d" % ids["Ben"], "tile-%d" % ids["Cat"]

    # the phone: an audio tile with its name and initials
    phone = result["phoneTile"]
    assert phone["name"] == "Phone" and phone["initials"] == "PH" and phone["avatarShown"], phone
    assert phone["plugin"] == "janus.plugin.sylk.audiomixer" and phone["member"], phone  # the focus mixes phones there
    assert "talking" in result["phoneTalking"], result["phoneTalking"]  # the mixer's voice detection, relayed by the room
    # a moderator (Ann) mutes the phone from the roster (a hub mute order the mixer obeys); Ben sees it
    assert result["phoneMutedAtBen"] is True and result["phoneUnmutedAtBen"] is True, result
    assert result["benHasNoPhoneMute"] is True  # Ben does not moderate: no such button

    # the grid fits at both widths (three cameras and the phone), in Chromium and Firefox
    for width in ("phone", "desktop"):
        assert_fits(result["gridFits"][width], 4, ("chromium", width))
        assert_fits(result["firefox"]["gridFits"][width], 5, ("firefox", width))
    assert result["gridFits"]["phone"]["width"] == 390

    # speaker view by its button: one tile on stage, larger than each in the filmstrip
    speaker = result["speakerView"]
    assert speaker["pressed"] == "true" and speaker["layout"] == "speaker" and speaker["stage"], speaker
    assert_fits(speaker["geometry"], 4, "speaker view")
    places = sorted(r["place"] for r in speaker["geometry"]["rects"])
    assert places == ["filmstrip"] * 3 + ["stage"], places

    # the dominant speaker (Ben, the only one speaking) is on stage, talking shown on his tile
    assert result["dominant"] == ben, result["dominant"]
    assert result["dominantAtCat"] is True
    assert "talking" in result["talking"], result["talking"]
    stage_area = tile_area(result["speakerGeometry"], ben)
    assert all(stage_area > 4 * r["w"] * r["h"] for r in result["speakerGeometry"]["rects"] if r["id"] != ben)

    # pinned by keyboard: Cat on stage although Ben speaks; unpinned: Ben again
    assert result["pinned"] == {"pressed": "true", "stage": cat, "layout": "speaker", "pinned": cat}, result["pinned"]
    assert result["unpinned"]["pinned"] is None and result["unpinned"]["stage"] == ben, result["unpinned"]

    # a screen share goes large by itself (the page was back in the grid), and back when it ends
    assert result["backToGrid"]["pressed"] == "false" and result["backToGrid"]["stage"] is None
    share = result["screenShare"]
    assert share["layout"] == "speaker" and share["stage"] == ben + "-screen" and share["pressed"] == "true", share
    assert_fits(result["screenGeometry"], 5, "screen share")
    screen_area = tile_area(result["screenGeometry"], ben + "-screen")
    assert all(screen_area > 4 * r["w"] * r["h"] for r in result["screenGeometry"]["rects"] if r["id"] != ben + "-screen")
    assert result["shareEnded"] == "grid"

    # raised hands in the order raised (not the room's order by id)
    hands = result["hands"]
    assert hands["queue"] == hands["raisedBy"], hands
    assert result["handsLate"] == [ids[name] for name in hands["raisedBy"]]

    # quality: good on loopback; poor once Ben's camera is capped to 2 frames per second,
    # and what is shown is what was measured
    for entry in result["qualityLoopback"]:
        assert entry["word"] == "good" and entry["label"].startswith("Connection good:"), entry
        assert entry["measured"]["loss"] < 0.02 and entry["measured"]["fps"] >= 10, entry
    throttled = result["qualityThrottled"]
    assert throttled["word"] == "poor" and throttled["label"].startswith("Connection poor:"), throttled
    assert throttled["measured"]["fps"] < 4 or throttled["measured"]["freezeSeconds"] >= 0.5, throttled

    # Firefox: speaker view by its button, Ann pinned by keyboard on stage
    firefox = result["firefox"]
    assert firefox["speaker"]["pressed"] == "true" and firefox["speaker"]["layout"] == "speaker", firefox
    assert firefox["pinned"]["stage"] == "tile-%d" % ids["Ann"] and firefox["pinned"]["pressed"] == "true", firefox
    assert_fits(firefox["pinned"]["geometry"], 5, "firefox pinned")
