"""Federation (issue 12): a user of another XMPP domain joins our rooms through the servers'
server-to-server links. Two real Prosodys in the test's network namespace: A serves domain
a.sylk on 127.0.0.1 with our component conference.a.sylk (the janus fixture connects to it), B
serves b.sylk on 127.0.0.2. Neither domain has an address record: each is found only through
its `_xmpp-server._tcp` SRV record, served by the test's own dnsmasq on 127.0.0.1:53, which both
Prosodys use (through libunbound, Prosody's `unbound.resolvconf`). The top-level domain is a
made-up `.sylk`: libunbound answers `.test` (RFC 6761) itself with NXDOMAIN, never asking.
Dialback (XEP-0220) checks each server through the same records. bob@b.sylk joins room@conference.a.sylk; messages cross
between him, alice@a.sylk and a web user of the video room. SYLK_PROSODY_LOG=debug in the
environment makes both Prosodys log their DNS and s2s steps (shown when the join fails)."""
import asyncio
import os
import shutil
import tempfile

import pytest

from conftest import XMPP_USERS, run
from harness.prosody import Prosody
from harness.room_members import ApiWebUser
from harness.xmpp_client import XmppClient

DNS_DIR = tempfile.mkdtemp(prefix="sylk-xmpp-dns-")
RESOLV_CONF = os.path.join(DNS_DIR, "resolv.conf")
DNS_LOG = os.path.join(DNS_DIR, "dnsmasq.log")
S2S_PORT = 5269
XMPP = True  # the janus fixture uses this module's `prosody` (domain a.sylk) for the plugin
DELIVERY_S = 20  # the first stanza to a domain waits for DNS, the s2s connection and dialback


class FederatedProsody(Prosody):
    """The harness's Prosody with s2s on: plain (loopback, no certificates), dialback, and
    libunbound pointed at the test's dnsmasq."""

    def _write_config(self):
        super()._write_config()
        with open(self.config_path) as source:
            text = source.read()
        text = text.replace("s2s_ports = { }", 's2s_ports = { %d }\ns2s_interfaces = { "%s" }' % (S2S_PORT, self.host))
        text = text.replace('modules_disabled = { "s2s", "tls", "offline" }', 'modules_disabled = { "tls", "offline" }')
        text = text.replace('"websocket", "posix" }', '"websocket", "posix", "dialback" }')
        settings = ('s2s_require_encryption = false\ns2s_secure_auth = false\n'
                    'unbound = {{ resolvconf = "{0}"; hoststxt = false }}\n').format(RESOLV_CONF)
        text = text.replace('\nVirtualHost "', "\n" + settings + '\nVirtualHost "', 1)
        fd = os.open(self.config_path, os.O_WRONLY | os.O_TRUNC)
        with os.fdopen(fd, "w") as out:
            out.write(text)


async def _spawn_dns():
    with open(RESOLV_CONF, "w") as out:
        out.write("nameserver 127.0.0.1\n")
    arguments = [
        "dnsmasq", "--keep-in-foreground", "--user=root", "--group=root", "--pid-file=", "--no-resolv",
        "--no-hosts", "--listen-address=127.0.0.1", "--bind-interfaces", "--port=53", "--local=/sylk/",
        "--log-queries", "--log-facility=" + DNS_LOG,
        # the domains and our component domain: SRV only, to hosts that have the addresses
        "--srv-host=_xmpp-server._tcp.a.sylk,xmpp.a.sylk,%d,0,0" % S2S_PORT,
        "--srv-host=_xmpp-server._tcp.conference.a.sylk,xmpp.a.sylk,%d,0,0" % S2S_PORT,
        "--srv-host=_xmpp-server._tcp.b.sylk,xmpp.b.sylk,%d,0,0" % S2S_PORT,
        "--host-record=xmpp.a.sylk,127.0.0.1",
        "--host-record=xmpp.b.sylk,127.0.0.2",
    ]
    process = await asyncio.create_subprocess_exec(*arguments, stdout=asyncio.subprocess.DEVNULL,
                                                   stderr=asyncio.subprocess.PIPE)
    import dns.asyncresolver
    import dns.exception
    resolver = dns.asyncresolver.Resolver(configure=False)
    resolver.nameservers = ["127.0.0.1"]
    for _ in range(100):
        try:
            await resolver.resolve("_xmpp-server._tcp.b.sylk", "SRV", lifetime=0.5)
            open(DNS_LOG, "w").close()  # the probe's query is not Prosody's
            return process
        except dns.exception.DNSException:
            if process.returncode is not None:
                break
            await asyncio.sleep(0.05)
    raise RuntimeError("dnsmasq did not start: %s" % (await process.stderr.read()).decode(errors="replace"))


