"""The XMPP harness on its own, before any of our C++ is involved: the harness Prosody
(harness/prosody.py) with slixmpp clients (harness/xmpp_client.py) chatting through Prosody's own
MUC component, the XEP-0114 component port taking the handshake our plugin will make (and refusing
a wrong secret), and a restart dropping and restoring the links. The janus XMPP tests then trust
the clients' view of a room because of these."""
import asyncio
import hashlib
import re
import socket

import pytest

from conftest import run
from harness.xmpp_client import XmppClient, disco_features, disco_identities

DELIVERY_S = 10  # generous: the machine is shared (a delivery takes milliseconds)


def test_prosody_registered_users_log_in(prosody):
    async def body():
        alice = await XmppClient.connect(prosody, "alice")
        try:
            assert alice.bare_jid == "alice@localhost"
        finally:
            await alice.disconnect()
        with pytest.raises(RuntimeError, match="cannot log in"):
            await XmppClient.connect(prosody, "alice", password="wrong")
    run(body())


def test_two_clients_chat_through_prosodys_own_muc(prosody):
    room = "harness@" + prosody.own_muc_domain

    async def body():
        alice = await XmppClient.connect(prosody, "alice")
        bob = await XmppClient.connect(prosody, "bob")
        try:
            joined = await alice.join(room, "Alice")
            assert joined.error is None, joined.error
            assert joined.self_presence is not None and 110 in joined.self_presence.status_codes
            assert joined.occupants == []
            said = alice.groupchat(room, "before bob came")
            echo = await alice.wait_message(lambda m: m.id == said and m.type == "groupchat")
            assert echo.resource == "Alice" and echo.body == "before bob came"

            joined_bob = await bob.join(room, "Bob")
            assert joined_bob.occupants == ["Alice"]
            assert joined_bob.order[:2] == ["presence", "self"]
            assert [m.body for m in joined_bob.history] == ["before bob came"]
            assert joined_bob.history[0].delay[0]  # a stamp
            assert joined_bob.subject is not None
            await alice.wait_presence(lambda p: p.sender == room + "/Bob" and p.type == "available")

            mark = alice.mark()
            bob.groupchat(room, "hello alice")
            got = await alice.wait_message(lambda m: m.body == "hello alice", start=mark)
            assert got.sender == room + "/Bob" and got.type == "groupchat"

            bob.private(room, "Alice", "just you")
            private = await alice.wait_message(lambda m: m.body == "just you" and m.type == "chat")
            assert private.sender == room + "/Bob"

            bob.chat_state(room, "composing")
            state = await alice.wait_message(lambda m: m.chat_state == "composing")
            assert state.sender == room + "/Bob"

            # a nickname in use: 409 conflict
            carol = await XmppClient.connect(prosody, "carol")
            try:
                refused = await carol.join(room, "Alice")
                assert refused.error is not None and refused.error.error_condition == "conflict"
                assert refused.error.xml.find("{jabber:client}error").get("code") in (None, "409")
            finally:
                await carol.disconnect()

            await bob.leave(room, "Bob")
            gone = await alice.wait_presence(lambda p: p.sender == room + "/Bob" and p.type == "unavailable")
            assert gone is not None

            info = await alice.disco_info(prosody.own_muc_domain)
            assert ("conference", "text") in [(c, t) for c, t, _ in disco_identities(info)]
            assert "http://jabber.org/protocol/muc" in disco_features(info)
        finally:
            await alice.disconnect()
            await bob.disconnect()
    run(body())


def component_handshake(prosody, domain, secret, timeout=5):
    """The XEP-0114 handshake over a raw socket: what comes back after <handshake/>."""
    with socket.create_connection((prosody.host, prosody.component_port), timeout=timeout) as link:
        link.sendall(("<stream:stream xmlns='jabber:component:accept' "
                      "xmlns:stream='http://etherx.jabber.org/streams' to='%s'>" % domain).encode())
        data = b""
        while b"id=" not in data or b">" not in data.split(b"id=", 1)[1]:
            chunk = link.recv(4096)
            if not chunk:
                break
            data += chunk
        stream_id = re.search(rb"id=['\"]([^'\"]+)['\"]", data).group(1).decode()
        digest = hashlib.sha1((stream_id + secret).encode()).hexdigest()
        link.sendall(("<handshake>%s</handshake>" % digest).encode())
        answer = b""
        try:
            while b"handshake" not in answer and b"error" not in answer:
                chunk = link.recv(4096)
                if not chunk:
                    break
                answer += chunk
        except socket.timeout:
            pass
        return answer.decode(errors="replace")


@pytest.mark.parametrize("component", ["muc_domain", "sip_domain"])
def test_component_port_takes_our_domains_with_the_secret(prosody, component):
    domain = getattr(prosody, component)
    assert "<handshake/>" in component_handshake(prosody, domain, prosody.secret)
    refused = component_handshake(prosody, domain, prosody.secret + "x")
    assert "not-authorized" in refused, refused


def test_restart_drops_and_restores_links(prosody):
    async def body():
        alice = await XmppClient.connect(prosody, "alice")
        gone = alice._disconnected
        old_pid = prosody.pid
        await asyncio.get_running_loop().run_in_executor(None, prosody.restart)
        assert prosody.pid != old_pid and prosody.alive()
        await asyncio.wait_for(gone, DELIVERY_S)
        again = await XmppClient.connect(prosody, "alice")
        await again.disconnect()
    run(body())
