"""The SIP gateway (janus.plugin.sylk.sip): a web user (aiortc) registers a SIP account with a
digest-authenticating registrar (sipp), calls a PCMU-only phone and is called by a G.722-only
phone. Both calls are transcoded to the browser's Opus; tones are checked both ways by FFT. The
phones are sipp for signalling with a Python RTP peer for their media."""
import asyncio
import base64
import json
import os
import re
import shutil
import struct
import tempfile

from aiortc import RTCSessionDescription

from conftest import run
from harness.janus_api import JanusError, Session
from harness.peers import Collector, ToneTrack, accept, make_peer, offer
from harness.processes import script_result, spawn, wait_udp_bound
from harness.rtp_peer import RtpPeer
from test_audiomixer import tone_db
from test_sip_focus import wait_for

SIP = "janus.plugin.sylk.sip"
SCENARIOS = os.path.join(os.path.dirname(__file__), "sip")
REGISTRAR_PORT, CALLEE_PORT = 5070, 5072


async def sipp_uas(scenario, port, trace_dir, name, *sets, host="127.0.0.1"):
    arguments = ["sipp", "-sf", os.path.join(SCENARIOS, scenario), "-m", "1", "-i", host, "-p", str(port),
                 "-nostdin", "-timeout", "60s", "-trace_msg", "-message_file", os.path.join(trace_dir, name + ".log")]
    for key, value in sets:
        arguments += ["-set", key, str(value)]
    process = await spawn(*arguments, cwd=trace_dir, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
    await wait_udp_bound(process, port)  # it answers from the first request on
    return process


async def sip_event(handle, wanted, timeout=15):
    """The next plugin event whose result.event is one of wanted (skipping others)."""
    event = await handle.next_event(timeout=timeout, predicate=lambda e: e.get("plugindata", {}).get("data", {})
                                    .get("result", {}).get("event") in wanted)
    return event["plugindata"]["data"], event.get("jsep")


class WebUser:
    def __init__(self, janus, frequency):
        self.janus, self.frequency = janus, frequency
        self.collector = None

    async def open(self):
        self.session = await Session.create(self.janus.ws_url)
        self.handle = await self.session.attach(SIP)
        self.pc, _ = await make_peer(data_channel=False)
        self.pc.addTrack(ToneTrack(self.frequency))

        def on_track(track):
            self.collector = Collector(track)
        self.pc.on("track", on_track)
        return self

    async def answer(self, jsep):
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=jsep["sdp"], type=jsep["type"]))
        await self.pc.setLocalDescription(await self.pc.createAnswer())
        return {"type": "answer", "sdp": self.pc.localDescription.sdp, "trickle": False}

    async def register_guest(self):
        data, _ = await self.handle.send({"request": "register", "username": "sip:alice@sylk.test", "type": "guest"})
        return data

    async def call(self, uri, **fields):
        """Calls uri with the browser's offer; returns the accepted (or hangup) event, its answer
        applied."""
        await self.handle.send(dict({"request": "call", "uri": uri}, **fields), jsep=await offer(self.pc))
        result, jsep = await sip_event(self.handle, ("accepted", "hangup"))
        if jsep:
            await accept(self.pc, jsep)
        return result

    def heard(self, seconds=1.0):
        import numpy
        rate = self.collector.rate
        return numpy.concatenate(self.collector.audio[-int(seconds * rate / 960):]), rate

    async def close(self):
        if self.collector:
            self.collector.stop()
        await self.pc.close()
        await self.session.close()


