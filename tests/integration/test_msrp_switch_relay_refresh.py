"""The msrp plugin through Kamailio's relay when its grant is refreshed: Kamailio names a new
Use-Path at every AUTH and forwards on the old one only until that grant expires, so the plugin
moves each session to the new path and reports it (the Janus event {"event": "path"}, what the
SIP side is to re-INVITE with). With relay_expires at the relay's 2 s minimum, two clients in a
room that take each reported path (as a re-INVITE would tell them) chat both ways after two
refreshes; the session URI (the last hop) stays, the relay hop changes each time."""
import asyncio
import tempfile

import pytest

from conftest import BUILD, run
from harness.event_collector import EventCollector
from harness.janus_api import Session
from harness.janus_process import JanusProcess, sanitizer_env
from harness.kamailio_msrp import KamailioMsrpRelay
from harness.msrp_peer import MsrpUri, cpim
from test_msrp_switch_relay import msrp_status, next_chat, relayed_client

PROBE = "janus.plugin.sylk.hubprobe.a"
MSRP = "janus.plugin.sylk.msrp"
EXPIRES = 2


@pytest.fixture(scope="module")
def relay():
    relay = KamailioMsrpRelay(tempfile.mkdtemp(prefix="sylk-kamailio-"), port=2895, tls_port=2896, inner_port=2897,
                              tls=False, min_expires=EXPIRES)
    relay.start()
    yield relay
    alive = relay.alive()
    relay.stop()
    if not alive:
        pytest.fail("kamailio died during the tests:\n%s" % relay.log_tail())


@pytest.fixture(scope="module")
def janus(relay):
    collector = EventCollector().start()
    process = JanusProcess(BUILD, tempfile.mkdtemp(prefix="sylk-janus-msrp-refresh-"), env=sanitizer_env(),
                           event_handler=collector.handler_options(),
                           run_options={"msrp_options": {"listen_ip": "10.77.0.1", "relay_uri": relay.uri,
                                                         "relay_user": relay.user, "relay_password": relay.password,
                                                         "relay_expires": EXPIRES}})
    process.events = collector
    try:
        process.start()
    except BaseException:
        collector.stop()
        raise
    yield process
    alive = process.alive()
    code = process.stop()
    collector.stop()
    if not alive:
        pytest.fail("janus died during the tests (exit %s):\n%s" % (code, process.log_tail()))


def test_sessions_follow_the_relay_path_across_refreshes(janus, relay):
    room = "refreshed@conference.sylk.test"

    async def body():
        status = await msrp_status(janus)
        for _ in range(75):
            if status.get("relay", {}).get("state") == "ready":
                break
            await asyncio.sleep(0.2)  # polling the plugin's status until its AUTH is granted
            status = await msrp_status(janus)
        probe_session = await Session.create(janus.ws_url)
        try:
            caller = await probe_session.attach(PROBE)
            alice_endpoint, alice, alice_answer = await relayed_client(relay, caller, room, "sip:alice@sylk.test", "Alice")
            bob_endpoint, bob, bob_answer = await relayed_client(relay, caller, room, "sip:bob@sylk.test", "Bob")
            clients = {alice_answer["session"]: alice, bob_answer["session"]: bob}
            announced = {alice_answer["session"]: alice_answer["local"]["path"],
                         bob_answer["session"]: bob_answer["local"]["path"]}
            paths = {session: [path] for session, path in announced.items()}
            received = []
            for refresh in (1, 2):
                for session_id, client in clients.items():
                    seen = paths[session_id]
                    event = await janus.events.wait(MSRP, lambda e, s=session_id, seen=seen: (
                        e.get("event") == "path" and e.get("session") == s and e.get("path") not in seen), timeout=15)
                    seen.append(event["path"])
                    client.remote_path = [MsrpUri.parse(hop) for hop in event["path"]]   # the re-INVITE
                text = "after refresh %d" % refresh
                sent = await alice.send_message(cpim(text, sender="<sip:alice@sylk.test>"), content_type="message/cpim")
                assert sent.statuses == [200]
                received.append((await next_chat(bob)).text())
                await bob.send_message(cpim("back " + text, sender="<sip:bob@sylk.test>"), content_type="message/cpim")
                received.append((await next_chat(alice)).text())
            for endpoint in (alice_endpoint, bob_endpoint):
                await endpoint.close()
            return announced, paths, received, await msrp_status(janus)
        finally:
            await probe_session.close()

    with relay.log_on_failure():
        announced, paths, received, status = run(body(), 120)
    assert received == ["after refresh 1", "back after refresh 1", "after refresh 2", "back after refresh 2"]
    for session, seen in paths.items():
        assert len(seen) == 3
        relays = [MsrpUri.parse(path[0]) for path in seen]
        selves = {path[-1] for path in seen}
        assert len({uri.session_id for uri in relays}) == 3   # a new relay session each time
        assert selves == {announced[session][-1]}              # the same session URI
    assert status["relay"]["authentications"] >= 3