@pytest.fixture(scope="module")
def dns_server():
    loop = asyncio.new_event_loop()
    process = loop.run_until_complete(_spawn_dns())
    try:
        yield
    finally:
        process.terminate()
        loop.run_until_complete(process.wait())
        loop.close()


def _serve(server):
    server.start()
    yield server
    alive = server.alive()
    server.stop()
    if not alive:
        pytest.fail("prosody %s died during the tests:\n%s" % (server.domain, server.log_tail()))
    server.remove()


@pytest.fixture(scope="module")
def prosody(dns_server):
    """Domain A (overrides conftest's): the XMPP server our component is attached to."""
    yield from _serve(FederatedProsody(domain="a.sylk", users=XMPP_USERS, log_level=os.environ.get("SYLK_PROSODY_LOG", "info")))


@pytest.fixture(scope="module")
def prosody_b(dns_server):
    """Domain B: another server, on 127.0.0.2, that knows nothing of our component."""
    yield from _serve(FederatedProsody(host="127.0.0.2", domain="b.sylk", users={"bob": "bob-b-pw"},
                                     log_level=os.environ.get("SYLK_PROSODY_LOG", "info")))


def dns_queries():
    with open(DNS_LOG) as log:
        return [line.split("query", 1)[1].split(" from ")[0].strip() for line in log if " query[" in line]


def test_a_user_of_another_domain_joins_a_room_over_s2s(janus, prosody, prosody_b):
    name = "federated"
    room = "%s@%s" % (name, prosody.muc_domain)
    assert room.endswith("@conference.a.sylk")

    async def body():
        wendy = alice = bob = None
        try:
            wendy = await ApiWebUser.join(janus.ws_url, name, "Wendy")
            alice = await XmppClient.connect(prosody, "alice")
            bob = await XmppClient.connect(prosody_b, "bob")
            assert bob.bare_jid == "bob@b.sylk"
            assert (await alice.join(room, "Alice")).error is None
            joined = await bob.join(room, "Bob", timeout=DELIVERY_S + 10)
            assert joined.error is None, "%s\nDNS: %s\nB: %s\nA: %s" % (
                joined.error, dns_queries(), prosody_b.log_tail(30), prosody.log_tail(30))
            assert sorted(joined.occupants) == ["Alice", "Wendy"], joined.order
            assert 110 in joined.self_presence.status_codes and joined.self_presence.sender == room + "/Bob"
            await alice.wait_presence(lambda p: p.sender == room + "/Bob" and p.type == "available", DELIVERY_S)
            await wendy.wait(lambda: [a for a in wendy.attendee_events() if a["display"] == "Bob" and a["present"]],
                             DELIVERY_S, "Bob from b.sylk")

            # messages cross: b.sylk -> our room -> a.sylk and the web; and back to b.sylk
            said = bob.groupchat(room, "hello from b.sylk")
            echo = await bob.wait_message(lambda m: m.body == "hello from b.sylk", DELIVERY_S)
            assert echo.id == said and echo.sender == room + "/Bob"
            got = await alice.wait_message(lambda m: m.body == "hello from b.sylk", DELIVERY_S)
            assert got.sender == room + "/Bob" and got.type == "groupchat"
            web = await wendy.wait_message(lambda m: m["text"] == "hello from b.sylk", DELIVERY_S)
            assert web["display"] == "Bob"
            alice.groupchat(room, "hello from a.sylk")
            got = await bob.wait_message(lambda m: m.body == "hello from a.sylk", DELIVERY_S)
            assert got.sender == room + "/Alice"
            await wendy.say("hello from the web")
            got = await bob.wait_message(lambda m: m.body == "hello from the web", DELIVERY_S)
            assert got.sender == room + "/Wendy"
            # a private message from the web user reaches him across the link too
            _, attendees = await wendy.listing(name)
            bob_member = next(a["id"] for a in attendees if a["display"] == "Bob")
            await wendy.say("just for you", to=bob_member)
            got = await bob.wait_message(lambda m: m.body == "just for you", DELIVERY_S)
            assert got.type == "chat" and got.sender == room + "/Wendy"

            # the servers found each other through the SRV records (no address records exist
            # for the domains themselves)
            asked = dns_queries()
            assert any("_xmpp-server._tcp.conference.a.sylk" in q for q in asked), asked
            assert any("_xmpp-server._tcp.b.sylk" in q for q in asked), asked

            await bob.leave(room, "Bob")
            await alice.wait_presence(lambda p: p.sender == room + "/Bob" and p.type == "unavailable", DELIVERY_S)
        finally:
            for member in (bob, alice):
                if member:
                    await member.disconnect()
            if wendy:
                await wendy.close()
    run(body(), timeout=120)


def teardown_module(_module):
    shutil.rmtree(DNS_DIR, ignore_errors=True)
