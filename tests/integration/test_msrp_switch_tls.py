"""The conference MSRP switch over TLS (msrps, RFC 4975 section 14 / RFC 4572): with a
certificate configured the plugin listens for msrps too, answers a session whose path is msrps
with an msrps path and its certificate's fingerprint, and clients pin that fingerprint; both
roles: the client connects to us (passive), we connect to the client pinning its fingerprint
(active)."""
import asyncio
import tempfile

import pytest

from conftest import BUILD, run
from harness.janus_api import Session
from harness.janus_process import JanusProcess, sanitizer_env
from harness.msrp_peer import MsrpEndpoint, MsrpError, MsrpUri, cpim, make_certificate, parse_cpim

PROBE = "janus.plugin.sylk.hubprobe.a"
AG_NS = "urn:ag-projects:xml:ns:cpim"


@pytest.fixture(scope="module")
def certificates():
    folder = tempfile.mkdtemp(prefix="sylk-msrp-tls-")
    return {"server": make_certificate(folder, "switch.sylk.test"), "client": make_certificate(folder, "client.sylk.test")}


@pytest.fixture(scope="module")
def janus(certificates):
    certfile, keyfile, _ = certificates["server"]
    process = JanusProcess(BUILD, tempfile.mkdtemp(prefix="sylk-janus-msrp-tls-"), env=sanitizer_env(),
                           run_options={"msrp_options": {"listen_ip": "10.77.0.1", "tls_certificate": certfile,
                                                         "tls_key": keyfile}})
    process.start()
    yield process
    alive = process.alive()
    code = process.stop()
    if not alive:
        pytest.fail("janus died during the tests (exit %s):\n%s" % (code, process.log_tail()))


async def msrp_status(session):
    handle = await session.attach("janus.plugin.sylk.msrp")
    return (await handle.send({"request": "status"}))[0]["status"]


async def next_chat(session):
    while True:
        message = parse_cpim((await session.next_message()).body)
        if message.namespaced(AG_NS, "Message-Type") != "status":
            return message


def test_chat_over_msrps_both_roles(janus, certificates):
    room = "tls@conference.sylk.test"
    certfile, keyfile, client_fingerprint = certificates["client"]
    server_fingerprint = certificates["server"][2]

    async def body():
        probe_session = await Session.create(janus.ws_url)
        try:
            caller = await probe_session.attach(PROBE)
            # alice connects to us (we are passive) and pins our fingerprint from the answer
            alice_endpoint = MsrpEndpoint(host="10.77.0.2", tls=True)
            alice = alice_endpoint.session()
            reply, _ = await caller.send({"request": "call", "service": "msrp.open_session", "args": {
                "room": room, "uri": "sip:alice@sylk.test", "display": "Alice", "role": "passive",
                "remote": {"path": [str(alice.uri)]}}})
            alice_answer = reply["result"]
            await alice.connect(remote_path=alice_answer["local"]["path"], fingerprint=alice_answer["local"]["fingerprint"])
            # we connect to bob (active) pinning the fingerprint his offer gave
            bob_endpoint = MsrpEndpoint(host="10.77.0.2", tls=True, certfile=certfile, keyfile=keyfile)
            await bob_endpoint.listen()
            bob = bob_endpoint.session()
            reply, _ = await caller.send({"request": "call", "service": "msrp.open_session", "args": {
                "room": room, "uri": "sip:bob@sylk.test", "display": "Bob", "role": "active",
                "remote": {"path": [str(bob.uri)], "fingerprint": client_fingerprint}}})
            bob_answer = reply["result"]
            bob.remote_path = [MsrpUri.parse(hop) for hop in bob_answer["local"]["path"]]
            await bob.wait_bound()
            await alice.send_message(cpim("secret hello", sender="<sip:alice@sylk.test>"), content_type="message/cpim")
            at_bob = await next_chat(bob)
            await bob.send_message(cpim("secret reply", sender="<sip:bob@sylk.test>"), content_type="message/cpim")
            at_alice = await next_chat(alice)
            # a pin that is not the peer's certificate: we refuse that peer, the session ends by
            # itself and leaves the room (bob's endpoint is the peer, the pin is someone else's)
            carol = bob_endpoint.session()
            reply, _ = await caller.send({"request": "call", "service": "msrp.open_session", "args": {
                "room": room, "uri": "sip:carol@sylk.test", "display": "Carol", "role": "active",
                "remote": {"path": [str(carol.uri)], "fingerprint": server_fingerprint}}})
            carol_id = reply["result"]["session"]
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 10
            while loop.time() < deadline:
                status = await msrp_status(probe_session)
                if carol_id not in [s["session"] for r in status["rooms"] for s in r["sessions"]]:
                    break
                await asyncio.sleep(0.1)  # polling the plugin's status
            carol_gone = carol_id not in [s["session"] for r in status["rooms"] for s in r["sessions"]]
            return alice_answer, bob_answer, at_bob, at_alice, carol_gone, carol.bound.done()
        finally:
            await probe_session.close()

    alice_answer, bob_answer, at_bob, at_alice, carol_gone, carol_bound = run(body())
    for answer in (alice_answer, bob_answer):
        local = answer["local"]
        assert local["transport"] == "tls" and local["path"][0].startswith("msrps://10.77.0.1:")
        assert local["fingerprint"].replace(" ", "").lower() == server_fingerprint.replace(" ", "").lower()
    assert at_bob.text() == "secret hello"
    assert at_alice.text() == "secret reply"
    assert carol_gone and not carol_bound


