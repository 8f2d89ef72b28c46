"""Bad input from the server's side of the component link (issue 12, "Bad input"): what Prosody
never sends but a broken or hostile server could. The server is the test's own XEP-0114 endpoint
(harness/component_server.py); the plugin's answers are read off the link, and the hub room is
seen by a web user of the video room (ApiWebUser).

- Malformed XML: what came before it is answered, the link is dropped with a clear log line and
  made again, nothing after it is taken, the SIP users' link is untouched.
- An endless stanza (a body that never closes): cut after link_stanza_kb, the link dropped and
  made again, so the plugin never holds more than that (before, it read all 64 MB); a large
  stanza under the bound is read and answered as usual (its body is over max_body_bytes:
  not-acceptable) and keeps the link.
- The link drops in the middle of a join (the join presence, then the server closes): the
  occupant does not stay in the hub room or in the plugin's rooms, and the same join over the
  new link is taken (self-presence 110, no 409 from a leftover).
- The server ends the stream cleanly right after an occupant's messages: every one of them
  reaches the room (no stanza lost that the server sent) before the occupant leaves.
- Handshakes refused in a row: the attempts come with the documented doubling backoff, capped."""
import asyncio
import contextlib
import re
import time

from conftest import run
from harness.component_server import ComponentServer, link_status as status, link_status_until as until
from harness.janus_api import Admin
from harness.room_members import ApiWebUser

SERVER_PORT = 5351  # the test's server, beside the module's Prosody (5347), in the test's namespace
STANZA_KB = 256
XMPP = {"server_port": SERVER_PORT, "reconnect_min_ms": 100, "reconnect_max_ms": 500, "link_stanza_kb": STANZA_KB}
MUC_NS = "http://jabber.org/protocol/muc"


def disco(domain, stanza_id):
    return ("<iq type='get' id='%s' from='user@localhost/r' to='%s'>"
            "<query xmlns='http://jabber.org/protocol/disco#info'/></iq>" % (stanza_id, domain))


async def read_into(reader, buffer, stop_on=None):
    """Appends what the plugin writes until the link closes (or `stop_on` is in it)."""
    while True:
        try:
            chunk = await reader.read(65536)
        except ConnectionError:
            return
        if not chunk:
            return
        buffer.extend(chunk)
        if stop_on and stop_on in buffer:
            return


def dave_joins(room):
    """Dave's join presence to a MUC room, as the server would pass it on."""
    return "<presence from='dave@localhost/r' to='%s/Dave'><x xmlns='%s'/></presence>" % (room, MUC_NS)


@contextlib.asynccontextmanager
async def against(janus, script, room=None, **server_options):
    """The test's component server playing script, the admin API and, with a room, Wendy in that
    video room; all closed at the end."""
    server = await ComponentServer(SERVER_PORT, script, **server_options).start()
    admin = wendy = None
    try:
        admin = await Admin.open(janus.admin_url, janus.admin_secret)
        if room:
            wendy = await ApiWebUser.join(janus.ws_url, room, "Wendy")
        yield server, admin, wendy
    finally:
        if wendy:
            await wendy.close()
        if admin:
            await admin.close()
        await server.close()


async def relinked(admin, go, timeout=15):
    """Once the MUC link is up, lets go the script's drop of it; returns the status once the link
    is made again."""
    before = await until(admin, lambda s: s["muc"]["link"]["connected"])
    go.set()
    return await until(admin, lambda s: s["muc"]["link"]["connects"] > before["muc"]["link"]["connects"]
                       and s["muc"]["link"]["connected"], timeout=timeout)


async def wait_bytes(buffer, pattern, timeout=15):
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not re.search(pattern, bytes(buffer)):
        assert loop.time() < deadline, (pattern, bytes(buffer[-2000:]))
        await asyncio.sleep(0.05)
    return re.search(pattern, bytes(buffer))