def test_registers_with_digest_and_calls_a_pcmu_phone(janus):
    trace_dir = tempfile.mkdtemp(prefix="sylk-sipgw-")

    async def body():
        phone = await RtpPeer("pcmu", 600).open()
        registrar = await sipp_uas("registrar.xml", REGISTRAR_PORT, trace_dir, "registrar")
        callee = await sipp_uas("callee.xml", CALLEE_PORT, trace_dir, "callee", ("rtpport", phone.port))
        user = await WebUser(janus, 440).open()
        try:
            await asyncio.sleep(0.5)
            data, _ = await user.handle.send({"request": "register", "username": "sip:alice@127.0.0.1:%d" % REGISTRAR_PORT,
                                              "secret": "secret", "display_name": "Alice"})
            assert data["result"]["event"] == "registering", data
            registered, _ = await sip_event(user.handle, ("registered", "registration_failed"))

            data, _ = await user.handle.send({"request": "call", "uri": "sip:bob@127.0.0.1:%d" % CALLEE_PORT},
                                             jsep=await offer(user.pc))
            assert data["result"]["event"] == "calling", data
            ringing, _ = await sip_event(user.handle, ("ringing", "hangup"))
            accepted, jsep = await sip_event(user.handle, ("accepted", "hangup"))
            assert jsep, accepted
            await accept(user.pc, jsep)
            invite = await wait_for(os.path.join(trace_dir, "callee.log"), r"INVITE sip:bob.*?m=audio (\d+) RTP/AVP")
            await phone.stream(("127.0.0.1", int(invite.group(1))), 4)
            web_heard, phone_heard = user.heard(), phone.heard()
            data, _ = await user.handle.send({"request": "dtmf_info", "digit": "5"})
            assert data["result"]["event"] == "dtmfsent", data
            await asyncio.sleep(0.5)
            data, _ = await user.handle.send({"request": "hangup"})
            hangup, _ = await sip_event(user.handle, ("hangup",))
            _, callee_errors = await asyncio.wait_for(callee.communicate(), 20)
            unregistering, _ = await user.handle.send({"request": "unregister"})
            unregistered, _ = await sip_event(user.handle, ("unregistered", "unregistration_failed"))
            _, registrar_errors = await asyncio.wait_for(registrar.communicate(), 20)
            return (registered, registrar.returncode, registrar_errors, ringing, accepted, web_heard, phone_heard,
                    hangup, callee.returncode, callee_errors, unregistering, unregistered)
        finally:
            phone.close()
            await user.close()

    try:
        (registered, registrar_status, registrar_errors, ringing, accepted, web_heard, phone_heard, hangup,
         callee_status, callee_errors, unregistering, unregistered) = run(body(), timeout=120)
    finally:
        shutil.rmtree(trace_dir, ignore_errors=True)
    assert registered["result"]["event"] == "registered", registered
    assert registered["result"]["username"] == "sip:alice@127.0.0.1:%d" % REGISTRAR_PORT
    assert registrar_status == 0, registrar_errors.decode(errors="replace")[-1000:]  # both digests verified
    assert unregistering["result"]["event"] == "unregistering"
    assert unregistered["result"]["event"] == "unregistered", unregistered   # after its own challenge
    assert ringing["result"]["event"] == "ringing"
    assert accepted["result"]["event"] == "accepted", accepted
    assert accepted["result"]["codec"] == "pcmu" and accepted["result"]["transcoding"] is True
    samples, rate = web_heard
    assert tone_db(samples, rate, 600) - tone_db(samples, rate, 440) >= 20    # the browser hears the phone
    samples, rate = phone_heard
    assert tone_db(samples, rate, 440) - tone_db(samples, rate, 600) >= 20    # the phone hears the browser
    assert hangup["result"]["event"] == "hangup"
    assert callee_status == 0, callee_errors.decode(errors="replace")[-1000:]  # INFO "Signal=5", then BYE
    assert janus.alive()


def test_wrong_password_is_reported(janus):
    trace_dir = tempfile.mkdtemp(prefix="sylk-sipgw-")

    async def body():
        registrar = await sipp_uas("registrar.xml", REGISTRAR_PORT, trace_dir, "registrar")
        user = await WebUser(janus, 440).open()
        try:
            await asyncio.sleep(0.5)
            await user.handle.send({"request": "register", "username": "sip:alice@127.0.0.1:%d" % REGISTRAR_PORT,
                                    "secret": "wrong"})
            failed, _ = await sip_event(user.handle, ("registered", "registration_failed"))
            await asyncio.wait_for(registrar.communicate(), 20)
            bad_uri = await user.handle.send({"request": "register", "username": "alice"})
            no_call = await user.handle.send({"request": "call", "uri": "sip:bob@127.0.0.1"})
            await user.handle.send({"request": "register", "username": "sip:alice@sylk.test", "type": "guest"})
            try:  # Janus's core parses the SDP first and refuses it
                garbage = await user.handle.send({"request": "call", "uri": "sip:bob@127.0.0.1"},
                                                 jsep={"type": "offer", "sdp": "v=0\r\nm=audio garbage\r\n"})
            except JanusError as error:
                garbage = (error.reply["error"], None)
            no_incoming = await user.handle.send({"request": "accept"})
            bad_digit = await user.handle.send({"request": "dtmf_info", "digit": "x"})
            return failed, bad_uri[0], no_call[0], garbage[0], no_incoming[0], bad_digit[0]
        finally:
            await user.close()

    try:
        failed, bad_uri, no_call, garbage, no_incoming, bad_digit = run(body(), timeout=60)
    finally:
        shutil.rmtree(trace_dir, ignore_errors=True)
    assert failed["result"]["event"] == "registration_failed", failed
    assert failed["result"]["code"] == 403
    assert bad_uri["error_code"] == 446, bad_uri
    assert no_call["error_code"] == 447, no_call      # not registered
    assert garbage["code"] == 465, garbage             # refused by Janus's SDP parser
    assert no_incoming["error_code"] == 447, no_incoming
    assert bad_digit["error_code"] == 447, bad_digit   # no call (the state is checked first)
    assert janus.alive()


