"""The conference MSRP switch reached through an RFC 4976 relay (Kamailio's msrp module): the
msrp plugin, configured with relay_uri/relay_user/relay_password, AUTHs to the relay at start
and advertises the relay's Use-Path first in its sessions' a=path; two chat clients that also
use the relay chat with each other through the switch, every byte through Kamailio."""
import asyncio
import tempfile

import pytest

from conftest import BUILD, run
from harness.janus_api import Session
from harness.janus_process import JanusProcess, sanitizer_env
from harness.kamailio_msrp import KamailioMsrpRelay
from harness.msrp_peer import MsrpEndpoint, MsrpUri, cpim, parse_cpim

PROBE = "janus.plugin.sylk.hubprobe.a"
MSRP = "janus.plugin.sylk.msrp"
AG_NS = "urn:ag-projects:xml:ns:cpim"


@pytest.fixture(scope="module")
def relay():
    relay = KamailioMsrpRelay(tempfile.mkdtemp(prefix="sylk-kamailio-"), port=2875, tls_port=2876, inner_port=2877,
                              tls=False)
    relay.start()
    yield relay
    alive = relay.alive()
    relay.stop()
    if not alive:
        pytest.fail("kamailio died during the tests:\n%s" % relay.log_tail())


@pytest.fixture(scope="module")
def janus(relay):
    process = JanusProcess(BUILD, tempfile.mkdtemp(prefix="sylk-janus-msrp-relay-"), env=sanitizer_env(),
                           run_options={"msrp_options": {"listen_ip": "10.77.0.1", "relay_uri": relay.uri,
                                                         "relay_user": relay.user, "relay_password": relay.password}})
    process.start()
    yield process
    alive = process.alive()
    code = process.stop()
    if not alive:
        pytest.fail("janus died during the tests (exit %s):\n%s" % (code, process.log_tail()))


async def msrp_status(janus):
    session = await Session.create(janus.ws_url)
    try:
        handle = await session.attach(MSRP)
        return (await handle.send({"request": "status"}))[0]["status"]
    finally:
        await session.close()


async def relayed_client(relay, caller, room, uri, display):
    """A chat client behind the relay too: it AUTHs, its path is [relay, itself]; the plugin
    connects (role active) through the relay and binds the session."""
    endpoint = MsrpEndpoint(host="10.77.0.2")
    grant = await endpoint.authenticate(relay.uri, relay.user, relay.password)
    assert grant.status == 200
    session = endpoint.session()
    args = {"room": room, "uri": uri, "display": display, "role": "active",
            "remote": {"path": [str(hop) for hop in session.path], "accept_types": ["message/cpim"]}}
    reply, _ = await caller.send({"request": "call", "service": "msrp.open_session", "args": args})
    assert "error" not in reply, reply
    answer = reply["result"]
    session.remote_path = [MsrpUri.parse(hop) for hop in answer["local"]["path"]]
    await session.wait_bound()
    return endpoint, session, answer


async def next_chat(session):
    while True:
        message = parse_cpim((await session.next_message()).body)
        if message.namespaced(AG_NS, "Message-Type") != "status":
            return message


def test_the_switch_is_reached_through_the_relay(janus, relay):
    room = "relayed@conference.sylk.test"

    async def body():
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 15
        status = await msrp_status(janus)
        while status.get("relay", {}).get("state") != "ready" and loop.time() < deadline:
            await asyncio.sleep(0.2)  # polling the plugin's status until its AUTH is granted
            status = await msrp_status(janus)
        probe_session = await Session.create(janus.ws_url)
        try:
            caller = await probe_session.attach(PROBE)
            alice_endpoint, alice, alice_answer = await relayed_client(relay, caller, room, "sip:alice@sylk.test", "Alice")
            bob_endpoint, bob, bob_answer = await relayed_client(relay, caller, room, "sip:bob@sylk.test", "Bob")
            sent = await alice.send_message(cpim("hello via kamailio", sender="<sip:alice@sylk.test>"),
                                            content_type="message/cpim")
            at_bob = await next_chat(bob)
            await bob.send_message(cpim("and back", sender="<sip:bob@sylk.test>"), content_type="message/cpim")
            at_alice = await next_chat(alice)
            # every frame of alice's went through the relay: her only connection is the one to it
            alice_hops = [connection.remote[:2] for connection in alice_endpoint.connections]
            return status, alice_answer, alice_hops, sent, at_bob, at_alice
        finally:
            await probe_session.close()

    status, answer, alice_hops, sent, at_bob, at_alice = run(body(), 90)
    relay_status = status["relay"]
    assert relay_status["state"] == "ready" and relay_status["authentications"] >= 1
    use_path = MsrpUri.parse(relay_status["use_path"][0])
    assert (use_path.host, use_path.port) == (relay.host, relay.port)
    path = [MsrpUri.parse(hop) for hop in answer["local"]["path"]]
    assert len(path) == 2 and path[0] == use_path   # the relay first, then the switch
    assert alice_hops == [(relay.host, relay.port)]
    assert sent.statuses == [200]
    assert at_bob.text() == "hello via kamailio" and at_bob.header("From") == '"Alice" <sip:alice@sylk.test>'
    assert at_alice.text() == "and back"
