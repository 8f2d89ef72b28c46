"""Kept registrations (issue 13, offline delivery without proxy help): a web user registers its
account at a real registrar (Kamailio, digest authentication) with "keep_registered": true and
closes the page; the gateway keeps the registration. sipp sends a MESSAGE and an INVITE through
the registrar: the MESSAGE is journaled and answered 200, with a message push to the account's
phone app (the push stand-in); the INVITE rings (180) with a voip push, then 480. A page that
registers the account again takes the registration over and syncs the message and the missed
call (the call history); a call the woken app answers is one answered call; unregister deletes
the stored credentials. The registration is made again after a janus restart; wrong credentials
keep nothing. The credentials are sealed at rest: the secret is in no file of the state
directory and not in janus's log."""
import asyncio
import contextlib
import glob
import os
import sqlite3
import stat
import tempfile
import time
import uuid

import pytest
from aiortc import RTCSessionDescription

from conftest import BUILD, run
from harness.janus_api import Admin, Session
from harness.janus_process import JanusProcess, sanitizer_env
from harness.kamailio_registrar import KamailioRegistrar
from harness.peers import make_peer
from harness.processes import spawn
from harness.push_service import PushStandIn, free_port

SIP = "janus.plugin.sylk.sip"
HERE = os.path.dirname(os.path.abspath(__file__))
SCENARIOS = os.path.join(HERE, "sip")
SECRET = "kept-Secret-7c1f"
ACCOUNT = "sip:carol@127.0.0.1"


@pytest.fixture(scope="module")
def world():
    base = tempfile.mkdtemp(prefix="sylk-kept-")
    standin = PushStandIn(os.path.join(base, "push"))
    os.makedirs(standin.folder, exist_ok=True)
    standin.start()
    registrar = KamailioRegistrar(base, port=free_port(), template=os.path.join(HERE, "kamailio", "registrar_auth.cfg"),
                                  values={"PASSWORD": SECRET}).start()
    state_dir = os.path.join(base, "state")
    os.makedirs(state_dir)
    options = dict(standin.sip_options(), state_dir=state_dir, kept_ring_seconds=3,
                   push_database=os.path.join(base, "tokens.sqlite"))
    world = {"base": base, "standin": standin, "registrar": registrar, "state": state_dir, "options": options,
             "runs": 0}

    def start_janus():
        world["runs"] += 1
        janus = JanusProcess(BUILD, os.path.join(base, "run%d" % world["runs"]), env=sanitizer_env(),
                             sip_options=options)
        janus.start()
        world["janus"] = janus
        return janus

    world["start_janus"] = start_janus
    start_janus()
    yield world
    alive = world["janus"].alive()
    code = world["janus"].stop()
    registrar.stop()
    standin.stop()
    if not alive:
        pytest.fail("janus died during the tests (exit %s):\n%s" % (code, world["janus"].log_tail()))


def result_of(event):
    """The "result" of an event (plugindata) or of a request's answer (its data)."""
    data = event.get("plugindata", {}).get("data", event) if "plugindata" in event else event
    return data.get("result", {})


async def register(world, secret=SECRET, **extra):
    session = await Session.create(world["janus"].ws_url)
    handle = await session.attach(SIP)
    request = {"request": "register", "username": ACCOUNT, "secret": secret, "proxy": world["registrar"].uri}
    request.update(extra)
    answer, _ = await handle.send(request)
    event = result_of(answer)
    if event.get("event") not in ("registered", "registration_failed"):
        event = result_of(await handle.next_event(predicate=lambda e: result_of(e).get("event") in
                                                  ("registered", "registration_failed")))
    return session, handle, event


