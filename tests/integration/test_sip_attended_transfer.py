"""Attended transfer on the gateway (RFC 5589 section 7, REFER with Replaces, RFC 3891): a web
user with a call to bob and a consulted call to carol (a second handle of the same account)
transfers bob to carol; bob's REFER names carol's dialog in Refer-To's Replaces, and the
transfer's progress comes back."""
import asyncio
import os
import re
import shutil
import tempfile
from urllib.parse import unquote

from conftest import run
from harness.rtp_peer import RtpPeer
from test_sip_gateway import WebUser, sip_event, sipp_uas

BOB, CAROL = 5190, 5192


def test_a_web_user_transfers_a_call_to_the_consulted_one(janus):
    trace_dir = tempfile.mkdtemp(prefix="sylk-attended-")

    async def body():
        phone = await RtpPeer("pcmu", 600).open()
        bob = await sipp_uas("attended_target.xml", BOB, trace_dir, "bob", ("rtpport", phone.port))
        carol = await sipp_uas("callee_codec.xml", CAROL, trace_dir, "carol", ("rtpport", phone.port), ("pt", 0),
                               ("rtpmap", "PCMU/8000"))
        user = await WebUser(janus, 440).open()
        consulting = await WebUser(janus, 440).open()
        try:
            await user.register_guest()
            await consulting.register_guest()
            first = await user.call("sip:bob@127.0.0.1:%d" % BOB)
            second = await consulting.call("sip:carol@127.0.0.1:%d" % CAROL)
            wrong, _ = await user.handle.send({"request": "transfer", "replaces": "no-such-call"})
            transferring, _ = await user.handle.send({"request": "transfer", "replaces": second["call_id"]})
            refer_answer, _ = await sip_event(user.handle, ("transfer_accepted", "transfer_failed"))
            progress, _ = await sip_event(user.handle, ("transfer_progress",))
            for web in (user, consulting):
                await web.handle.send({"request": "hangup"})
                await sip_event(web.handle, ("hangup",))
            results = []
            for process in (bob, carol):
                _, errors = await asyncio.wait_for(process.communicate(), 20)
                results.append((process.returncode, errors))
            logs = [open(os.path.join(trace_dir, name + ".log"), errors="replace").read() for name in ("bob", "carol")]
            return first, second, wrong, transferring, refer_answer, progress, results, logs
        finally:
            phone.close()
            await user.close()
            await consulting.close()

    try:
        first, second, wrong, transferring, refer_answer, progress, results, (bob_log, carol_log) = run(body(), timeout=90)
    finally:
        shutil.rmtree(trace_dir, ignore_errors=True)
    assert first["result"]["event"] == "accepted" and second["result"]["event"] == "accepted"
    assert wrong["error_code"] == 447, wrong
    assert transferring["result"]["event"] == "transferring" and transferring["result"]["replaces"] == second["call_id"]
    assert refer_answer["result"]["event"] == "transfer_accepted"
    assert progress["result"]["status_line"] == "SIP/2.0 200 OK" and progress["result"]["final"] is True
    for code, errors in results:
        assert code == 0, errors.decode(errors="replace")[-1000:]
    # The Replaces names carol's dialog: its Call-ID, carol's tag as to-tag, ours as from-tag.
    refer_to = re.search(r"Refer-To: <sip:carol@127\.0\.0\.1:%d\?Replaces=([^>]+)>" % CAROL, bob_log).group(1)
    invite = re.search(r"INVITE sip:carol.*?\n\n", carol_log, re.S).group(0)
    call_id = re.search(r"Call-ID: ([^\r\n]+)", invite).group(1).strip()
    from_tag = re.search(r"From: [^\r\n]*;tag=([^;\r\n]+)", invite).group(1).strip()
    to_tag = re.search(r"tag=(\d+SIPpTag01\d+)", carol_log).group(1)
    assert unquote(refer_to) == "%s;to-tag=%s;from-tag=%s" % (call_id, to_tag, from_tag), refer_to
    assert janus.alive()
