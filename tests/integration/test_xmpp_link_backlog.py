"""A component link whose server stops reading (issue 12): janus.plugin.sylk.xmpp's writes to the
server never block its stack thread. The server here is a test's own XEP-0114 endpoint (it
answers the stream header and handshake of both component domains like Prosody does, and keeps
reading the later links): on the rooms' link it sends a burst of disco#info requests and then
reads nothing more, with a small receive buffer. The replies fill the socket; the plugin keeps
what the socket does not take, answers status requests meanwhile (the stack thread runs), and
drops the link once more than link_backlog_kb waits (or nothing was read for link_stall_ms),
then connects again; the SIP users' link is untouched. gloox's own blocking send() stalled the
thread for good (no status answer) before."""
import asyncio
import re

from conftest import run
from harness.component_server import FloodedLink, link_status_until
from harness.janus_api import Admin

SERVER_PORT = 5349  # the test's server, beside the module's Prosody (5347), in the test's namespace
BACKLOG_KB = 256
STALL_MS = 1000
XMPP = {"server_port": SERVER_PORT, "reconnect_min_ms": 100, "reconnect_max_ms": 500,
        "link_backlog_kb": BACKLOG_KB, "link_stall_ms": STALL_MS}


async def never_read(reader):
    await asyncio.Event().wait()


def test_a_server_that_stops_reading_does_not_stall_the_plugin(janus, prosody):
    muc_domain, sip_domain = prosody.muc_domain, prosody.sip_domain

    async def body():
        server = FloodedLink(SERVER_PORT, muc_domain, never_read)
        await server.start()
        admin = await Admin.open(janus.admin_url, janus.admin_secret)
        try:
            # The plugin started before this server listened: its backoff brings both links here.
            await link_status_until(admin, lambda s: s["muc"]["link"]["connected"] and s["sip"]["link"]["connected"])
            # ~20 MB of replies (~0.5 kB each): more than the socket buffers (up to 4 MB on loopback)
            # and the backlog bound together.
            server.requests = "".join("<iq type='get' id='d%d' from='user@localhost/r' to='%s'>"
                                      "<query xmlns='http://jabber.org/protocol/disco#info'/></iq>" % (i, muc_domain)
                                      for i in range(40000))
            server.flood.set()
            await asyncio.wait_for(server.sent.wait(), 20)
            # The stack thread keeps answering while the server reads nothing; the stuck link is
            # dropped and made again (to a reading link), the SIP users' link never went.
            after = await link_status_until(admin, lambda s: s["muc"]["link"]["connects"] >= 2 and s["muc"]["link"]["connected"])
            assert after["muc"]["link"]["backlogs"] >= 1, after["muc"]["link"]
            assert after["sip"]["link"]["connects"] == 1 and after["sip"]["link"]["connected"], after["sip"]["link"]
            assert server.links.count(muc_domain) >= 2 and server.links.count(sip_domain) == 1, server.links
            return after
        finally:
            await admin.close()
            await server.close()

    run(body(), timeout=60)
    assert janus.alive()
    log = janus.log_tail(400)
    assert re.search(r"component %s: the server (stopped reading|read nothing)" % re.escape(muc_domain), log), log[-3000:]
