"""Issue 15, a room's audio across nodes (docs/cluster.md, "Audio across nodes"): nats-server and
three janus nodes with the audio mixer (harness/cluster_nodes.py), each node with its own
media_ip on loopback (127.0.0.1, .2, .3), aiortc participants each sending its own tone.

- Two nodes: Ann on node0 (440 Hz) and Ben on node1 (660 Hz) hear each other and not themselves
  (FFT); exactly one leg joins the nodes, offered by node0 (the smaller id) and answered by node1,
  between their media_ips; node0's listparticipants lists Ann only, Ben among the attendees
  (talking, through the hub); when Ben leaves, the leg ends on both nodes.
- Three nodes: each participant hears the two others; three legs, one per pair. With Ann and Cat
  muted and Ben talking, the legs from node0 and node2 carry silence while node1's carries Ben:
  no node relays another node's audio (Cat would hear Ben twice).
- Bad input on the bus: an attach for a room the node does not mix, a malformed one, one from
  the node that should answer rather than offer: each refused with its code and reason.
- Last, kill -9 of node2 while Cat there talks with Ann on node0: node0's leg to it ends."""
import asyncio
import json
import signal
import time

import pytest

from conftest import BUILD, run
from harness.cluster_nodes import ClusterNodes
from harness.janus_api import Admin
from harness.nats_server import nats_request
from test_audiomixer import Voice, tone_db

MIXER = "janus.plugin.sylk.audiomixer"
NODES = ["node0", "node1", "node2"]
MEDIA_IPS = {"node0": "127.0.0.1", "node1": "127.0.0.2", "node2": "127.0.0.3"}
LEASE_MS = 2000


@pytest.fixture(scope="module")
def cluster():
    yield from ClusterNodes(BUILD, NODES, LEASE_MS, ws_port=8370, admin_port=7370, http_port=8470,
                           without_plugins=["sip", "msrp", "xmpp", "irc"],
                           node_options={name: {"media_ip": ip} for name, ip in MEDIA_IPS.items()}).serve()


async def admins_of(cluster):
    return {name: await Admin.open(node.admin_url, node.admin_secret) for name, node in zip(NODES, cluster.nodes)}


async def mixer_list(admin):
    return await admin.message_plugin(MIXER, {"request": "list"})


def room_of(answer, room):
    return next((r for r in answer["list"] if r["room"] == room), None)


