"""The component link to Prosody drops and comes back (Prosody restarted under janus): the XMPP
occupants leave the hub room while the link is down (the web users see them go), the plugin
reconnects on its own with backoff, and a new join works with the room's state intact."""
import asyncio

from conftest import run
from harness.janus_api import Admin
from harness.room_members import ApiWebUser
from harness.xmpp_client import XmppClient, XmppTimeout

XMPP = {"reconnect_min_ms": 250, "reconnect_max_ms": 2000}  # a short backoff: the test waits for it
PLUGIN = "janus.plugin.sylk.xmpp"
DELIVERY_S = 15
RECONNECT_S = 30  # backoff 0.25 s doubling to 2 s (XMPP above), plus Prosody start-up on a busy machine


def room_jid(prosody, name):
    return "%s@%s" % (name, prosody.muc_domain)


async def wait_component(prosody, deadline_s=RECONNECT_S):
    """Until the rooms' domain answers disco#info through Prosody (our component is linked again)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + deadline_s
    while True:
        client = await XmppClient.connect(prosody, "carol")
        try:
            answer = await client.disco_info(prosody.muc_domain, timeout=5)
            if answer.type == "result":
                return loop.time()
        except XmppTimeout:
            pass
        finally:
            await client.disconnect()
        if loop.time() > deadline:
            raise AssertionError("the component did not come back within %ss:\n%s" % (deadline_s, prosody.log_tail(20)))
        await asyncio.sleep(0.5)  # polling the server, not a wait for readiness


def test_prosody_restart_the_plugin_reconnects(janus, prosody):
    name = "reconnect"
    room = room_jid(prosody, name)

    async def body():
        wendy = await ApiWebUser.join(janus.ws_url, name, "Wendy")
        alice = await XmppClient.connect(prosody, "alice")
        try:
            assert (await alice.join(room, "Alice")).occupants == ["Wendy"]
            alice.groupchat(room, "before the restart")
            await wendy.wait_message(lambda m: m["text"] == "before the restart", DELIVERY_S)

            loop = asyncio.get_running_loop()
            await loop.run_in_executor(None, prosody.stop)
            # while the link is down, Alice is gone from the hub room: Wendy sees her leave
            await wendy.wait(lambda: [a for a in wendy.attendee_events() if a["display"] == "Alice" and not a["present"]],
                             DELIVERY_S, "Alice leaving with the link")
            _, attendees = await wendy.listing(name)
            assert attendees == []
            # something said while the link is down is kept in the room's history
            await wendy.say("while you were away")
            await loop.run_in_executor(None, prosody.start)
            await wait_component(prosody)

            again = await XmppClient.connect(prosody, "alice")
            try:
                joined = await again.join(room, "Alice")
                assert joined.error is None and joined.occupants == ["Wendy"], joined.order
                assert [m.body for m in joined.history] == ["before the restart", "while you were away"]
                again.groupchat(room, "after the restart")
                got = await wendy.wait_message(lambda m: m["text"] == "after the restart", DELIVERY_S)
                assert got["display"] == "Alice"
                await wendy.say("welcome back")
                await again.wait_message(lambda m: m.body == "welcome back" and m.sender == room + "/Wendy", DELIVERY_S)
                # exactly once, also across the reconnect
                await asyncio.sleep(1.5)
                assert len(wendy.messages(lambda m: m["text"] == "after the restart")) == 1
                assert len(again.messages(lambda m: m.body == "welcome back")) == 1

                admin = await Admin.open(janus.admin_url, janus.admin_secret)
                try:
                    status = await admin.message_plugin(PLUGIN, {"request": "status"})
                finally:
                    await admin.close()
                assert prosody.secret not in repr(status)
                link = status.get("status", status)["muc"]["link"]
                assert link["connected"] is True and link["connects"] >= 2, link  # the first link and the new one
            finally:
                await again.disconnect()
        finally:
            await alice.disconnect(timeout=2)
            await wendy.close()
    run(body(), timeout=180)
    assert janus.alive()
