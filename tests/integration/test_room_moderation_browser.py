"""The conference page's chat panel, private messages, file cards, moderator panel and invite
dialog, driven through the UI in real browsers against the real janus (one janus for the
module): Chromium for every flow, Firefox ESR for the main one (chat and moderation); the
invite dialog makes the SIP focus call a sipp phone, which answers and is heard in the room."""
import asyncio
import json
import os
import re
import shutil
import tempfile

import numpy

import pytest

from conftest import TOP, run
from harness.processes import script_result, spawn
from harness.push_service import free_port
from harness.rtp_peer import RtpPeer
from test_audiomixer import Voice, tone_db
from test_sip_focus import SCENARIOS, wait_for
from test_videoroom_browser import run_browser_script

# Chromium and Firefox started once for the session (conftest.py), not by each script
pytestmark = pytest.mark.usefixtures("shared_browsers")


def test_chat_files_and_moderation_in_chromium(janus):
    result = run_browser_script("room_moderation_test.mjs", janus.http_url + "room.html", "moderated-room")
    assert "error" not in result, json.dumps(result, indent=1)
    print("\n".join(result.get("timing", [])))
    assert result["annPanel"] is True and result["benPanel"] is False and result["benControls"] == 0
    for request, answer in result["forged"].items():  # the server refuses a non-moderator
        assert "only a moderator" in answer, (request, answer)
    assert result["catPanelClosed"] is True
    assert result["catUnreadLabel"] == "Chat 1 unread message" and result["catBadge"] == "1"
    assert result["catAfterOpen"] == {"label": "Chat", "seen": True}
    assert result["benPrivate"] == {"text": "Ann (private):just for Ben", "chip": "private"}
    assert result["benPlaceholder"] == "Private message to Ann"
    assert result["annPrivate"] == {"text": "Ben (private):a private reply", "chip": "private"}
    assert result["annSentChip"] == "private to Ben"
    assert result["catLeaks"] == 0
    assert "notes.bin" in result["benCard"] and "300 kB, from Ann" in result["benCard"]
    assert result["thumbnailWidth"] == 1
    assert result["download"] == {"name": "notes.bin", "same": True, "progress": 1}
    assert result["cancelled"] == {"bar": True}
    audio = result["benAudioAtCat"]
    assert audio["mutedFrom"] > audio["before"] > 0, audio            # Ben was heard before
    assert audio["after"] - audio["mutedFrom"] < 200, audio           # and is not after the mute
    assert result["catAudioFromAnn"] > 0
    # muted state on others' tiles: the icon and the avatar instead of the stopped camera's frame
    assert result["catTileAtAnn"] == {"icon": True, "avatar": True, "video": False}, result["catTileAtAnn"]
    seen = " | ".join(label for label in result["eveSees"] if label)
    assert re.search(r"Cat(, talking)?, microphone muted, camera off", seen), seen  # a late joiner too
    assert re.search(r"Ben(, talking)?, microphone muted( \||$)", seen), seen      # the moderator's mute
    assert result["catBackAtAnn"] == {"icon": False}
    assert result["lockShownToBen"] is True
    assert "This room is locked" in result["danError"], result["danError"]
    assert "Cat" not in result["annRosterAfterKick"] and result["unlocked"] is True
    assert len(result["steps"]) == 13, result["steps"]
    assert janus.alive()


def test_chat_and_moderation_in_firefox(janus):
    result = run_browser_script("room_moderation_firefox_test.mjs", janus.http_url + "room.html", "firefox-moderated")
    assert "error" not in result, json.dumps(result, indent=1)
    print("\n".join(result["trace"]))
    assert result["benPanel"] is False
    assert result["benUnread"] == "Chat 1 unread message"
    assert result["benPrivate"] == "Ann (private):private to Ben"
    assert result["annPrivate"] == "Ben (private):private to Ann"
    assert result["benMuted"] == "A moderator muted your microphone."
    assert result["benLock"] == "Room locked: nobody else can join"
    assert result["benKicked"] == "A moderator removed you from the room."
    assert len(result["steps"]) == 5, result["steps"]
    assert janus.alive()


async def phone_called(trace_dir, browser, janus):
    """The page's call reached the sipp phone (its INVITE and ACK in bob.log): the INVITE's match,
    whose group 1 is the RTP port to send the phone's tone to. If not, the failure says what the
    page saw (it may have failed before calling) and janus's dial lines."""
    try:
        offer = await wait_for(os.path.join(trace_dir, "bob.log"), r"INVITE sip:bob.*?m=audio (\d+) RTP/AVP 0", 60)
        await wait_for(os.path.join(trace_dir, "bob.log"), r"ACK sip:bob", 20)
        return offer
    except AssertionError as error:
        try:  # the page's own waits end within 30 s more, and it prints what it saw
            out, _ = await asyncio.wait_for(browser.communicate(), 30)
        except asyncio.TimeoutError:
            browser.kill()
            out, _ = await browser.communicate()
        log = [line for line in open(janus.log_path, errors="replace") if "dial" in line or "INVITE" in line]
        raise AssertionError("%s; the page: %s; janus: %s" % (error, out.decode(errors="replace")[-3000:], log[-20:]))


