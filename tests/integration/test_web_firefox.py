"""The web app in Firefox ESR (puppeteer-core over WebDriver BiDi) against the real janus: two
Firefox participants and one Chromium participant in one room decode each other's video and
get each other's chat; the echo test runs in Firefox. Every step runs axe-core and takes
screenshots (tests/browser/ui_check.mjs)."""
import json

import pytest

from test_videoroom_browser import run_browser_script

# Chromium and Firefox started once for the session (conftest.py), not by each script
pytestmark = pytest.mark.usefixtures("shared_browsers")


def test_two_firefox_and_one_chromium_in_a_room_and_the_echo_test(janus):
    result = run_browser_script("firefox_room_test.mjs", janus.http_url, "firefox-room")
    print("timeline (ms):", result.get("timeline"), "decoding:", result.get("decoding"))
    assert "error" not in result, json.dumps(result, indent=1)
    assert result["decoding"] == {"Fox1": ["Chro", "Fox2"], "Fox2": ["Chro", "Fox1"], "Chro": ["Fox1", "Fox2"]}, result
    assert set(result["chat"].values()) == {"Fox1", "Chro"}, result
    assert result["chat"]["Chro got Firefox's"] == "Fox1" and result["chat"]["Fox2 got Chromium's"] == "Chro"
    echo = result["echo"]
    assert echo["error"] is None and echo["status"].startswith("echo running"), echo
    assert echo["replies"] == ["ping from Firefox"], echo
    assert echo["stats"]["framesDecoded"] > 10 and echo["stats"]["audioBytes"] > 0, echo
