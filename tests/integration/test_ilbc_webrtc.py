"""iLBC for WebRTC participants of the audio mixer (issue 14): libwebrtc for node (@roamhq/wrtc,
tests/jingle/ilbc_mixer_peer.js) joins a room with an offer trimmed to iLBC alone; janus answers
iLBC (written by sylkcore/janus's answer code: Janus's SDP utilities know no iLBC) and mixes it
with a web user on Opus (aiortc). Each sends its own tone; each must hear the other's (FFT), the
iLBC side decoded by libwebrtc's own iLBC decoder, an implementation independent of ours."""
import asyncio
import base64
import json
import os
import re

import numpy
import pytest

from conftest import run
from harness.janus_api import Admin, Session
from harness.peers import make_peer, offer
from harness.processes import spawn
from test_audiomixer import MIXER, Voice, tone_db

PEER = os.path.join(os.path.dirname(__file__), "..", "jingle", "ilbc_mixer_peer.js")
WEB_TONE, ILBC_TONE = 440, 1000
FRAME_BYTES = {30: 50, 20: 38}


async def next_line(process, timeout=30):
    while True:
        line = await asyncio.wait_for(process.stdout.readline(), timeout)
        if not line:
            raise AssertionError("the node peer ended: " + (await process.stderr.read()).decode(errors="replace")[-4000:])
        message = json.loads(line)
        if message.get("event") == "error":
            raise AssertionError("the node peer failed: %s" % message)
        return message


@pytest.mark.parametrize("mode", [30, 20])
def test_ilbc_only_webrtc_peer_is_answered_with_ilbc_and_mixed(janus, mode):
    """No a=fmtp (libwebrtc's own offer) means 30 ms frames; mode=20 added to the offer, 20 ms."""
    room_name = "ilbc-webrtc-%d" % mode

    async def body():
        ann = Voice(janus, room_name, "Ann", WEB_TONE)
        await ann.join()
        extra = [str(mode)] if mode == 20 else []
        peer = await spawn("node", PEER, janus.ws_url, room_name, "Ilse", str(ILBC_TONE), "2", *extra,
                           stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
                           stderr=asyncio.subprocess.PIPE)
        try:
            answer = await next_line(peer)
            heard = await next_line(peer, timeout=40)
            ann_heard = ann.heard()  # the peer is still sending
            admin = await Admin.open(janus.admin_url, janus.admin_secret)
            try:
                listed = await admin.message_plugin(MIXER, {"request": "list"})
            finally:
                await admin.close()
            peer.stdin.close()
            await asyncio.wait_for(peer.wait(), 15)
            return answer["sdp"], heard, ann_heard, listed
        finally:
            await ann.close()

    sdp, heard, (ann_samples, ann_rate), listed = run(body(), timeout=90)
    room = next(r for r in listed["list"] if r["room"] == room_name)
    codecs = {p["display"]: p["codec"] for p in room["participants"]}
    assert codecs == {"Ann": "opus", "Ilse": "ilbc" if mode == 30 else "ilbc20"}, room
    ilse = next(p["stats"] for p in room["participants"] if p["display"] == "Ilse")
    assert ilse["packets_in"] > 40 and ilse["malformed"] == 0 and ilse["wrong_payload_type"] == 0, ilse
    audio = re.search(r"m=audio \d+ UDP/TLS/RTP/SAVPF (\d+)\r\n", sdp)
    assert audio, sdp
    pt = audio.group(1)
    assert "a=rtpmap:%s iLBC/8000\r\n" % pt in sdp and "a=fmtp:%s mode=%d\r\n" % (pt, mode) in sdp, sdp
    assert "a=ptime:%d\r\n" % mode in sdp, sdp
    assert "a=sendrecv" in sdp, sdp
    # libwebrtc's statistics: both directions ran on iLBC, one frame of the mode per packet (RFC
    # 3951: 50 bytes for 30 ms, 38 for 20 ms; sizes, not packet rates, which a loaded machine bends)
    codecs = {s["id"]: s["mimeType"].lower() for s in heard["stats"] if s["type"] == "codec"}
    streams = {s["type"]: s for s in heard["stats"] if s["type"] in ("inbound-rtp", "outbound-rtp")}
    assert set(streams) == {"inbound-rtp", "outbound-rtp"}, heard["stats"]
    for stream in streams.values():
        assert codecs.get(stream["codecId"]) == "audio/ilbc", (stream, codecs)
        assert stream["packets"] > 10 and stream["payloadBytes"] == stream["packets"] * FRAME_BYTES[mode], stream
    samples = numpy.frombuffer(base64.b64decode(heard["samples"]), "<i2").astype(numpy.float64)
    assert samples.size >= heard["rate"] // 2, (samples.size, heard["rate"])
    # the iLBC peer hears the web user, not itself; the web user hears the iLBC peer
    peer_levels = (tone_db(samples, heard["rate"], WEB_TONE), tone_db(samples, heard["rate"], ILBC_TONE))
    assert peer_levels[0] - peer_levels[1] >= 20, peer_levels
    ann_levels = (tone_db(ann_samples, ann_rate, ILBC_TONE), tone_db(ann_samples, ann_rate, WEB_TONE))
    assert ann_levels[0] - ann_levels[1] >= 20, ann_levels
    assert janus.alive()


def test_webrtc_offer_without_opus_or_ilbc_is_refused(janus):
    """aiortc's offer cut down to PCMU: the mixer answers WebRTC peers with Opus or iLBC only, and
    a join whose offer it refuses leaves nobody in the room."""
    async def body():
        pc, _ = await make_peer(data_channel=False)
        pc.addTransceiver("audio", direction="sendrecv")
        jsep = await offer(pc)
        lines = jsep["sdp"].split("\r\n")
        audio = next(i for i, line in enumerate(lines) if line.startswith("m=audio"))
        lines[audio] = " ".join(lines[audio].split(" ")[:3] + ["0"])
        jsep["sdp"] = "\r\n".join(line for line in lines if not re.match(r"a=(rtpmap|fmtp|rtcp-fb):(?!0 )", line))
        session = await Session.create(janus.ws_url)
        try:
            handle = await session.attach(MIXER)
            refused, answer = await handle.send({"request": "join", "room": "pcmu-webrtc-room", "display": "Pat"},
                                                jsep=jsep)
            admin = await Admin.open(janus.admin_url, janus.admin_secret)
            try:
                listed = await admin.message_plugin(MIXER, {"request": "list"})
            finally:
                await admin.close()
            return jsep["sdp"], refused, answer, listed
        finally:
            await session.close()
            await pc.close()

    sdp, refused, answer, listed = run(body(), timeout=30)
    assert "a=rtpmap:0 PCMU/8000" in sdp and "opus" not in sdp.lower(), sdp
    assert refused.get("error_code") == 1302 and "neither Opus nor iLBC" in refused.get("error", ""), refused
    assert not answer
    # the refused join keeps no seat: the room it opened on demand is gone again
    assert all(r["room"] != "pcmu-webrtc-room" for r in listed["list"]), listed
    assert janus.alive()
