"""Phones that speak only iLBC in a mixing room (janus.plugin.sylk.audiomixer, plain RTP legs as
the SIP focus makes them): one sends 30 ms frames (RFC 3952's default mode, "ilbc"), one 20 ms
frames ("ilbc20"), a third phone PCMU; each sends its own tone and must hear the other two and
not itself. What reaches the iLBC phones is decoded by ffmpeg's iLBC decoder (PyAV), an
implementation independent of ours; what they send was made by our encoder (ffmpeg cannot
encode iLBC; test_ilbc_codec.py checks those frames against ffmpeg on their own)."""
import asyncio
import os
import random
import struct
import subprocess
import tempfile

import av
import numpy

from conftest import BUILD, run
from harness.janus_api import Session
from harness.rtp_peer import RtpPeer

MIXER = "janus.plugin.sylk.audiomixer"
TOOL = os.path.join(BUILD, "tests", "integration", "ilbc_tool")
FRAME_BYTES = {20: 38, 30: 50}


class IlbcPhone(asyncio.DatagramProtocol):
    """Plain RTP with iLBC frames of our encoder; what comes back is kept as payloads and decoded
    with ffmpeg afterwards."""

    def __init__(self, workdir, milliseconds, frequency, pt):
        self.milliseconds, self.pt = milliseconds, pt
        t = numpy.arange(8000 * 4) / 8000
        raw, lbc = os.path.join(workdir, "in%d.s16" % milliseconds), os.path.join(workdir, "in%d.lbc" % milliseconds)
        (numpy.sin(2 * numpy.pi * frequency * t) * 10000).astype("<i2").tofile(raw)
        subprocess.run([TOOL, "encode", str(milliseconds), raw, lbc], check=True, timeout=30)
        data, size = open(lbc, "rb").read()[9:], FRAME_BYTES[milliseconds]
        self.frames = [data[i:i + size] for i in range(0, len(data), size)]
        # ffmpeg's decoder starts with its previous-frame LSFs at zero instead of RFC 3951's mean
        # (ilbc_decode_init leaves them so); a first frame with sound then drives its fixed-point
        # filters into saturation for good. One frame of coded silence first sets them as the RFC
        # does; our decoder and libwebrtc's start from the mean.
        silence_raw, silence_lbc = os.path.join(workdir, "zero.s16"), os.path.join(workdir, "zero%d.lbc" % milliseconds)
        numpy.zeros(8 * milliseconds, "<i2").tofile(silence_raw)
        subprocess.run([TOOL, "encode", str(milliseconds), silence_raw, silence_lbc], check=True, timeout=30)
        self.silence = open(silence_lbc, "rb").read()[9:]
        self.workdir = workdir
        self.payloads, self.timestamps = [], []
        self.sequence, self.timestamp, self.ssrc = random.randint(0, 65535), random.randint(0, 2**31), 4242 + pt

    async def open(self):
        loop = asyncio.get_running_loop()
        self.transport, _ = await loop.create_datagram_endpoint(lambda: self, local_addr=("127.0.0.1", 0))
        self.port = self.transport.get_extra_info("sockname")[1]
        return self

    def datagram_received(self, data, addr):
        if len(data) > 12 and data[1] & 0x7F == self.pt:
            self.timestamps.append(struct.unpack("!I", data[4:8])[0])
            self.payloads.append(data[12:])

    async def stream(self, address, seconds):
        loop = asyncio.get_running_loop()
        start, step = loop.time(), self.milliseconds / 1000
        for n in range(int(seconds / step)):
            await asyncio.sleep(max(0, start + n * step - loop.time()))
            header = struct.pack("!BBHII", 0x80, self.pt | (0x80 if n == 0 else 0), self.sequence & 0xFFFF,
                                 self.timestamp & 0xFFFFFFFF, self.ssrc)
            self.transport.sendto(header + self.frames[n % len(self.frames)], address)
            self.sequence += 1
            self.timestamp += 8 * self.milliseconds

    def heard(self, seconds=1.5):
        """The last seconds of what came back, through ffmpeg's decoder."""
        path = os.path.join(self.workdir, "heard%d.lbc" % self.milliseconds)
        with open(path, "wb") as out:
            out.write(b"#!iLBC%d\n" % self.milliseconds)
            out.write(self.silence + b"".join(self.payloads))
        container = av.open(path, format="ilbc")
        try:
            pcm = numpy.concatenate([f.to_ndarray().reshape(-1) for f in container.decode(audio=0)])
        finally:
            container.close()
        return pcm[-int(seconds * 8000):].astype(numpy.float64)

    def close(self):
        self.transport.close()