def test_a_g722_phone_calls_the_web_user(janus):
    trace_dir = tempfile.mkdtemp(prefix="sylk-sipgw-")

    async def body():
        phone = await RtpPeer("g722", 700).open()
        user = await WebUser(janus, 500).open()
        try:
            data, _ = await user.handle.send({"request": "register", "username": "sip:alice@sylk.test", "type": "guest"})
            assert data["result"]["event"] == "registered", data
            contact_user = data["result"]["contact_user"]
            arguments = ["sipp", "127.0.0.1:5060", "-sf", os.path.join(SCENARIOS, "call_web_user.xml"), "-m", "1",
                         "-i", "127.0.0.1", "-p", "0", "-nostdin", "-timeout", "60s", "-trace_msg",
                         "-message_file", os.path.join(trace_dir, "caller.log"),
                         "-set", "user", contact_user, "-set", "rtpport", str(phone.port)]
            caller = await spawn(*arguments, cwd=trace_dir, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
            incoming, jsep = await sip_event(user.handle, ("incomingcall",))
            data, _ = await user.handle.send({"request": "accept"}, jsep=await user.answer(jsep))
            answer = await wait_for(os.path.join(trace_dir, "caller.log"), r"SIP/2\.0 200 OK.*?m=audio (\d+) RTP/AVP (\d+)")
            await phone.stream(("127.0.0.1", int(answer.group(1))), 4)
            web_heard, phone_heard = user.heard(), phone.heard()
            # RFC 4733 digit 9, end packet sent three times as phones do: reported once
            for _ in range(3):
                phone.transport.sendto(phone.packet(struct.pack("!BBH", 9, 0x80 | 10, 1280), pt=101),
                                       ("127.0.0.1", int(answer.group(1))))
            rtp_dtmf, _ = await sip_event(user.handle, ("dtmf",))
            dtmf, _ = await sip_event(user.handle, ("dtmf",))
            message, _ = await sip_event(user.handle, ("message",))
            composing, _ = await sip_event(user.handle, ("composing",))
            sent, _ = await user.handle.send({"request": "message", "content": "hi carol", "imdn": True})
            imdn, _ = await sip_event(user.handle, ("imdn",))
            hangup, _ = await sip_event(user.handle, ("hangup",))
            _, errors = await asyncio.wait_for(caller.communicate(), 20)
            return (incoming, data, int(answer.group(2)), web_heard, phone_heard, (rtp_dtmf, dtmf),
                    (message, composing, sent, imdn), hangup, caller.returncode, errors)
        finally:
            phone.close()
            await user.close()

    try:
        incoming, accepted, pt, web_heard, phone_heard, dtmf, message, hangup, status, errors = run(body(), timeout=90)
    finally:
        shutil.rmtree(trace_dir, ignore_errors=True)
    assert incoming["result"]["event"] == "incomingcall"
    assert incoming["result"]["displayname"] == "Carol" and incoming["result"]["codec"] == "g722"
    assert accepted["result"]["event"] == "accepted" and accepted["result"]["transcoding"] is True
    assert pt == 9
    samples, rate = web_heard
    assert tone_db(samples, rate, 700) - tone_db(samples, rate, 500) >= 20
    samples, rate = phone_heard
    assert tone_db(samples, rate, 500) - tone_db(samples, rate, 700) >= 20
    rtp_dtmf, dtmf = dtmf
    assert rtp_dtmf["result"]["signal"] == "9" and rtp_dtmf["result"]["via"] == "rtp"
    assert rtp_dtmf["result"]["duration"] == 160
    assert dtmf["result"]["signal"] == "7" and dtmf["result"]["via"] == "info"
    message, composing, sent, imdn = message
    assert message["result"]["content"].strip() == "hello web"
    assert message["result"]["content_type"] == "text/plain"
    assert message["result"]["cpim"]["message_id"] == "sippmsg1"    # and sipp checked our IMDN for it
    assert composing["result"]["state"] == "active"
    assert sent["result"]["event"] == "messagesent" and sent["result"]["message_id"]
    assert imdn["result"]["message_id"] == sent["result"]["message_id"]
    assert imdn["result"]["status"] == "delivered"
    assert hangup["result"]["code"] == 200
    assert status == 0, errors.decode(errors="replace")[-1000:]
    assert janus.alive()


def test_rtp_dtmf_at_48_khz_is_reported_in_milliseconds(janus):
    """A phone offering telephone-event/48000: the answer keeps that clock (RFC 3264), so the
    RFC 4733 duration the phone sends counts 48 kHz ticks: 7680 of them are 160 ms, not 960."""
    trace_dir = tempfile.mkdtemp(prefix="sylk-sipgw-")
    with open(os.path.join(SCENARIOS, "call_web_user.xml")) as original:
        scenario = original.read()
    assert "telephone-event/8000" in scenario
    scenario_path = os.path.join(trace_dir, "call_web_user_48k.xml")
    with open(scenario_path, "w") as variant:
        variant.write(scenario.replace("telephone-event/8000", "telephone-event/48000"))

    async def body():
        phone = await RtpPeer("g722", 700).open()
        user = await WebUser(janus, 500).open()
        caller = None
        try:
            contact_user = (await user.register_guest())["result"]["contact_user"]
            caller = await spawn("sipp", "127.0.0.1:5060", "-sf", scenario_path, "-m", "1", "-i", "127.0.0.1", "-p", "0",
                                 "-nostdin", "-timeout", "60s", "-trace_msg", "-message_file",
                                 os.path.join(trace_dir, "caller.log"), "-set", "user", contact_user,
                                 "-set", "rtpport", str(phone.port), cwd=trace_dir,
                                 stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
            _, jsep = await sip_event(user.handle, ("incomingcall",))
            await user.handle.send({"request": "accept"}, jsep=await user.answer(jsep))
            answer = await wait_for(os.path.join(trace_dir, "caller.log"),
                                    r"SIP/2\.0 200 OK.*?m=audio (\d+) RTP/AVP.*?(a=rtpmap:101 [^\r\n]+)")
            for _ in range(3):  # digit 5, end bit, 160 ms at 48 kHz; the end packet three times
                phone.transport.sendto(phone.packet(struct.pack("!BBH", 5, 0x80 | 10, 7680), pt=101),
                                       ("127.0.0.1", int(answer.group(1))))
            dtmf, _ = await sip_event(user.handle, ("dtmf",))
            await user.handle.send({"request": "hangup"})
            return answer.group(2), dtmf
        finally:
            if caller and caller.returncode is None:
                caller.kill()
                await caller.wait()
            phone.close()
            await user.close()

    try:
        rtpmap, dtmf = run(body(), timeout=60)
    finally:
        shutil.rmtree(trace_dir, ignore_errors=True)
    assert rtpmap == "a=rtpmap:101 telephone-event/48000", rtpmap
    assert dtmf["result"]["signal"] == "5" and dtmf["result"]["via"] == "rtp", dtmf
    assert dtmf["result"]["duration"] == 160, dtmf
    assert janus.alive()


def test_a_silent_phone_is_hung_up(janus):
    """The peer answers and sends no RTP: after the RTP timeout (6 s in tests) the gateway sends
    BYE and tells the web user. A second caller meanwhile gets 486 and a missed_call event."""
    trace_dir = tempfile.mkdtemp(prefix="sylk-sipgw-")

    async def body():
        phone = await RtpPeer("pcma", 600).open()
        callee = await sipp_uas("callee_silent.xml", 5074, trace_dir, "callee", ("rtpport", phone.port))
        user = await WebUser(janus, 440).open()
        try:
            await asyncio.sleep(0.5)
            registered = await user.register_guest()
            accepted = await user.call("sip:bob@127.0.0.1:5074")
            loop = asyncio.get_running_loop()
            start = loop.time()
            # Meanwhile a second caller: refused 486 and reported, not lost
            second = await spawn(
                "sipp", "127.0.0.1:5060", "-sf", os.path.join(SCENARIOS, "second_call.xml"), "-m", "1",
                "-i", "127.0.0.1", "-p", "0", "-nostdin", "-timeout", "20s",
                "-set", "user", registered["result"]["contact_user"], cwd=trace_dir,
                stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
            missed, _ = await sip_event(user.handle, ("missed_call",))
            _, second_errors = await asyncio.wait_for(second.communicate(), 20)
            hangup, _ = await sip_event(user.handle, ("hangup",), timeout=20)
            waited = loop.time() - start
            _, errors = await asyncio.wait_for(callee.communicate(), 20)
            return accepted, hangup, waited, callee.returncode, errors, missed, second.returncode, second_errors
        finally:
            phone.close()
            await user.close()

    try:
        accepted, hangup, waited, status, errors, missed, second_status, second_errors = run(body(), timeout=60)
    finally:
        shutil.rmtree(trace_dir, ignore_errors=True)
    assert accepted["result"]["event"] == "accepted" and accepted["result"]["codec"] == "pcma"
    assert hangup["result"]["code"] == 408 and hangup["result"]["reason"] == "RTP timeout"
    assert missed["result"]["caller"].startswith("sip:erin@") and missed["result"]["displayname"] == "Erin"
    assert second_status == 0, second_errors.decode(errors="replace")[-1000:]   # it got 486
    assert 5 <= waited <= 12, waited
    assert status == 0, errors.decode(errors="replace")[-1000:]   # the phone got the BYE
    assert janus.alive()


def test_call_with_sdes_srtp(janus):
    """srtp: sdes_mandatory — our INVITE offers RTP/SAVP with a key (checked by sipp), the phone
    answers with its own, and the tones cross both ways encrypted (the RTP peer runs libsrtp)."""
    trace_dir = tempfile.mkdtemp(prefix="sylk-sipgw-")
    phone_key = base64.b64encode(os.urandom(30)).decode()

    async def body():
        phone = await RtpPeer("pcmu", 600).open()
        callee = await sipp_uas("callee_srtp.xml", 5076, trace_dir, "callee", ("rtpport", phone.port),
                                ("key", phone_key))
        user = await WebUser(janus, 440).open()
        try:
            await asyncio.sleep(0.5)
            await user.register_guest()
            accepted = await user.call("sip:bob@127.0.0.1:5076", srtp="sdes_mandatory")
            invite = await wait_for(os.path.join(trace_dir, "callee.log"),
                                    r"INVITE sip:bob.*?m=audio (\d+) RTP/SAVP.*?inline:([A-Za-z0-9+/=]{40})")
            phone.use_srtp(phone_key, invite.group(2))
            await phone.stream(("127.0.0.1", int(invite.group(1))), 4)
            web_heard, phone_heard = user.heard(), phone.heard()
            await user.handle.send({"request": "hangup"})
            await sip_event(user.handle, ("hangup",))
            _, errors = await asyncio.wait_for(callee.communicate(), 20)
            return accepted, web_heard, phone_heard, phone.srtp_failures, phone.packets_in, callee.returncode, errors
        finally:
            phone.close()
            await user.close()

    try:
        accepted, web_heard, phone_heard, failures, packets, status, errors = run(body(), timeout=60)
    finally:
        shutil.rmtree(trace_dir, ignore_errors=True)
    assert accepted["result"]["srtp"] is True and accepted["result"]["codec"] == "pcmu"
    assert tone_db(*web_heard, 600) - tone_db(*web_heard, 440) >= 20
    assert tone_db(*phone_heard, 440) - tone_db(*phone_heard, 600) >= 20
    assert packets > 100 and failures == 0, (packets, failures)   # every packet from us authenticated
    assert status == 0, errors.decode(errors="replace")[-1000:]
    assert janus.alive()


def test_blind_transfer_both_ways(janus):
    """RFC 3515 both ways. Out: the web user transfers bob to carol (REFER; bob answers 202 and
    a final sipfrag NOTIFY). In: dave transfers the web user to carol; the web user's app places
    that call with refer_id on a second handle, and dave hears how it went (NOTIFY 200 OK)."""
    trace_dir = tempfile.mkdtemp(prefix="sylk-sipgw-")
    carol_uri = "sip:carol@127.0.0.1:5092"

    async def body():
        phone = await RtpPeer("pcmu", 600).open()
        bob = await sipp_uas("transfer_target.xml", 5090, trace_dir, "bob", ("rtpport", phone.port))
        user = await WebUser(janus, 440).open()
        second = await WebUser(janus, 440).open()
        try:
            await asyncio.sleep(0.5)
            await user.register_guest()
            # Out: we transfer bob
            await user.call("sip:bob@127.0.0.1:5090")
            transferring, _ = await user.handle.send({"request": "transfer", "uri": carol_uri})
            refer_answer, _ = await sip_event(user.handle, ("transfer_accepted", "transfer_failed"))
            progress, _ = await sip_event(user.handle, ("transfer_progress",))
            await user.handle.send({"request": "hangup"})
            await sip_event(user.handle, ("hangup",))
            _, bob_errors = await asyncio.wait_for(bob.communicate(), 20)

            # In: dave transfers us to carol
            dave = await spawn(
                "sipp", "-aa", "-sf", os.path.join(SCENARIOS, "transferor.xml"), "-m", "1", "-i", "127.0.0.1",
                "-p", "5094", "-nostdin", "-timeout", "60s", "-trace_msg",
                "-message_file", os.path.join(trace_dir, "dave.log"), "-set", "rtpport", str(phone.port),
                "-set", "carol", carol_uri, cwd=trace_dir, stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE)
            carol = await sipp_uas("callee_silent.xml", 5092, trace_dir, "carol", ("rtpport", phone.port))
            await asyncio.sleep(0.5)
            await user.close()
            user = await WebUser(janus, 440).open()
            await user.register_guest()
            await user.call("sip:dave@127.0.0.1:5094")
            transfer, _ = await sip_event(user.handle, ("transfer",))
            await second.register_guest()
            carol_answered = await second.call(transfer["result"]["refer_to"], refer_id=transfer["result"]["refer_id"])
            await asyncio.sleep(0.5)
            await user.handle.send({"request": "hangup"})       # the transferred call ends
            _, dave_errors = await asyncio.wait_for(dave.communicate(), 20)
            await second.handle.send({"request": "hangup"})
            _, carol_errors = await asyncio.wait_for(carol.communicate(), 20)
            dave_log = open(os.path.join(trace_dir, "dave.log"), errors="replace").read()
            return (transferring, refer_answer, progress, bob.returncode, bob_errors, transfer, carol_answered,
                    dave.returncode, dave_errors, dave_log, carol.returncode, carol_errors)
        finally:
            phone.close()
            await user.close()
            await second.close()

    try:
        (transferring, refer_answer, progress, bob_status, bob_errors, transfer, carol_answered, dave_status,
         dave_errors, dave_log, carol_status, carol_errors) = run(body(), timeout=90)
    finally:
        shutil.rmtree(trace_dir, ignore_errors=True)
    assert transferring["result"]["event"] == "transferring"
    assert refer_answer["result"] == {"event": "transfer_accepted", "code": 202, "reason": "Accepted"}
    assert progress["result"]["status_line"] == "SIP/2.0 200 OK" and progress["result"]["final"] is True
    assert bob_status == 0, bob_errors.decode(errors="replace")[-1000:]
    assert transfer["result"]["refer_to"] == carol_uri and transfer["result"]["refer_id"] > 0
    assert transfer["result"]["referred_by"].startswith("sip:dave@")
    assert carol_answered["result"]["event"] == "accepted"
    assert dave_status == 0, dave_errors.decode(errors="replace")[-1000:]
    assert re.search(r"NOTIFY sip:dave[^\n]*\n(?:[^\n]+\n)*?Subscription-State: terminated[^\n]*\n(?:[^\n]+\n)*\n+SIP/2\.0 200 OK", dave_log), dave_log[-3000:]
    assert carol_status == 0, carol_errors.decode(errors="replace")[-1000:]
    assert janus.alive()


def test_a_call_to_an_opus_phone_is_not_transcoded(janus):
    """Both sides speak Opus: packets cross with only their payload type rewritten (no
    transcoding), and the tones still go both ways."""
    trace_dir = tempfile.mkdtemp(prefix="sylk-sipgw-")

    async def body():
        phone = await RtpPeer("opus", 800).open()
        phone.decode_opus = True
        callee = await sipp_uas("callee_codec.xml", 5096, trace_dir, "callee", ("rtpport", phone.port),
                                ("pt", 96), ("rtpmap", "opus/48000/2"))
        user = await WebUser(janus, 440).open()
        try:
            await asyncio.sleep(0.5)
            await user.register_guest()
            accepted = await user.call("sip:bob@127.0.0.1:5096")
            invite = await wait_for(os.path.join(trace_dir, "callee.log"), r"INVITE sip:bob.*?m=audio (\d+) RTP/AVP")
            phone.pt = 96
            await phone.stream(("127.0.0.1", int(invite.group(1))), 4)
            web_heard, phone_heard = user.heard(), phone.heard()
            await user.handle.send({"request": "hangup"})
            await sip_event(user.handle, ("hangup",))
            _, errors = await asyncio.wait_for(callee.communicate(), 20)
            return accepted, web_heard, phone_heard, callee.returncode, errors
        finally:
            phone.close()
            await user.close()

    try:
        accepted, web_heard, phone_heard, status, errors = run(body(), timeout=60)
    finally:
        shutil.rmtree(trace_dir, ignore_errors=True)
    assert accepted["result"]["codec"] == "opus" and accepted["result"]["transcoding"] is False
    assert tone_db(*web_heard, 800) - tone_db(*web_heard, 440) >= 20
    assert tone_db(*phone_heard, 440) - tone_db(*phone_heard, 800) >= 20
    assert status == 0, errors.decode(errors="replace")[-1000:]
    assert janus.alive()


def test_the_web_phone_page_calls_a_phone(janus):
    """html/phone.html in headless Chromium (fake microphone) registers as a guest and calls a
    PCMU phone: the phone receives the browser's audio, the browser decodes the phone's."""
    trace_dir = tempfile.mkdtemp(prefix="sylk-sipgw-")
    top = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

    async def body():
        phone = await RtpPeer("pcmu", 600).open()
        callee = await sipp_uas("callee_codec.xml", 5098, trace_dir, "callee", ("rtpport", phone.port),
                                ("pt", 0), ("rtpmap", "PCMU/8000"))
        try:
            browser = await spawn(
                "node", os.path.join(top, "tests", "browser", "phone_test.mjs"), janus.http_url + "phone.html",
                "sip:bob@127.0.0.1:5098", stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
            invite = await wait_for(os.path.join(trace_dir, "callee.log"), r"INVITE sip:bob.*?m=audio (\d+) RTP/AVP",
                                    timeout=40)
            streaming = asyncio.ensure_future(phone.stream(("127.0.0.1", int(invite.group(1))), 6))
            output, errors = await asyncio.wait_for(browser.communicate(), 90)
            await streaming
            await asyncio.wait_for(callee.communicate(), 20)
            printed = script_result(output, errors)
            return printed, phone.packets_in, phone.heard(), callee.returncode
        finally:
            phone.close()

    try:
        result, packets, phone_heard, status = run(body(), timeout=150)
    finally:
        shutil.rmtree(trace_dir, ignore_errors=True)
    assert "error" not in result, json.dumps(result, indent=1)
    assert result["statusInCall"].startswith("in a call (pcmu, transcoded"), result
    assert result["second"]["audioBytes"] > result["first"]["audioBytes"] > 0, result
    assert result["second"]["audioEnergy"] > 0, result        # decoded sound, not silence
    assert packets > 100, packets                              # the browser's microphone reached the phone
    # a request's answer precedes the events it causes: "calling" before "accepted", "hangingup"
    # before "hangup" (the call history's "call" event may follow once the call is journaled)
    assert result["events"][:3] == ["registered", "calling", "accepted"], result
    assert [event for event in result["events"] if event != "call"][-2:] == ["hangingup", "hangup"], result
    assert status == 0
    assert janus.alive()
