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

from conftest import run
from harness.processes import spawn
from test_audiomixer import Voice, tone_db

PEER = os.path.join(os.path.dirname(__file__), "..", "jingle", "ilbc_mixer_peer.js")
WEB_TONE, ILBC_TONE = 440, 1000


async def next_line(process, timeout=30):
    while True:
        line = await asyncio.wait_for(process.stdout.readline(), timeout)
        if not line:
            raise AssertionError("the node peer ended: " + (await process.stderr.read()).decode(errors="replace")[-4000:])
        message = json.loads(line)
        if message.get("event") == "error":
            raise AssertionError("the node peer failed: %s" % message)
        return message


def test_ilbc_only_webrtc_peer_is_answered_with_ilbc_and_mixed(janus):
    async def body():
        ann = Voice(janus, "ilbc-webrtc-room", "Ann", WEB_TONE)
        await ann.join()
        peer = await spawn("node", PEER, janus.ws_url, "ilbc-webrtc-room", "Ilse", str(ILBC_TONE), "2",
                           stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
                           stderr=asyncio.subprocess.PIPE)
        try:
            answer = await next_line(peer)
            heard = await next_line(peer, timeout=40)
            ann_heard = ann.heard()  # the peer is still sending
            peer.stdin.close()
            await asyncio.wait_for(peer.wait(), 15)
            return answer["sdp"], heard, ann_heard
        finally:
            await ann.close()

    sdp, heard, (ann_samples, ann_rate) = run(body(), timeout=90)
    audio = re.search(r"m=audio \d+ UDP/TLS/RTP/SAVPF (\d+)\r\n", sdp)
    assert audio, sdp
    pt = audio.group(1)
    assert "a=rtpmap:%s iLBC/8000\r\n" % pt in sdp and "a=fmtp:%s mode=30\r\n" % pt in sdp, sdp
    assert "a=sendrecv" in sdp, sdp
    # libwebrtc's statistics: both directions ran on iLBC, 30 ms frames (about 33 packets a second)
    codecs = {s["id"]: s["mimeType"].lower() for s in heard["stats"] if s["type"] == "codec"}
    streams = {s["type"]: s for s in heard["stats"] if s["type"] in ("inbound-rtp", "outbound-rtp")}
    assert set(streams) == {"inbound-rtp", "outbound-rtp"}, heard["stats"]
    for stream in streams.values():
        assert codecs.get(stream["codecId"]) == "audio/ilbc", (stream, codecs)
        assert stream["packets"] > 40, stream
    samples = numpy.frombuffer(base64.b64decode(heard["samples"]), "<i2").astype(numpy.float64)
    assert samples.size >= heard["rate"] // 2, (samples.size, heard["rate"])
    # the iLBC peer hears the web user, not itself; the web user hears the iLBC peer
    peer_levels = (tone_db(samples, heard["rate"], WEB_TONE), tone_db(samples, heard["rate"], ILBC_TONE))
    assert peer_levels[0] - peer_levels[1] >= 20, peer_levels
    ann_levels = (tone_db(ann_samples, ann_rate, ILBC_TONE), tone_db(ann_samples, ann_rate, WEB_TONE))
    assert ann_levels[0] - ann_levels[1] >= 20, ann_levels
    assert janus.alive()
