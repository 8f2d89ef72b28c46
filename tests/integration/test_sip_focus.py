"""SIP phones in rooms (janus.plugin.sylk.sip as the focus), driven by sipp: a call into a
room joins its audio mixer (the phone and a WebRTC participant hear each other), the phone's
MESSAGE reaches the video room's chat, and what a room cannot take is refused."""
import asyncio
import os
import re
import shutil
import socket
import subprocess
import tempfile
import uuid
import wave

import numpy
import pytest

from conftest import run
from harness.janus_api import Admin, Session
from harness.processes import spawn
from harness.rtp_peer import RtpPeer
from test_audiomixer import Voice, tone_db

SCENARIOS = os.path.join(os.path.dirname(__file__), "sip")
FOCUS = "127.0.0.1:5060"
FOCUS_ADDRESS = ("127.0.0.1", 5060)


async def sipp(scenario, trace_dir, *sets, host="127.0.0.1", log="messages.log"):
    """A sipp phone on host calling the focus (over IPv6 when host is)."""
    focus = "[::1]:5060" if ":" in host else FOCUS
    arguments = ["sipp", focus, "-sf", os.path.join(SCENARIOS, scenario), "-m", "1", "-i", host, "-p", "0",
                 "-nostdin", "-timeout", "60s", "-trace_msg", "-message_file", os.path.join(trace_dir, log)]
    for name, value in sets:
        arguments += ["-set", name, str(value)]
    return await spawn(*arguments, cwd=trace_dir, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)


async def wait_for(path, pattern, timeout=15):
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        if os.path.exists(path):
            match = re.search(pattern, open(path, errors="replace").read(), re.S)
            if match:
                return match
        await asyncio.sleep(0.1)
    raise AssertionError("no %r in %s" % (pattern, path))


def test_phone_calls_a_room_and_talks_with_the_web(janus):
    trace_dir = tempfile.mkdtemp(prefix="sylk-sipp-")

    async def body():
        ann = Voice(janus, "sip-room", "Ann", 440)
        phone = await RtpPeer("pcmu", 600).open()
        session = await Session.create(janus.ws_url)
        admin = await Admin.open(janus.admin_url, janus.admin_secret)
        try:
            web = await session.attach("janus.plugin.sylk.videoroom")
            await web.send({"request": "join", "ptype": "publisher", "room": "sip-room", "display": "Web"})
            await ann.join()
            call = await sipp("room_call.xml", trace_dir, ("room", "sip-room"), ("rtpport", phone.port))
            answer = await wait_for(os.path.join(trace_dir, "messages.log"),
                                    r"SIP/2\.0 200 OK.*?Contact: ([^\r\n]*).*?m=audio (\d+) RTP/AVP (\d+)")
            contact, port, pt = answer.group(1), int(answer.group(2)), int(answer.group(3))
            await phone.stream(("127.0.0.1", port), 3)
            ann_heard, phone_heard = ann.heard(), phone.heard()
            chat = await web.next_event(predicate=lambda e: "message" in e.get("plugindata", {}).get("data", {}))
            await web.send({"request": "message", "text": "hello phone"})  # to the phone as CPIM (checked by sipp)
            during = await admin.message_plugin("janus.plugin.sylk.audiomixer", {"request": "list"})
            _, errors = await asyncio.wait_for(call.communicate(), 30)
            sipp_status = call.returncode
            await asyncio.sleep(0.5)
            after = await admin.message_plugin("janus.plugin.sylk.audiomixer", {"request": "list"})
            sip_status = await admin.message_plugin("janus.plugin.sylk.sip", {"request": "status"})
            os.rename(os.path.join(trace_dir, "messages.log"), os.path.join(trace_dir, "call.log"))
            refusals = await sipp("refusals.xml", trace_dir, ("room", "sip-room"))
            try:
                _, refusal_errors = await asyncio.wait_for(refusals.communicate(), 30)
            except asyncio.TimeoutError:
                refusals.kill()
                raise AssertionError("refusals scenario stuck:\n" + open(os.path.join(trace_dir, "messages.log"), errors="replace").read()[-3000:])
            return (contact, pt, ann_heard, phone_heard, chat, during, after, sipp_status, errors,
                    sip_status, refusals.returncode, refusal_errors)
        finally:
            phone.close()
            await ann.close()
            await admin.close()
            await session.close()

    try:
        (contact, pt, ann_heard, phone_heard, chat, during, after, sipp_status, errors, sip_status,
         refusal_status, refusal_errors) = run(body(), timeout=120)
    finally:
        shutil.rmtree(trace_dir, ignore_errors=True)
    assert sipp_status == 0, errors.decode(errors="replace")[-1000:]
    assert "isfocus" in contact and "sip-room" in contact
    assert pt == 0  # G.729 offered first, PCMU chosen
    samples, rate = ann_heard
    assert tone_db(samples, rate, 600) > 120                      # Ann hears the phone
    samples, rate = phone_heard
    assert tone_db(samples, rate, 440) - tone_db(samples, rate, 600) >= 30  # the phone hears Ann, not itself
    message = chat["plugindata"]["data"]["message"]
    assert message["text"] == "hello from the phone" and message["display"] == "Phone"
    assert message["origin"] == "janus.plugin.sylk.sip"
    room = lambda listing: next(r for r in listing["list"] if r["room"] == "sip-room")
    assert "Phone" in [p["display"] for p in room(during)["participants"]]
    assert "Phone" not in [p["display"] for p in room(after)["participants"]]  # BYE left the room
    assert sip_status["focus"]["calls_answered"] >= 1 and sip_status["focus"]["active_calls"] == 0
    assert refusal_status == 0, refusal_errors.decode(errors="replace")[-1000:]
    assert janus.alive()