def test_passive_msrps_checks_the_client_certificate(janus, certificates):
    """We are passive for an msrps session whose offer named the client's a=fingerprint: a client
    that connects with another certificate, or with none, has its connection closed at its binding
    SEND (the session waits on), and the client with the named certificate then binds the same
    session and chats. A session offered without a=fingerprint takes any certificate, as before."""
    room = "tls-client-cert@conference.sylk.test"
    folder = tempfile.mkdtemp(prefix="sylk-msrp-tls-other-")
    other_certfile, other_keyfile, other_fingerprint = make_certificate(folder, "mallory.sylk.test")
    certfile, keyfile, client_fingerprint = certificates["client"]
    server_fingerprint = certificates["server"][2]
    assert other_fingerprint != client_fingerprint

    async def body():
        probe_session = await Session.create(janus.ws_url)
        try:
            caller = await probe_session.attach(PROBE)
            right = MsrpEndpoint(host="10.77.0.2", tls=True, certfile=certfile, keyfile=keyfile)
            dave = right.session()
            reply, _ = await caller.send({"request": "call", "service": "msrp.open_session", "args": {
                "room": room, "uri": "sip:dave@sylk.test", "display": "Dave", "role": "passive",
                "remote": {"path": [str(dave.uri)], "fingerprint": client_fingerprint}}})
            path = reply["result"]["local"]["path"]
            dave_id = reply["result"]["session"]
            # the same session URI (From-Path) as dave's offer, but another certificate, then none
            outcomes = []
            for endpoint in (MsrpEndpoint(host="10.77.0.2", tls=True, certfile=other_certfile, keyfile=other_keyfile),
                             MsrpEndpoint(host="10.77.0.2", tls=True)):
                impostor = endpoint.session(session_id=dave.session_id)
                try:
                    await impostor.connect(remote_path=path, fingerprint=server_fingerprint)
                    outcomes.append("bound")
                except (MsrpError, asyncio.TimeoutError, ConnectionError) as error:
                    outcomes.append("refused: %s" % error)
                closed = await impostor.connection.wait_closed(10) if impostor.connection else "no connection"
                outcomes.append("closed" if impostor.connection is None or impostor.connection.closed.done() else closed)
                await endpoint.close()
            status = await msrp_status(probe_session)
            waiting = dave_id in [s["session"] for r in status["rooms"] for s in r["sessions"]]
            # the peer the offer named
            await dave.connect(remote_path=path, fingerprint=server_fingerprint)
            await dave.send_message(cpim("it is me", sender="<sip:dave@sylk.test>"), content_type="message/cpim")
            # a second client in the room sees it: no fingerprint in its offer, any certificate
            erin_endpoint = MsrpEndpoint(host="10.77.0.2", tls=True, certfile=other_certfile, keyfile=other_keyfile)
            erin = erin_endpoint.session()
            reply, _ = await caller.send({"request": "call", "service": "msrp.open_session", "args": {
                "room": room, "uri": "sip:erin@sylk.test", "display": "Erin", "role": "passive",
                "remote": {"path": [str(erin.uri)]}}})
            await erin.connect(remote_path=reply["result"]["local"]["path"], fingerprint=server_fingerprint)
            await dave.send_message(cpim("hello erin", sender="<sip:dave@sylk.test>"), content_type="message/cpim")
            # erin gets dave's first message from the room's history on joining, then the new one
            at_erin = [(await next_chat(erin)).text()]
            while at_erin[-1] != "hello erin":
                at_erin.append((await next_chat(erin)).text())
            await right.close()
            await erin_endpoint.close()
            return outcomes, waiting, at_erin
        finally:
            await probe_session.close()

    outcomes, waiting, at_erin = run(body())
    wrong_cert, wrong_closed, no_cert, no_cert_closed = outcomes
    assert wrong_cert.startswith("refused") and wrong_closed == "closed", outcomes
    assert no_cert.startswith("refused") and no_cert_closed == "closed", outcomes
    assert waiting
    assert at_erin == ["it is me", "hello erin"]
    assert "is not the one the SDP's a=fingerprint named" in janus.log_tail(400)
