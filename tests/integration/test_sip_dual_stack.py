"""Dual stack: with sip_ip 127.0.0.1 and sip_ip6 ::1 the SIP plugin listens on both. An IPv4
phone and an IPv6 phone call the same room and hear each other, each answered in its own
family (Contact and SDP); a web user calls a phone at an IPv6 literal, and the call's SIP and
RTP go over IPv6 while its account registered over IPv4."""
import asyncio
import os
import re
import shutil
import tempfile

from conftest import run
from harness.janus_api import Admin
from harness.rtp_peer import RtpPeer
from test_audiomixer import tone_db
from test_sip_focus import sipp, wait_for
from test_sip_gateway import CALLEE_PORT, REGISTRAR_PORT, WebUser, sip_event, sipp_uas

SIP = "janus.plugin.sylk.sip"
SIP_OPTIONS = {"sip_ip6": "::1"}


def test_ipv4_and_ipv6_phones_share_a_room(janus):
    trace_dir = tempfile.mkdtemp(prefix="sylk-dual-")

    async def body():
        four = await RtpPeer("pcmu", 600).open()
        six = await RtpPeer("pcmu", 1000).open(host="::1")
        admin = await Admin.open(janus.admin_url, janus.admin_secret)
        try:
            calls = []
            for name, host, phone in (("four", "127.0.0.1", four), ("six", "::1", six)):
                calls.append(await sipp("codec_call.xml", trace_dir, ("room", "dual-room"), ("rtpport", phone.port),
                                        ("pt", 0), ("rtpmap", "PCMU/8000"), host=host, log=name + ".log"))
            log4, log6 = os.path.join(trace_dir, "four.log"), os.path.join(trace_dir, "six.log")
            pattern = r"SIP/2\.0 200 OK.*?(Contact: [^\n]*).*?c=IN IP[46] ([0-9a-f:.]+).*?m=audio (\d+) RTP/AVP"
            answer4, answer6 = await wait_for(log4, pattern), await wait_for(log6, pattern)
            await asyncio.gather(four.stream((answer4.group(2), int(answer4.group(3))), 3),
                                 six.stream((answer6.group(2), int(answer6.group(3))), 3))
            heard4, heard6 = four.heard(), six.heard()
            status = await admin.message_plugin(SIP, {"request": "status"})
            results = []
            for process in calls:
                _, errors = await asyncio.wait_for(process.communicate(), 30)
                results.append((process.returncode, errors))
            return answer4.groups(), answer6.groups(), heard4, heard6, status, results
        finally:
            four.close()
            six.close()
            await admin.close()

    try:
        answer4, answer6, heard4, heard6, status, results = run(body(), timeout=90)
    finally:
        shutil.rmtree(trace_dir, ignore_errors=True)
    assert status["addresses"] == ["127.0.0.1", "::1"], status
    assert answer4[0].startswith("Contact: <sip:dual-room@127.0.0.1:5060>;isfocus"), answer4
    assert answer6[0].startswith("Contact: <sip:dual-room@[::1]:5060>;isfocus"), answer6
    assert answer4[1] == "127.0.0.1" and answer6[1] == "::1"
    assert tone_db(*heard4, 1000) - tone_db(*heard4, 600) >= 20   # the IPv4 phone hears the IPv6 one
    assert tone_db(*heard6, 600) - tone_db(*heard6, 1000) >= 20   # and the other way round
    for code, errors in results:
        assert code == 0, errors.decode(errors="replace")[-1000:]
    assert janus.alive()


