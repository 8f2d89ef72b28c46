"""SylkServer's SIP applications on janus.plugin.sylk.sip, with sipp phones: a call to echo
hears its own tone back (under another SSRC), a call to a playback URI hears the configured
file and gets the BYE at its end, a MESSAGE to echo gets its delivery IMDN and a quoting reply,
and a chat call to echo (m=message, MSRP with the test peer) gets each message back."""
import asyncio
import atexit
import base64
import math
import os
import re
import socket
import shutil
import subprocess
import tempfile
import wave

import numpy

from conftest import run
from harness.janus_api import Admin
from harness.msrp_peer import MsrpEndpoint, cpim, parse_cpim, parse_path
from harness.processes import spawn
from harness.rtp_peer import RtpPeer
from test_audiomixer import tone_db
from test_sip_focus import SCENARIOS, sipp, wait_for
from test_sip_msrp_chat import answered, attribute
from test_sip_msrp_chat import sipp as chat_sipp

CLIP_SECONDS, CLIP_TONE = 1.5, 700
CLIP_DIR = tempfile.mkdtemp(prefix="sylk-playback-")
atexit.register(shutil.rmtree, CLIP_DIR, True)
CLIP = os.path.join(CLIP_DIR, "tone.wav")


def write_clip():
    """1.5 s of a 700 Hz tone at 22050 Hz, stereo: resampled and downmixed for every codec."""
    rate = 22050
    t = numpy.arange(int(CLIP_SECONDS * rate)) / rate
    tone = (numpy.sin(2 * math.pi * CLIP_TONE * t) * 12000).astype(numpy.int16)
    with wave.open(CLIP, "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(numpy.repeat(tone, 2).tobytes())


write_clip()
# the same clip as Ogg Opus (RFC 7845), made by opus-tools' opusenc, not by the library that reads it
OGG_CLIP = os.path.join(CLIP_DIR, "tone.opus")
subprocess.run(["opusenc", "--quiet", "--bitrate", "48", CLIP, OGG_CLIP], check=True)
SIP_OPTIONS = {"playback_uris": "welcome=%s,oggwelcome=%s" % (CLIP, OGG_CLIP)}


class SsrcPeer(RtpPeer):
    """An RtpPeer that also keeps the SSRCs it receives."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.ssrcs = set()

    def datagram_received(self, data, addr):
        if len(data) >= 12:
            self.ssrcs.add(int.from_bytes(data[8:12], "big"))
        super().datagram_received(data, addr)


async def finished(process, trace_dir, timeout=30):
    try:
        _, errors = await asyncio.wait_for(process.communicate(), timeout)
    except asyncio.TimeoutError:
        process.kill()
        raise AssertionError("sipp stuck:\n" + open(os.path.join(trace_dir, "messages.log"), errors="replace").read()[-3000:])
    assert process.returncode == 0, errors.decode(errors="replace")[-1500:]


def test_echo_call_hears_its_own_tone(janus):
    trace_dir = tempfile.mkdtemp(prefix="sylk-sipp-")

    async def body():
        phone = await SsrcPeer("pcmu", 600).open()
        try:
            call = await sipp("app_call.xml", trace_dir, ("app", "echo"), ("rtpport", phone.port), ("pt", 0),
                              ("rtpmap", "PCMU/8000"))
            answer = await wait_for(os.path.join(trace_dir, "messages.log"), r"SIP/2\.0 200 OK.*?m=audio (\d+) RTP/AVP 0")
            await phone.stream(("127.0.0.1", int(answer.group(1))), 1.5)
            heard = phone.heard()
            await finished(call, trace_dir)
            return heard, phone.ssrcs, phone.ssrc
        finally:
            phone.close()

    try:
        (samples, rate), ssrcs, own = run(body(), timeout=60)
    finally:
        shutil.rmtree(trace_dir, ignore_errors=True)
    assert tone_db(samples, rate, 600) - tone_db(samples, rate, 1000) >= 30  # the tone came back
    assert tone_db(samples, rate, 600) > 100
    assert ssrcs and own not in ssrcs  # reflected as a stream of the echo's own


def test_echo_call_over_sdes_srtp_hears_its_own_tone(janus):
    """An RTP/SAVP offer with a=crypto (RFC 4568) to echo: answered RTP/SAVP with the echo's own
    key, and the tone the phone encrypts comes back encrypted with that key."""
    trace_dir = tempfile.mkdtemp(prefix="sylk-sipp-")
    phone_key = base64.b64encode(os.urandom(30)).decode()

    async def body():
        phone = await SsrcPeer("pcmu", 600).open()
        try:
            call = await sipp("app_call_srtp.xml", trace_dir, ("app", "echo"), ("rtpport", phone.port), ("pt", 0),
                              ("rtpmap", "PCMU/8000"), ("key", phone_key))
            answer = await wait_for(os.path.join(trace_dir, "messages.log"),
                                    r"SIP/2\.0 200 OK.*?m=audio (\d+) RTP/SAVP 0.*?a=crypto:1 AES_CM_128_HMAC_SHA1_80 "
                                    r"inline:([A-Za-z0-9+/=]{40})")
            assert answer.group(2) != phone_key
            phone.use_srtp(phone_key, answer.group(2))
            await phone.stream(("127.0.0.1", int(answer.group(1))), 1.5)
            heard = phone.heard()
            await finished(call, trace_dir)
            return heard, phone.packets_in, phone.srtp_failures
        finally:
            phone.close()

    try:
        (samples, rate), packets, failures = run(body(), timeout=60)
    finally:
        shutil.rmtree(trace_dir, ignore_errors=True)
    assert packets >= 50 and failures == 0, (packets, failures)  # every packet back authenticated
    assert tone_db(samples, rate, 600) - tone_db(samples, rate, 1000) >= 30  # the tone came back
    assert tone_db(samples, rate, 600) > 100


def test_playback_plays_an_ogg_opus_file(janus):
    """The playback URI of an Ogg Opus file (opusenc's): the caller hears its tone, all of it."""
    trace_dir = tempfile.mkdtemp(prefix="sylk-sipp-")

    async def body():
        phone = await RtpPeer("pcmu", 440).open()
        try:
            call = await sipp("playback_call.xml", trace_dir, ("app", "oggwelcome"), ("rtpport", phone.port),
                              ("pt", 0), ("rtpmap", "PCMU/8000"))
            await finished(call, trace_dir)
            return phone.heard(1.0), phone.packets_in
        finally:
            phone.close()

    try:
        (samples, rate), packets = run(body(), timeout=60)
    finally:
        shutil.rmtree(trace_dir, ignore_errors=True)
    assert tone_db(samples, rate, CLIP_TONE) - tone_db(samples, rate, 440) >= 30  # the file's tone, heard
    assert tone_db(samples, rate, CLIP_TONE) > 100
    assert abs(packets - CLIP_SECONDS * 50) <= 3  # the whole clip (Ogg Opus pads up to a 20 ms frame)


def test_playback_plays_the_file_and_hangs_up(janus):
    trace_dir = tempfile.mkdtemp(prefix="sylk-sipp-")

    async def body():
        phone = await RtpPeer("g722", 440).open()
        try:
            loop = asyncio.get_running_loop()
            started = loop.time()
            call = await sipp("playback_call.xml", trace_dir, ("app", "welcome"), ("rtpport", phone.port), ("pt", 9),
                              ("rtpmap", "G722/8000"))
            await finished(call, trace_dir)
            return phone.heard(1.0), phone.packets_in, loop.time() - started
        finally:
            phone.close()

    try:
        (samples, rate), packets, seconds = run(body(), timeout=60)
    finally:
        shutil.rmtree(trace_dir, ignore_errors=True)
    assert tone_db(samples, rate, CLIP_TONE) - tone_db(samples, rate, 440) >= 30  # the file's tone, heard
    assert tone_db(samples, rate, CLIP_TONE) > 100
    assert abs(packets - CLIP_SECONDS * 50) <= 2     # the whole clip, 20 ms packets
    assert CLIP_SECONDS <= seconds < CLIP_SECONDS + 3  # the BYE came at its end


def test_message_to_echo_gets_an_imdn_and_a_quoting_reply(janus):
    trace_dir = tempfile.mkdtemp(prefix="sylk-sipp-")
    inbox_log = os.path.join(trace_dir, "inbox.log")

    async def body():
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:  # a free port for the inbox
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        inbox = await spawn("sipp", "-sf", os.path.join(SCENARIOS, "message_inbox.xml"), "-m", "2", "-i", "127.0.0.1",
                            "-p", str(port), "-nostdin", "-timeout", "30s", "-trace_msg", "-message_file", inbox_log,
                            cwd=trace_dir, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
        sender = await sipp("echo_message.xml", trace_dir, ("app", "echo"), ("inbox", "127.0.0.1:%d" % port))
        await finished(sender, trace_dir)
        await finished(inbox, trace_dir)
        return open(inbox_log, errors="replace").read()

    try:
        received = run(body(), timeout=60)
    finally:
        shutil.rmtree(trace_dir, ignore_errors=True)
    chunks = [c.split("\n-----")[0] for c in received.split("received [")[1:]]
    messages = [c for c in chunks if c.split("\n", 2)[2].startswith("MESSAGE ")]
    assert len(messages) == 2, received[-3000:]
    imdn, reply = messages
    assert re.search(r"Content-Type: message/cpim", imdn)
    assert "<message-id>echo-test-1</message-id>" in imdn and "<delivered/>" in imdn
    assert re.search(r"From: <sip:echo@", reply) and re.search(r"Content-Type: text/plain", reply)
    assert reply.rstrip().endswith("> hello echo")
    assert janus.alive()


def test_echo_chat_call_sends_each_message_back(janus):
    """A chat-only call to echo: the peer's CPIM message comes back over MSRP with its text, from
    the echo URI, after the delivery IMDN it asked for; the BYE closes the msrp plugin's session."""
    trace_dir = tempfile.mkdtemp(prefix="sylk-sipp-")

    async def direct_sessions(admin):
        status = (await admin.message_plugin("janus.plugin.sylk.msrp", {"request": "status"}))["status"]
        return [entry["session"] for entry in status.get("direct", [])]

    async def body():
        peer = MsrpEndpoint("127.0.0.1")
        chat = peer.session()
        admin = await Admin.open(janus.admin_url, janus.admin_secret)
        try:
            call = await chat_sipp("chat_call.xml", trace_dir, ("room", "echo"), ("msrpport", chat.uri.port),
                                   ("msrpsession", chat.session_id), ("setup", "active"), call_ms=2000)
            caller, sdp = await answered(trace_dir)
            path = parse_path(attribute(sdp, "path"))
            assert re.search(r"^m=message [1-9]\d* TCP/MSRP \*", sdp, re.M), sdp
            assert path[0].session_id in await direct_sessions(admin)
            await chat.connect(remote_path=path)
            sent = await chat.send_message(cpim("hello echo chat", sender="Chatter <%s>" % caller,
                                                recipients=["sip:echo@127.0.0.1"], namespaces={"imdn": "urn:ietf:params:imdn"},
                                                headers=[("imdn.Message-ID", "echo-chat-1"),
                                                         ("imdn.Disposition-Notification", "positive-delivery")]),
                                           "message/cpim")
            assert sent.statuses == [200], sent.statuses
            back = await chat.wait_message(lambda m: (parse_cpim(m.body).content_type or "").startswith("text/plain"), timeout=10)
            imdn = await chat.wait_message(lambda m: b"<delivered/>" in m.body, timeout=10)
            await finished(call, trace_dir)
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 5
            while loop.time() < deadline and path[0].session_id in await direct_sessions(admin):
                await asyncio.sleep(0.1)
            return parse_cpim(back.body), imdn.body, await direct_sessions(admin), path[0].session_id
        finally:
            await peer.close()
            await admin.close()

    try:
        back, imdn, sessions, session = run(body(), timeout=60)
    finally:
        shutil.rmtree(trace_dir, ignore_errors=True)
    assert back.text() == "hello echo chat"
    assert back.header("From").startswith("<sip:echo@"), back.headers
    assert b"<message-id>echo-chat-1</message-id>" in imdn
    assert session not in sessions  # the BYE closed the echo's MSRP session
    assert janus.alive()
