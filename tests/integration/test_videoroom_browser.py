"""The web app's conference page in headless Chromium against the real janus: three
participants see each other, chat reaches everyone, a late joiner gets the history."""
import json
import os
import subprocess

from conftest import TOP


def run_browser_script(script, *args, env=None):
    completed = subprocess.run(["node", os.path.join(TOP, "tests", "browser", script), *args],
                               capture_output=True, text=True, timeout=180, env=dict(os.environ, **(env or {})))
    lines = [line for line in completed.stdout.splitlines() if line.startswith("{")]
    assert lines, "browser script printed nothing:\n%s\n%s" % (completed.stdout, completed.stderr)
    return json.loads(lines[-1])


def test_three_participants_video_chat_and_history(janus, tmp_path):
    screenshot = str(tmp_path / "room.png")
    result = run_browser_script("room_test.mjs", janus.http_url + "room.html", "browser-room",
                                env={"SCREENSHOT": screenshot})
    assert "error" not in result, json.dumps(result, indent=1)
    for name, stats in result["pages"].items():
        first, second = stats["first"], stats["second"]
        assert len(first) == 2, (name, first)  # the two others, not itself
        others = {entry["display"] for entry in second.values()}
        assert others == {"Ann", "Ben", "Cat"} - {name}, (name, others)
        for feed, entry in second.items():
            assert entry["framesDecoded"] > first[feed]["framesDecoded"], (name, feed, first, second)
            assert entry["audioBytes"] > 0, (name, entry)
    for messages in result["chat"]:
        assert "Ann: hello from Ann" in messages
    assert result["screenTiles"] == [["Ann (screen)"], ["Ann (screen)"]]
    assert "only a moderator" in result["benMuteAll"]
    assert result["annIsModerator"] is True
    assert result["lateHistory"] == ["Ann: hello from Ann"]
    upload, download = result["upload"], result["download"]
    assert upload["reply"]["size"] == 5 * 1024 * 1024 and upload["progressEvents"] >= 1
    assert download["size"] == 5 * 1024 * 1024 and download["digest"] == upload["digest"]
    assert download["progressEvents"] > 1 and download["announced"]["display"] == "Ann"
    assert result["lateFiles"] == ["five-megabytes.bin"]
    assert result["lateDecoding"] == ["Ann", "Ben", "Cat"]
    assert os.path.getsize(screenshot) > 1000
