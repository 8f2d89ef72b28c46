"""Headless Chromium (Debian's, fake camera and microphone) runs the web app's echo page
against the real janus: it must decode the echoed video, receive audio and get its
data-channel message back."""
import asyncio
import json
import os
import shutil
import subprocess
import urllib.request

import pytest

from conftest import TOP, run
from harness.processes import script_result, spawn

BROWSER = os.path.join(TOP, "tests", "browser")


def test_web_app_echo_page_in_chromium(janus, tmp_path):
    screenshot = str(tmp_path / "echo.png")
    completed = subprocess.run(
        ["node", os.path.join(BROWSER, "echo_test.mjs"), janus.http_url + "echo.html"],
        capture_output=True, text=True, timeout=120, env=dict(os.environ, SCREENSHOT=screenshot))
    result = script_result(completed.stdout, completed.stderr)
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


STOCK_DEMOS = "/usr/share/janus/demos"  # Debian's janus-demos


def stock_echotest_copy(folder, janus_ws_url):
    """The stock demo folder with two changes: echotest.js talks to janus.plugin.sylk.echo, and
    settings.js points at the test's janus."""
    os.makedirs(folder)
    for name in os.listdir(STOCK_DEMOS):
        source = os.path.join(STOCK_DEMOS, name)
        if name == "javascript":
            os.symlink(os.path.realpath(source), os.path.join(folder, name))  # the libjs-* packages
        elif os.path.isfile(source):
            shutil.copy(source, folder)
    script = open(os.path.join(STOCK_DEMOS, "echotest.js")).read()
    assert script.count('"janus.plugin.echotest"') == 1
    with open(os.path.join(folder, "echotest.js"), "w") as out:
        out.write(script.replace('"janus.plugin.echotest"', '"janus.plugin.sylk.echo"'))
    with open(os.path.join(folder, "settings.js"), "w") as out:
        out.write('var server = "%s";\nvar iceServers = null;\nvar token = null;\nvar apisecret = null;\n' % janus_ws_url)


@pytest.mark.skipif(not os.path.exists(os.path.join(STOCK_DEMOS, "echotest.js")), reason="janus-demos is not installed")
def test_stock_echotest_page_works_with_the_plugin_name_changed(janus, tmp_path):
    """The stock echotest page sends bodies without "request" ({"audio": true, "video": true}
    with its offer, {"audio": false}, {"bitrate": 128000}); with only its plugin name changed it
    runs on janus.plugin.sylk.echo: echoed video decodes, its data-channel text comes back, and
    its audio toggle and bandwidth menu reach the session."""
    demos = str(tmp_path / "demos")
    stock_echotest_copy(demos, janus.ws_url)

    async def body():
        server = await spawn("/usr/bin/python3", "-m", "http.server", "--bind", "127.0.0.1", "8099",
                             cwd=demos, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
        try:
            for _ in range(50):  # until it listens
                try:
                    urllib.request.urlopen("http://127.0.0.1:8099/echotest.html", timeout=1).close()
                    break
                except OSError:
                    await asyncio.sleep(0.1)
            browser = await spawn("node", os.path.join(BROWSER, "stock_echotest.mjs"),
                                  "http://127.0.0.1:8099/echotest.html",
                                  stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
            out, err = await asyncio.wait_for(browser.communicate(), 120)
            return out.decode(errors="replace"), err.decode(errors="replace")
        finally:
            server.kill()
            await server.wait()

    out, err = run(body(), timeout=150)
    result = script_result(out, err)
    assert "error" not in result, json.dumps(result, indent=1)[-6000:]
    first, second = result["first"], result["second"]
    assert first["framesDecoded"] > 0 and second["framesDecoded"] > first["framesDecoded"] + 20, (first, second)
    assert second["audioBytes"] > first["audioBytes"], (first, second)
    assert result["dataReceived"] == "hello from the stock page"
    status = result["status"]
    assert status["echo"] == "status" and status["media_up"] is True, status
    assert status["audio"] is False and status["video"] is True, status  # the page's "Disable audio"
    assert status["bitrate_cap"] == 128000, status                       # the page's "Cap to 128kbit"
    assert result["alerts"] == [], result["alerts"]