async def until(condition, timeout, what):
    """Polls an async condition every 100 ms; its last truthy value, or fails saying what."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = await condition()
        if last:
            return last
        await asyncio.sleep(0.1)
    pytest.fail("%s within %.0f s (last: %r)" % (what, timeout, last))


def legs_in(answer, room):
    entry = room_of(answer, room)
    return entry["remote_legs"] if entry else []


def hears(voice, others, own):
    """dB of each tone in the voice's last second: (others' minimum - own)."""
    samples, rate = voice.heard()
    levels = {f: tone_db(samples, rate, f) for f in others + [own]}
    return min(levels[f] for f in others) - levels[own], levels


def test_two_nodes_hear_each_other_through_one_leg(cluster):
    room = "span.two"  # a dot: the bus's subjects encode it

    async def body():
        admins = await admins_of(cluster)
        ann = Voice(cluster.nodes[0], room, "Ann", 440)
        ben = Voice(cluster.nodes[1], room, "Ben", 660)
        try:
            await ann.join()
            await ben.join()

            async def both_up():
                lists = {n: await mixer_list(admins[n]) for n in ("node0", "node1")}
                legs = {n: legs_in(lists[n], room) for n in lists}
                up = all(len(l) == 1 and l[0]["state"] == "up" for l in legs.values())
                return lists if up else None
            lists = await until(both_up, 15, "one leg up on node0 and node1")

            async def heard_each_other():
                if not (ann.collector and ben.collector and len(ann.collector.audio) > 60 and len(ben.collector.audio) > 60):
                    return None
                a, b = hears(ann, [660], 440), hears(ben, [440], 660)
                return (a, b) if a[0] >= 30 and b[0] >= 30 else None
            await until(heard_each_other, 15, "Ann and Ben hear each other and not themselves")
            await asyncio.sleep(1.0)  # one more second of audio, all of it after the legs were up
            heard = hears(ann, [660], 440), hears(ben, [440], 660)

            # Ben is an attendee of node0's room (through the hub), talking; Ann its one participant.
            async def ben_talking():
                answer, _ = await ann.handle.send({"request": "listparticipants", "room": room})
                remote = [a for a in answer.get("attendees", []) if a["id"].startswith(
                    "janus.plugin.sylk.cluster/node1/%s/" % MIXER)]
                return answer if remote and remote[0].get("talking") else None
            participants = await until(ben_talking, 10, "Ben listed talking among node0's attendees")
            lists = {n: await mixer_list(admins[n]) for n in ("node0", "node1")}

            await ben.close()

            async def legs_gone():
                lists_after = {n: await mixer_list(admins[n]) for n in ("node0", "node1")}
                return lists_after if not any(legs_in(lists_after[n], room) for n in lists_after) else None
            started = time.monotonic()
            after = await until(legs_gone, 10, "the leg gone on both nodes once Ben left")
            gone_after = time.monotonic() - started
            return heard, participants, lists, after, gone_after
        finally:
            for voice in (ann, ben):
                try:
                    await voice.close()
                except Exception:
                    pass
            for admin in admins.values():
                await admin.close()

    heard, participants, lists, after, gone_after = run(body(), timeout=120)
    (ann_margin, ann_levels), (ben_margin, ben_levels) = heard
    assert ann_margin >= 30, ann_levels  # Ann hears Ben's 660 Hz, not her own 440 Hz
    assert ben_margin >= 30, ben_levels
    # Exactly one leg per pair, offered by the smaller id, between the two media_ips.
    (leg0,), (leg1,) = legs_in(lists["node0"], room), legs_in(lists["node1"], room)
    assert (leg0["node"], leg0["offered"], leg1["node"], leg1["offered"]) == ("node1", True, "node0", False)
    assert leg0["id"] == leg1["id"]
    assert leg0["local"] == leg1["peer"] and leg1["local"] == leg0["peer"], (leg0, leg1)
    assert (leg0["local"]["ip"], leg1["local"]["ip"]) == (MEDIA_IPS["node0"], MEDIA_IPS["node1"])
    assert leg0["packets_in"] > 50 and leg1["packets_in"] > 50, (leg0, leg1)
    c0, c1 = lists["node0"]["cluster"], lists["node1"]["cluster"]
    assert (c0["legs_offered"], c0["legs_answered"], c1["legs_offered"], c1["legs_answered"]) == (1, 0, 0, 1), (c0, c1)
    assert c0["legs_refused"] == 0 and c1["legs_refused"] == 0, (c0, c1)
    # listparticipants: the participants of this node only; the other node's among the attendees.
    assert [p["display"] for p in participants["participants"]] == ["Ann"], participants
    # Gone on both sides: node1's room closed with Ben, node0's room (Ann still in it) has no leg.
    assert room_of(after["node1"], room) is None
    assert room_of(after["node0"], room)["remote_legs"] == []
    assert after["node0"]["cluster"]["legs_closed"] >= 1 and after["node1"]["cluster"]["legs_closed"] >= 1
    assert after["node0"]["cluster"]["legs_up"] == 0
    print("leg gone on both nodes %.2f s after Ben's hangup" % gone_after)


def test_three_nodes_exchange_one_leg_per_pair_and_relay_nothing(cluster):
    room = "span.three"
    tones = {"Ann": 440, "Ben": 660, "Cat": 880}

    async def body():
        admins = await admins_of(cluster)
        voices = [Voice(node, room, name, tones[name]) for node, name in zip(cluster.nodes, tones)]
        before = {n: (await mixer_list(admins[n]))["cluster"] for n in NODES}  # the module's earlier legs counted
        try:
            for voice in voices:
                await voice.join()

            async def all_up():
                lists = {n: await mixer_list(admins[n]) for n in NODES}
                ok = all(len(legs_in(lists[n], room)) == 2 and all(l["state"] == "up" for l in legs_in(lists[n], room))
                         for n in NODES)
                return lists if ok else None
            await until(all_up, 20, "two legs up on every node")

            async def everyone_hears_the_others():
                if not all(v.collector and len(v.collector.audio) > 60 for v in voices):
                    return None
                margins = {v.name: hears(v, [f for n, f in tones.items() if n != v.name], v.frequency) for v in voices}
                return margins if all(m[0] >= 30 for m in margins.values()) else None
            await until(everyone_hears_the_others, 20, "everyone hears the two others and not themselves")
            await asyncio.sleep(1.0)
            margins = {v.name: hears(v, [f for n, f in tones.items() if n != v.name], v.frequency) for v in voices}
            lists = {n: await mixer_list(admins[n]) for n in NODES}

            # Ann (node0) and Cat (node2) mute: only Ben talks. A leg carries its node's own
            # participants only, so node0's and node2's legs must fall silent everywhere.
            for voice in (voices[0], voices[2]):
                await voice.handle.send({"request": "configure", "muted": True})

            async def only_node1_carries_sound():
                levels = {}
                for n in ("node0", "node2"):
                    levels[n] = {l["node"]: l["level_dbov"] for l in legs_in(await mixer_list(admins[n]), room)}
                quiet = levels["node0"].get("node2", 0) >= 70 and levels["node2"].get("node0", 0) >= 70
                loud = levels["node0"].get("node1", 127) <= 40 and levels["node2"].get("node1", 127) <= 40
                return levels if quiet and loud else None
            levels = await until(only_node1_carries_sound, 10, "node0's and node2's legs silent, node1's carrying Ben")
            # And it stays so: a relay would bring Ben back on the other legs at once. (The level
            # is one frame's: node1's leg may read silence for a frame its packet came late.)
            samples = []
            for _ in range(10):
                await asyncio.sleep(0.2)
                quiet = {}
                for n, other in (("node0", "node2"), ("node2", "node0")):
                    legs = {l["node"]: l["level_dbov"] for l in legs_in(await mixer_list(admins[n]), room)}
                    quiet[n] = legs.get(other, 0)
                samples.append(quiet)
            cat_hears = hears(voices[2], [660], 440)
            return margins, lists, levels, samples, before, cat_hears
        finally:
            for voice in voices:
                try:
                    await voice.close()
                except Exception:
                    pass
            for admin in admins.values():
                await admin.close()

    margins, lists, levels, samples, before, cat_hears = run(body(), timeout=150)
    for name, (margin, levels_heard) in margins.items():
        assert margin >= 30, (name, levels_heard)
    # One leg per pair: each node has exactly one towards each other node, offered by the smaller id.
    pairs = set()
    for n in NODES:
        legs = legs_in(lists[n], room)
        assert sorted(l["node"] for l in legs) == sorted(set(NODES) - {n}), (n, legs)
        for leg in legs:
            assert leg["offered"] == (n < leg["node"]), (n, leg)
            pairs.add((min(n, leg["node"]), max(n, leg["node"]), leg["id"]))
    assert len(pairs) == 3, pairs  # both ends of each pair name the same leg
    made = {n: {k: lists[n]["cluster"][k] - before[n][k] for k in ("legs_offered", "legs_answered", "legs_refused")}
            for n in NODES}
    assert [made[n]["legs_offered"] for n in NODES] == [2, 1, 0], made
    assert [made[n]["legs_answered"] for n in NODES] == [0, 1, 2], made
    assert all(made[n]["legs_refused"] == 0 for n in NODES), made
    assert all(level >= 70 for sample in samples for level in sample.values()), samples
    assert cat_hears[1][660] - cat_hears[1][440] >= 30, cat_hears  # Cat hears Ben; Ann is muted
    print("leg levels with only Ben talking: %s" % levels)


def test_a_bad_attach_is_refused_with_its_reason(cluster):
    def call(node, payload):
        answer = nats_request(cluster.nats.port, "sylk.call.%s" % node, json.dumps(payload).encode())
        return json.loads(answer)

    attach = {"room": "nobody.mixes.this", "leg": 5, "rtp": {"ip": "127.0.0.1", "port": 4000}}
    unknown = call("node1", {"from": "node0", "service": "audiomixer.remote.attach", "request": attach})
    assert unknown["error"] == 485, unknown  # the stock audiobridge "no such room"
    assert "nobody.mixes.this" in unknown["reason"] and "node1" in unknown["reason"], unknown
    missing = call("node1", {"from": "node0", "service": "audiomixer.remote.attach",
                             "request": {"room": "x", "leg": 5}})
    assert missing["error"] == 1002 and "rtp" in missing["reason"], missing
    backwards = call("node0", {"from": "node1", "service": "audiomixer.remote.attach", "request": attach})
    assert backwards["error"] == 1003 and "smaller id" in backwards["reason"], backwards
    not_a_leg = call("node1", {"from": "node0", "service": "audiomixer.remote.detach",
                               "request": {"room": "nobody.mixes.this", "leg": 5}})
    assert not_a_leg["error"] == 485, not_a_leg

    async def counters():
        admin = await Admin.open(cluster.nodes[1].admin_url, cluster.nodes[1].admin_secret)
        try:
            return (await mixer_list(admin))["cluster"]
        finally:
            await admin.close()
    status = run(counters(), timeout=10)
    assert status["enabled"] and status["media_ip"] == MEDIA_IPS["node1"], status
    assert status["legs_up"] == 0, status  # nothing was made of them


def test_a_killed_nodes_leg_goes(cluster):
    """Last in the module: it kills node2. Ann on node0 and Cat on node2 talk through a leg;
    kill -9 of node2; node0's leg to it ends (nothing arrives any more, and the bridge forgets
    the dead node's members once its registry entry lapses), and node0 does not offer again."""
    room = "span.killed"

    async def body():
        admin0 = await Admin.open(cluster.nodes[0].admin_url, cluster.nodes[0].admin_secret)
        ann = Voice(cluster.nodes[0], room, "Ann", 440)
        cat = Voice(cluster.nodes[2], room, "Cat", 880)
        try:
            await ann.join()
            await cat.join()

            async def up():
                legs = legs_in(await mixer_list(admin0), room)
                return legs if len(legs) == 1 and legs[0]["state"] == "up" and legs[0]["packets_in"] > 25 else None
            await until(up, 15, "node0's leg to node2 up")
            cluster.killed.add("node2")
            cluster.nodes[2].process.send_signal(signal.SIGKILL)
            killed = time.monotonic()

            async def gone():
                answer = await mixer_list(admin0)
                return answer if not legs_in(answer, room) else None
            answer = await until(gone, 15, "node0's leg to the killed node2 gone")
            gone_after = time.monotonic() - killed

            # And it stays gone: node2's members leave node0's room with its registry entry.
            async def members_gone():
                listed, _ = await ann.handle.send({"request": "listparticipants", "room": room})
                return listed if not any("/node2/" in a["id"] for a in listed.get("attendees", [])) else None
            await until(members_gone, 15, "node2's members gone from node0's room")
            await asyncio.sleep(1.5)  # past a retry's 2 s from the drop: no new offer may follow
            after = await mixer_list(admin0)
            return answer, after, gone_after
        finally:
            for voice in (ann, cat):
                try:
                    await voice.close()
                except Exception:
                    pass
            await admin0.close()

    answer, after, gone_after = run(body(), timeout=90)
    assert legs_in(after, room) == [], after
    assert room_of(after, room) is not None  # Ann is still in it
    print("leg to the killed node gone %.1f s after the kill" % gone_after)