async def sipp(world, scenario, user="carol", to=None):
    trace = tempfile.mkdtemp(prefix="sylk-sipp-", dir=world["base"])
    process = await spawn("sipp", to or world["registrar"].uri[4:], "-sf", os.path.join(SCENARIOS, scenario), "-s", user,
                          "-m", "1", "-i", "127.0.0.1", "-p", "0", "-nostdin",
                          # a Call-ID of its own (the message's id in the journal: dedupe)
                          "-cid_str", uuid.uuid4().hex + "-%u-%p@%s", "-timeout", "30s", "-timeout_error",
                          cwd=trace, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
    _, errors = await asyncio.wait_for(process.communicate(), 40)
    return process.returncode


def sealed_files(world):
    return glob.glob(os.path.join(world["state"], "kept-registrations", "*.cred"))


def journal_contents(world):
    with contextlib.closing(sqlite3.connect(os.path.join(world["state"], "message-journal.sqlite"))) as db:
        return [(row[0].decode() if isinstance(row[0], bytes) else row[0]).strip() for row in db.execute("SELECT content FROM message_journal WHERE account = ?", (ACCOUNT,))]


def pushes(standin, event):
    found = []
    for r in standin.received("fcm"):
        data = ((r.get("body") or {}).get("message") or {}).get("data") or {}
        if data.get("event") == event:
            found.append(data)
    return found


async def wait_for(predicate, timeout=10):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.1)
    return True


async def kept_status(world):
    """The SIP plugin's kept registrations (admin status): how many, and how many the registrar took."""
    janus = world["janus"]
    admin = await Admin.open(janus.admin_url, janus.admin_secret)
    try:
        gateway = (await admin.message_plugin(SIP, {"request": "status"}))["gateway"]
    finally:
        await admin.close()
    return gateway["kept_registrations"], gateway["kept_registered"]


async def wait_kept_registered(world, count, timeout=15):
    """Until the registrar has taken count kept registrations (the admin API says so)."""
    deadline = time.monotonic() + timeout
    while (await kept_status(world))[1] != count:
        assert time.monotonic() < deadline, "kept registrations not (re-)registered: %s" % (await kept_status(world),)
        await asyncio.sleep(0.05)  # polling interval of the admin query, not a wait for readiness


@pytest.fixture(autouse=True)
def no_kept_state_left(world):
    """Each test ends with nothing kept, even when it failed half-way: the kept registration is
    taken over and unregistered (or, when that is refused, janus starts again with an empty vault),
    so one failure does not spill into the next test."""
    yield

    async def clean():
        if (await kept_status(world))[0] == 0 and not sealed_files(world):
            return True
        session, handle, event = await register(world)
        try:
            if event.get("event") != "registered":
                return False
            await handle.send({"request": "unregister"})
        finally:
            await session.close()
        return (await kept_status(world))[0] == 0 and not sealed_files(world)
    if not run(clean(), timeout=30):
        world["janus"].stop()
        for name in sealed_files(world):
            os.unlink(name)
        world["start_janus"]()


def assert_secret_not_in_clear(world):
    for folder, _, names in os.walk(world["state"]):
        for name in names:
            with open(os.path.join(folder, name), "rb") as handle:
                assert SECRET.encode() not in handle.read(), name
    assert SECRET not in world["janus"].log_tail(100000)


