"""janus.plugin.sylk.xmpp reports to Janus's event handlers (docs/events.md): its component link
coming up and going down, and XMPP occupants joining, changing nickname, being kicked and
leaving rooms. Janus's sample event handler POSTs them to the test's collector (conftest's
EVENT_COLLECTOR); the occupants are slixmpp clients of a real Prosody, the link drop a real
Prosody restart."""
import asyncio

from conftest import run
from harness.xmpp_client import XmppClient
from test_xmpp_muc_reconnect import wait_component

EVENT_COLLECTOR = True
XMPP = {"moderators": "alice@localhost"}
PLUGIN = "janus.plugin.sylk.xmpp"
NS_ADMIN = "http://jabber.org/protocol/muc#admin"


def having(**fields):
    return lambda e: all(e.get(k) == v for k, v in fields.items())


def test_xmpp_link_and_occupant_events(janus, prosody):
    name = "events-xmpp"
    room = "%s@%s" % (name, prosody.muc_domain)

    async def body():
        events = janus.events
        up = await events.wait(PLUGIN, having(event="link_up", domain=prosody.muc_domain), 20)
        assert up["_handle_id"] is None and up["server"].endswith(":%d" % prosody.component_port), up
        alice, bob, carol = [await XmppClient.connect(prosody, user) for user in ("alice", "bob", "carol")]
        try:
            assert (await alice.join(room, "Alice")).error is None
            assert (await bob.join(room, "Bob")).error is None
            joined_alice = await events.wait(PLUGIN, having(event="joined", room=name, nick="Alice"))
            joined_bob = await events.wait(PLUGIN, having(event="joined", room=name, nick="Bob"))
            assert joined_alice["jid"] == "alice@localhost" and joined_alice["moderator"] is True, joined_alice
            assert joined_bob["jid"] == "bob@localhost" and joined_bob["moderator"] is False, joined_bob
            assert joined_alice["member"].startswith(PLUGIN + "/") and joined_alice["member"] != joined_bob["member"]

            bob.send_raw("<presence to='%s/Robert'/>" % room)
            renamed = await events.wait(PLUGIN, having(event="nick_changed", room=name))
            assert (renamed["old_nick"], renamed["nick"], renamed["member"]) == ("Bob", "Robert", joined_bob["member"])

            answer = await alice.iq(room, "<query xmlns='%s'><item nick='Robert' role='none'><reason>test</reason>"
                                          "</item></query>" % NS_ADMIN, "set")
            assert answer.type == "result", answer
            kicked = await events.wait(PLUGIN, having(event="kicked", room=name))
            assert kicked["member"] == joined_bob["member"] and kicked["nick"] == "Robert", kicked
            assert kicked["by"] == joined_alice["member"] and kicked["actor"] == "Alice" and kicked["reason"] == "test"

            assert (await carol.join(room, "Carol")).error is None
            await events.wait(PLUGIN, having(event="joined", room=name, nick="Carol"))
            await alice.leave(room, "Alice")
            left = await events.wait(PLUGIN, having(event="left", room=name, nick="Alice"))
            assert left["reason"] == "unavailable" and left["member"] == joined_alice["member"], left
        finally:
            await alice.disconnect()
            await bob.disconnect()

        # the server goes: the link is reported down, Carol leaves, and the link comes back up
        try:
            ups_before = len([e for e in events.plugin_events(PLUGIN) if e.get("event") == "link_up"])
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(None, prosody.stop)
            down = await events.wait(PLUGIN, having(event="link_down", domain=prosody.muc_domain), 20)
            assert down["occupants"] in (0, 1), down
            # Prosody ends Carol's session first (her unavailable reaches the room) or not:
            # either way she leaves, with the reason that applied
            gone = await events.wait(PLUGIN, having(event="left", room=name, nick="Carol"))
            assert gone["reason"] == ("link down" if down["occupants"] else "unavailable"), (gone, down)
            await loop.run_in_executor(None, prosody.start)
            await wait_component(prosody)
            await events.wait(PLUGIN, lambda e: e.get("event") == "link_up" and len(
                [x for x in events.plugin_events(PLUGIN) if x.get("event") == "link_up"]) > ups_before, 30)
        finally:
            await carol.disconnect()
    run(body(), timeout=150)
