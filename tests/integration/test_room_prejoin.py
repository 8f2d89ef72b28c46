"""Room links (/r/<room>, room.html#<room>) and the pre-join screen in Chromium and Firefox
against the real janus: preview, device pickers, microphone off before joining, a camera
switched in the call without renegotiating, the copied link, the remembered name, a PIN room."""
import http.client
import json
import os
import subprocess
import urllib.parse

import pytest

from conftest import TOP, run
from harness.janus_api import Session
from harness.processes import script_result

# Chromium and Firefox started once for the session (conftest.py), not by each script
pytestmark = pytest.mark.usefixtures("shared_browsers")

ROOM = "prejoin room ü/1"
PIN_ROOM = "pin-room"
PIN = "4321"
# ASCII: Firefox refuses an SDP with non-ASCII characters, and the room's subscriber offer
# carries the room's name (left to the video room's owners; Chromium takes it).
FIREFOX_ROOM = "firefox room 1"


def run_browser_script(script, *args):
    completed = subprocess.run(["node", os.path.join(TOP, "tests", "browser", script), *args],
                               capture_output=True, text=True, timeout=180)
    return script_result(completed.stdout, completed.stderr)


def get(janus, path):
    address = urllib.parse.urlsplit(janus.http_url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=10)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def test_room_links_serve_the_conference_page(janus):
    status, page = get(janus, "/room.html")
    assert status == 200 and b'<base href="/">' in page
    for path in ["/r/lobby", "/r/" + urllib.parse.quote(ROOM, safe=""), "/r/a%2F..%2F..%2Fetc%2Fpasswd",
                 "/r/../../etc/passwd"]:
        status, body = get(janus, path)
        assert (status, body) == (200, page), path
    for path in ["/r/", "/r", "/r/" + "x" * 1100]:
        assert get(janus, path)[0] == 404, path


def test_prejoin_devices_mute_and_link_in_chromium(janus):
    result = run_browser_script("prejoin_test.mjs", janus.http_url, "main", ROOM)
    print("timeline (ms):", result.get("timeline"))  # pytest -s
    assert "error" not in result, json.dumps(result, indent=1)
    assert not [line for line in result["console"] if "pageerror" in line], result["console"]
    # the room from the links
    assert result["roomField"] == ROOM and result["benRoomField"] == ROOM
    assert ROOM in result["title"]
    # the pickers list what the browser has: three fake cameras
    pickers = result["pickers"]
    assert pickers["listed"] == pickers["enumerated"], pickers
    assert len(pickers["listed"]["camera"]) == 3
    assert result["micLevel"] > 0.01 and result["micPressed"] == "false"
    # joined muted, on the picked camera
    assert result["annError"] is None and result["benError"] is None
    assert result["annMuted"] is True and result["annSendingCamera"] == result["previewCamera"]
    # Ben gets no audio from Ann (the room stopped relaying it; his tile of her says muted)
    # until she unmutes
    assert result["muted"]["bytes"] < 200 and result["muted"]["energy"] < 0.0001, result["muted"]
    assert result["unmutedEnergy"] > 0.001
    # camera switched in the call: no new offer, Ben's frames keep coming
    assert result["annSendingCameraAfter"] != result["previewCamera"] and result["renegotiated"] is False
    assert result["framesAfterSwitch"] > 15
    # the link
    assert result["clipboard"] == result["expectedLink"] == result["linkField"]
    assert result["copyStatus"] == "Link copied."
    # remembered: the name and the camera picked before joining, then the one picked in the call
    assert result["rememberedName"] == "Ann" and result["rememberedCamera"] == result["previewCamera"]
    assert result["rememberedCameraAfterSwitch"] == result["annSendingCameraAfter"]


def test_pin_room_asks_refuses_and_admits_in_chromium(janus):
    async def make_pin_room():
        session = await Session.create(janus.ws_url)
        try:
            handle = await session.attach("janus.plugin.sylk.videoroom")
            for room, private in [(PIN_ROOM, True), (PIN_ROOM + "-public", False)]:
                reply, _ = await handle.send({"request": "create", "room": room, "pin": PIN, "is_private": private})
                assert reply.get("videoroom") == "created", reply
        finally:
            await session.close()
    run(make_pin_room())
    result = run_browser_script("prejoin_test.mjs", janus.http_url, "pin", "-", PIN_ROOM, PIN)
    assert "error" not in result, json.dumps(result, indent=1)
    # a public room's listing says it needs a PIN: asked before joining
    assert result["publicPinShown"] is True and result["publicPinHelp"] == "This room needs a PIN."
    # a private room: nothing tells before joining; the join asks, refuses a wrong PIN, admits
    assert result["pinFieldAtFirst"] is False and result["pinFieldAfter"] is True
    assert result["noPinError"] == "This room needs a PIN."
    assert result["wrongPinError"] == "Wrong PIN: please try again."
    assert result["catRoom"] == PIN_ROOM and result["catError"] == ""


def test_prejoin_main_flow_in_firefox(janus):
    result = run_browser_script("prejoin_firefox_test.mjs", janus.http_url, FIREFOX_ROOM)
    assert "error" not in result, json.dumps(result, indent=1)
    assert result["roomField"] == FIREFOX_ROOM and result["previewPlaying"] and result["cameras"] >= 1
    assert result["micPressed"] == "false Microphone off"
    assert result["annError"] is None and result["annMuted"] is True
    assert result["benDecodesAnn"] > 10
