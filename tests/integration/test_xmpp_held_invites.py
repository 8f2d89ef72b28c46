"""SIP INVITEs to an XMPP user held until the xmpp plugin's next handle registers (issue 12,
RFC 7573; plugins/sip/gateway_xmpp.cpp). The gateway gives each INVITE to sip:USER@xmpp-domain
to the handle the xmpp plugin keeps waiting; an INVITE that finds none is held, at most
kHeldXmppInviteSeconds (5 s), for the next one. To keep the plugin from having a handle for as
long as a test needs, the test does what an operator draining janus does: the admin API's
`accept_new_sessions: false`, then detaches the waiting handle (`detach_handle`); the plugin
tries again every 2 s and janus refuses its session each time.

- CANCEL while held: the caller gets 200 and 487, the held INVITE is freed at once (the
  gateway's `held_xmpp_invites` is 0), and once janus takes sessions again and the plugin's new
  handle registers, nothing rings for it: the only XEP-0353 propose alice gets is the one for a
  later control call.
- Nobody comes within 5 s: the caller gets 480 with our Warning, the held state is freed
  (`held_xmpp_invites` 0, `held_xmpp_expired` 1), and the plugin's next handle does not ring it
  either.
The SIP peer is a small UDP user agent of this module (it must CANCEL at a moment the test
chooses); the XMPP user is a slixmpp client of the module's Prosody."""
import asyncio
import contextlib
import socket
import time
import uuid

from conftest import run
from harness.janus_api import Admin
from harness.xmpp_client import XmppClient
from test_xmpp_stox_sessions import sip_status

XMPP = True
SIP_OPTIONS = {"xmpp_domains": "localhost"}
SIP = "janus.plugin.sylk.sip"
JMI = "urn:xmpp:jingle-message:0"
HOLD_SECONDS = 5  # kHeldXmppInviteSeconds in gateway_xmpp.cpp


