"""Issue 15, a page on one node and a phone mixed on another only (docs/cluster.md, "Audio across
nodes" and "Web users and phones hear each other" across nodes): nats-server and two janus nodes
(harness/cluster_nodes.py), media_ip 127.0.0.1 and 127.0.0.2.

Ann's page (aiortc, 440 Hz) publishes in node1's video room; a phone (plain RTP, PCMU, 600 Hz)
is in node0's audio mixer room of the same name. Nobody else is anywhere: node1 has no mixer
participant, node0 no page.

- node1's video room counts node0's phone (a hub member through the bus) and opens its bridge;
  node1's mixer makes a room for the bridge alone; node0 (the smaller id) offers the leg because
  node1 has pages.
- Ann hears the phone through the room's mix feed and not herself; the phone hears Ann (the leg
  from a node with pages to a node without carries the pages' audio) and not itself.
- The phone leaves: node1's mix feed is unpublished, its bridge-only mixer room closes, and the
  leg ends on both nodes."""
import asyncio

import numpy
import pytest

from conftest import BUILD, run
from harness.cluster_nodes import ClusterNodes
from harness.janus_api import Admin, Session
from harness.rtp_peer import RtpPeer
from test_audiomixer import tone_db
from test_cluster_audio import until
from test_videoroom_api import Participant

MIXER = "janus.plugin.sylk.audiomixer"
VIDEOROOM = "janus.plugin.sylk.videoroom"
NODES = ["node0", "node1"]
MEDIA_IPS = {"node0": "127.0.0.1", "node1": "127.0.0.2"}
LEASE_MS = 2000
ROOM = "span.phonepage"  # a dot: the bus's subjects encode it


@pytest.fixture(scope="module")
def cluster():
    yield from ClusterNodes(BUILD, NODES, LEASE_MS, ws_port=8390, admin_port=7390, http_port=8490,
                           without_plugins=["sip", "msrp", "xmpp", "irc"],
                           node_options={name: {"media_ip": ip} for name, ip in MEDIA_IPS.items()}).serve()


def data_of(event):
    return event.get("plugindata", {}).get("data", {})


def mixer_room(answer, room=ROOM):
    return next((r for r in answer["list"] if r["room"] == room), None)


def bridge_lines(node):
    with open(node.log_path, errors="replace") as log:
        lines = [line.rstrip() for line in log if any(k in line for k in ("bridge", "leg", "audiomixer", "cluster", "ERR"))]
    return "\n".join(lines[-40:])


def levels(heard, frequencies):
    samples, rate = heard
    return {f: tone_db(samples, rate, f) for f in frequencies}


