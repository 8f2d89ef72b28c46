"""A room spanning nodes, video (docs/cluster.md "Video across nodes"): nats-server and two
janus nodes. An aiortc publisher on node0; two watchers on node1 see it as a feed of their
room, subscribe as to a local one and decode its video (its colour) and hear its tone (FFT);
node0 sends ONE relay to node1 for it whatever the number of subscribers there; a watcher who
subscribes late decodes a picture (its keyframe request reached the publisher on node0: the
relay's counter); node1's last participant leaving stops the relay; the publisher leaving makes
the feed vanish on node1 (`unpublished`). With `span_rooms`, two Chromium pages on different
nodes stay there and see each other. Last, kill -9 of node0 makes its feed vanish on node1."""
import asyncio
import json
import os
import signal
import subprocess
import time

import numpy
import pytest

from conftest import BUILD, run
from harness.cluster_nodes import ClusterNodes
from harness.janus_api import Admin
from harness.peers import dominant_frequency
from harness.video_peers import VIDEOROOM, Publisher, Watcher, rgb_close
from harness.processes import script_result

ROOM = "span.video@example.com"
RED = (200, 0, 0)


@pytest.fixture(scope="module")
def cluster():
    yield from ClusterNodes(BUILD, ["node0", "node1"], 2000, ws_port=8350, admin_port=7350, http_port=8450,
                           options={"span_rooms": True}).serve()


def data_of(event):
    return event.get("plugindata", {}).get("data", {})


async def relays(admin):
    """{"relays": [...], "remote_feeds": [...]} of ROOM on that node (empty lists: none)."""
    listed = await admin.message_plugin(VIDEOROOM, {"request": "list_relays"})
    for room in listed["rooms"]:
        if room["room"] == ROOM:
            return room
    return {"relays": [], "remote_feeds": []}


async def wait_for(check, timeout=15, what=""):
    deadline = time.monotonic() + timeout
    while True:
        value = await check()
        if value:
            return value
        assert time.monotonic() < deadline, "timed out waiting for %s" % what
        await asyncio.sleep(0.1)


