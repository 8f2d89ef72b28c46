"""The echo plugin's API over the real Janus WebSocket and admin APIs, bad input included."""
import json

from conftest import run
from harness.janus_api import Admin, JanusError, Session

ECHO = "janus.plugin.sylk.echo"


async def with_handle(janus, body):
    session = await Session.create(janus.ws_url)
    try:
        handle = await session.attach(ECHO)
        return await body(handle)
    finally:
        await session.close()


def test_ping_answers_synchronously_with_status(janus):
    async def body(handle):
        data, _ = await handle.send({"request": "ping"})
        return data
    data = run(with_handle(janus, body))
    assert data["echo"] == "pong"
    assert data["sessions"] >= 1
    assert data["uptime_s"] >= 0
    assert "packets_relayed" in data


def test_admin_status_lists_sessions(janus):
    async def body(handle):
        admin = await Admin.open(janus.admin_url, janus.admin_secret)
        try:
            return await admin.message_plugin(ECHO, {"request": "status"})
        finally:
            await admin.close()
    status = run(with_handle(janus, body))
    assert status["echo"] == "status"
    assert status["sessions"] >= 1
    assert len(status["session_list"]) == status["sessions"]
    assert "packets_relayed" in status and "uptime_s" in status


def test_admin_api_refuses_wrong_secret(janus):
    async def body():
        admin = await Admin.open(janus.admin_url, "not-the-secret")
        try:
            await admin.message_plugin(ECHO, {"request": "status"})
        except JanusError as error:
            return error.code
        finally:
            await admin.close()
    assert run(body()) == 403  # JANUS_ERROR_UNAUTHORIZED


def test_admin_unknown_request_is_refused(janus):
    async def body():
        admin = await Admin.open(janus.admin_url, janus.admin_secret)
        try:
            return await admin.message_plugin(ECHO, {"request": "explode"})
        finally:
            await admin.close()
    reply = run(body())
    assert reply["error_code"] == 1004
    assert "explode" in reply["error"]


BAD_BODIES = [
    # (raw body JSON, expected error code, words the message must contain)
    ('[1, 2, 3]', None, None),                      # not an object: janus core refuses (467)
    ('"configure"', None, None),
    ('{"request": 42}', 1003, "field 'request' must be a string"),
    # without a verb a body is a configure (the stock echotest API), validated the same way
    ('{"audio": "yes"}', 1003, "field 'audio' must be a boolean"),
    ('{"bitrate": -1}', 1003, "field 'bitrate' is -1"),
    ('{"volume": 3}', 1003, "unknown field 'volume'"),
    ('{"videocodec": "theora"}', 1003, "field 'videocodec' must be one of vp8"),
    # stock fields this plugin does not implement are refused by name, never ignored
    ('{"record": true, "filename": "/tmp/echo"}', 1102, "field 'record' of the stock echotest is not supported"),
    ('{"substream": 0}', 1102, "field 'substream' of the stock echotest is not supported"),
    ('{"temporal": 2}', 1102, "field 'temporal'"),
    ('{"request": "configure", "audio": "yes"}', 1003, "field 'audio' must be a boolean"),
    ('{"request": "configure", "bitrate": -1}', 1003, "field 'bitrate' is -1"),
    ('{"request": "configure", "bogus": true}', 1003, "unknown field 'bogus'"),
    ('{"request": "teleport"}', 1004, "unknown request 'teleport'"),
    ('{"request": "ping", "pad": "%s"}' % ("x" * (1024 * 1024)), 1005, "the limit is 65536"),
]


def test_bad_bodies_get_clear_errors_and_janus_keeps_running(janus):
    async def body(handle):
        results = []
        for raw, code, words in BAD_BODIES:
            reply = await handle.send_raw_body(raw)
            results.append((raw[:60], code, words, reply))
        # still serving afterwards, on the same handle
        data, _ = await handle.send({"request": "ping"})
        return results, data
    results, pong = run(with_handle(janus, body))
    for raw, code, words, reply in results:
        if code is None:
            assert reply["janus"] == "error", raw
            assert reply["error"]["code"] == 467, raw  # JANUS_ERROR_INVALID_ELEMENT_TYPE
            assert reply["error"]["reason"], raw
            continue
        data = reply["plugindata"]["data"]
        assert data["error_code"] == code, (raw, data)
        assert words in data["error"], (raw, data)
        assert data["error_name"], raw
    assert pong["echo"] == "pong"
    assert janus.alive()


def test_stock_echotest_bodies_without_request_configure_the_session(janus):
    """The stock echotest page (janus-demos echotest.js) sends bodies without "request":
    {"audio": .., "video": ..}, {"bitrate": N}, ... Each is a configure: it is answered like the
    stock plugin ("result": "ok") and changes what the session's status reports."""
    async def body(handle):
        steps = []
        for message in ({"audio": True, "video": True}, {"audio": False}, {"video": False},
                        {"bitrate": 128000}, {}):
            data, _ = await handle.send(message)
            status, _ = await handle.send({"request": "status"})
            steps.append((data, status))
        return steps
    steps = run(with_handle(janus, body))
    for data, _ in steps:
        assert data["echo"] == "event" and data["result"] == "ok", data
    both, no_audio, no_video, capped, empty = [status for _, status in steps]
    assert both["audio"] is True and both["video"] is True
    assert no_audio["audio"] is False and no_audio["video"] is True
    assert no_video["audio"] is False and no_video["video"] is False
    assert capped["bitrate_cap"] == 128000
    assert empty == capped  # an empty configure changes nothing


def test_malformed_json_text_is_refused_by_janus(janus):
    async def body():
        session = await Session.create(janus.ws_url)
        try:
            connection = session.connection
            for text in ['{"janus": "message", "body": {', 'not json at all', '\x00\x01']:
                await connection.send_raw(text)
            # janus answers a parse failure with an error carrying no transaction; make sure
            # the connection still works for proper requests afterwards
            handle = await session.attach(ECHO)
            data, _ = await handle.send({"request": "ping"})
            return data
        finally:
            await session.close()
    assert run(body())["echo"] == "pong"
    assert janus.alive()


def test_configure_with_garbage_sdp_is_refused(janus):
    async def body(handle):
        out = []
        for jsep in ({"type": "offer", "sdp": "v=0\r\nthis is not sdp\r\n"},
                     {"type": "answer", "sdp": "v=0\r\n"}):
            try:
                data, _ = await handle.send({"request": "configure"}, jsep=jsep)
                out.append(data)
            except JanusError as error:
                out.append({"core_error": error.code, "reason": str(error)})
        data, _ = await handle.send({"request": "ping"})
        return out, data
    results, pong = run(with_handle(janus, body))
    # Janus core pre-parses every jsep: garbage SDP never reaches the plugin, and the client
    # gets 465 (JANUS_ERROR_JSEP_INVALID_SDP) with the parser's reason.
    assert results[0]["core_error"] == 465 and "this is not sdp" in results[0]["reason"]
    assert results[1]["core_error"] == 465 and "Missing mandatory lines" in results[1]["reason"]
    assert pong["echo"] == "pong"
