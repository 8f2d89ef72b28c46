"""Headless Chromium (Debian's, fake camera and microphone) runs the web app's echo page
against the real janus: it must decode the echoed video, receive audio and get its
data-channel message back."""
import json
import os
import subprocess
import urllib.request

from conftest import TOP

BROWSER = os.path.join(TOP, "tests", "browser")


def test_web_app_echo_page_in_chromium(janus, tmp_path):
    screenshot = str(tmp_path / "echo.png")
    completed = subprocess.run(
        ["node", os.path.join(BROWSER, "echo_test.mjs"), janus.http_url + "echo.html"],
        capture_output=True, text=True, timeout=120, env=dict(os.environ, SCREENSHOT=screenshot))
    lines = [line for line in completed.stdout.splitlines() if line.startswith("{")]
    assert lines, "browser script printed nothing:\n%s\n%s" % (completed.stdout, completed.stderr)
    result = json.loads(lines[-1])
    assert "error" not in result, json.dumps(result, indent=1)
    assert result["status"].startswith("echo running"), result["status"]
    assert result["replies"] == ["ping from chromium"]
    first, second = result["first"], result["second"]
    assert first["framesDecoded"] > 30, first
    assert second["framesDecoded"] > first["framesDecoded"] + 20, (first, second)
    assert first["audioBytes"] > 4000 and second["audioBytes"] > first["audioBytes"], (first, second)
    assert result["remoteVideo"]["width"] > 0
    assert os.path.getsize(screenshot) > 1000


def test_web_app_is_served_with_janus_js(janus):
    for path, words in (("", b"Sylk for Janus"), ("echo.html", b"echo.js"),
                        ("javascript/janus-gateway/janus.js", b"Janus"),
                        ("javascript/webrtc-adapter/adapter.js", b"adapter")):
        with urllib.request.urlopen(janus.http_url + path, timeout=5) as response:
            assert response.status == 200
            assert words in response.read()


def test_web_app_refuses_path_traversal(janus):
    import http.client
    for path in ("/../conf/janus.jcfg", "/%2e%2e/%2e%2e/etc/passwd", "/javascript/../../../etc/passwd", "/nope.html"):
        connection = http.client.HTTPConnection("127.0.0.1", int(janus.http_url.rsplit(":", 1)[1].strip("/")), timeout=5)
        connection.request("GET", path)
        response = connection.getresponse()
        body = response.read()
        assert response.status == 404, path
        assert b"root:" not in body
        connection.close()