def test_conference_state_subscription(janus):
    """SUBSCRIBE Event: conference gets RFC 4575 NOTIFYs that validate against the RFC's schema,
    with a new version on a web participant's join and leave and an audio participant's join and
    mute (its audio becomes recvonly); other packages get 489."""
    trace_dir = tempfile.mkdtemp(prefix="sylk-sipp-")
    log = os.path.join(trace_dir, "messages.log")

    async def notifies(count):
        # The first count NOTIFY bodies. One pattern found repeatedly, not one pattern with count
        # nested lazy groups: that one backtracks for tens of seconds on a trace that does not
        # match yet, and the wait times out inside a single search.
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 15
        while loop.time() < deadline:
            if os.path.exists(log):
                found = re.findall(r"NOTIFY sip:.*?(<\?xml.*?</conference-info>)", open(log, errors="replace").read(), re.S)
                if len(found) >= count:
                    return tuple(found[:count])
            await asyncio.sleep(0.1)
        raise AssertionError("fewer than %d NOTIFYs with conference-info in %s" % (count, log))

    async def body():
        session = await Session.create(janus.ws_url)
        ann = Voice(janus, "state-room", "Ann", 440)
        try:
            watcher = await sipp("subscribe_conference.xml", trace_dir, ("room", "state-room"))
            await notifies(1)
            web = await session.attach("janus.plugin.sylk.videoroom")
            await web.send({"request": "join", "ptype": "publisher", "room": "state-room", "display": "Web & Co"})
            await notifies(2)
            await web.send({"request": "leave"})
            await notifies(3)
            await ann.join()                                   # the audio mixer's participant
            await notifies(4)
            await ann.handle.send({"request": "configure", "muted": True})
            bodies = await notifies(5)
            _, errors = await asyncio.wait_for(watcher.communicate(), 30)
            return bodies, watcher.returncode, errors, open(log, errors="replace").read()
        finally:
            await ann.close()
            await session.close()

    try:
        bodies, status, errors, trace = run(body(), timeout=60)
        assert status == 0, errors.decode(errors="replace")[-1000:]
        schema = os.path.join(SCENARIOS, "conference-info.xsd")
        for n, xml in enumerate(bodies):
            path = os.path.join(trace_dir, "notify%d.xml" % n)
            with open(path, "w") as f:
                f.write(xml)
            check = subprocess.run(["xmllint", "--noout", "--schema", schema, path], capture_output=True, text=True)
            assert check.returncode == 0, check.stderr + xml
        versions = [int(re.search(r'version="(\d+)"', xml).group(1)) for xml in bodies]
        assert versions == [1, 2, 3, 4, 5], versions
        assert "Web &amp; Co" not in bodies[0] and "Web &amp; Co" in bodies[1] and "Web &amp; Co" not in bodies[2]
        assert "<user-count>1</user-count>" in bodies[1]
        assert "<display-text>Ann</display-text>" in bodies[3] and "<status>sendrecv</status></media>" in bodies[3]
        assert "<display-text>Ann</display-text>" in bodies[4] and "<status>recvonly</status></media>" in bodies[4]
        assert "Subscription-State: terminated" in trace
    finally:
        shutil.rmtree(trace_dir, ignore_errors=True)
    assert janus.alive()


