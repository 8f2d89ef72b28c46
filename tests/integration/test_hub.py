"""Two separately built plugins (hubprobe.a and hubprobe.b, two .so files) exchange room
events through sylkcore's hub inside one janus."""
from conftest import run
from harness.janus_api import Session

A = "janus.plugin.sylk.hubprobe.a"
B = "janus.plugin.sylk.hubprobe.b"


def room_event(kind, member=None):
    def match(event):
        data = event.get("plugindata", {}).get("data", {})
        found = data.get("room_event")
        return bool(found) and found["kind"] == kind and (member is None or found["member"] == member)
    return match


def test_plugins_share_one_hub_and_exchange_room_events(janus):
    async def body():
        alice_session = await Session.create(janus.ws_url)
        bob_session = await Session.create(janus.ws_url)
        try:
            alice = await alice_session.attach(A)
            bob = await bob_session.attach(B)
            info_a, _ = await alice.send({"request": "info"})
            info_b, _ = await bob.send({"request": "info"})

            joined_a, _ = await alice.send({"request": "join", "room": "lobby@sylk.test", "display": "Alice"})
            joined_b, _ = await bob.send({"request": "join", "room": "lobby@sylk.test", "display": "Bob"})
            # Alice, served by plugin a, sees Bob join through plugin b
            bob_joined = await alice.next_event(predicate=room_event("joined", joined_b["member"]))
            await bob.send({"request": "post", "text": "hello from b"})
            chat_at_alice = await alice.next_event(predicate=room_event("chat"))
            await alice.send({"request": "post", "text": "hello from a"})
            chat_at_bob = await bob.next_event(predicate=room_event("chat", joined_a["member"]))
            # Bob leaves by detaching: Alice is told
            await bob_session.close()
            bob_left = await alice.next_event(predicate=room_event("left", joined_b["member"]))
            return info_a, info_b, joined_b, bob_joined, chat_at_alice, chat_at_bob, bob_left
        finally:
            await alice_session.close()

    info_a, info_b, joined_b, bob_joined, chat_at_alice, chat_at_bob, bob_left = run(body())
    assert info_a["package"] == A and info_b["package"] == B
    assert info_a["hub_instance"] == info_b["hub_instance"]
    assert {m["plugin"] for m in joined_b["members"]} == {A, B}
    assert bob_joined["plugindata"]["data"]["room_event"]["plugin"] == B
    assert bob_joined["plugindata"]["data"]["room_event"]["data"]["display"] == "Bob"
    chat = chat_at_alice["plugindata"]["data"]["room_event"]
    assert chat["plugin"] == B and chat["data"]["text"] == "hello from b"
    assert chat_at_bob["plugindata"]["data"]["room_event"]["data"]["text"] == "hello from a"
    assert bob_left["plugindata"]["data"]["room_event"]["plugin"] == B


def test_hub_rooms_are_per_name(janus):
    """A chat posted in room-two never reaches a member of room-one. Proven by order, not by a
    timeout: the room-two chat is posted (and its post answered) before a chat in room-one,
    and hub events reach a member in the order they were posted, so the first chat event the
    room-one member sees must be the room-one one."""
    async def body():
        one = await Session.create(janus.ws_url)
        two = await Session.create(janus.ws_url)
        three = await Session.create(janus.ws_url)
        try:
            a = await one.attach(A)
            b = await two.attach(B)
            c = await three.attach(B)
            await a.send({"request": "join", "room": "room-one"})
            await b.send({"request": "join", "room": "room-two"})
            await c.send({"request": "join", "room": "room-one"})
            posted, _ = await b.send({"request": "post", "text": "only for room two"})
            assert posted["posted"] == "ok"
            await c.send({"request": "post", "text": "for room one"})
            first_chat = await a.next_event(predicate=room_event("chat"))
            refused, _ = await a.send({"request": "join", "room": "room-two"})
            return first_chat, refused
        finally:
            await one.close()
            await two.close()
            await three.close()
    first_chat, refused = run(body())
    chat = first_chat["plugindata"]["data"]["room_event"]
    assert chat["room"] == "room-one"
    assert chat["data"]["text"] == "for room one"
    assert refused["error_code"] == 1010  # already in a room


def test_a_third_plugin_chats_with_the_video_room_through_the_event_schema(janus):
    """A plugin the video room knows nothing of (hubprobe) chats in the room through the hub
    event schema: the video room's participant gets its message (origin, sender member id,
    display). Events that break the schema (a chat whose text is a number, a file notice
    without its fields) are dropped by the video room, which goes on with the next event:
    the first message or file the participant sees is the valid chat posted after them."""
    def chat_or_file(event):
        data = event.get("plugindata", {}).get("data", {})
        return "message" in data or "file" in data

    async def body():
        web_session = await Session.create(janus.ws_url)
        probe_session = await Session.create(janus.ws_url)
        try:
            web = await web_session.attach("janus.plugin.sylk.videoroom")
            await web.send({"request": "join", "ptype": "publisher", "room": "schema-room", "display": "Web"})
            probe = await probe_session.attach(A)
            joined, _ = await probe.send({"request": "join", "room": "schema-room", "display": "Probe"})
            bad_chat, _ = await probe.send({"request": "post_raw", "kind": "chat",
                                            "data": {"id": "bad-1", "text": 42, "timestamp": 1}})
            bad_file, _ = await probe.send({"request": "post_raw", "kind": "file", "data": {"name": "x"}})
            await probe.send({"request": "post", "text": "valid after bad"})
            first = await web.next_event(predicate=chat_or_file)
            return joined, bad_chat, bad_file, first
        finally:
            await web_session.close()
            await probe_session.close()

    joined, bad_chat, bad_file, first = run(body())
    assert bad_chat["posted"] == "ok" and bad_file["posted"] == "ok"  # posted: the listeners refused them
    message = first["plugindata"]["data"]["message"]
    assert message["text"] == "valid after bad"
    assert message["origin"] == A
    assert message["from"] == joined["member"] and message["display"] == "Probe"
    assert message["private"] is False and len(message["id"]) == 36
    assert janus.alive()
