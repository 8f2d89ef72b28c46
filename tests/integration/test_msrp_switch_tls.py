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
from harness.msrp_peer import MsrpEndpoint, MsrpUri, cpim, make_certificate, parse_cpim

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