def test_a_publisher_on_node0_is_seen_on_node1_through_one_relay(cluster):
    node0, node1 = cluster.node("node0"), cluster.node("node1")

    async def body():
        admins = [await Admin.open(n.admin_url, n.admin_secret) for n in (node0, node1)]
        ann = Publisher(node0.ws_url, ROOM, "Ann")
        bob, cy, dee, eve = (Watcher(node1.ws_url, ROOM, name) for name in ("Bob", "Cy", "Dee", "Eve"))
        try:
            await ann.join(440, RED)
            await bob.join()
            await cy.join()
            seen = [await w.publishers_event(ann.id) for w in (bob, cy)]
            await bob.subscribe(ann.id)
            await cy.subscribe(ann.id)
            await asyncio.gather(bob.wait_media(), cy.wait_media())
            await asyncio.sleep(1)  # a second of tone to analyse, frames with the colour
            pictures = [w.collector("video").last_rgb for w in (bob, cy)]
            tones = [dominant_frequency(numpy.concatenate(w.collector("audio").audio[-50:]), w.collector("audio").rate)
                     for w in (bob, cy)]
            sending, receiving = await relays(admins[0]), await relays(admins[1])

            # A late subscriber, without a watchdog: its first picture needs a keyframe from node0.
            asked_before = sending["relays"][0]["keyframe_requests"]
            await dee.join()
            await dee.subscribe(ann.id, watchdog=False)
            started = time.monotonic()
            while dee.collectors == [] or dee.collector("video").frames == 0:
                assert time.monotonic() - started < 10, "the late subscriber decoded nothing"
                await asyncio.sleep(0.05)
            late_first_frame_s = time.monotonic() - started
            asked_after = (await relays(admins[0]))["relays"][0]["keyframe_requests"]
            watchdog_requests = sum(w.requests for w in bob.watchdogs + cy.watchdogs)

            # node1's participants all leave: node0 stops relaying.
            for watcher in (bob, cy, dee):
                await watcher.close()
            stopped = await wait_for(lambda: _no_relays(admins[0]), what="the relay to stop")

            # A new participant on node1: one relay again; then the publisher leaves.
            await eve.join()
            await eve.publishers_event(ann.id)
            again = await wait_for(lambda: _relays_with_packets(admins[0]), what="the relay to start again")
            await ann.close()
            gone = await eve.handle.next_event(timeout=10, predicate=lambda e: data_of(e).get("unpublished") == ann.id)
            after = await wait_for(lambda: _no_relays(admins[0], admins[1]), what="relays and feeds to go")
            return (seen, pictures, tones, sending, receiving, asked_before, asked_after, late_first_frame_s,
                    watchdog_requests, stopped, again, gone, after)
        finally:
            for peer in (bob, cy, dee, eve, ann):
                try:
                    await peer.close()
                except Exception:  # noqa: BLE001 -- closed already
                    pass
            for admin in admins:
                await admin.close()

    (seen, pictures, tones, sending, receiving, asked_before, asked_after, late_first_frame_s, watchdog_requests,
     stopped, again, gone, after) = run(body(), timeout=120)
    print("relay", sending, "\nreceiving", receiving, "\nlate subscriber's first frame after %.2f s, keyframe "
          "requests %d -> %d, watchdog PLIs %d" % (late_first_frame_s, asked_before, asked_after, watchdog_requests))
    for entry in seen:
        assert entry["display"] == "Ann" and {s["type"] for s in entry["streams"]} == {"audio", "video"}, entry
    assert all(rgb_close(rgb, RED) for rgb in pictures), pictures
    assert all(abs(tone - 440) < 10 for tone in tones), tones
    # One relay for the publisher to node1, whatever the number of subscribers there.
    assert len(sending["relays"]) == 1, sending
    relay = sending["relays"][0]
    assert relay["node"] == "node1" and relay["streams"] == 2 and relay["packets"] > 100, relay
    assert len(receiving["remote_feeds"]) == 1 and receiving["remote_feeds"][0]["packets"] > 100, receiving
    assert receiving["remote_feeds"][0]["node"] == "node0" and receiving["remote_feeds"][0]["active"]
    assert asked_after > asked_before, (asked_before, asked_after)
    assert stopped is True
    assert len(again) == 1
    assert after is True


async def _no_relays(*admins):
    for admin in admins:
        room = await relays(admin)
        if room["relays"] or room["remote_feeds"]:
            return False
    return True


async def _relays_with_packets(admin):
    room = await relays(admin)
    return room["relays"] if room["relays"] and room["relays"][0]["packets"] > 0 else None


def test_pages_on_two_nodes_stay_and_see_each_other_with_span_rooms(cluster):
    """span_rooms: the owner answer says so, Ann's page (node0) and Bob's (node1) stay on their
    nodes (html/room/session.js), decode each other's video relayed between the nodes and read
    each other's chat (Chromium)."""
    async def owner_answer():
        admin = await Admin.open(cluster.nodes[1].admin_url, cluster.nodes[1].admin_secret)
        try:
            return await admin.message_plugin("janus.plugin.sylk.cluster", {"request": "owner", "room": "crew.span"})
        finally:
            await admin.close()
    answer = run(owner_answer())
    assert answer.get("span_rooms") is True, answer
    top = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    completed = subprocess.run(["node", os.path.join(top, "tests", "browser", "cluster_span_test.mjs"),
                                cluster.nodes[0].http_url + "room.html", cluster.nodes[1].http_url + "room.html",
                                "crew.span"], capture_output=True, text=True, timeout=120)
    result = script_result(completed.stdout, completed.stderr)
    assert "error" not in result, json.dumps(result, indent=1)
    assert result["servers"] == {"Ann": cluster.nodes[0].ws_url, "Bob": cluster.nodes[1].ws_url}, result
    assert result["annSees"] == ["Bob"] and result["bobSees"] == ["Ann"], result
    assert "Bob: hello from Bob" in result["chatAtAnn"], result


