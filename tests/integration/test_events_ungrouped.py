"""The sample event handler configured the other way round from test_events.py: one JSON object
per POST (grouping = false) and only plugin events (events = "plugins"). The plugins' events
arrive the same, and the mask keeps Janus core's own events out. A participant whose handle
goes away without a leave request is still reported leaving."""
import asyncio

from conftest import run
from harness.janus_api import Session
from test_videoroom_api import Participant

EVENT_COLLECTOR = {"grouping": False, "events": "plugins"}

ROOM = "janus.plugin.sylk.videoroom"


def test_one_event_per_post_and_only_plugin_events(janus):
    async def body():
        carol = Participant(janus, "ungrouped-room", "Carol")
        try:
            await carol.join()
            joined = await janus.events.wait(ROOM, lambda e: e.get("event") == "joined" and e["_handle_id"] == carol.handle.id)
            await carol.handle.send({"request": "leave"})
            left = await janus.events.wait(ROOM, lambda e: e.get("event") == "leaving" and e["_handle_id"] == carol.handle.id)
            # Dan closes the page: his handle is detached, and his leaving still reported
            dan = Participant(janus, "ungrouped-room", "Dan")
            await dan.join()
            await dan.close()
            gone = await janus.events.wait(ROOM, lambda e: e.get("event") == "leaving" and e.get("id") == dan.joined["id"])
            # a handle attached to another plugin: Janus core's "attached" is masked out
            session = await Session.create(janus.ws_url)
            await session.attach("janus.plugin.sylk.echo")
            await session.close()
            await asyncio.sleep(1)
            return carol.joined["id"], joined, left, gone
        finally:
            await carol.close()

    carol_id, joined, left, gone = run(body())
    assert joined["id"] == carol_id and joined["display"] == "Carol" and joined["room"] == "ungrouped-room"
    assert left["id"] == carol_id
    assert gone["display"] == "Dan" and gone["room"] == "ungrouped-room" and gone["_handle_id"] is None, gone
    events = janus.events
    assert events.posts == len(events.events) and events.grouped_posts == 0 and not events.malformed
    assert {e["type"] for e in events.events} == {64}, [e["type"] for e in events.events]
    assert janus.alive()
