"""Network trouble in a room (issue 16): three web participants (two Chromium pages, one Firefox
page) stay in a room while the test drops their media (UDP, nftables in the test's namespace),
cuts their WebSockets to janus (ss -K), and stops janus (and starts it again). The pages must say "Reconnecting…", repair
(ICE restart, resubscribe, claim or rejoin) and decode each other again without a reload, or say
the server cannot be reached and offer to try again. Also the video room's subscriber ICE
restart (configure restart: true) with an aiortc subscriber.

The module runs its own janus (other ports than the shared fixture's; one the tests may stop),
with reclaim_session_timeout set, as the packaged sylk-janus.jcfg does."""
import json
import os
import re
import subprocess
import tempfile
import time

import pytest

from conftest import BUILD, TOP, run
from harness.janus_process import JanusProcess, sanitizer_env
from test_videoroom_api import Participant

# Chromium and Firefox started once for the session (conftest.py), not by each script
pytestmark = pytest.mark.usefixtures("shared_browsers")

WS_PORT, ADMIN_PORT, HTTP_PORT = 8288, 7288, 8180
NFT_TABLE = "sylk_reconnect_test"


@pytest.fixture(scope="module")
def server():
    process = JanusProcess(BUILD, tempfile.mkdtemp(prefix="sylk-janus-reconnect-"), ws_port=WS_PORT,
                           admin_port=ADMIN_PORT, http_port=HTTP_PORT, env=sanitizer_env(),
                           run_options={"general_options": {"reclaim_session_timeout": 10}})
    process.start()
    yield process
    process.stop()