def test_kept_registration_takes_messages_and_calls_with_no_browser(world):
    standin = world["standin"]
    standin.reset()

    async def body():
        session, handle, event = await register(world, keep_registered=True)
        assert event.get("event") == "registered" and event.get("keep_registered") is True, event
        answer, _ = await handle.send({"request": "push_register", "platform": "android",
                                       "app_id": "com.example.sylk.android", "token": "fcm-kept-carol",
                                       "device_id": "phone"})
        assert result_of(answer).get("event") == "push_registered", answer
        assert len(sealed_files(world)) == 1
        key = os.path.join(world["state"], "server.key")
        assert stat.S_IMODE(os.stat(key).st_mode) == 0o600 and os.path.getsize(key) == 32
        await session.close()  # no browser now: the registration is kept

        assert await sipp(world, "message_burst.xml") == 0  # answered 200 through the registrar
        assert "burst message 1" in journal_contents(world)
        assert await wait_for(lambda: pushes(standin, "message")), standin.received()

        started = time.monotonic()
        rang_at = int(time.time())
        assert await sipp(world, "kept_call.xml") == 0  # 180, then 480 after kept_ring_seconds
        assert time.monotonic() - started >= 2.5
        assert await wait_for(lambda: pushes(standin, "incoming_session") and pushes(standin, "missed_call")), \
            standin.received()

        # A page with the same credentials takes the registration over and syncs what came.
        session, handle, event = await register(world)
        try:
            assert event.get("event") == "registered" and event.get("kept") is True, event
            synced, _ = await handle.send({"request": "sync_conversations"})
            entries = result_of(synced)["entries"]
            assert "burst message 1" in [(e.get("content") or "").strip() for e in entries if e["kind"] == "message"]
            # The call that rang only the kept registration is in the account's call history.
            calls = [e for e in entries if e["kind"] == "call"]
            assert [(c["direction"], c["state"], c["code"]) for c in calls] == [("incoming", "missed", 480)], calls
            assert "phone@" in calls[0]["conversation"] and calls[0]["timestamp"] >= rang_at, calls
            assert_secret_not_in_clear(world)
            # Live now: a MESSAGE reaches the page.
            assert await sipp(world, "message_burst.xml") == 0
            await handle.next_event(predicate=lambda e: result_of(e).get("event") == "message")
            answer, _ = await handle.send({"request": "unregister"})
            assert sealed_files(world) == []
        finally:
            await session.close()
        # Unregistered: the registrar has no binding any more and nothing is kept.
        assert await sipp(world, "message_burst.xml") != 0
    run(body(), timeout=120)


def test_app_woken_by_the_push_answers_the_ringing_call(world):
    """An account with only a mobile token: the incoming_session push wakes the app (an aiortc
    handle here), which registers the account while the call rings and gets it as incomingcall;
    its accept is the caller's 200 within kept_ring_seconds, and the ring bound no longer ends it."""
    standin = world["standin"]
    standin.reset()

    async def body():
        session, handle, event = await register(world, keep_registered=True)
        assert event.get("event") == "registered", event
        answer, _ = await handle.send({"request": "push_register", "platform": "android",
                                       "app_id": "com.example.sylk.android", "token": "fcm-kept-carol",
                                       "device_id": "phone"})
        assert result_of(answer).get("event") == "push_registered", answer
        await session.close()  # only the phone now
        await wait_kept_registered(world, 1)

        started = time.monotonic()
        rang_at = int(time.time())
        caller = asyncio.ensure_future(sipp(world, "kept_call_answered.xml"))  # 180, 200, ACK, BYE
        assert await wait_for(lambda: pushes(standin, "incoming_session"), timeout=5), standin.received()
        taken_over_at = time.time()
        session, handle, event = await register(world)  # the woken app
        pc = None
        try:
            assert event.get("event") == "registered" and event.get("kept") is True, event
            incoming = await handle.next_event(predicate=lambda e: result_of(e).get("event") == "incomingcall")
            assert "phone@" in result_of(incoming).get("username", ""), incoming
            pc, _ = await make_peer(data_channel=False)
            await pc.setRemoteDescription(RTCSessionDescription(sdp=incoming["jsep"]["sdp"], type="offer"))
            await pc.setLocalDescription(await pc.createAnswer())
            accepted, _ = await handle.send({"request": "accept"}, jsep={"type": "answer", "sdp": pc.localDescription.sdp})
            assert "error" not in accepted, accepted
            assert await caller == 0  # 200 (not 480), then the phone's BYE answered 200
            assert time.monotonic() - started < 3 + 2  # answered before the ring bound (3 s) had a 480 out
            await handle.next_event(predicate=lambda e: result_of(e).get("event") == "hangup")
            assert not pushes(standin, "missed_call"), standin.received()
            assert [p.get("reason") for p in pushes(standin, "cancel")] == ["answered elsewhere"], standin.received()
            # One entry in the call history, the handle's answered call (not a missed one for the
            # ring before it was handed over), dated from when it began to ring.
            recorded = result_of(await handle.next_event(predicate=lambda e: result_of(e).get("event") == "call"))
            synced, _ = await handle.send({"request": "sync_conversations"})
            calls = [e for e in result_of(synced)["entries"] if e["kind"] == "call" and e["timestamp"] >= rang_at]
            assert [(c["direction"], c["state"], c["message_id"]) for c in calls] == \
                [("incoming", "answered", recorded["message_id"])], calls
            assert "phone@" in calls[0]["conversation"] and calls[0]["timestamp"] <= taken_over_at, calls
            await handle.send({"request": "unregister"})
        finally:
            if pc:
                await pc.close()
            await session.close()
    run(body(), timeout=60)


