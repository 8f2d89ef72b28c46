"""Video across nodes, the relay's two ends (docs/cluster.md "Video across nodes"). One node:
the admin `relay` request sends a publisher's streams as plain RTP to a UDP socket of the test
(the sending end the cluster uses), and refuses unknown rooms, feeds and addresses. Across
nodes: test_cluster_video.py."""
import asyncio
import socket
import time

from conftest import run
from harness.janus_api import Admin
from harness.video_peers import VIDEOROOM, Publisher


def test_admin_relay_sends_plain_rtp_and_refuses_bad_requests(janus):
    async def body():
        admin = await Admin.open(janus.admin_url, janus.admin_secret)
        ann = Publisher(janus.ws_url, "relay-room", "Ann")
        sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sink.bind(("127.0.0.1", 0))
        sink.setblocking(False)
        try:
            await ann.join(440, (200, 0, 0))
            refusals = [
                await admin.message_plugin(VIDEOROOM, {"request": "relay", "room": "no-such-room", "feed": ann.id,
                                                       "host": "127.0.0.1", "port": 9}),
                await admin.message_plugin(VIDEOROOM, {"request": "relay", "room": "relay-room", "feed": 12345,
                                                       "host": "127.0.0.1", "port": 9}),
                await admin.message_plugin(VIDEOROOM, {"request": "relay", "room": "relay-room", "feed": ann.id,
                                                       "host": "relay.example.com", "port": 9}),
                await admin.message_plugin(VIDEOROOM, {"request": "relay", "room": "relay-room", "feed": ann.id,
                                                       "host": "127.0.0.1", "port": 70000}),
            ]
            listed_before = await admin.message_plugin(VIDEOROOM, {"request": "list_relays"})
            started = await admin.message_plugin(VIDEOROOM, {"request": "relay", "room": "relay-room", "feed": ann.id,
                                                             "host": "127.0.0.1", "port": sink.getsockname()[1]})
            loop = asyncio.get_running_loop()
            packets = []
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and (len({p[1] & 0x7f for p in packets}) < 2 or len(packets) < 200):
                try:
                    packets.append(await asyncio.wait_for(loop.sock_recv(sink, 2048), 1))
                except asyncio.TimeoutError:
                    pass
            listed = await admin.message_plugin(VIDEOROOM, {"request": "list_relays"})
            await ann.close()
            deadline = time.monotonic() + 10
            while True:
                after = await admin.message_plugin(VIDEOROOM, {"request": "list_relays"})
                if not after["rooms"] or time.monotonic() > deadline:
                    break
                await asyncio.sleep(0.1)
            return refusals, listed_before, started, packets, listed, after
        finally:
            sink.close()
            await admin.close()

    refusals, listed_before, started, packets, listed, after = run(body())
    print("refusals", refusals)
    assert [r.get("error_code") for r in refusals[:2]] == [426, 428], refusals
    assert "no such room" in refusals[0]["error"] and "no such feed" in refusals[1]["error"]
    assert refusals[2].get("error_code") and "no IP address" in refusals[2]["error"], refusals[2]
    assert refusals[3].get("error_code"), refusals[3]
    assert listed_before["rooms"] == [], listed_before  # the refused requests left nothing
    assert started["videoroom"] == "relaying", started
    # Plain RTP: version 2, the payload type is the publisher's m-line index (0 audio, 1 video
    # here), one SSRC per relayed stream.
    assert all(p[0] >> 6 == 2 for p in packets)
    by_pt = {}
    for p in packets:
        by_pt.setdefault(p[1] & 0x7f, set()).add(p[8:12])
    assert set(by_pt) == {0, 1}, by_pt.keys()
    assert all(len(ssrcs) == 1 for ssrcs in by_pt.values()), by_pt
    relay = listed["rooms"][0]["relays"][0]
    # The relay counts a packet once its send returned: a media thread descheduled between the
    # two (a loaded machine) may not have counted the last few the test already read.
    assert relay["feed"] and relay["streams"] == 2 and relay["packets"] >= len(packets) - 10 and relay["node"] == ""
    assert after["rooms"] == [], after  # the publisher left: its relay went with it