class Caller:
    """A phone calling sip:USER@localhost at janus (UDP 5060) with PCMU, one INVITE transaction."""

    def __init__(self, user, callee="alice", domain="localhost", port=5060):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.setblocking(False)
        self.local = self.sock.getsockname()[1]
        self.user = user
        self.target = ("127.0.0.1", port)
        self.uri = "sip:%s@%s" % (callee, domain)
        self.call_id = uuid.uuid4().hex
        self.branch = "z9hG4bK" + uuid.uuid4().hex[:12]
        self.tag = uuid.uuid4().hex[:8]
        self.responses = []  # (status, CSeq method, whole text), as they came

    @property
    def jid(self):
        """The caller as XMPP sees it (RFC 7247 with XEP-0106)."""
        return "%s\\40127.0.0.1\\3a%d@sip.localhost" % (self.user, self.local)

    def _head(self, method, to_tag="", branch=None):
        return ("%s %s SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:%d;branch=%s;rport\r\nMax-Forwards: 70\r\n"
                "From: <sip:%s@127.0.0.1:%d>;tag=%s\r\nTo: <%s>%s\r\nCall-ID: %s\r\nCSeq: 1 %s\r\n"
                % (method, self.uri, self.local, branch or self.branch, self.user, self.local, self.tag, self.uri,
                   to_tag, self.call_id, method))

    def _send(self, text):
        self.sock.sendto(text.encode(), self.target)

    def invite(self):
        sdp = ("v=0\r\no=%s 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
               "m=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n" % self.user)
        self._send(self._head("INVITE") + "Contact: <sip:%s@127.0.0.1:%d>\r\nContent-Type: application/sdp\r\n"
                   "Content-Length: %d\r\n\r\n%s" % (self.user, self.local, len(sdp), sdp))

    def cancel(self):
        self._send(self._head("CANCEL") + "Content-Length: 0\r\n\r\n")

    async def response(self, predicate, timeout):
        """The first response (status, method, text) matching predicate(status, method), old or new."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        index = 0
        while True:
            for status, method, text in self.responses[index:]:
                if predicate(status, method):
                    return status, method, text
            index = len(self.responses)
            remaining = deadline - loop.time()
            assert remaining > 0, "%s: no such response within %ss; got %s" % (
                self.user, timeout, [(s, m) for s, m, _ in self.responses])
            try:
                data = await asyncio.wait_for(loop.sock_recv(self.sock, 65536), remaining)
            except asyncio.TimeoutError:
                continue
            text = data.decode(errors="replace")
            if not text.startswith("SIP/2.0 "):
                continue  # no request comes to a caller that never answered
            cseq = next((line.split(":", 1)[1].split() for line in text.split("\r\n")
                         if line.lower().startswith("cseq:")), ["0", "?"])
            self.responses.append((int(text.split(" ", 2)[1]), cseq[1], text))

    def ack(self, final_text):
        """ACK for a non-2xx final response: the INVITE's branch, the response's To tag."""
        to = next(line for line in final_text.split("\r\n") if line.lower().startswith(("to:", "t:")))
        tag = to[to.find(";tag="):] if ";tag=" in to else ""
        self._send(self._head("ACK", tag) + "Content-Length: 0\r\n\r\n")

    def close(self):
        self.sock.close()


async def gateway(admin):
    return (await admin.message_plugin(SIP, {"request": "status"}))["gateway"]


async def gateway_until(admin, probe, timeout=15):
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        current = await gateway(admin)
        if probe(current):
            return current
        assert loop.time() < deadline, current
        await asyncio.sleep(0.05)


async def xmpp_handles(admin):
    """The SIP gateway handles of the xmpp plugin (sessions it opened over the loopback transport)."""
    found = []
    for session in (await admin.call("list_sessions"))["sessions"]:
        for handle in (await admin.call("list_handles", session_id=session))["handles"]:
            info = (await admin.call("handle_info", session_id=session, handle_id=handle))["info"]
            if info.get("plugin") == SIP and "loopback" in info.get("session_transport", ""):
                found.append((session, handle))
    return found


async def take_away_the_waiting_handle(admin):
    """janus refuses new sessions, and the xmpp plugin's waiting handle goes: INVITEs find none."""
    await admin.call("accept_new_sessions", accept=False)
    handles = await xmpp_handles(admin)
    assert handles, "the xmpp plugin keeps no gateway handle"
    for session, handle in handles:
        await admin.call("detach_handle", session_id=session, handle_id=handle)
    await sip_status(admin, lambda s: not s.get("chat_session_ready"))


async def give_it_back(admin):
    await admin.call("accept_new_sessions", accept=True)
    await sip_status(admin, lambda s: s.get("chat_session_ready"), timeout=20)  # its retry is every 2 s


async def control_call_rings_only(admin, alice, since, calls_before):
    """A later call does ring alice (a propose from its JID), and it is the only propose she got
    since `since`: the held INVITE never reached the plugin's new handle. Then it is cancelled."""
    control = Caller("control")
    try:
        control.invite()
        propose = await alice.wait_message(lambda m: m.child(JMI, "propose") is not None, 15, since)
        assert propose.sender == control.jid, (propose, control.jid)
        proposes = alice.messages(lambda m: m.child(JMI, "propose") is not None, since)
        assert [p.sender for p in proposes] == [control.jid], proposes
        assert (await gateway(admin))["calls_received"] == calls_before + 1
        control.cancel()
        status, _, text = await control.response(lambda s, m: m == "INVITE" and s >= 300, 15)
        assert status == 487, text
        control.ack(text)
        sid = propose.child(JMI, "propose").get("id")
        await alice.wait_message(lambda m: m.child(JMI, "retract") is not None
                                 and m.child(JMI, "retract").get("id") == sid, 15, since)
        await sip_status(admin, lambda s: not s["chat_sessions"] and s.get("chat_session_ready"))
        await gateway_until(admin, lambda g: g["active_calls"] == 0)
    finally:
        control.close()