def test_hold_leaves_the_mix_and_silence_ends_the_call(janus):
    """A phone that holds the call is out of the mix (its tone no longer reaches the room) and is
    not timed out while held; once resumed and silent, the focus hangs up (RTP timeout, 6 s in
    tests)."""
    trace_dir = tempfile.mkdtemp(prefix="sylk-sipp-")
    log = os.path.join(trace_dir, "messages.log")

    async def body():
        ann = Voice(janus, "hold-room", "Ann", 440)
        phone = await RtpPeer("pcmu", 600).open()
        try:
            await ann.join()
            call = await sipp("room_hold.xml", trace_dir, ("room", "hold-room"), ("rtpport", phone.port))
            answer = await wait_for(log, r"SIP/2\.0 200 OK.*?m=audio (\d+) RTP/AVP")
            address = ("127.0.0.1", int(answer.group(1)))
            await phone.stream(address, 2)
            before = ann.heard()
            await wait_for(log, r"a=recvonly", timeout=10)     # held
            await phone.stream(address, 3)
            during = ann.heard()
            _, errors = await asyncio.wait_for(call.communicate(), 40)   # BYE from the focus ends it
            return before, during, call.returncode, errors, open(log, errors="replace").read()
        finally:
            phone.close()
            await ann.close()

    try:
        before, during, status, errors, trace = run(body(), timeout=70)
    finally:
        shutil.rmtree(trace_dir, ignore_errors=True)
    assert tone_db(*before, 600) > 120                                   # heard before the hold
    assert tone_db(*before, 600) - tone_db(*during, 600) >= 30, (tone_db(*before, 600), tone_db(*during, 600))
    assert status == 0, errors.decode(errors="replace")[-1000:]         # incl. the BYE after the timeout
    assert "RTP timeout" in trace
    assert janus.alive()


