"""The in-process Janus API (janus.transport.sylk.loopback + hub::ApiChannel): a plugin inside
janus (the test plugin hubprobe.a, request api_probe) creates a Janus session, attaches to
another plugin and sends it a request through janus core, as a WebSocket client would, and
gets janus's replies back. Closing the channel without destroying makes janus destroy the
session itself (nothing left behind)."""
import asyncio

from conftest import run
from harness.janus_api import Admin, Session

PROBE = "janus.plugin.sylk.hubprobe.a"


async def probe(janus, args):
    session = await Session.create(janus.ws_url)
    try:
        handle = await session.attach(PROBE)
        data, _ = await handle.send(dict({"request": "api_probe"}, **args), timeout=20)
        return data
    finally:
        await session.close()


async def session_ids(janus):
    admin = await Admin.open(janus.admin_url, janus.admin_secret)
    try:
        return set((await admin.call("list_sessions"))["sessions"])
    finally:
        await admin.close()


def test_plugin_is_a_janus_api_client_through_the_loopback(janus):
    async def body():
        data = await probe(janus, {"plugin": "janus.plugin.sylk.audiomixer",
                                   "body": {"request": "exists", "room": "loopback-probe"}})
        return data, await session_ids(janus)

    data, sessions_after = run(body())
    created, attached, answered, detached, destroyed = data["replies"]
    assert created["janus"] == "success" and created["data"]["id"] == data["session_id"]
    assert attached["janus"] == "success" and attached["data"]["id"] > 0
    # the mixer's own answer, through janus core's plugin request path
    assert answered["janus"] == "success", answered
    assert answered["plugindata"]["plugin"] == "janus.plugin.sylk.audiomixer"
    assert answered["plugindata"]["data"]["audiobridge"] == "success"
    assert answered["plugindata"]["data"]["exists"] is False
    assert detached["janus"] == "success" and destroyed["janus"] == "success"
    assert data["session_id"] not in sessions_after


def test_closing_the_channel_destroys_what_it_made(janus):
    async def body():
        data = await probe(janus, {"plugin": "janus.plugin.sylk.echo", "body": {"audio": True},
                                   "leave_open": True})
        # transport_gone is handled by janus core asynchronously: give it a moment
        for _ in range(50):
            if data["session_id"] not in await session_ids(janus):
                break
            await asyncio.sleep(0.1)
        return data, await session_ids(janus)

    data, sessions_after = run(body())
    created, attached, answered = data["replies"]
    assert created["janus"] == "success" and attached["janus"] == "success"
    assert answered["plugindata"]["plugin"] == "janus.plugin.sylk.echo", answered
    assert data["session_id"] not in sessions_after


def test_janus_errors_come_back_as_replies(janus):
    async def body():
        return await probe(janus, {"plugin": "janus.plugin.no.such"})

    # attach to an unknown plugin: the probe's request fails with janus's own error (460)
    data = run(body())
    assert data["error_code"] == 1008, data
    assert "janus refused" in data["error"] and "460" in data["error"] and "no.such" in data["error"]