class Scene:
    """Both tests' setting: alice online, a caller, the gateway's status from before, and the xmpp
    plugin without its waiting handle (`held()`)."""

    def __init__(self, admin, alice, caller):
        self.admin, self.alice, self.caller = admin, alice, caller
        self.since, self.before = None, None

    async def handle_comes_back(self, held_final_status):
        """janus takes sessions again: the plugin's new handle rings alice for a control call
        only, and the held caller heard nothing after its final response (a late delivery of
        the held INVITE would answer or ring)."""
        await give_it_back(self.admin)
        await control_call_rings_only(self.admin, self.alice, self.since, self.before["calls_received"])
        assert [r[0] for r in self.caller.responses if r[1] == "INVITE" and r[0] >= 180] == [held_final_status], \
            self.caller.responses


@contextlib.asynccontextmanager
async def held(janus, prosody, caller_user):
    """The Scene, once the plugin was ready and its waiting handle went; at the end janus takes
    sessions again whatever happened."""
    admin = await Admin.open(janus.admin_url, janus.admin_secret)
    scene = Scene(admin, None, Caller(caller_user))
    try:
        scene.alice = await XmppClient.connect(prosody, "alice")
        await scene.alice.iq("localhost", "<ping xmlns='urn:xmpp:ping'/>")  # her presence is in: she gets proposes
        await sip_status(admin, lambda s: s.get("chat_session_ready"))
        scene.since = scene.alice.mark()
        scene.before = await gateway(admin)
        await take_away_the_waiting_handle(admin)
        yield scene
    finally:
        await admin.call("accept_new_sessions", accept=True)
        scene.caller.close()
        if scene.alice:
            await scene.alice.disconnect()
        await admin.close()


def test_a_held_invite_cancelled_gets_487_and_never_rings(janus, prosody):
    async def body():
        async with held(janus, prosody, "held") as scene:
            admin, caller = scene.admin, scene.caller
            calls_before = scene.before["calls_received"]
            caller.invite()
            holding = await gateway_until(admin, lambda g: g["held_xmpp_invites"] == 1)
            assert holding["calls_received"] == calls_before, holding
            assert not [r for r in caller.responses if r[0] >= 180], caller.responses  # no ringing, no answer
            caller.cancel()
            status, _, text = await caller.response(lambda s, m: m == "INVITE" and s >= 200, 10)
            assert status == 487, text
            caller.ack(text)
            cancel_status, _, _ = await caller.response(lambda s, m: m == "CANCEL", 10)
            assert cancel_status == 200
            after = await gateway_until(admin, lambda g: g["held_xmpp_invites"] == 0, 5)
            assert after["held_xmpp_expired"] == 0 and after["active_calls"] == 0, after
            await scene.handle_comes_back(487)

    run(body(), timeout=90)
    assert janus.alive()


def test_a_held_invite_nobody_takes_gets_480_after_5_s(janus, prosody):
    async def body():
        async with held(janus, prosody, "late") as scene:
            admin, caller, before = scene.admin, scene.caller, scene.before
            sent = time.monotonic()
            caller.invite()
            await gateway_until(admin, lambda g: g["held_xmpp_invites"] == 1)
            status, _, text = await caller.response(lambda s, m: m == "INVITE" and s >= 200, HOLD_SECONDS + 10)
            waited = time.monotonic() - sent
            caller.ack(text)
            assert status == 480, text
            assert 'Warning: 399 sylk "the XMPP gateway is not ready"' in text, text
            # the deadline is checked once a second: 5 to 6 s, and some slack for a loaded machine
            assert HOLD_SECONDS - 0.2 <= waited <= HOLD_SECONDS + 4, waited
            after = await gateway_until(admin, lambda g: g["held_xmpp_invites"] == 0, 5)
            assert after["held_xmpp_expired"] == before["held_xmpp_expired"] + 1, after
            assert after["calls_received"] == before["calls_received"] and after["active_calls"] == 0, after
            await scene.handle_comes_back(480)

    run(body(), timeout=90)
    assert janus.alive()
    assert "an INVITE to an XMPP user had no handle within 5 s: 480" in janus.log_tail(2000)
