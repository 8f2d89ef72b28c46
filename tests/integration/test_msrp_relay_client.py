"""Our C++ relay client (sylkcore/msrp RelayClient on the Stack) against Kamailio's msrp relay,
through msrp_relay_probe (a small program around them, built with the tests): AUTH with digest,
the Use-Path in our sessions' a=path, a message from the Python peer reaching our session through
the relay and our answer going back through it, plain and TLS; refused credentials reported; the
grant refreshed before Expires runs out. The msrp plugin's tests later cover the same through
janus once the plugin has its relay settings."""
import asyncio
import json
import os
import tempfile

import pytest

from conftest import BUILD, run
from harness.kamailio_msrp import KamailioMsrpRelay
from harness.msrp_peer import MsrpEndpoint, MsrpUri
from harness.processes import spawn

PROBE = os.path.join(BUILD, "tests", "integration", "msrp_relay_probe")
PEER_HOST = "10.77.0.2"


@pytest.fixture(scope="module")
def relay():
    if not os.path.exists(PROBE):
        pytest.fail("%s is not built (./sylk build builds it)" % PROBE)
    relay = KamailioMsrpRelay(tempfile.mkdtemp(prefix="sylk-kamailio-"), port=2865, tls_port=2866, inner_port=2867,
                              min_expires=2)
    relay.start()
    yield relay
    alive = relay.alive()
    relay.stop()
    if not alive:
        pytest.fail("kamailio died during the tests:\n%s" % relay.log_tail())


