"""SIP over IPv6: with sip_ip "::1" the stack listens on [::1]:5060, an IPv6 phone (sipp and an
RTP peer on ::1) calls a room and gets an IPv6 leg of the mixer (rtp_ip6): the room's aiortc
participant and the phone hear each other."""
import asyncio
import os
import re
import shutil
import tempfile

from conftest import run
from harness.rtp_peer import RtpPeer
from test_audiomixer import Voice, tone_db
from test_sip_focus import sipp, wait_for

SIP_OPTIONS = {"sip_ip": "::1"}


def test_an_ipv6_phone_calls_a_room(janus):
    trace_dir = tempfile.mkdtemp(prefix="sylk-sipp-")
    log = os.path.join(trace_dir, "messages.log")

    async def body():
        ann = Voice(janus, "ipv6-room", "Ann", 440)
        phone = await RtpPeer("pcmu", 600).open(host="::1")
        try:
            await ann.join()
            call = await sipp("codec_call.xml", trace_dir, ("room", "ipv6-room"), ("rtpport", phone.port), ("pt", 0),
                              ("rtpmap", "PCMU/8000"), host="::1")
            answer = await wait_for(log, r"SIP/2\.0 200 OK.*?c=IN IP6 ([0-9a-f:]+).*?m=audio (\d+) RTP/AVP")
            await phone.stream((answer.group(1), int(answer.group(2))), 3)
            heard, phone_heard = ann.heard(), phone.heard()
            _, errors = await asyncio.wait_for(call.communicate(), 30)
            return answer.group(1), heard, phone_heard, call.returncode, errors, open(log, errors="replace").read()
        finally:
            phone.close()
            await ann.close()

    try:
        address, heard, phone_heard, status, errors, trace = run(body(), timeout=60)
    finally:
        shutil.rmtree(trace_dir, ignore_errors=True)
    assert address == "::1"
    assert re.search(r"Contact: <sip:ipv6-room@\[::1\]:5060>;isfocus", trace), trace[-2000:]
    assert tone_db(*heard, 600) - tone_db(*heard, 440) >= 20
    assert tone_db(*phone_heard, 440) - tone_db(*phone_heard, 600) >= 20
    assert status == 0, errors.decode(errors="replace")[-1000:]
    assert janus.alive()