def test_invite_dialog_calls_a_phone_into_the_room(janus):
    """Ann (moderator) calls a sipp phone in from the Invite dialog: the dialog shows it ringing
    and answered, the phone is in both pages' rosters, and the room (an audio mixer member of
    the same room) hears the phone's tone, as the focus's REFER test asserts."""
    room = "invite-room"
    trace_dir = tempfile.mkdtemp(prefix="sylk-sipp-")

    async def body():
        voice = Voice(janus, room, "Listener", 440)
        bob = await RtpPeer("pcmu", 600).open()
        phone = await spawn(
            "sipp", "-sf", os.path.join(SCENARIOS, "dial_target.xml"), "-m", "1", "-i", "127.0.0.1", "-p", "5079",
            "-nostdin", "-timeout", "60s", "-trace_msg", "-message_file", os.path.join(trace_dir, "bob.log"),
            "-set", "rtpport", str(bob.port), cwd=trace_dir, stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE)
        browser = None
        try:
            await voice.join()
            browser = await spawn("node", os.path.join(TOP, "tests", "browser", "room_invite_test.mjs"),
                                  janus.http_url + "room.html", room, "sip:bob@127.0.0.1:5079", "bob",
                                  stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
            offer = await phone_called(trace_dir, browser, janus)
            await bob.stream(("127.0.0.1", int(offer.group(1))), 2)
            heard = voice.heard()
            out, err = await asyncio.wait_for(browser.communicate(), 90)
            printed = script_result(out, err)
            return printed, heard
        finally:
            if browser and browser.returncode is None:
                browser.kill()
                await browser.wait()
            if phone.returncode is None:
                phone.kill()
                await phone.wait()
            bob.close()
            await voice.close()

    try:
        result, heard = run(body(), timeout=120)
    finally:
        shutil.rmtree(trace_dir, ignore_errors=True)
    assert "error" not in result, json.dumps(result, indent=1)
    assert result["link"].endswith("/r/invite-room") and result["clipboard"] == result["link"], result
    assert result["states"] == ["sip:bob@127.0.0.1:5079: answered: in the room"], result
    assert result["seen"] == ["calling", "ringing", "answered"], result      # the reply, then the focus's reports
    assert result["failed"].startswith("sip:nobody@127.0.0.1:5081: did not answer (5"), result["failed"]
    assert "bob" in result["annRoster"], result["annRoster"]
    assert result["benForm"] is False and result["benNote"] is True
    assert "only a moderator" in result["benDial"], result["benDial"]
    assert "must be a SIP URI" in result["refused"], result["refused"]
    assert tone_db(*heard, 600) > 120                                       # the room hears the phone
    assert len(result["steps"]) == 3, result["steps"]
    assert janus.alive()


def test_the_page_and_a_phone_it_calls_hear_each_other(janus):
    """The room audio bridge in Chromium: Ann calls a sipp phone from the Invite dialog; the page
    plays the phones' mix feed (no tile of its own) and hears the phone's 600 Hz tone (getStats
    energy and a WebAudio analyser on the played stream), and the phone hears the page's fake
    microphone (Chromium's beep) through the mixer."""
    room = "phone-audio-room"
    trace_dir = tempfile.mkdtemp(prefix="sylk-sipp-")

    async def body():
        bob = await RtpPeer("pcmu", 600).open()
        # Its own port: the invite test's phone had 5079, and the focus may still be sending BYEs
        # of that call there (to a sipp that is gone) when this one starts.
        port = free_port()
        phone = await spawn(
            "sipp", "-sf", os.path.join(SCENARIOS, "dial_target.xml"), "-m", "1", "-i", "127.0.0.1", "-p", str(port),
            "-nostdin", "-timeout", "90s", "-trace_msg", "-message_file", os.path.join(trace_dir, "bob.log"),
            "-set", "rtpport", str(bob.port), cwd=trace_dir, stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE)
        browser = None
        try:
            browser = await spawn("node", os.path.join(TOP, "tests", "browser", "room_phone_audio_test.mjs"),
                                  janus.http_url + "room.html", room, "sip:bob@127.0.0.1:%d" % port, "600",
                                  stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
            offer = await phone_called(trace_dir, browser, janus)
            # The phone talks until the page has measured (or 40 s); what it hears is kept.
            streaming = asyncio.ensure_future(bob.stream(("127.0.0.1", int(offer.group(1))), 40))
            out, err = await asyncio.wait_for(browser.communicate(), 90)
            streaming.cancel()
            heard = bob.heard(6.0)
            printed = script_result(out, err)
            return printed, heard
        finally:
            if browser and browser.returncode is None:
                browser.kill()
                await browser.wait()
            if phone.returncode is None:
                phone.kill()
                await phone.wait()
            bob.close()

    try:
        result, heard = run(body(), timeout=150)
    finally:
        shutil.rmtree(trace_dir, ignore_errors=True)
    print(json.dumps({k: v for k, v in result.items() if k != "console"}))
    assert "error" not in result, json.dumps(result, indent=1)
    # The mix feed is played, not shown: Ann's own tile and the phone's member tile only.
    assert len(result["mixFeeds"]) == 1, result
    assert len(result["tiles"]) == 2 and "tile-local" in result["tiles"], result["tiles"]
    assert not any(str(feed) in tile for feed in result["mixFeeds"] for tile in result["tiles"]), result["tiles"]
    assert result["participants"] == [], result["participants"]  # no web participant but Ann herself
    # The page hears the phone: energy on the mix feed's receiver, the tone in the played stream.
    assert result["energyPerSecond"] > 0.001, result
    analyser = result["analyser"]
    # A reading taken while nothing played is -Infinity dB, which JSON carries as null.
    level = lambda readings: numpy.median([-numpy.inf if value is None else value for value in readings])
    assert level(analyser["tone"]) - level(analyser["off"]) >= 20, analyser
    # The phone hears the page (Chromium's fake microphone beeps): loud 20 ms frames at the phone.
    samples, rate = heard
    frames = samples[:len(samples) // 160 * 160].reshape(-1, 160)
    loudest = float(numpy.sqrt((frames ** 2).mean(axis=1)).max())
    assert loudest > 300, loudest
    assert janus.alive()