def test_low_bandwidth_subscribers_follow_speakers_of_every_node(cluster):
    """Dee on node0 watches Ann (node1, relayed) and Bob (node0) with last_n 1: while Ann talks,
    node0 gets her talking through the hub (node1 detected it), makes her the dominant speaker
    and sends Dee her video, not Bob's; when Bob talks instead, his."""
    from test_videoroom_api import Participant, video_of_speaker
    node0, node1 = cluster.node("node0"), cluster.node("node1")
    room = "span.speakers"

    async def body():
        bob = Participant(node0, room, "Bob")
        dee = Participant(node0, room, "Dee")
        ann = Participant(node1, room, "Ann")
        admin = await Admin.open(node0.admin_url, node0.admin_secret)
        try:
            await bob.join(tone=660, colour=(0, 200, 0), amplitude=0)
            await dee.join()
            await ann.join(tone=440, colour=RED, amplitude=0)
            ann_id = ann.joined["id"]
            await wait_for(lambda: _feed_active(admin, room, ann_id), 20, "Ann's feed on node0")
            feeds = {ann_id: "Ann", bob.joined["id"]: "Bob"}
            attached = await dee.subscribe(list(feeds), private_id=dee.joined["private_id"])
            video_slot = {s["mindex"]: feeds[s["feed_id"]] for s in attached["streams"] if s["type"] == "video"}
            await dee.sub.send({"request": "configure", "last_n": 1})
            ann.tone.amplitude = 12000
            first = await video_of_speaker(admin, dee, ann_id)  # Ann (node1) the dominant speaker on node0
            ann.tone.amplitude, bob.tone.amplitude = 0, 12000
            second = await video_of_speaker(admin, dee, bob.joined["id"])
            return video_slot, first, second
        finally:
            await admin.close()
            for p in (ann, bob, dee):
                await p.close()

    video_slot, first, second = run(body(), timeout=120)
    by_name = lambda growth_map: {name: growth_map.get(mindex, 0) for mindex, name in video_slot.items()}
    first_video, second_video = by_name(first), by_name(second)
    print("Dee's video packets in 2 s: Ann talking %s, Bob talking %s" % (first_video, second_video))
    assert first_video["Ann"] > 15 and first_video["Bob"] <= 2, first_video
    assert second_video["Bob"] > 15 and second_video["Ann"] <= 2, second_video


async def _feed_active(admin, room, feed):
    listed = await admin.message_plugin(VIDEOROOM, {"request": "list_relays"})
    for entry in listed["rooms"]:
        if entry["room"] == room:
            return any(f["feed"] == feed and f["active"] for f in entry["remote_feeds"])
    return False


def test_a_killed_publishing_node_takes_its_feed_away(cluster):
    """kill -9 of the publisher's node: node1's bridge forgets node0's members once node0 leaves
    the registry (its entry lapses, within lease + lease/3), and node1's watcher gets
    `unpublished` for the feed; node1 keeps no remote feed. Runs last: node0 stays dead."""
    node0, node1 = cluster.node("node0"), cluster.node("node1")

    async def body():
        admin = await Admin.open(node1.admin_url, node1.admin_secret)
        ann = Publisher(node0.ws_url, ROOM, "Ann")
        fay = Watcher(node1.ws_url, ROOM, "Fay")
        try:
            await ann.join(660, (0, 0, 200))
            await fay.join()
            await fay.publishers_event(ann.id)
            await fay.subscribe(ann.id)
            await fay.wait_media(frames=5, audio=25)  # media flows: all this test needs
            cluster.killed.add("node0")
            node0.process.send_signal(signal.SIGKILL)
            killed = time.monotonic()
            await fay.handle.next_event(timeout=15, predicate=lambda e: data_of(e).get("unpublished") == ann.id)
            vanished_s = time.monotonic() - killed
            remaining = await relays(admin)
            return vanished_s, remaining
        finally:
            for peer in (fay, ann):
                try:
                    await peer.close()
                except Exception:  # noqa: BLE001 -- its node is dead
                    pass
            await admin.close()

    vanished_s, remaining = run(body(), timeout=60)
    print("the feed vanished on node1 %.1f s after node0's kill (lease 2 s)" % vanished_s)
    assert remaining["remote_feeds"] == [], remaining
    assert vanished_s < 2 + 2 / 3 + 2, vanished_s  # the lease, a tick, and the registry's next look