class Probe:
    """msrp_relay_probe as a subprocess: its JSON events in order, and commands."""

    def __init__(self, process):
        self.process = process
        self.events = []
        self.taken = set()

    @classmethod
    async def start(cls, relay_uri, user, password, fingerprint=None, expires=None):
        arguments = [PROBE, "10.77.0.1", relay_uri, user, password, fingerprint or "-"]
        if expires:
            arguments.append(str(expires))
        # In the ASan+UBSan pass the probe is built with the sanitizers. LeakSanitizer cannot run in
        # the test's user namespace (its tracer crashes at exit), so leaks are the unit tests' job
        # (test_msrp_stack); any other report still aborts the probe and fails the test.
        env = dict(os.environ, ASAN_OPTIONS="detect_leaks=0:abort_on_error=1",
                   UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1")
        process = await spawn(*arguments, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, env=env)
        return cls(process)

    async def next_event(self, predicate, timeout=10):
        """The first event matching predicate that no earlier call returned, read or to come
        (events may come in another order than the test asks for them)."""
        for index, event in enumerate(self.events):
            if index not in self.taken and predicate(event):
                self.taken.add(index)
                return event

        async def read():
            while True:
                line = await self.process.stdout.readline()
                if not line:
                    raise AssertionError("the probe ended (exit %s); events: %r" % (await self.process.wait(), self.events))
                self.events.append(json.loads(line))
                if predicate(self.events[-1]):
                    self.taken.add(len(self.events) - 1)
                    return self.events[-1]
        return await asyncio.wait_for(read(), timeout)

    async def command(self, line):
        self.process.stdin.write((line + "\n").encode())
        await self.process.stdin.drain()

    async def stop(self):
        if self.process.returncode is None:
            try:
                await self.command("quit")
                await asyncio.wait_for(self.process.wait(), 10)
            except (asyncio.TimeoutError, ConnectionError):
                self.process.kill()
                await self.process.wait()
        return self.process.returncode


def relay_event(state):
    return lambda event: event["event"] == "relay" and event["state"] == state


@pytest.mark.parametrize("transport", ["tcp", "tls"])
def test_our_relay_client_carries_a_session_through_kamailio(relay, transport):
    async def body():
        tls = transport == "tls"
        relay_uri = relay.tls_uri if tls else relay.uri
        probe = await Probe.start(relay_uri, relay.user, relay.password, relay.fingerprint if tls else None)
        peer = MsrpEndpoint(PEER_HOST, tls=tls)
        try:
            ready = await probe.next_event(relay_event("ready"))
            assert ready["status"] == 200 and ready["expires"] == relay.max_expires
            [use_path] = [MsrpUri.parse(uri) for uri in ready["use_path"]]
            assert (use_path.scheme, use_path.host) == ("msrps" if tls else "msrp", relay.host)
            assert use_path.port == (relay.tls_port if tls else relay.port)

            assert (await peer.authenticate(relay_uri, relay.user, relay.password,
                                           fingerprint=relay.fingerprint if tls else None)).status == 200
            session = peer.session()
            await probe.command("connect " + " ".join(str(uri) for uri in session.path))
            ours = await probe.next_event(lambda event: event["event"] == "session")
            our_path = [MsrpUri.parse(uri) for uri in ours["path"]]
            assert our_path[0] == use_path and len(our_path) == 2   # the relay first, then us
            session.remote_path = our_path
            await session.wait_bound()            # our binding SEND came through the relay
            assert session.connection is peer.connections[0]
            await probe.next_event(lambda event: event["event"] == "bound")

            sent = await session.send_message("hello through the relay", "text/plain", chunk_size=8)
            assert sent.statuses == [200] * 3
            got = await probe.next_event(lambda event: event["event"] == "message")
            assert got["body"] == "hello through the relay" and got["content_type"] == "text/plain"
            echo = await session.next_message()
            assert echo.text() == "echo: hello through the relay"
            assert echo.from_path[-1] == our_path[-1]
            assert (await probe.next_event(lambda event: event["event"] == "sent"))["status"] == 200
        finally:
            await peer.close()
            assert await probe.stop() == 0
    with relay.log_on_failure():
        run(body(), 90)


def test_refused_credentials_are_reported(relay):
    async def body():
        probe = await Probe.start(relay.uri, relay.user, "wrong-password")
        try:
            failed = await probe.next_event(relay_event("failed"))
            assert failed["status"] == 401 and "refused our credentials" in failed["error"]
            assert failed["use_path"] == []
            assert "wrong-password" not in json.dumps(probe.events)
            again = await probe.next_event(relay_event("failed"))   # it retries, and is refused again
            assert again["status"] == 401
        finally:
            assert await probe.stop() == 0
    with relay.log_on_failure():
        run(body())


def test_grant_refreshed_before_expiry(relay):
    async def body():
        # 1 s is below the relay's minimum (2 s): its 423 names Min-Expires, which the client takes
        probe = await Probe.start(relay.uri, relay.user, relay.password, expires=1)
        try:
            first = await probe.next_event(relay_event("ready"))
            assert first["expires"] == relay.min_expires and first["authentications"] == 1
            second = await probe.next_event(relay_event("ready"), timeout=8)   # due after 1.5 s
            assert second["authentications"] == 2 and second["expires"] == relay.min_expires
            assert second["use_path"] != first["use_path"]   # Kamailio names a new session each AUTH
            assert not [event for event in probe.events if event["state"] == "failed"]
        finally:
            assert await probe.stop() == 0
    with relay.log_on_failure():
        run(body())


@pytest.mark.parametrize("transport", ["tcp", "tls"])
def test_session_keeps_receiving_across_refreshes(relay, transport):
    """Kamailio names a new Use-Path at every AUTH refresh and forwards on the old one only until
    that grant expires (its entry is never extended). Our relay client refreshes on the same
    connection; each session is moved to the new path and its owner told (the "path" event: what
    the SIP side re-INVITEs with), and the peer that takes the new path keeps reaching it after two
    refreshes. The path first announced stops working at the relay once its grant is over: the
    reason the move is needed."""
    async def body():
        tls = transport == "tls"
        relay_uri = relay.tls_uri if tls else relay.uri
        probe = await Probe.start(relay_uri, relay.user, relay.password, relay.fingerprint if tls else None,
                                  expires=relay.min_expires)
        peer = MsrpEndpoint(PEER_HOST, tls=tls)
        try:
            first = await probe.next_event(relay_event("ready"))
            assert first["expires"] == relay.min_expires
            assert (await peer.authenticate(relay_uri, relay.user, relay.password,
                                           fingerprint=relay.fingerprint if tls else None)).status == 200
            session = peer.session()
            await probe.command("connect " + " ".join(str(uri) for uri in session.path))
            ours = await probe.next_event(lambda event: event["event"] == "session")
            announced = [MsrpUri.parse(uri) for uri in ours["path"]]
            session.remote_path = announced
            await session.wait_bound()
            await probe.next_event(lambda event: event["event"] == "bound")

            paths = [announced]
            for refresh in (2, 3):
                ready = await probe.next_event(relay_event("ready"), timeout=10)
                assert ready["authentications"] == refresh
                moved = await probe.next_event(lambda event: event["event"] == "path")
                new_path = [MsrpUri.parse(uri) for uri in moved["path"]]
                assert new_path[0] == MsrpUri.parse(ready["use_path"][0]) and new_path[-1] == announced[-1]
                assert new_path[0] not in [path[0] for path in paths]
                paths.append(new_path)
                session.remote_path = new_path   # what the re-INVITE tells the peer
                text = "after refresh %d" % (refresh - 1)
                assert (await session.send_message(text, "text/plain")).statuses == [200]
                got = await probe.next_event(lambda event: event["event"] == "message")
                assert got["body"] == text
                echo = await session.next_message()
                assert echo.text() == "echo: " + text
            assert not [event for event in probe.events if event.get("state") == "failed"]
            # every grant was made on one connection (Kamailio forwards to the address:port a
            # grant was made from, so a refresh on a new connection would strand the old paths)
            sources = {line.split(" -> ")[1].split()[0] for line in relay.log().splitlines()
                       if "msrp AUTH ok" in line and any(path[0].session_id in line for path in paths)}
            assert len(sources) == 1, sources

            # the first path's grant (min_expires, kept 5 s longer by the harness's htable) is
            # over by now or soon: the relay no longer knows it. Straight to the relay's session
            # (no relay of the peer's in between), so the relay's own answer is what we see.
            await asyncio.sleep(relay.min_expires + 6)
            session.remote_path, session.relay_path = announced, []
            stale = await session.send_message("on the first path", "text/plain")
            assert stale.statuses == [481]
        finally:
            await peer.close()
            assert await probe.stop() == 0
    with relay.log_on_failure():
        run(body(), 120)