def test_a_page_and_a_phone_on_two_nodes_hear_each_other(cluster):
    async def body():
        admins = {name: await Admin.open(node.admin_url, node.admin_secret) for name, node in zip(NODES, cluster.nodes)}
        ann = Participant(cluster.nodes[1], ROOM, "Ann")
        phone = await RtpPeer("pcmu", 600).open()
        session = await Session.create(cluster.nodes[0].ws_url)
        try:
            await ann.join(tone=440, colour=(0, 200, 0))
            line = await session.attach(MIXER)
            joined, _ = await line.send({"request": "join", "room": ROOM, "display": "Phone", "codec": "pcmu",
                                         "rtp": {"ip": "127.0.0.1", "port": phone.port}})
            assert "error" not in joined, joined
            address = (joined["rtp"]["ip"], joined["rtp"]["port"])
            # node1's video room hears of the phone through the bus and announces the mix feed.
            try:
                announced = await ann.handle.next_event(
                    timeout=20, predicate=lambda e: any(p.get("audio_mix") for p in data_of(e).get("publishers", [])))
            except asyncio.TimeoutError:
                pytest.fail("node1 announced no mix feed in 20 s; node1's log:\n%s" % bridge_lines(cluster.nodes[1]))
            mix = next(p for p in data_of(announced)["publishers"] if p.get("audio_mix"))
            await ann.subscribe([mix["id"]])

            async def leg_up():
                lists = {n: await admins[n].message_plugin(MIXER, {"request": "list"}) for n in NODES}
                rooms = {n: mixer_room(lists[n]) for n in NODES}
                legs = {n: (rooms[n] or {}).get("remote_legs", []) for n in NODES}
                up = all(len(l) == 1 and l[0]["state"] == "up" for l in legs.values())
                return rooms if up else None
            rooms = await until(leg_up, 20, "one leg up between node0 (the phone) and node1 (the page)")
            # The phone talks while Ann listens; again (at most 3 times) while the test's own
            # peers were late (a starved machine: the gaps would be the test's).
            for _ in range(3):
                late = await phone.stream(address, 4)
                audio = next(c for c in ann.collectors if c.track.kind == "audio")
                through_mix = numpy.concatenate(audio.audio[-50:]), audio.rate
                phone_heard = phone.heard()
                if late <= 0.05 and levels(through_mix, (440, 600))[600] > -60 and \
                        levels(phone_heard, (440, 600))[440] > -60:
                    break
            bridges = await admins["node1"].message_plugin(VIDEOROOM, {"request": "list_audio_bridges", "room": ROOM})
            await line.send({"request": "leave"})
            await ann.handle.next_event(
                timeout=15, predicate=lambda e: data_of(e).get("unpublished") == mix["id"])

            async def all_gone():
                lists = {n: await admins[n].message_plugin(MIXER, {"request": "list"}) for n in NODES}
                node1_room = mixer_room(lists["node1"])
                node0_legs = (mixer_room(lists["node0"]) or {}).get("remote_legs", [])
                return lists if node1_room is None and not node0_legs else None
            after = await until(all_gone, 15, "node1's bridge-only mixer room closed and no leg left on node0")
            return rooms, through_mix, phone_heard, bridges, after
        finally:
            phone.close()
            await ann.close()
            await session.close()
            for admin in admins.values():
                await admin.close()

    rooms, through_mix, phone_heard, bridges, after = run(body(), timeout=150)
    page_levels, phone_levels = levels(through_mix, (440, 600)), levels(phone_heard, (440, 600))
    print("Ann hears (dB)", {f: round(v, 1) for f, v in page_levels.items()},
          "the phone hears (dB)", {f: round(v, 1) for f, v in phone_levels.items()})
    # Ann hears the phone through node1's mix feed, not herself (pages hear pages through the SFU).
    assert page_levels[600] - page_levels[440] >= 30, page_levels
    # The phone hears Ann through the leg, not itself.
    assert phone_levels[440] - phone_levels[600] >= 30, phone_levels
    # One leg, offered by node0 (the smaller id, because node1 has pages), between the media_ips.
    (leg0,), (leg1,) = rooms["node0"]["remote_legs"], rooms["node1"]["remote_legs"]
    assert (leg0["node"], leg0["offered"], leg1["node"], leg1["offered"]) == ("node1", True, "node0", False)
    assert (leg0["local"]["ip"], leg1["local"]["ip"]) == (MEDIA_IPS["node0"], MEDIA_IPS["node1"])
    # node1's leg carries its pages to node0, which has none; node0's carries its phone only.
    assert (leg0["with_web_feeds"], leg1["with_web_feeds"]) == (False, True), (leg0, leg1)
    # node1's mixer room has no participant, only the bridge with Ann's feed.
    assert rooms["node1"]["participants"] == [], rooms["node1"]
    assert rooms["node1"]["web_bridge"] and len(rooms["node1"]["web_bridge"]["web_feeds"]) == 1, rooms["node1"]
    bridged = bridges["rooms"][0]
    assert bridged["bridged"] is True and len(bridged["web_feeds"]) == 1, bridged
    assert all(node.alive() for node in cluster.nodes)


ROOM2 = "span.phonepages"