def band_db(samples, rate, frequency):
    power = numpy.abs(numpy.fft.rfft(samples * numpy.hanning(samples.size))) ** 2
    freqs = numpy.fft.rfftfreq(samples.size, 1 / rate)
    return 10 * numpy.log10(power[numpy.abs(freqs - frequency) < 25].sum() + 1e-9)


def test_ilbc_phones_of_both_modes_talk_with_a_pcmu_phone(janus):
    async def body(workdir):
        session = await Session.create(janus.ws_url)
        thirty, twenty = IlbcPhone(workdir, 30, 1000, 97), IlbcPhone(workdir, 20, 1400, 98)
        await thirty.open()
        await twenty.open()
        pam = await RtpPeer("pcmu", 600).open()
        try:
            joined = {}
            for name, port, codec, pt in (("Thirty", thirty.port, "ilbc", 97), ("Twenty", twenty.port, "ilbc20", 98),
                                          ("Pam", pam.port, "pcmu", 0)):
                handle = await session.attach(MIXER)
                joined[name], _ = await handle.send({"request": "join", "room": "ilbc-room", "display": name,
                                                     "codec": codec,
                                                     "rtp": {"ip": "127.0.0.1", "port": port, "payload_type": pt}})
            address = {name: (j["rtp"]["ip"], j["rtp"]["port"]) for name, j in joined.items()}
            await asyncio.gather(thirty.stream(address["Thirty"], 3), twenty.stream(address["Twenty"], 3),
                                 pam.stream(address["Pam"], 3))
            return joined, thirty, twenty, pam.heard(1.5)
        finally:
            thirty.close()
            twenty.close()
            pam.close()
            await session.close()

    with tempfile.TemporaryDirectory(prefix="sylk-ilbc-room-") as workdir:
        joined, thirty, twenty, pam_heard = run(body(workdir), timeout=60)
        assert all(j.get("audiobridge") == "joined" for j in joined.values()), joined
        # packetization: 50-byte frames every 240 timestamp units, 38-byte ones every 160
        assert thirty.payloads and all(len(p) == 50 for p in thirty.payloads)
        assert twenty.payloads and all(len(p) == 38 for p in twenty.payloads)
        steps30 = numpy.diff(numpy.array(thirty.timestamps, dtype=numpy.int64)) % 2**32
        steps20 = numpy.diff(numpy.array(twenty.timestamps, dtype=numpy.int64)) % 2**32
        assert numpy.median(steps30) == 240 and numpy.median(steps20) == 160, (steps30[:10], steps20[:10])
        heard = {"Thirty": (thirty.heard(), 8000), "Twenty": (twenty.heard(), 8000), "Pam": pam_heard}
        expectations = {"Thirty": (1000, [600, 1400]), "Twenty": (1400, [600, 1000]), "Pam": (600, [1000, 1400])}
        for name, (own, others) in expectations.items():
            samples, rate = heard[name]
            levels = {f: band_db(samples, rate, f) for f in [own] + others}
            assert min(levels[f] for f in others) - levels[own] >= 20, (name, levels)
    assert janus.alive()


