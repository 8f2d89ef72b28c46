"""SIP chat in rooms (MSRP, issue 11), the SIP focus's side: an INVITE to a room may carry audio,
chat (an RFC 4975 m=message stream), or both. This module runs a janus WITHOUT the msrp plugin
(explicitly left out, so these stay true once that plugin exists): the chat is refused the way
SylkServer refuses a stream it cannot take. A chat-only call gets 488; audio and chat get 200
with the m=message answered with port 0, the audio in the room as always; neither audio nor
chat is 488."""
import asyncio
import json
import os
import re
import tempfile

import pytest

from conftest import BUILD, run
from harness.janus_api import Admin, Connection
from harness.janus_process import JanusProcess, sanitizer_env
from harness.processes import spawn
from harness.rtp_peer import RtpPeer

SCENARIOS = os.path.join(os.path.dirname(__file__), "sip")
FOCUS = "127.0.0.1:5060"


@pytest.fixture(scope="module")
def janus_without_msrp():
    run_dir = tempfile.mkdtemp(prefix="sylk-janus-")
    process = JanusProcess(BUILD, run_dir, env=sanitizer_env(), run_options={"without_plugins": ["msrp"]})
    process.start()
    yield process
    alive = process.alive()
    code = process.stop()
    if not alive:
        pytest.fail("janus died during the tests (exit %s):\n%s" % (code, process.log_tail()))


async def sipp(scenario, trace_dir, *sets, call_ms=1000):
    """One sipp call to the focus; call_ms is how long an answered call lasts (sipp's -d)."""
    arguments = ["sipp", FOCUS, "-sf", os.path.join(SCENARIOS, scenario), "-m", "1", "-i", "127.0.0.1", "-p", "0",
                 "-nostdin", "-timeout", "30s", "-d", str(call_ms), "-trace_msg",
                 "-message_file", os.path.join(trace_dir, "messages.log")]
    for name, value in sets:
        arguments += ["-set", name, str(value)]
    return await spawn(*arguments, cwd=trace_dir, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)


async def finish(call, trace_dir):
    try:
        _, errors = await asyncio.wait_for(call.communicate(), 30)
    except asyncio.TimeoutError:
        call.kill()
        raise AssertionError("sipp stuck:\n" + trace(trace_dir))
    assert call.returncode == 0, "sipp failed (%s): %s\n%s" % (call.returncode, errors.decode(errors="replace"),
                                                                trace(trace_dir))


def trace(trace_dir):
    path = os.path.join(trace_dir, "messages.log")
    return open(path, errors="replace").read()[-4000:] if os.path.exists(path) else "(no sipp trace)"


async def loaded_plugins(janus):
    connection = await Connection.open(janus.ws_url)
    try:
        return (await connection.call({"janus": "info"}))["plugins"]
    finally:
        await connection.close()


async def focus_status(janus):
    admin = await Admin.open(janus.admin_url, janus.admin_secret)
    try:
        return (await admin.message_plugin("janus.plugin.sylk.sip", {"request": "status"}))["focus"]
    finally:
        await admin.close()


CHAT = (("msrpport", 2855), ("msrpsession", "sippChat1"), ("setup", "active"))


def test_msrp_plugin_is_left_out(janus_without_msrp):
    plugins = run(loaded_plugins(janus_without_msrp))
    assert "janus.plugin.sylk.sip" in plugins and "janus.plugin.sylk.audiomixer" in plugins
    assert "janus.plugin.sylk.msrp" not in plugins


def test_neither_audio_nor_chat_is_refused(janus_without_msrp):
    trace_dir = tempfile.mkdtemp(prefix="sylk-sipp-")

    async def body():
        before = await focus_status(janus_without_msrp)
        await finish(await sipp("no_media_refused.xml", trace_dir, ("room", "chat-neither")), trace_dir)
        after = await focus_status(janus_without_msrp)
        assert after["calls_refused"] == before["calls_refused"] + 1
        assert after["active_calls"] == 0
    run(body())


def test_chat_only_without_msrp_is_refused(janus_without_msrp):
    trace_dir = tempfile.mkdtemp(prefix="sylk-sipp-")

    async def body():
        before = await focus_status(janus_without_msrp)
        await finish(await sipp("chat_only_refused.xml", trace_dir, ("room", "chat-only"), *CHAT,
                                ("proto", "TCP/MSRP"), ("scheme", "msrp")), trace_dir)
        # the Warning names why: nobody offers msrp.open_session
        warning = re.search(r"Warning: 399 sylk \"chat: ([^\"\r\n]*)\"", trace(trace_dir))
        assert warning and "msrp.open_session" in warning.group(1), trace(trace_dir)
        after = await focus_status(janus_without_msrp)
        assert after["calls_refused"] == before["calls_refused"] + 1
    run(body())


def test_audio_and_chat_without_msrp_keeps_the_audio(janus_without_msrp):
    trace_dir = tempfile.mkdtemp(prefix="sylk-sipp-")

    async def body():
        phone = await RtpPeer("pcmu", 600).open()
        admin = await Admin.open(janus_without_msrp.admin_url, janus_without_msrp.admin_secret)
        try:
            call = await sipp("audio_chat_call.xml", trace_dir, ("room", "chat-audio"), ("rtpport", phone.port), *CHAT,
                              call_ms=3000)
            log = os.path.join(trace_dir, "messages.log")
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 15
            answer = None
            while loop.time() < deadline and not answer:
                text = open(log, errors="replace").read() if os.path.exists(log) else ""
                answer = re.search(r"SIP/2\.0 200 OK.*?CSeq: 1 INVITE.*?(v=0\r?\n.*?)(?:\r?\n){2}", text, re.S)
                await asyncio.sleep(0.1)
            assert answer, trace(trace_dir)
            sdp = answer.group(1)
            # RFC 3264 §6: both offered lines answered, in the offer's order; the chat refused.
            lines = [line.strip() for line in sdp.splitlines() if line.startswith("m=")]
            assert len(lines) == 2, sdp
            assert re.match(r"m=audio \d+ RTP/AVP 0 101$", lines[0]), sdp
            assert lines[1] == "m=message 0 TCP/MSRP *", sdp
            assert "a=path" not in sdp and "a=setup" not in sdp
            port = int(re.match(r"m=audio (\d+)", lines[0]).group(1))
            await phone.stream(("127.0.0.1", port), 1)  # the audio is in the room: the mixer counts it
            rooms = await admin.message_plugin("janus.plugin.sylk.audiomixer", {"request": "list"})
            room = [entry for entry in rooms["list"] if entry["room"] == "chat-audio"]
            assert room and [p["display"] for p in room[0]["participants"]] == ["Chatter"], json.dumps(rooms)
            await finish(call, trace_dir)
        finally:
            phone.close()
            await admin.close()
        status = await focus_status(janus_without_msrp)
        assert status["active_calls"] == 0
    run(body())
