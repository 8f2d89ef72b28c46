"""Attended transfer on the gateway (RFC 5589 section 7, REFER with Replaces, RFC 3891): a web
user with a call to bob and a consulted call to carol (a second handle of the same account)
transfers bob to carol; bob's REFER names carol's dialog in Refer-To's Replaces, and the
transfer's progress comes back. The other way, an INVITE with Replaces naming a web user's call
takes that call over."""
import asyncio
import os
import re
import shutil
import tempfile
from urllib.parse import unquote

from conftest import run
from harness.rtp_peer import RtpPeer
from test_audiomixer import tone_db
from test_sip_focus import sipp, wait_for
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


def test_an_invite_with_replaces_takes_over_a_web_users_call(janus):
    """The web user calls bob; carol's INVITE with Replaces naming that dialog takes the call over:
    bob gets a BYE, the web user a "replaced" event, and the web user and carol hear each other."""
    trace_dir = tempfile.mkdtemp(prefix="sylk-replaces-")

    async def body():
        bob_phone = await RtpPeer("pcmu", 600).open()
        carol_phone = await RtpPeer("pcmu", 900).open()
        bob = await sipp_uas("callee_codec.xml", BOB + 4, trace_dir, "bob", ("rtpport", bob_phone.port), ("pt", 0),
                             ("rtpmap", "PCMU/8000"))
        user = await WebUser(janus, 440).open()
        try:
            registered = await user.register_guest()
            accepted = await user.call("sip:bob@127.0.0.1:%d" % (BOB + 4))
            bob_log = open(os.path.join(trace_dir, "bob.log"), errors="replace").read()
            invite = re.search(r"INVITE sip:bob.*?\n\n", bob_log, re.S).group(0)
            call_id = re.search(r"Call-ID: ([^\r\n]+)", invite).group(1).strip()
            our_tag = re.search(r"From: [^\r\n]*;tag=([^;\r\n]+)", invite).group(1).strip()
            bob_tag = re.search(r"tag=(\d+SIPpTag01\d+)", bob_log).group(1)
            bogus = await sipp("replacing_call.xml", trace_dir, ("app", registered["result"]["contact_user"]),
                               ("replaces", "%s;to-tag=%s;from-tag=nobody" % (call_id, our_tag)),
                               ("rtpport", carol_phone.port), ("pt", 0), ("rtpmap", "PCMU/8000"), log="bogus.log")
            await bogus.communicate()
            carol = await sipp("replacing_call.xml", trace_dir, ("app", registered["result"]["contact_user"]),
                               ("replaces", "%s;to-tag=%s;from-tag=%s" % (call_id, our_tag, bob_tag)),
                               ("rtpport", carol_phone.port), ("pt", 0), ("rtpmap", "PCMU/8000"), log="carol.log")
            replaced, _ = await sip_event(user.handle, ("replaced",))
            answer = await wait_for(os.path.join(trace_dir, "carol.log"), r"SIP/2\.0 200 OK.*?m=audio (\d+) RTP/AVP")
            _, bob_errors = await asyncio.wait_for(bob.communicate(), 20)   # bob's call ended with our BYE
            await carol_phone.stream(("127.0.0.1", int(answer.group(1))), 2)
            web_heard, carol_heard = user.heard(), carol_phone.heard()
            hangup, _ = await sip_event(user.handle, ("hangup",))        # carol hangs up
            _, carol_errors = await asyncio.wait_for(carol.communicate(), 20)
            bogus_log = open(os.path.join(trace_dir, "bogus.log"), errors="replace").read()
            return (accepted, bogus_log, replaced, call_id, (bob.returncode, bob_errors), web_heard, carol_heard,
                    hangup, (carol.returncode, carol_errors))
        finally:
            bob_phone.close()
            carol_phone.close()
            await user.close()

    try:
        (accepted, bogus_log, replaced, call_id, bob_result, web_heard, carol_heard, hangup,
         carol_result) = run(body(), timeout=90)
    finally:
        shutil.rmtree(trace_dir, ignore_errors=True)
    assert accepted["result"]["event"] == "accepted"
    assert "SIP/2.0 481" in bogus_log                        # a Replaces naming no dialog of ours
    assert replaced["result"]["replaced_call_id"] == call_id and replaced["result"]["username"].startswith("sip:phone@")
    assert replaced["call_id"] != call_id
    for code, errors in (bob_result, carol_result):
        assert code == 0, errors.decode(errors="replace")[-1000:]
    assert tone_db(*web_heard, 900) - tone_db(*web_heard, 600) >= 20     # the web user hears carol, not bob
    assert tone_db(*carol_heard, 440) - tone_db(*carol_heard, 900) >= 20  # carol hears the web user
    assert hangup["call_id"] != call_id
    assert janus.alive()
