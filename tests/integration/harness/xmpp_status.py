"""The XMPP plugin's status (janus.plugin.sylk.xmpp's "status" request), as a client of the Janus
API sees it: the component link, the rooms' multicast, the SIP side (docs/xmpp-api.md)."""
from harness.janus_api import Session

PLUGIN = "janus.plugin.sylk.xmpp"


async def xmpp_status(ws_url):
    """The reply's "status" object, asked on a handle of a session of its own."""
    session = await Session.create(ws_url)
    try:
        handle = await session.attach(PLUGIN)
        reply, _ = await handle.send({"request": "status"})
        return reply["status"]
    finally:
        await session.close()
