"""An aiortc peer sends a 440 Hz tone, a green picture and data-channel text to the echo
plugin and gets each of them back."""
import asyncio

import numpy
import pytest

from conftest import run
from harness.janus_api import Admin, Session
from harness.peers import ColourTrack, Collector, ToneTrack, accept, dominant_frequency, make_peer, offer

ECHO = "janus.plugin.sylk.echo"


# Our verb, and the stock echotest page's first body (no "request", a codec forced by name).
FIRST_BODIES = [{"request": "configure", "audio": True, "video": True},
                {"audio": True, "video": True, "videocodec": "vp8"}]


@pytest.mark.parametrize("first_body", FIRST_BODIES, ids=["configure", "stock-echotest"])
def test_aiortc_media_and_data_come_back(janus, first_body):
    async def body():
        session = await Session.create(janus.ws_url)
        pc, channel = await make_peer()
        collectors = []
        replies = asyncio.Queue()
        try:
            handle = await session.attach(ECHO)
            pc.addTrack(ToneTrack(440))
            pc.addTrack(ColourTrack((0, 200, 0)))
            pc.on("track", lambda track: collectors.append(Collector(track)))
            channel.on("message", lambda message: replies.put_nowait(message))
            opened = asyncio.Event()
            channel.on("open", opened.set)

            data, jsep = await handle.send(first_body, jsep=await offer(pc))
            assert data["result"] == "ok", data
            await accept(pc, jsep)
            await handle.next_event(timeout=15, predicate=lambda e: e.get("janus") == "webrtcup")
            await asyncio.wait_for(opened.wait(), 15)
            channel.send("hello sylk")
            channel.send("second line")
            echoed = [await asyncio.wait_for(replies.get(), 10) for _ in range(2)]
            await asyncio.sleep(4)  # let media flow both ways

            admin = await Admin.open(janus.admin_url, janus.admin_secret)
            status = await admin.message_plugin(ECHO, {"request": "status"})
            await admin.close()
            audio = next(c for c in collectors if c.track.kind == "audio")
            video = next(c for c in collectors if c.track.kind == "video")
            return data, echoed, audio, video, status
        finally:
            for collector in collectors:
                collector.stop()
            await pc.close()
            await session.close()

    data, echoed, audio, video, status = run(body())
    assert data["audio_codec"] == "opus" and data["video_codec"] in ("vp8", "h264")
    if "videocodec" in first_body:
        assert data["video_codec"] == first_body["videocodec"]
    assert echoed == ["hello sylk", "second line"]
    # audio: at least 2 s worth, and the tone we sent is what comes back
    assert audio.frames > 100, audio.frames
    samples = numpy.concatenate(audio.audio[-100:])
    assert abs(dominant_frequency(samples, audio.rate) - 440) < 10
    # video: frames decoded, and they are green
    assert video.frames > 20, video.frames
    r, g, b = video.last_rgb
    assert g > 150 and r < 60 and b < 60, video.last_rgb
    assert status["counters"]["audio_packets"] > 100 and status["counters"]["video_packets"] > 20
    assert status["counters"]["data_messages"] >= 2