def test_malformed_xml_from_the_server_drops_and_remakes_the_link(janus, prosody):
    muc_domain, sip_domain = prosody.muc_domain, prosody.sip_domain
    first, second = bytearray(), bytearray()
    closed = asyncio.Event()

    async def script(domain, index, reader, writer):
        if domain != muc_domain:
            return
        if index == 0:
            writer.write((disco(muc_domain, "before") + "<message from='user@localhost/r' to='%s'><body>a</bod>"
                          "</message>" % muc_domain + disco(muc_domain, "after")).encode())
            await read_into(reader, first)
            closed.set()
        elif index == 1:
            writer.write(disco(muc_domain, "again").encode())
            await read_into(reader, second)

    async def body():
        async with against(janus, script) as (server, admin, _):
            await asyncio.wait_for(closed.wait(), 20)  # the plugin closed the link with the bad XML
            after = await until(admin, lambda s: s["muc"]["link"]["connects"] >= 2 and s["muc"]["link"]["connected"])
            await wait_bytes(second, rb"id=['\"]again['\"]")  # the new link works
            assert re.search(rb"<iq[^>]*id=['\"]before['\"]", bytes(first)), bytes(first)  # answered before the bad XML
            assert not re.search(rb"id=['\"]after['\"]", bytes(first) + bytes(second)), "read past malformed XML"
            assert after["sip"]["link"]["connects"] == 1 and after["sip"]["link"]["connected"], after["sip"]["link"]
            assert server.links.count(sip_domain) == 1, server.links

    run(body(), timeout=60)
    assert janus.alive()
    log = janus.log_tail(400)
    assert "component %s: the server sent malformed XML" % muc_domain in log, log[-3000:]


