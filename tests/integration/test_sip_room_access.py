"""Who may call rooms: with room_callers and room_secret set, a caller from an address outside
the list gets 403, one with the right digest password gets in after a 401 challenge, and a
wrong password gets 403. SUBSCRIBE to a room's conference state is held to the same rules
(test_subscribe_is_admitted_like_a_call). (The module also sets contact_params, seen in the
focus's Contact.)"""
import asyncio
import os
import shutil
import tempfile

from conftest import run
from harness.janus_api import Admin
from harness.processes import spawn
from test_sip_focus import FOCUS, SCENARIOS

SIP_OPTIONS = {"room_callers": "127.0.0.0/8, ::1", "room_secret": "letmein", "room_realm": "sylk.test",
               "contact_params": "ob", "room_sampling_rate": 16000}


async def sipp_call(scenario, trace_dir, name, source="127.0.0.1"):
    folder = os.path.join(trace_dir, name)
    os.makedirs(folder)
    process = await spawn(
        "sipp", FOCUS, "-sf", os.path.join(SCENARIOS, scenario), "-m", "1", "-i", source, "-p", "0", "-nostdin",
        "-timeout", "20s", "-trace_msg", "-message_file", os.path.join(folder, "messages.log"),
        "-set", "room", "locked-room",
        cwd=folder, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
    _, errors = await asyncio.wait_for(process.communicate(), 30)
    log = os.path.join(folder, "messages.log")
    return process.returncode, errors.decode(errors="replace"), open(log, errors="replace").read() if os.path.exists(log) else ""


def test_digest_and_address_rules_for_room_callers(janus):
    trace_dir = tempfile.mkdtemp(prefix="sylk-sipp-")

    async def body():
        admin = await Admin.open(janus.admin_url, janus.admin_secret)
        try:
            call = asyncio.ensure_future(sipp_call("auth_call.xml", trace_dir, "right"))
            rooms = {}
            while "locked-room" not in rooms and not call.done():  # the room the call opened, while it lasts
                listing = await admin.message_plugin("janus.plugin.sylk.audiomixer", {"request": "list"})
                rooms = {room["room"]: room["sampling_rate"] for room in listing["list"]}
                await asyncio.sleep(0.1)
            return (await call, await sipp_call("auth_refused.xml", trace_dir, "wrong"),
                    await sipp_call("auth_call.xml", trace_dir, "outsider", source="10.77.0.2"), rooms)
        finally:
            await admin.close()

    try:
        right, wrong, outsider, rooms = run(body(), timeout=90)
    finally:
        shutil.rmtree(trace_dir, ignore_errors=True)
    assert right[0] == 0, right[1][-1000:] + right[2][-2000:]                # 401, then 200 with credentials
    assert 'WWW-Authenticate: Digest realm="sylk.test"' in right[2]
    assert "Contact: <sip:locked-room@127.0.0.1:5060;ob>;isfocus" in right[2]   # contact_params
    assert rooms["locked-room"] == 16000, rooms                                 # room_sampling_rate
    assert wrong[0] == 0, wrong[1][-1000:] + wrong[2][-2000:]                # 401, then 403
    assert "SIP/2.0 403" in outsider[2] and "may not call rooms" in outsider[2], outsider[2][-2000:]
    assert janus.alive()


def test_subscribe_is_admitted_like_a_call(janus):
    """A room's roster is for those who may call it: a SUBSCRIBE to its conference state from an
    address outside room_callers gets 403 at once, one without credentials gets a 401
    challenge, one with the wrong room secret then 403 and no NOTIFY, and one with the right
    secret 202 and a NOTIFY with the room's conference-info."""
    trace_dir = tempfile.mkdtemp(prefix="sylk-sipp-")

    async def body():
        return (await sipp_call("auth_subscribe.xml", trace_dir, "right"),
                await sipp_call("auth_subscribe_refused.xml", trace_dir, "wrong"),
                await sipp_call("subscribe_forbidden.xml", trace_dir, "outsider", source="10.77.0.2"))

    try:
        right, wrong, outsider = run(body(), timeout=90)
    finally:
        shutil.rmtree(trace_dir, ignore_errors=True)
    # the right secret: challenged, then accepted and told the room's state, then unsubscribed
    assert right[0] == 0, right[1][-1000:] + right[2][-3000:]
    assert 'WWW-Authenticate: Digest realm="sylk.test"' in right[2]
    assert "SIP/2.0 202" in right[2] or "SIP/2.0 200" in right[2]
    notify = right[2][right[2].index("NOTIFY sip:"):]
    assert "Event: conference" in notify
    assert 'entity="sip:locked-room@' in notify and "</conference-info>" in notify, notify[:2000]
    assert "Subscription-State: terminated" in right[2]
    # the wrong secret: challenged, then 403; the scenario fails on any NOTIFY after it
    assert wrong[0] == 0, wrong[1][-1000:] + wrong[2][-3000:]
    assert "SIP/2.0 401" in wrong[2] and "SIP/2.0 403" in wrong[2]
    assert "NOTIFY sip:" not in wrong[2]
    # an address room_callers does not list: 403 without a challenge, and no NOTIFY
    assert outsider[0] == 0, outsider[1][-1000:] + outsider[2][-3000:]
    assert "may not call rooms" in outsider[2] and "SIP/2.0 401" not in outsider[2]
    assert "NOTIFY sip:" not in outsider[2]
    assert janus.alive()
