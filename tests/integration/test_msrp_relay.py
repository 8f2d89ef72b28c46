"""The MSRP test peer (harness/msrp_peer.py) against a real RFC 4976 relay, Kamailio's msrp module:
AUTH with digest, Use-Path and Expires, and chunked messages relayed both ways between two peers,
over plain TCP and over TLS. These tests validate the peer itself against an implementation we did
not write; they need no janus and pass before any of our MSRP C++ exists. The janus MSRP tests then
trust the peer's framing, chunking and AUTH because of them."""
import os
import tempfile

import pytest

from conftest import run
from harness.kamailio_msrp import KamailioMsrpRelay
from harness.msrp_peer import MsrpEndpoint, MsrpError, MsrpUri

PEER_HOST = "10.77.0.2"


@pytest.fixture(scope="module")
def relay():
    relay = KamailioMsrpRelay(tempfile.mkdtemp(prefix="sylk-kamailio-"), tls=True)
    relay.start()
    yield relay
    alive = relay.alive()
    relay.stop()
    if not alive:
        pytest.fail("kamailio died during the tests:\n%s" % relay.log_tail())


def relay_uri(relay, transport):
    return relay.tls_uri if transport == "tls" else relay.uri


async def authenticated_pair(relay, transport):
    """Two peers, each AUTHed on its own connection to the relay, with one session each whose
    remote path is the other's advertised path (what SDP would carry)."""
    tls = transport == "tls"
    alice, bob = MsrpEndpoint(PEER_HOST, tls=tls), MsrpEndpoint(PEER_HOST, tls=tls)
    for endpoint in (alice, bob):
        grant = await endpoint.authenticate(relay_uri(relay, transport), relay.user, relay.password)
        assert grant.status == 200, grant.responses
    alice_session, bob_session = alice.session(), bob.session()
    alice_session.remote_path, bob_session.remote_path = bob_session.path, alice_session.path
    return alice, bob, alice_session, bob_session


@pytest.mark.parametrize("transport", ["tcp", "tls"])
def test_auth_challenge_then_use_path(relay, transport):
    async def body():
        peer = MsrpEndpoint(PEER_HOST, tls=transport == "tls")
        try:
            grant = await peer.authenticate(relay_uri(relay, transport), relay.user, relay.password, expires=600)
            challenge, final = grant.responses
            assert challenge.status == 401
            assert challenge.header("WWW-Authenticate").startswith("Digest ")
            assert 'realm="%s"' % relay.realm in challenge.header("WWW-Authenticate")
            assert final.status == 200
            assert grant.expires == 600
            [use_path] = grant.use_path
            assert use_path.scheme == ("msrps" if transport == "tls" else "msrp")
            assert (use_path.host, use_path.port) == (relay.host, relay.tls_port if transport == "tls" else relay.port)
            assert use_path.session_id
            # a session created now advertises the relay first, then itself
            session = peer.session()
            assert session.path == [use_path, session.uri]
        finally:
            await peer.close()
    with relay.log_on_failure():
        run(body())


@pytest.mark.parametrize("transport", ["tcp", "tls"])
def test_wrong_credentials_are_refused(relay, transport):
    async def body():
        peer = MsrpEndpoint(PEER_HOST, tls=transport == "tls")
        try:
            wrong_password = await peer.authenticate(relay_uri(relay, transport), relay.user, "not-the-password")
            assert [r.status for r in wrong_password.responses] == [401, 401]
            assert wrong_password.use_path == [] and peer.relay_path == []
            wrong_user = await peer.authenticate(relay_uri(relay, transport), "mallory", relay.password)
            assert [r.status for r in wrong_user.responses] == [401, 403]
            assert peer.relay_path == []
        finally:
            await peer.close()
    with relay.log_on_failure():
        run(body())


def test_expires_out_of_bounds_is_423(relay):
    async def body():
        peer = MsrpEndpoint(PEER_HOST)
        try:
            too_short = await peer.authenticate(relay.uri, relay.user, relay.password, expires=relay.min_expires - 1)
            assert too_short.status == 423
            assert too_short.responses[-1].header("Min-Expires") == str(relay.min_expires)
            too_long = await peer.authenticate(relay.uri, relay.user, relay.password, expires=relay.max_expires + 1)
            assert too_long.status == 423
            assert too_long.responses[-1].header("Max-Expires") == str(relay.max_expires)
        finally:
            await peer.close()
    with relay.log_on_failure():
        run(body())


@pytest.mark.parametrize("transport", ["tcp", "tls"])
def test_chunked_messages_cross_the_relay_both_ways(relay, transport):
    async def body():
        alice, bob, alice_session, bob_session = await authenticated_pair(relay, transport)
        try:
            await alice_session.connect()   # the binding SEND goes through the relay too
            await bob_session.connect()
            assert alice_session.connection is alice.connections[0]   # the AUTH connection, reused

            photo = os.urandom(30000)
            sent = await alice_session.send_message(photo, "image/jpeg", chunk_size=4000, success_report="yes")
            assert len(sent.tids) == 8 and sent.statuses == [200] * 8   # the relay answers each chunk
            received = await bob_session.wait_message(lambda m: m.message_id == sent.message_id)
            assert received.body == photo and received.chunks == 8
            assert received.content_type == "image/jpeg"
            # each relay hop moved itself from To-Path to From-Path (RFC 4976 section 7.3)
            assert received.from_path == [bob_session.relay_path[0], alice_session.relay_path[0], alice_session.uri]
            report = await alice_session.wait_report(sent.message_id)
            assert report.status_header == (200, "OK")
            assert report.header("Byte-Range") == "1-30000/30000"

            reply = "é" * 6000   # multi-byte text cut across chunk boundaries
            sent_back = await bob_session.send_message(reply, "text/plain;charset=utf-8", chunk_size=1500)
            assert sent_back.statuses == [200] * 8
            answer = await alice_session.wait_message(lambda m: m.message_id == sent_back.message_id)
            assert answer.text() == reply
        finally:
            await alice.close()
            await bob.close()
    with relay.log_on_failure():
        run(body())


def test_unknown_relay_session_is_481(relay):
    async def body():
        peer = MsrpEndpoint(PEER_HOST)
        try:
            assert (await peer.authenticate(relay.uri, relay.user, relay.password)).status == 200
            nowhere = MsrpUri("msrp", relay.host, relay.port, "no-such-session")
            session = peer.session(remote_path=[nowhere, MsrpUri("msrp", PEER_HOST, 9, "gone")])
            session.relay_path = []   # straight to the relay's unknown session, as a stale path would
            await session.connect(bind=False)
            response = await session.bind()
            assert response.status == 481
        finally:
            await peer.close()
    with relay.log_on_failure():
        run(body())


def test_tls_fingerprint_is_checked(relay):
    async def body():
        pinned = MsrpEndpoint(PEER_HOST, tls=True)
        wrong = MsrpEndpoint(PEER_HOST, tls=True)
        try:
            grant = await pinned.authenticate(relay.tls_uri, relay.user, relay.password, fingerprint=relay.fingerprint)
            assert grant.status == 200
            with pytest.raises(MsrpError, match="fingerprint"):
                await wrong.authenticate(relay.tls_uri, relay.user, relay.password,
                                         fingerprint="sha-256 " + ":".join(["00"] * 32))
        finally:
            await pinned.close()
            await wrong.close()
    with relay.log_on_failure():
        run(body())