def test_call_over_tls(janus):
    """The focus listens for SIP over TLS (a self-signed pair in tests): sipp reaches it through a
    socat tunnel (TCP in, TLS out, certificate checked against our own), calls a room and hangs up."""
    trace_dir = tempfile.mkdtemp(prefix="sylk-sipp-")
    certificate = os.path.join(os.path.dirname(janus.run_dir), "sip-tls", "certificate.pem")

    async def body():
        tunnel = await spawn(
            "socat", "TCP-LISTEN:5063,bind=127.0.0.1,reuseaddr",
            "OPENSSL:127.0.0.1:5081,cafile=%s,commonname=localhost" % certificate,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
        phone = await RtpPeer("pcmu", 600).open()
        try:
            await asyncio.sleep(0.5)
            arguments = ["sipp", "127.0.0.1:5063", "-t", "t1", "-sf", os.path.join(SCENARIOS, "tls_call.xml"),
                         "-m", "1", "-i", "127.0.0.1", "-p", "0", "-nostdin", "-timeout", "30s", "-trace_msg",
                         "-message_file", os.path.join(trace_dir, "messages.log"),
                         "-set", "room", "tls-room", "-set", "rtpport", str(phone.port)]
            call = await spawn(*arguments, cwd=trace_dir, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
            _, errors = await asyncio.wait_for(call.communicate(), 40)
            return call.returncode, errors, open(os.path.join(trace_dir, "messages.log"), errors="replace").read()
        finally:
            phone.close()
            if tunnel.returncode is None:
                tunnel.terminate()
                await tunnel.wait()

    try:
        status, errors, trace = run(body(), timeout=60)
    finally:
        shutil.rmtree(trace_dir, ignore_errors=True)
    assert status == 0, errors.decode(errors="replace")[-1000:] + trace[-2000:]
    assert re.search(r"SIP/2\.0 200 OK.*?;isfocus", trace, re.S)
    assert "TCP message sent" in trace and "Via: SIP/2.0/TLS" in trace  # TCP into the tunnel, TLS out of it
    assert janus.alive()


BARESIP_CONFIG = """poll_method\tepoll
sip_listen\t127.0.0.1:5090
audio_player\taufile,/dev/null
audio_source\tausine,{frequency}
audio_alert\taufile,/dev/null
ausrc_srate\t48000
auplay_srate\t48000
ausrc_channels\t2
auplay_channels\t2
module_path\t/usr/lib/baresip/modules
module\tg711.so
module\tausine.so
module\taufile.so
module\tsrtp.so
module\tsndfile.so
snd_path\t{dump}
module_app\taccount.so
module_app\tmenu.so
"""


def baresip_heard(folder):
    """What baresip decoded from the call: the sndfile module's dump (dump-...-dec.wav), as
    float samples of its first channel, and their rate."""
    dumps = [name for name in os.listdir(folder) if name.startswith("dump-") and name.endswith("-dec.wav")]
    assert len(dumps) == 1, os.listdir(folder)
    with wave.open(os.path.join(folder, dumps[0])) as dump:
        assert dump.getsampwidth() == 2, dump.getsampwidth()
        frames = numpy.frombuffer(dump.readframes(dump.getnframes()), dtype="<i2")
        channels, rate = dump.getnchannels(), dump.getframerate()
    return frames.reshape(-1, channels)[:, 0].astype(numpy.float64), rate


def test_baresip_calls_a_room_over_sdes_srtp(janus):
    """baresip (headless, SRTP mandatory, a 600 Hz sine) calls a room: the focus answers
    RTP/SAVP with its own key, and audio flows both ways: a WebRTC participant of the room
    (Ann, a 440 Hz tone) hears the phone's 600 Hz, and the phone decodes Ann's 440 Hz (baresip's
    sndfile dump of what it decoded)."""
    config = tempfile.mkdtemp(prefix="sylk-baresip-")
    with open(os.path.join(config, "config"), "w") as f:
        f.write(BARESIP_CONFIG.format(frequency=600, dump=config))
    with open(os.path.join(config, "accounts"), "w") as f:
        f.write("<sip:baresip@127.0.0.1>;regint=0;mediaenc=srtp-mand;audio_codecs=PCMU/8000\n")

    async def body():
        ann = Voice(janus, "srtp-room", "Ann", 440)
        try:
            await ann.join()
            phone = await spawn(
                "baresip", "-f", config, "-e", "/dial sip:srtp-room@127.0.0.1:5060", "-t", "7", cwd=config,
                stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
            await asyncio.sleep(5)
            heard = ann.heard()
            output, _ = await asyncio.wait_for(phone.communicate(), 20)
            return heard, output.decode(errors="replace"), baresip_heard(config)
        finally:
            await ann.close()

    try:
        heard, output, phone_heard = run(body(), timeout=60)
    finally:
        shutil.rmtree(config, ignore_errors=True)
    assert "SRTP is Enabled" in output, output[-2000:]
    samples, rate = heard
    assert tone_db(samples, rate, 600) > 120, (tone_db(samples, rate, 600), output[-1500:])   # Ann hears baresip
    # baresip hears Ann: the last 2 s of its decoded audio (the call is up by then) hold her
    # 440 Hz, far above a frequency nobody sends, and not its own 600 Hz (mix-minus)
    decoded, decoded_rate = phone_heard
    tail = decoded[-2 * decoded_rate:]
    assert len(tail) == 2 * decoded_rate, len(decoded)
    ann_db, silence_db, own_db = (tone_db(tail, decoded_rate, f) for f in (440, 1000, 600))
    print("baresip decoded: 440 Hz %.1f dB, 1000 Hz %.1f dB, 600 Hz %.1f dB" % (ann_db, silence_db, own_db))
    assert ann_db > 120 and ann_db > silence_db + 30 and ann_db > own_db + 30, (ann_db, silence_db, own_db)
    assert janus.alive()


def test_refer_invites_a_third_party_and_removes_it(janus):
    """RFC 4579: a REFER to the room with method=INVITE makes the focus call the target (sipp
    UAS) into the room — 202, then sipfrag NOTIFYs up to 200 OK — and the room hears it; a
    REFER with method=BYE hangs it up. (REFERs are taken from trusted_peers, loopback by
    default, and from the room's own participants; others get 403.)"""
    trace_dir = tempfile.mkdtemp(prefix="sylk-sipp-")

    def refer(method, source="127.0.0.1"):
        """A REFER to the room from a raw UDP socket (RFC 3515 lets NOTIFYs overtake the 202,
        which scripted UAs trip over): answers every NOTIFY, returns the final status of the
        REFER and the sipfrags in order, up to the one that ends the subscription."""
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.bind((source, 0))
            s.settimeout(10)
            port = s.getsockname()[1]
            request = ("REFER sip:refer-room@127.0.0.1:5060 SIP/2.0\r\n"
                       "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK%s;rport\r\n"
                       "From: <sip:moderator@127.0.0.1:%d>;tag=%s\r\n"
                       "To: <sip:refer-room@127.0.0.1:5060>\r\n"
                       "Call-ID: %s\r\nCSeq: 1 REFER\r\nContact: <sip:moderator@127.0.0.1:%d>\r\n"
                       "Refer-To: <sip:bob@127.0.0.1:5078;method=%s>\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
                       % (port, uuid.uuid4().hex[:10], port, uuid.uuid4().hex[:8], uuid.uuid4().hex, port, method)
                       ).replace("127.0.0.1:%d" % port, "%s:%d" % (source, port))
            s.sendto(request.encode(), FOCUS_ADDRESS)
            status, fragments = None, []
            while True:
                data, address = s.recvfrom(65535)
                text = data.decode(errors="replace")
                head, _, body = text.partition("\r\n\r\n")
                if head.startswith("SIP/2.0"):
                    code = int(head.split()[1])
                    if code >= 300:
                        return code, []
                    if code >= 200:
                        status = code
                    continue
                if head.startswith("NOTIFY"):
                    echoed = [line for line in head.split("\r\n")[1:]
                              if line.split(":")[0].lower() in ("via", "from", "to", "call-id", "cseq")]
                    s.sendto(("SIP/2.0 200 OK\r\n" + "\r\n".join(echoed) + "\r\nContent-Length: 0\r\n\r\n").encode(),
                             address)
                    fragments.append(body.split("\r\n")[0])
                    if "terminated" in head:
                        return status, fragments

    async def body():
        ann = Voice(janus, "refer-room", "Ann", 440)
        bob = await RtpPeer("pcmu", 600).open()
        target = await spawn(
            "sipp", "-sf", os.path.join(SCENARIOS, "refer_target.xml"), "-m", "1", "-i", "127.0.0.1", "-p", "5078",
            "-nostdin", "-timeout", "60s", "-trace_msg", "-message_file", os.path.join(trace_dir, "bob.log"),
            "-set", "rtpport", str(bob.port), cwd=trace_dir, stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE)
        try:
            await ann.join()
            await asyncio.sleep(0.5)
            loop = asyncio.get_running_loop()
            stranger = await loop.run_in_executor(None, refer, "INVITE", "10.77.0.2")  # not trusted, not in the room
            invited = await loop.run_in_executor(None, refer, "INVITE")
            offer = await wait_for(os.path.join(trace_dir, "bob.log"), r"INVITE sip:bob.*?m=audio (\d+) RTP/AVP 0")
            await bob.stream(("127.0.0.1", int(offer.group(1))), 3)
            heard, bob_heard = ann.heard(), bob.heard()
            removed = await loop.run_in_executor(None, refer, "BYE")
            _, errors = await asyncio.wait_for(target.communicate(), 20)
            return stranger, invited, heard, bob_heard, removed, target.returncode, errors
        finally:
            bob.close()
            await ann.close()

    try:
        stranger, invited, heard, bob_heard, removed, status, errors = run(body(), timeout=90)
    finally:
        shutil.rmtree(trace_dir, ignore_errors=True)
    assert stranger == (403, []), stranger
    assert invited[0] == 202 and invited[1][-1] == "SIP/2.0 200 OK", invited
    assert tone_db(*heard, 600) > 120                                      # the room hears bob
    assert tone_db(*bob_heard, 440) - tone_db(*bob_heard, 600) >= 30       # bob hears the room
    assert removed == (202, ["SIP/2.0 200 OK"]) or (removed[0] == 202 and removed[1][-1] == "SIP/2.0 200 OK"), removed
    assert status == 0, errors.decode(errors="replace")[-1000:]           # bob got the focus's BYE
    assert janus.alive()


@pytest.mark.parametrize("codec,pt,rtpmap,tone", [("g722", 9, "G722/8000", 700), ("opus", 111, "opus/48000/2", 800)])
def test_phones_with_g722_and_opus_talk_with_the_room(janus, codec, pt, rtpmap, tone):
    """A phone with only G.722 (or only Opus) calls a room where an aiortc participant is:
    each hears the other's tone (decoded, FFT)."""
    trace_dir = tempfile.mkdtemp(prefix="sylk-sipp-")

    async def body():
        ann = Voice(janus, "codec-room-" + codec, "Ann", 440)
        phone = await RtpPeer(codec, tone).open()
        phone.decode_opus = True
        try:
            await ann.join()
            call = await sipp("codec_call.xml", trace_dir, ("room", "codec-room-" + codec), ("rtpport", phone.port),
                              ("pt", pt), ("rtpmap", rtpmap))
            answer = await wait_for(os.path.join(trace_dir, "messages.log"),
                                    r"SIP/2\.0 200 OK.*?m=audio (\d+) RTP/AVP (\d+)")
            await phone.stream(("127.0.0.1", int(answer.group(1))), 3)
            heard, phone_heard = ann.heard(), phone.heard()
            _, errors = await asyncio.wait_for(call.communicate(), 30)
            return int(answer.group(2)), heard, phone_heard, call.returncode, errors
        finally:
            phone.close()
            await ann.close()

    try:
        answered_pt, heard, phone_heard, status, errors = run(body(), timeout=60)
    finally:
        shutil.rmtree(trace_dir, ignore_errors=True)
    assert answered_pt == pt
    assert tone_db(*heard, tone) - tone_db(*heard, 440) >= 20, (tone_db(*heard, tone), tone_db(*heard, 440))
    assert tone_db(*phone_heard, 440) - tone_db(*phone_heard, tone) >= 20, (tone_db(*phone_heard, 440),
                                                                         tone_db(*phone_heard, tone))
    assert status == 0, errors.decode(errors="replace")[-1000:]
    assert janus.alive()


def test_a_message_that_is_not_utf8_is_refused(janus):
    """Room chat is JSON text: a phone's MESSAGE in Latin-1 gets 400 rather than a 200 for a
    message no participant would get."""
    trace_dir = tempfile.mkdtemp(prefix="sylk-sipp-")
    with open(os.path.join(SCENARIOS, "room_call.xml"), encoding="latin-1") as original:
        scenario = original.read()
    variant, replaced = re.subn(r'hello from the phone(.*?)<recv response="200" />.*?(<pause milliseconds="1000" />\s*'
                                r'<send retrans="500">\s*<!\[CDATA\[\s*BYE)',
                                lambda m: "caf\xe9 from the phone" + m.group(1) + '<recv response="400" />\n  ' + m.group(2),
                                scenario, flags=re.S)
    assert replaced == 1
    variant = variant.replace('<Reference variables="cpim,sender,text,timer" />', '<Reference variables="timer" />')
    with open(os.path.join(trace_dir, "latin1_call.xml"), "w", encoding="latin-1") as out:
        out.write(variant)

    async def body():
        phone = await RtpPeer("pcmu", 600).open()
        try:
            call = await spawn("sipp", FOCUS, "-sf", os.path.join(trace_dir, "latin1_call.xml"), "-m", "1",
                               "-i", "127.0.0.1", "-p", "0", "-nostdin", "-timeout", "30s", "-trace_msg",
                               "-message_file", os.path.join(trace_dir, "messages.log"), "-set", "room", "latin1-room",
                               "-set", "rtpport", str(phone.port), cwd=trace_dir,
                               stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
            _, errors = await asyncio.wait_for(call.communicate(), 40)
            return call.returncode, errors, open(os.path.join(trace_dir, "messages.log"), errors="replace").read()
        finally:
            phone.close()

    try:
        status, errors, log = run(body(), timeout=60)
    finally:
        shutil.rmtree(trace_dir, ignore_errors=True)
    assert status == 0, errors.decode(errors="replace")[-1000:] + log[-2000:]
    assert 'Warning: 399 sylk "the text must be UTF-8"' in log
    assert janus.alive()