class RoomPages:
    """room_reconnect.mjs: Ann and Ben in one room, driven one command at a time."""

    def __init__(self, url, room):
        self.process = subprocess.Popen(["node", os.path.join(TOP, "tests", "browser", "room_reconnect.mjs"), url, room],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.first = self.answer(90)  # {"ready": {name: view}} or {"error"}
        self.ready = self.first.get("ready")

    def answer(self, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                break
            if line.startswith("{"):
                return json.loads(line)
        pytest.fail("room_reconnect.mjs answered nothing (exit %s)" % self.process.poll())

    def command(self, name, timeout=60, **arguments):
        self.process.stdin.write(json.dumps(dict({"do": name}, **arguments)) + "\n")
        self.process.stdin.flush()
        reply = self.answer(timeout)
        assert "error" not in reply, json.dumps(reply, indent=1)
        return reply[name]

    def close(self):
        self.process.stdin.close()
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.fixture(scope="module")
def pages(server):
    room_pages = RoomPages(server.http_url + "room.html", "trouble-room")
    try:
        assert room_pages.ready, json.dumps(room_pages.first, indent=1)
        yield room_pages
    finally:
        room_pages.close()
        # a script that died mid-outage must not leave media dropped for the next modules
        subprocess.run(["nft", "delete", "table", "inet", NFT_TABLE], capture_output=True)


def others(view):
    return [name for name in view["roster"] if not name.endswith("(you)")]


def test_subscriber_ice_restart_gets_an_offer_with_new_credentials(server):
    """configure {restart: true} on a subscriber handle: a new offer of the same streams whose
    ICE credentials janus renewed."""
    def ice(sdp):
        return re.search(r"a=ice-ufrag:(\S+)", sdp).group(1), re.findall(r"a=mid:(\S+)", sdp)

    async def body():
        alice = Participant(server, "restart-room", "Alice")
        bob = Participant(server, "restart-room", "Bob")
        try:
            await alice.join(tone=440, colour=(0, 200, 0))
            await bob.join()
            await bob.subscribe([alice.joined["id"]])
            first = bob.pcs[0].remoteDescription.sdp
            data, jsep = await bob.sub.send({"request": "configure", "restart": True})
            plain, plain_jsep = await bob.sub.send({"request": "configure", "last_n": 0})
            return first, data, jsep, plain, plain_jsep
        finally:
            await bob.close()
            await alice.close()

    first, data, jsep, plain, plain_jsep = run(body())
    assert data.get("configured") == "ok", data
    assert jsep and jsep["type"] == "offer", (data, jsep)
    (old_ufrag, old_mids), (new_ufrag, new_mids) = ice(first), ice(jsep["sdp"])
    assert new_mids == old_mids and len(new_mids) == 2, (old_mids, new_mids)
    assert new_ufrag != old_ufrag, "janus kept its ICE credentials: no restart"
    assert plain.get("configured") == "ok" and not plain_jsep  # no restart asked: no offer


NAMES = ("Ann", "Ben", "Fox")  # Fox is the Firefox page


def test_media_outage_shows_reconnecting_and_media_comes_back(pages):
    outage = pages.command("drop-media", seconds=5)
    print("media outage:", json.dumps({k: outage[k] for k in ("bannerShownMs", "outageMs", "framesBackMs", "normalMs")}))
    for name in ("Ann", "Fox"):
        during = outage["during"][name]
        assert during["connection"] == "reconnecting" and during["dimmed"], during
        assert during["banner"] == "Reconnecting…" and during["role"] == "status" and not during["retryShown"], during
    assert set(outage["framesBackMs"]) == set(NAMES), outage  # all decode new frames, same pages
    for name in NAMES:
        view = outage["views"][name]
        assert view["connection"] == "ok" and view["banner"] == "" and not view["dimmed"], view
        assert not view["retryShown"], view
        assert sorted(others(view)) == sorted(other for other in NAMES if other != name), view
        actions = [entry["action"] for entry in view["log"]]
        # Ann and Fox were seen reconnecting above; Ben's Chromium may only notice a 5 s outage
        # after it ended (ICE "disconnected" takes it 5-6 s): if it did notice, it recovered.
        if name in ("Ann", "Fox") or "reconnecting" in actions:
            assert "reconnecting" in actions and "recovered" in actions, (name, actions)


def test_websocket_drop_claims_the_session_and_stays_in_the_room(pages):
    back = pages.command("drop-websocket", port=WS_PORT)
    print("websocket drop: back after %d ms" % back["backMs"])
    assert set(back["gained"]) == set(NAMES), back  # all decode new frames
    for name in NAMES:
        view = back["views"][name]
        actions = [entry["action"] for entry in view["log"]]
        assert "server lost" in actions and "claimed" in actions, actions
        assert view["myId"] == back["ids"][name], (view, back["ids"])  # the same session and place
        assert sorted(others(view)) == sorted(other for other in NAMES if other != name), view
        assert view["connection"] == "ok" and not view["dimmed"], view


def test_server_gone_says_so_and_try_again_rejoins(pages, server):
    ids = {name: pages.ready[name]["myId"] for name in NAMES}
    muted = pages.command("mute")  # Ann's microphone and camera stay off through the rejoin
    assert muted["views"]["Ann"]["sending"] == {"audio": False, "video": False}, muted["views"]["Ann"]
    server.stop()
    gone = pages.command("expect-gone")
    for name in NAMES:
        view = gone["views"][name]
        assert view["connection"] == "gone" and view["dimmed"], view
        assert view["banner"] == "The server cannot be reached." and view["retryShown"], view
    server.start()
    back = pages.command("try-again")
    print("server restart: back %d ms after Try again" % back["backMs"])
    for name in NAMES:
        view = back["views"][name]
        actions = [entry["action"] for entry in view["log"]]
        assert "rejoined" in actions, actions  # a new session: the old one died with janus
        assert view["myId"] != ids[name], view
        assert sorted(others(view)) == sorted(other for other in NAMES if other != name), view
        assert sum("before the trouble" in line for line in view["shownMessages"]) == 1, view  # chat kept, once
        assert view["connection"] == "ok" and view["banner"] == "" and not view["retryShown"], view
    assert back["views"]["Ann"]["sending"] == {"audio": False, "video": False}, back["views"]["Ann"]
    for name in ("Ben", "Fox"):  # the room was told again: the others' tiles show it
        assert any(re.match(r"Ann(, talking)?, microphone muted, camera off$", label or "")
                   for label in back["views"][name]["mutedTiles"]), back["views"][name]