def test_an_endless_stanza_is_cut_at_link_stanza_kb(janus, prosody):
    muc_domain = prosody.muc_domain
    endless = {"written": 0, "dropped": False}
    second = bytearray()
    cut = asyncio.Event()

    async def script(domain, index, reader, writer):
        if domain != muc_domain:
            return
        if index == 0:
            writer.write(("<message from='user@localhost/r' to='%s' type='groupchat'><body>" % muc_domain).encode())
            chunk = b"x" * 65536
            try:
                while endless["written"] < 64 * 1024 * 1024:
                    writer.write(chunk)
                    await writer.drain()
                    endless["written"] += len(chunk)
            except ConnectionError:
                endless["dropped"] = True
            cut.set()
            return
        if index == 1:
            # a stanza under the bound, body over max_body_bytes (64 KiB): an error, the link stays
            writer.write(("<message id='large' from='user@localhost/r' to='room@%s' type='groupchat'><body>%s</body>"
                          "</message>" % (muc_domain, "y" * (STANZA_KB * 1024 // 2))).encode() + disco(muc_domain, "then").encode())
            await read_into(reader, second)

    async def body():
        async with against(janus, script) as (_, admin, _):
            await asyncio.wait_for(cut.wait(), 60)
            after = await until(admin, lambda s: s["muc"]["link"]["connects"] >= 2 and s["muc"]["link"]["connected"])
            connects = after["muc"]["link"]["connects"]
            error = await wait_bytes(second, rb"<message[^>]*id=['\"]large['\"][^>]*>.*?</message>")
            assert b"type='error'" in error.group(0) or b'type="error"' in error.group(0), error.group(0)[:500]
            await wait_bytes(second, rb"<iq[^>]*id=['\"]then['\"]")
            again = await status(admin)
            assert again["muc"]["link"]["connects"] == connects and again["muc"]["link"]["connected"], again["muc"]

    run(body(), timeout=120)
    assert janus.alive()
    # dropped after at most link_stanza_kb plus what the sockets hold (a few MB on loopback)
    assert endless["dropped"] and endless["written"] < 24 * 1024 * 1024, endless
    log = janus.log_tail(400)
    assert "component %s: the server sent a stanza over %d KiB" % (muc_domain, STANZA_KB) in log, log[-3000:]


def test_the_link_dropping_mid_join_leaves_no_occupant(janus, prosody):
    muc_domain = prosody.muc_domain
    name = "mid-join"
    room = "%s@%s" % (name, muc_domain)
    join = dave_joins(room).encode()
    go, rejoin = asyncio.Event(), asyncio.Event()
    second = bytearray()

    async def script(domain, index, reader, writer):
        if domain != muc_domain:
            return
        if index == 0:
            await go.wait()
            writer.write(join)
            await writer.drain()
            writer.transport.abort()  # the server goes, the join in flight
            return
        if index == 1:
            await rejoin.wait()
            writer.write(join)
            await read_into(reader, second)

    async def body():
        async with against(janus, script, name) as (_, admin, wendy):
            await relinked(admin, go)
            # nobody is left of the join the link lost ...
            after = await until(admin, lambda s: not [r for r in s["muc"]["rooms"] if r["room"] == name and r["occupants"]])
            for event in wendy.attendee_events():
                if event["display"] == "Dave" and event["present"]:  # it got in before the link went: and out
                    await wendy.wait(lambda: [a for a in wendy.attendee_events()
                                              if a["display"] == "Dave" and not a["present"]], 15, "Dave leaving")
            _, attendees = await wendy.listing(name)
            assert attendees == [], attendees
            # ... and the same join over the new link is taken: its own presence (110), no conflict
            rejoin.set()
            selfp = await wait_bytes(second, rb"<presence[^>]*to=['\"]dave@localhost/r['\"][^>]*>(?:(?!</presence>).)*"
                                             rb"status code=['\"]110['\"]", 20)
            assert b"type='error'" not in selfp.group(0), selfp.group(0)
            assert not re.search(rb"<presence[^>]*type=['\"]error['\"]", bytes(second)), bytes(second)[-1500:]
            await wendy.wait(lambda: [a for a in wendy.attendee_events() if a["display"] == "Dave"][-1:]
                             and [a for a in wendy.attendee_events() if a["display"] == "Dave"][-1]["present"],
                             15, "Dave present again")
            current = await status(admin)
            [entry] = [r for r in current["muc"]["rooms"] if r["room"] == name]
            assert [o["nick"] for o in entry["occupants"]] == ["Dave"], entry
            return after

    run(body(), timeout=60)
    assert janus.alive()


def test_every_stanza_before_the_server_closes_the_stream_is_taken(janus, prosody):
    """No stanza lost that the server sent: an occupant's 20 groupchat messages and the end of the
    stream in one write reach the web user, all, once, in order, before the occupant leaves with
    the link."""
    muc_domain = prosody.muc_domain
    name = "closing"
    room = "%s@%s" % (name, muc_domain)
    go = asyncio.Event()
    count = 20

    async def script(domain, index, reader, writer):
        if domain != muc_domain or index != 0:
            return
        await go.wait()
        writer.write(dave_joins(room).encode())
        joined = bytearray()
        await read_into(reader, joined, stop_on=b"code='110'")
        writer.write(("".join("<message from='dave@localhost/r' to='%s' type='groupchat' id='c%d'><body>last words %d"
                              "</body></message>" % (room, i, i) for i in range(count))
                      + "</stream:stream>").encode())
        await writer.drain()
        writer.write_eof()  # a clean close: everything written before it is the plugin's
        await read_into(reader, bytearray())

    async def body():
        async with against(janus, script, name) as (_, admin, wendy):
            await relinked(admin, go)
            await wendy.wait(lambda: [a for a in wendy.attendee_events() if a["display"] == "Dave" and not a["present"]],
                             15, "Dave leaving with the link")
            texts = [m["text"] for m in wendy.messages(lambda m: m["text"].startswith("last words"))]
            assert texts == ["last words %d" % i for i in range(count)], texts

    run(body(), timeout=60)
    assert janus.alive()


def test_refused_handshakes_are_retried_with_a_doubling_backoff(janus, prosody):
    """Reconnects with backoff (reconnect_min_ms 100 doubling to reconnect_max_ms 500 here): the
    server drops a working link, then refuses the next six handshakes (not-authorized, as for a
    wrong secret); the attempts come 0.1, 0.2, 0.4 s apart, then every 0.5 s, and the seventh
    is taken."""
    muc_domain = prosody.muc_domain
    refusals = 6
    dropped = {}
    drop = asyncio.Event()

    async def script(domain, index, reader, writer):
        if domain == muc_domain and index == 0:
            await drop.wait()
            dropped["at"] = time.monotonic()
            writer.write(b"</stream:stream>")
            writer.close()

    async def body():
        refuse = lambda domain, attempt: domain == muc_domain and 1 <= attempt <= refusals  # noqa: E731
        async with against(janus, script, refuse=refuse) as (server, admin, _):
            await relinked(admin, drop, timeout=30)  # connected first: its backoff is reset
            times = [dropped["at"]] + [t for d, t in server.attempts if d == muc_domain][1:]
            return [b - a for a, b in zip(times, times[1:])]

    gaps = run(body(), timeout=60)
    print("gaps between attempts (s):", ["%.3f" % g for g in gaps])
    assert len(gaps) == refusals + 1, gaps
    # timers never fire early: lower bounds are exact (a little slack for clock reading)
    for gap, least in zip(gaps, (0.1, 0.2, 0.4, 0.5, 0.5, 0.5, 0.5)):
        assert gap >= least - 0.02, (gaps, least)
    # and the doubling stops at the maximum (uncapped it would be 0.8, 1.6, 3.2 s)
    assert sorted(gaps[3:])[len(gaps[3:]) // 2] <= 0.9, gaps
    assert janus.alive()
