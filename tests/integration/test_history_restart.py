"""History API tokens and unread badge counts live in the message journal (issue 13,
docs/message-store.md): a token issued before a janus restart still reads the account's history
after it, and the badge of the account's phone counts on from where it was (1 before, 2 after),
against a real janus restarted on the same state folder and the HTTP/2 push stand-in."""
import asyncio
import json
import os
import shutil
import tempfile
import time
import urllib.request

from conftest import BUILD, run
from harness.janus_process import JanusProcess, sanitizer_env
from harness.push_service import PushStandIn
from test_message_store import ACCOUNT, sip_message, web_user


def badge_pushes(standin):
    return [(r.get("body") or {}).get("message", {}).get("data", {}).get("badge") for r in standin.received("fcm")]


async def wait_badge(standin, badge, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if badge in badge_pushes(standin):
            return
        await asyncio.sleep(0.05)
    raise AssertionError("no push with badge %s; got %s" % (badge, badge_pushes(standin)))


async def message_and_badge(standin, text, badge, register_device):
    session, handle, contact = await web_user()
    try:
        if register_device:
            data, _ = await handle.send({"request": "push_register", "platform": "android",
                                         "app_id": "com.example.sylk.android", "token": "fcm-alice",
                                         "device_id": "tablet"})
            assert data["result"]["event"] == "push_registered", data
        assert await asyncio.to_thread(sip_message, contact, text) == 200
        await wait_badge(standin, badge)
        token = None
        if register_device:
            data, _ = await handle.send({"request": "history_token"})
            token = data["result"]["token"]
        return token
    finally:
        await session.close()


def test_history_token_and_badge_count_survive_a_restart():
    standin = PushStandIn(tempfile.mkdtemp(prefix="sylk-push-restart-"))
    standin.start()
    run_dir = tempfile.mkdtemp(prefix="sylk-history-restart-")
    state_dir = tempfile.mkdtemp(prefix="sylk-history-state-")
    options = dict(standin.sip_options(), state_dir=state_dir, push_database=standin.path("tokens.sqlite"),
                   push_timeout_ms=1500)
    janus = JanusProcess(BUILD, run_dir, env=sanitizer_env(), sip_options=options)
    janus.start()
    try:
        token = run(message_and_badge(standin, "before the restart", "1", register_device=True))
        assert token and len(token) == 64
        janus.stop()
        # the database, its WAL (and any other state file): only the token's digest is kept
        for name in (os.path.join(folder, file) for folder, _, files in os.walk(state_dir) for file in files):
            with open(name, "rb") as stored:
                assert token.encode() not in stored.read(), name
        janus.start()
        request = urllib.request.Request(janus.http_url.rstrip("/") + "/messages/history/" + ACCOUNT,
                                         headers={"Authorization": "Apikey " + token})
        with urllib.request.urlopen(request, timeout=10) as answer:
            assert answer.status == 200
            page = json.loads(answer.read())
        assert "before the restart" in [e.get("content") for e in page["entries"]], page
        run(message_and_badge(standin, "after the restart", "2", register_device=False))
        assert badge_pushes(standin) == ["1", "2"]
    finally:
        janus.stop()
        standin.stop()
        shutil.rmtree(state_dir, ignore_errors=True)