def test_kept_registration_is_made_again_after_a_restart(world):
    async def first():
        session, _, event = await register(world, keep_registered=True)
        assert event.get("event") == "registered", event
        await session.close()
        return event["contact_user"]
    contact = run(first())
    assert len(sealed_files(world)) == 1
    world["janus"].stop()
    janus = world["start_janus"]()
    before = len(journal_contents(world))

    async def after():
        # At once, whether or not the restored REGISTER has been answered yet: the gateway owns
        # the kept account's Contact from its start, so a MESSAGE to it is journaled before its
        # 200 (never taken as room chat by the focus).
        assert await sipp(world, "message_burst.xml", user=contact, to=world["registrar"].janus_sip) == 0
        assert len(journal_contents(world)) == before + 1
        # The registrar routes to it again once the restored registration is in place (the
        # admin API tells when: janus's shutdown withdrew the binding).
        await wait_kept_registered(world, 1)
        assert await sipp(world, "message_burst.xml") == 0
        assert len(journal_contents(world)) == before + 2
        assert "kept registration" in janus.log_tail(400)
        session, handle, event = await register(world)
        try:
            assert event.get("kept") is True, event
            await handle.send({"request": "unregister"})
            assert sealed_files(world) == []
        finally:
            await session.close()
    run(after(), timeout=60)


def test_wrong_credentials_keep_nothing(world):
    async def body():
        session, handle, event = await register(world, secret="not-the-password", keep_registered=True)
        try:
            # Kamailio challenges again; Sofia gives up with its 904 (no matching challenge).
            assert event.get("event") == "registration_failed", event
        finally:
            await session.close()
        assert sealed_files(world) == []
        assert await sipp(world, "message_burst.xml") != 0  # nobody is registered
        # keep_registered for a guest (no REGISTER) is refused clearly.
        session = await Session.create(world["janus"].ws_url)
        try:
            handle = await session.attach(SIP)
            answer, _ = await handle.send({"request": "register", "username": ACCOUNT, "type": "guest",
                                           "keep_registered": True})
            assert answer.get("error_code") and "guest" in answer.get("error", ""), answer
        finally:
            await session.close()
    run(body())


def test_kept_registration_is_refreshed_with_no_browser(world):
    """The registrar grants 10 s (its max_expires): Sofia refreshes the kept registration
    (answering the registrar's challenge with the stored credentials) after the page is gone,
    so the registrar still routes to it past the first expiry."""
    log = world["registrar"].log_path

    def registers(contact):
        with open(log, errors="replace") as handle:
            return sum(1 for line in handle if "REGISTER" in line and contact in line)

    async def body():
        session, _, event = await register(world, keep_registered=True, register_ttl=30)
        registered = time.monotonic()
        assert event.get("event") == "registered", event
        contact = event["contact_user"]
        await session.close()
        before = registers(contact)
        assert await wait_for(lambda: registers(contact) >= before + 1, timeout=15), \
            "no refresh of the kept registration"
        await asyncio.sleep(max(0.0, 11 - (time.monotonic() - registered)))  # past the first expiry
        assert await sipp(world, "message_burst.xml") == 0
        session, handle, event = await register(world)
        try:
            assert event.get("kept") is True, event
            await handle.send({"request": "unregister"})
        finally:
            await session.close()
    run(body(), timeout=150)