def test_a_phone_hears_pages_of_both_nodes_once(cluster):
    """A phone on node0, Bob's page on node0 (660 Hz), Ann's on node1 (440 Hz) and Cat's on
    node1, which only listens. node0's bridge takes Bob's feed and Ann's relayed one ("relayed":
    node0's mixer never sends it on a leg); no leg carries pages, as both nodes have pages. So
    the phone hears Ann and Bob once each (the same level), Ann and Cat hear the phone through
    node1's mix feed and not Bob there (they have him through the SFU)."""
    async def body():
        admins = {name: await Admin.open(node.admin_url, node.admin_secret) for name, node in zip(NODES, cluster.nodes)}
        bob = Participant(cluster.nodes[0], ROOM2, "Bob")
        ann = Participant(cluster.nodes[1], ROOM2, "Ann")
        cat = Participant(cluster.nodes[1], ROOM2, "Cat")
        phone = await RtpPeer("pcmu", 600).open()
        session = await Session.create(cluster.nodes[0].ws_url)
        try:
            await bob.join(tone=660, colour=(200, 0, 0))
            await ann.join(tone=440, colour=(0, 200, 0))
            await cat.join()
            line = await session.attach(MIXER)
            joined, _ = await line.send({"request": "join", "room": ROOM2, "display": "Phone", "codec": "pcmu",
                                         "rtp": {"ip": "127.0.0.1", "port": phone.port}})
            assert "error" not in joined, joined
            address = (joined["rtp"]["ip"], joined["rtp"]["port"])
            mixes = {}
            for who in (ann, cat):
                try:
                    announced = await who.handle.next_event(
                        timeout=20, predicate=lambda e: any(p.get("audio_mix") for p in data_of(e).get("publishers", [])))
                except asyncio.TimeoutError:
                    pytest.fail("node1 announced no mix feed to %s in 20 s; node1's log:\n%s"
                                % (who.display, bridge_lines(cluster.nodes[1])))
                mixes[who.display] = next(p for p in data_of(announced)["publishers"] if p.get("audio_mix"))
                await who.subscribe([mixes[who.display]["id"]])

            seen = {}

            async def bridged_and_up():
                lists = {n: await admins[n].message_plugin(MIXER, {"request": "list"}) for n in NODES}
                rooms = {n: mixer_room(lists[n], ROOM2) for n in NODES}
                legs = {n: (rooms[n] or {}).get("remote_legs", []) for n in NODES}
                feeds = [len(((rooms[n] or {}).get("web_bridge") or {}).get("web_feeds", [])) for n in NODES]
                up = all(len(l) == 1 and l[0]["state"] == "up" for l in legs.values())
                seen.update(feeds=feeds, legs=[[(l["node"], l["state"]) for l in legs[n]] for n in NODES])
                return rooms if up and feeds == [2, 2] else None
            try:
                rooms = await until(bridged_and_up, 25, "each node bridging Bob and Ann, one leg up between the nodes")
            except BaseException:
                print("last seen", seen, "\n".join(bridge_lines(node) for node in cluster.nodes))
                raise
            for _ in range(3):
                late = await phone.stream(address, 4)
                heard = {}
                for who in (ann, cat):
                    audio = next(c for c in who.collectors if c.track.kind == "audio")
                    heard[who.display] = numpy.concatenate(audio.audio[-50:]), audio.rate
                heard["phone"] = phone.heard()
                if late <= 0.05 and all(levels(heard[w], (600,))[600] > -60 for w in ("Ann", "Cat")) and \
                        min(levels(heard["phone"], (440, 660)).values()) > -60:
                    break
            bridges = await admins["node0"].message_plugin(VIDEOROOM, {"request": "list_audio_bridges", "room": ROOM2})
            rooms = {n: mixer_room(await admins[n].message_plugin(MIXER, {"request": "list"}), ROOM2) for n in NODES}
            await line.send({"request": "leave"})
            return rooms, heard, bridges
        finally:
            phone.close()
            for who in (cat, ann, bob):
                await who.close()
            await session.close()
            for admin in admins.values():
                await admin.close()

    rooms, heard, bridges = run(body(), timeout=180)
    tones = (440, 600, 660)
    heard_levels = {w: levels(heard[w], tones) for w in heard}
    print({w: {f: round(v, 1) for f, v in l.items()} for w, l in heard_levels.items()})
    phone_levels = heard_levels["phone"]
    # The phone hears both pages, not itself, and Ann once: as loud as Bob (twice would be 6 dB up).
    assert min(phone_levels[440], phone_levels[660]) - phone_levels[600] >= 30, phone_levels
    assert abs(phone_levels[440] - phone_levels[660]) <= 3, phone_levels
    # Node1's mix feed carries the phone and no page: Ann and Cat hear Bob through the SFU only.
    for who in ("Ann", "Cat"):
        page = heard_levels[who]
        assert page[600] - max(page[440], page[660]) >= 30, (who, page)
    # No leg carries pages: both nodes have pages.
    (leg0,), (leg1,) = rooms["node0"]["remote_legs"], rooms["node1"]["remote_legs"]
    assert (leg0["with_web_feeds"], leg1["with_web_feeds"]) == (False, False), (leg0, leg1)
    # Each node's mixer bridges its own page and the other node's, relayed.
    for node in NODES:
        feeds = rooms[node]["web_bridge"]["web_feeds"]
        assert sorted(f["relayed"] for f in feeds) == [False, True], (node, feeds)
    assert len(bridges["rooms"][0]["web_feeds"]) == 2, bridges
    assert all(node.alive() for node in cluster.nodes)
