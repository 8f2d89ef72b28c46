"""link_stall_ms of the component link (issue 12, docs/xmpp.md "Attaching the plugin"): bytes the
server does not take wait in the plugin (BufferedTcpConnection), and the link is dropped and
made again when the server reads nothing for link_stall_ms, even while the backlog is far below
link_backlog_kb (test_xmpp_link_backlog.py has the backlog bound); a server that reads slowly,
but reads, keeps its link and gets every reply, in order. The server is the test's own XEP-0114
endpoint (harness/component_server.py): the rooms' link gets a burst of disco#info requests,
and then the server reads nothing (first test) or reads in short bursts with pauses shorter than
link_stall_ms (second test)."""
import asyncio
import re

from conftest import run
from harness.component_server import FloodedLink, link_status_until
from harness.janus_api import Admin

SERVER_PORT = 5350  # the test's server, beside the module's Prosody (5347), in the test's namespace
BACKLOG_KB = 64 * 1024  # far above what the stalled link ever holds: only the stall timer can drop it
STALL_MS = 2000
XMPP = {"server_port": SERVER_PORT, "reconnect_min_ms": 100, "reconnect_max_ms": 500,
        "link_backlog_kb": BACKLOG_KB, "link_stall_ms": STALL_MS}


def requests(domain, count, prefix):
    return "".join("<iq type='get' id='%s%d' from='user@localhost/r' to='%s'>"
                   "<query xmlns='http://jabber.org/protocol/disco#info'/></iq>" % (prefix, i, domain)
                   for i in range(count))


def until(admin, probe, timeout=30, seen=None):
    return link_status_until(admin, probe, timeout, seen)


def test_a_server_that_reads_nothing_loses_the_link_after_link_stall_ms(janus, prosody):
    muc_domain, sip_domain = prosody.muc_domain, prosody.sip_domain
    async def read_nothing(reader):
        await asyncio.Event().wait()

    async def body():
        server = FloodedLink(SERVER_PORT, muc_domain, read_nothing)
        await server.start()
        admin = await Admin.open(janus.admin_url, janus.admin_secret)
        try:
            await until(admin, lambda s: s["muc"]["link"]["connected"] and s["sip"]["link"]["connected"])
            # ~20 MB of replies: more than loopback's socket buffers (a few MB), far less than the bound
            server.requests = requests(muc_domain, 40000, "d")
            server.flood.set()
            seen = []
            # bytes wait while the server reads nothing, until link_stall_ms: the link is dropped
            # and made again (to a reading link), the backlog freed; the log below says it was the
            # stall timer, not the backlog bound
            after = await until(admin, lambda s: s["muc"]["link"]["connects"] >= 2 and s["muc"]["link"]["connected"],
                                timeout=60, seen=seen)
            assert server.sent.is_set()
            assert after["muc"]["link"]["backlog_bytes"] == 0, after["muc"]["link"]
            assert after["muc"]["link"]["backlogs"] >= 1, after["muc"]["link"]
            peak = max(link["backlog_bytes"] for link in seen)
            assert peak <= BACKLOG_KB * 1024, peak
            assert after["sip"]["link"]["connects"] == 1 and after["sip"]["link"]["connected"], after["sip"]["link"]
            assert server.links.count(muc_domain) >= 2 and server.links.count(sip_domain) == 1, server.links
        finally:
            await admin.close()
            await server.close()

    run(body(), timeout=90)
    assert janus.alive()
    log = janus.log_tail(400)
    assert "component %s: the server read nothing for %d ms" % (muc_domain, STALL_MS) in log, log[-3000:]
    assert "the server stopped reading: more than" not in log, log[-3000:]


def test_a_server_that_reads_slowly_keeps_the_link_and_gets_every_reply(janus, prosody):
    muc_domain = prosody.muc_domain
    count = 16000  # ~8 MB of replies: a backlog beyond the socket buffers
    received = bytearray()
    done = asyncio.Event()
    reading = {}

    async def read_slowly(reader):
        # 512 kB at a time, then a pause of a quarter of link_stall_ms: the whole takes several
        # stall times, and the plugin sees progress within each
        loop = asyncio.get_running_loop()
        while not done.is_set():
            budget = len(received) + 512 * 1024
            while len(received) < budget:
                try:
                    chunk = await reader.read(65536)
                except ConnectionError:
                    chunk = b""
                if not chunk:  # the plugin dropped the link
                    reading["lost_after"] = len(received)
                    done.set()
                    return
                received.extend(chunk)
                if ("id='s%d'" % (count - 1)).encode() in received[-4096:] or \
                        ('id="s%d"' % (count - 1)).encode() in received[-4096:]:
                    reading["seconds"] = loop.time() - reading["since"]
                    done.set()
                    break
            await asyncio.sleep(STALL_MS / 4000)

    async def body():
        server = FloodedLink(SERVER_PORT, muc_domain, read_slowly)
        await server.start()
        admin = await Admin.open(janus.admin_url, janus.admin_secret)
        try:
            before = await until(admin, lambda s: s["muc"]["link"]["connected"])
            connects = before["muc"]["link"]["connects"]
            server.requests = requests(muc_domain, count, "s")
            server.flood.set()
            await asyncio.wait_for(server.sent.wait(), 30)
            reading["since"] = asyncio.get_running_loop().time()
            seen = []
            await until(admin, lambda s: s["muc"]["link"]["backlog_bytes"] > 0, seen=seen)
            await asyncio.wait_for(done.wait(), 120)
            assert "lost_after" not in reading, reading
            after = await until(admin, lambda s: s["muc"]["link"]["backlog_bytes"] == 0, seen=seen)
            assert after["muc"]["link"]["connects"] == connects and after["muc"]["link"]["connected"], after["muc"]
            assert all(link["connects"] == connects for link in seen), seen[-1]
        finally:
            await admin.close()
            await server.close()

    run(body(), timeout=180)
    assert janus.alive()
    assert reading["seconds"] > 2 * STALL_MS / 1000, reading  # it outlasted the stall time: progress re-armed it
    ids = re.findall(rb"<iq[^>]*\sid=['\"]s(\d+)['\"]", bytes(received))
    assert [int(i) for i in ids] == list(range(count)), (len(ids), ids[:5], ids[-5:])