def test_ilbc_only_phone_calls_a_room_through_the_sip_focus(janus):
    """sipp offers only iLBC with a=fmtp mode=20 (RFC 3952); the focus answers iLBC in that mode
    and puts the call in the room, where a WebRTC participant (aiortc, Opus) and the phone hear
    each other (FFT; the phone's side decoded by ffmpeg)."""
    from test_audiomixer import Voice, tone_db
    from test_sip_focus import sipp, wait_for

    async def body(workdir):
        ann = Voice(janus, "ilbc-focus-room", "Ann", 440)
        phone = await IlbcPhone(workdir, 20, 1000, 97).open()
        try:
            await ann.join()
            call = await sipp("ilbc_call.xml", workdir, ("room", "ilbc-focus-room"), ("rtpport", phone.port),
                              ("pt", 97), ("fmtp", "mode=20"))
            answer = await wait_for(os.path.join(workdir, "messages.log"),
                                    r"SIP/2\.0 200 OK.*?(m=audio (\d+) RTP/AVP 97.*?a=ptime:\d+)")
            await phone.stream(("127.0.0.1", int(answer.group(2))), 3)
            heard = ann.heard()
            _, errors = await asyncio.wait_for(call.communicate(), 30)
            return answer.group(1), heard, phone, call.returncode, errors
        finally:
            phone.close()
            await ann.close()

    with tempfile.TemporaryDirectory(prefix="sylk-ilbc-focus-") as workdir:
        media, heard, phone, status, errors = run(body(workdir), timeout=60)
        assert "a=rtpmap:97 iLBC/8000" in media and "a=fmtp:97 mode=20" in media and "a=ptime:20" in media, media
        assert phone.payloads and all(len(p) == 38 for p in phone.payloads)
        phone_heard = phone.heard()
        assert tone_db(*heard, 1000) - tone_db(*heard, 440) >= 20, (tone_db(*heard, 1000), tone_db(*heard, 440))
        assert band_db(phone_heard, 8000, 440) - band_db(phone_heard, 8000, 1000) >= 20
        assert status == 0, errors.decode(errors="replace")[-1000:]
    assert janus.alive()


def test_ilbc_only_phone_calls_a_web_user_through_the_gateway(janus):
    """The gateway transcodes: a phone offering only iLBC (no a=fmtp, so 30 ms frames) calls a
    web user (aiortc, Opus): the answer is iLBC mode=30, and each side hears the other's tone."""
    from test_audiomixer import tone_db
    from test_sip_focus import SCENARIOS, wait_for
    from test_sip_gateway import WebUser, sip_event
    from harness.processes import spawn

    with open(os.path.join(SCENARIOS, "call_web_user.xml")) as original:
        scenario = original.read()
    offer = "m=audio [$rtpport] RTP/AVP 9 101\n      a=rtpmap:9 G722/8000\n"
    assert offer in scenario

    async def body(workdir):
        scenario_path = os.path.join(workdir, "call_web_user_ilbc.xml")
        with open(scenario_path, "w") as variant:
            variant.write(scenario.replace(offer, "m=audio [$rtpport] RTP/AVP 97 101\n      a=rtpmap:97 iLBC/8000\n"))
        phone = await IlbcPhone(workdir, 30, 1000, 97).open()
        user = await WebUser(janus, 440).open()
        caller = None
        try:
            contact_user = (await user.register_guest())["result"]["contact_user"]
            caller = await spawn("sipp", "127.0.0.1:5060", "-sf", scenario_path, "-m", "1", "-i", "127.0.0.1", "-p", "0",
                                 "-nostdin", "-timeout", "60s", "-trace_msg", "-message_file",
                                 os.path.join(workdir, "caller.log"), "-set", "user", contact_user,
                                 "-set", "rtpport", str(phone.port), cwd=workdir,
                                 stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
            _, jsep = await sip_event(user.handle, ("incomingcall",))
            accepted, _ = await user.handle.send({"request": "accept"}, jsep=await user.answer(jsep))
            answer = await wait_for(os.path.join(workdir, "caller.log"),
                                    r"SIP/2\.0 200 OK.*?(m=audio (\d+) RTP/AVP 97.*?a=ptime:\d+)")
            await phone.stream(("127.0.0.1", int(answer.group(2))), 3)
            web_heard = user.heard()
            await user.handle.send({"request": "hangup"})
            return answer.group(1), web_heard, phone
        finally:
            if caller and caller.returncode is None:
                caller.kill()
                await caller.wait()
            phone.close()
            await user.close()

    with tempfile.TemporaryDirectory(prefix="sylk-ilbc-gw-") as workdir:
        media, web_heard, phone = run(body(workdir), timeout=60)
        assert "a=rtpmap:97 iLBC/8000" in media and "a=fmtp:97 mode=30" in media and "a=ptime:30" in media, media
        assert phone.payloads and all(len(p) == 50 for p in phone.payloads)
        steps = numpy.diff(numpy.array(phone.timestamps, dtype=numpy.int64)) % 2**32
        assert numpy.median(steps) == 240, steps[:10]
        phone_heard = phone.heard()
        assert tone_db(*web_heard, 1000) - tone_db(*web_heard, 440) >= 20, (tone_db(*web_heard, 1000),
                                                                            tone_db(*web_heard, 440))
        assert band_db(phone_heard, 8000, 440) - band_db(phone_heard, 8000, 1000) >= 20
    assert janus.alive()