def test_a_web_user_calls_an_ipv6_phone(janus):
    trace_dir = tempfile.mkdtemp(prefix="sylk-dual-gw-")

    async def body():
        phone = await RtpPeer("pcmu", 600).open(host="::1")
        registrar = await sipp_uas("registrar.xml", REGISTRAR_PORT, trace_dir, "registrar")
        callee = await sipp_uas("callee_codec.xml", CALLEE_PORT, trace_dir, "callee", ("rtpport", phone.port),
                                ("pt", 0), ("rtpmap", "PCMU/8000"), host="::1")
        user = await WebUser(janus, 440).open()
        try:
            await asyncio.sleep(0.5)
            await user.handle.send({"request": "register", "username": "sip:alice@127.0.0.1:%d" % REGISTRAR_PORT,
                                    "secret": "secret"})
            registered, _ = await sip_event(user.handle, ("registered", "registration_failed"))
            accepted = await user.call("sip:bob@[::1]:%d" % CALLEE_PORT)
            invite = await wait_for(os.path.join(trace_dir, "callee.log"),
                                    r"INVITE sip:bob@\[::1\].*?(Contact: [^\n]*).*?c=IN IP6 ([0-9a-f:]+).*?m=audio (\d+) RTP/AVP")
            await phone.stream((invite.group(2), int(invite.group(3))), 3)
            web_heard, phone_heard = user.heard(), phone.heard()
            await user.handle.send({"request": "hangup"})
            await sip_event(user.handle, ("hangup",))
            _, errors = await asyncio.wait_for(callee.communicate(), 20)
            registrar.kill()
            await registrar.wait()
            return registered, accepted, invite.groups(), web_heard, phone_heard, callee.returncode, errors
        finally:
            phone.close()
            await user.close()

    try:
        registered, accepted, invite, web_heard, phone_heard, code, errors = run(body(), timeout=90)
    finally:
        shutil.rmtree(trace_dir, ignore_errors=True)
    assert registered["result"]["event"] == "registered", registered
    assert accepted["result"]["event"] == "accepted", accepted
    assert re.match(r"Contact: <sip:alice-[^@]+@\[::1\]:5060>", invite[0]), invite   # our IPv6 Contact
    assert invite[1] == "::1"                                                      # and IPv6 media
    assert tone_db(*web_heard, 600) - tone_db(*web_heard, 440) >= 20
    assert tone_db(*phone_heard, 440) - tone_db(*phone_heard, 600) >= 20
    assert code == 0, errors.decode(errors="replace")[-1000:]
    assert janus.alive()


def test_calls_whose_media_family_differs_from_their_signalling(janus):
    """An IPv4 INVITE offering IPv6 media (c=IN IP6 ::1) gets an IPv6 answer and media: to the
    echo application (the tone comes back) and to a web user (both hear each other)."""
    trace_dir = tempfile.mkdtemp(prefix="sylk-dual-cross-")

    async def body():
        echo_phone = await RtpPeer("pcmu", 600).open(host="::1")
        phone = await RtpPeer("pcmu", 700).open(host="::1")
        user = await WebUser(janus, 500).open()
        try:
            echo = await sipp("cross_family_call.xml", trace_dir, ("app", "echo"), ("rtpport", echo_phone.port),
                              ("pt", 0), ("rtpmap", "PCMU/8000"), log="echo.log")
            pattern = r"SIP/2\.0 200 OK.*?c=IN IP([46]) ([0-9a-f:.]+).*?m=audio (\d+) RTP/AVP"
            echo_answer = await wait_for(os.path.join(trace_dir, "echo.log"), pattern)
            await echo_phone.stream((echo_answer.group(2), int(echo_answer.group(3))), 1.5)
            echo_heard = echo_phone.heard()
            data, _ = await user.handle.send({"request": "register", "username": "sip:alice@sylk.test", "type": "guest"})
            caller = await sipp("cross_family_call.xml", trace_dir, ("app", data["result"]["contact_user"]),
                                ("rtpport", phone.port), ("pt", 0), ("rtpmap", "PCMU/8000"), log="web.log")
            incoming, jsep = await sip_event(user.handle, ("incomingcall",))
            await user.handle.send({"request": "accept"}, jsep=await user.answer(jsep))
            answer = await wait_for(os.path.join(trace_dir, "web.log"), pattern)
            await phone.stream((answer.group(2), int(answer.group(3))), 2)
            web_heard, phone_heard = user.heard(), phone.heard()
            results = []
            for process in (echo, caller):
                _, errors = await asyncio.wait_for(process.communicate(), 30)
                results.append((process.returncode, errors))
            return echo_answer.groups(), echo_heard, answer.groups(), web_heard, phone_heard, results
        finally:
            echo_phone.close()
            phone.close()
            await user.close()

    try:
        echo_answer, echo_heard, answer, web_heard, phone_heard, results = run(body(), timeout=90)
    finally:
        shutil.rmtree(trace_dir, ignore_errors=True)
    assert echo_answer[:2] == ("6", "::1") and answer[:2] == ("6", "::1"), (echo_answer, answer)
    assert tone_db(*echo_heard, 600) > 100 and tone_db(*echo_heard, 600) - tone_db(*echo_heard, 1000) >= 30
    assert tone_db(*web_heard, 700) - tone_db(*web_heard, 500) >= 20     # the web user hears the phone
    assert tone_db(*phone_heard, 500) - tone_db(*phone_heard, 700) >= 20  # and the phone the web user
    for code, errors in results:
        assert code == 0, errors.decode(errors="replace")[-1000:]
    assert janus.alive()
