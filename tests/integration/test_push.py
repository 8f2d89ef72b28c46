"""Push notifications (issue 13): a real janus with the SIP plugin's push service pointed at the
HTTP/2 TLS stand-in for APNs, Google OAuth2 and FCM (harness/push_standin.py, under hypercorn).

- the Sylk Pushserver REST API registers tokens and sends pushes; the stand-in verifies the
  ES256 provider token and the RS256 JWT-bearer assertion, the topics and push types, and that
  every push came over HTTP/2, all on one connection per app;
- a token the service calls gone (APNs 410, FCM 404 UNREGISTERED) is deleted (admin API);
- wrong API tokens get 401, hosts not listed 403;
- a gateway account registers a device (push_register) and learns another from its registrar's
  RFC 8599 Contact parameters; a call rings them (voip to the PushKit token), a decline in
  the browser or the caller's CANCEL stops them (cancel; missed_call after a CANCEL, not to the
  PushKit token); a SIP MESSAGE to it is pushed with an unread badge, and a
  stalled or failing push service delays neither the MESSAGE's 200 nor the browser's event.
"""
import asyncio
import http.client
import json
import os
import socket
import tempfile
import time
import uuid

import pytest
from aiortc import RTCSessionDescription

from conftest import run
from harness.janus_api import Admin, Session
from harness.peers import make_peer
from harness.push_service import PushStandIn, free_port

SIP = "janus.plugin.sylk.sip"
API_TOKEN = "test-api-token"
STANDIN = PushStandIn(tempfile.mkdtemp(prefix="sylk-push-"))
API_PORT = free_port()
SIP_OPTIONS = dict(STANDIN.sip_options(), push_api_port=API_PORT, push_api_hosts="127.0.0.1",
                   push_api_token=API_TOKEN, push_database=STANDIN.path("tokens.sqlite"), push_timeout_ms=1500,
                   push_attempts=3)
APP = STANDIN.APNS_TOPICS[0]


@pytest.fixture(scope="module", autouse=True)
def standin():
    STANDIN.start()
    yield STANDIN
    STANDIN.stop()


@pytest.fixture(autouse=True)
def fresh_standin(standin):
    standin.reset()


def rest(method, path, body=None, token=API_TOKEN, source="127.0.0.1"):
    connection = http.client.HTTPConnection("127.0.0.1", API_PORT, timeout=10, source_address=(source, 0))
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = "Bearer " + token
    connection.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
    answer = connection.getresponse()
    data = answer.read()
    connection.close()
    return answer.status, json.loads(data) if data else None


async def admin_request(janus, request):
    admin = await Admin.open(janus.admin_url, janus.admin_secret)
    try:
        return await admin.message_plugin(SIP, request)
    finally:
        await admin.close()


def wait_for_received(standin, predicate, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        found = [r for r in standin.received() if predicate(r)]
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError("the stand-in got nothing matching; it got: %s" % json.dumps(standin.received())[:3000])


def test_rest_push_reaches_apns_and_fcm_with_valid_tokens(janus, standin):
    account = "alice@example.com"
    assert rest("POST", "/v2/tokens/" + account, {"app-id": APP + ".voip", "platform": "ios", "token": "a1b2c3",
                                                  "device-id": "iphone"})[0] == 200
    assert rest("POST", "/v2/tokens/" + account, {"app-id": "com.example.sylk.android", "platform": "android",
                                                  "token": "fcm-token-1", "device-id": "pixel"})[0] == 200
    status, answer = rest("POST", "/v2/tokens/%s/push" % account,
                          {"event": "incoming_session", "call-id": "call-1", "sip-from": "sip:bob@example.com",
                           "from_display_name": "Bob"})
    assert status == 200, answer
    results = {r["device-id"]: r for r in answer["data"]["results"]}
    assert results["iphone"]["result"] == "delivered" and results["pixel"]["result"] == "delivered", answer
    apns = wait_for_received(standin, lambda r: r.get("service") == "apns")[0]
    assert apns["http_version"] == "2" and "error" not in apns, apns
    assert apns["headers"]["apns-push-type"] == "voip" and apns["headers"]["apns-topic"] == APP + ".voip"
    assert apns["headers"]["apns-priority"] == "10"
    assert apns["body"]["event"] == "incoming_session" and apns["body"]["call-id"] == "call-1"
    oauth = [r for r in standin.received("oauth2")]
    assert len(oauth) == 1 and oauth[0]["error"] is None, oauth
    fcm = wait_for_received(standin, lambda r: r.get("service") == "fcm")[0]
    assert fcm["http_version"] == "2" and "error" not in fcm, fcm
    assert fcm["body"]["message"]["token"] == "fcm-token-1"
    assert fcm["body"]["message"]["data"]["event"] == "incoming_session"

    # Twenty more: still one connection per app, and the access token is reused.
    for index in range(20):
        status, _ = rest("POST", "/v2/tokens/%s/push" % account,
                         {"event": "cancel", "call-id": "call-%d" % index, "reason": "answered elsewhere"})
        assert status == 200
    assert len(standin.received("apns")) == 21 and len(standin.received("fcm")) == 21
    assert all("error" not in r for r in standin.received("apns") + standin.received("fcm"))
    push_status = run(admin_request(janus, {"request": "push_status"}))
    channels = {c["provider"]: c for c in push_status["channels"]}
    assert channels["apns"]["connections_opened"] == 1, push_status
    assert channels["fcm"]["connections_opened"] == 1, push_status
    assert channels["apns"]["http2_responses"] == 21 and channels["fcm"]["access_tokens_fetched"] == 1, push_status

    # Direct POST /push (no registration) works too; a refused topic is not retried.
    status, answer = rest("POST", "/push", {"app-id": APP, "platform": "apple", "token": "d00d", "event": "message",
                                            "sip-from": "sip:bob@example.com", "sip-to": account, "badge": 4})
    assert status == 200, answer
    alert = wait_for_received(standin, lambda r: r.get("token") == "d00d")[0]
    assert alert["headers"]["apns-push-type"] == "alert" and alert["body"]["aps"]["badge"] == 4


def test_gone_tokens_are_deleted(janus, standin):
    account = "gone@example.com"
    for body in ({"app-id": APP, "platform": "ios", "token": "gone-apns", "device-id": "old-iphone"},
                 {"app-id": "com.example.sylk.android", "platform": "android", "token": "gone-fcm",
                  "device-id": "old-pixel"},
                 {"app-id": APP, "platform": "ios", "token": "live-apns", "device-id": "new-iphone"}):
        assert rest("POST", "/v2/tokens/" + account, body)[0] == 200
    listed = run(admin_request(janus, {"request": "push_tokens", "account": account}))
    assert len(listed["tokens"]) == 3
    assert all("token" not in t for t in listed["tokens"])  # tokens are not shown whole
    status, answer = rest("POST", "/v2/tokens/%s/push/old-iphone" % account, {"event": "message"})
    assert status == 410, answer
    status, answer = rest("POST", "/v2/tokens/%s/push" % account, {"event": "missed_call", "sip-from": "sip:x@y"})
    assert status == 200, answer
    results = {r["device-id"]: r["result"] for r in answer["data"]["results"]}
    assert results == {"old-pixel": "gone", "new-iphone": "delivered"}, answer
    listed = run(admin_request(janus, {"request": "push_tokens", "account": account}))
    assert [t["device_id"] for t in listed["tokens"]] == ["new-iphone"], listed
    # The admin API removes the rest; DELETE of what is gone is a 404.
    assert run(admin_request(janus, {"request": "push_remove", "account": account, "device_id": "new-iphone"}))["removed"] == 1
    assert rest("DELETE", "/v2/tokens/" + account, {"app-id": APP, "device-id": "new-iphone"})[0] == 404


def test_api_access_and_bad_requests(janus, standin):
    path = "/v2/tokens/eve@example.com"
    body = {"app-id": APP, "platform": "ios", "token": "abc"}
    assert rest("POST", path, body, token=None)[0] == 401
    assert rest("POST", path, body, token="wrong")[0] == 401
    assert rest("POST", path, body, source="127.0.0.2")[0] == 403  # not in push_api_hosts
    assert rest("POST", path, {"app-id": APP, "platform": "ios"})[0] == 400
    assert rest("POST", path, {"app-id": "com.other.app", "platform": "ios", "token": "abc"})[0] == 400
    assert rest("GET", "/push")[0] == 405
    assert rest("POST", "/v2/tokens/not-an-account", body)[0] == 404
    status, answer = rest("POST", path + "/push", {"event": "reboot"})
    assert status == 400 and "event" in answer["description"]
    connection = http.client.HTTPConnection("127.0.0.1", API_PORT, timeout=10)
    connection.request("POST", path, body=b"{" * 70000, headers={"Authorization": "Bearer " + API_TOKEN})
    assert connection.getresponse().status == 413
    connection.close()
    assert standin.received() == []


class Registrar(asyncio.DatagramProtocol):
    """A UDP registrar that accepts every REGISTER and lists, next to the gateway's own binding,
    the account's phone app's binding with RFC 8599 push parameters."""

    def __init__(self, phone_contact):
        self.phone_contact = phone_contact
        self.registers = 0

    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, address):
        text = data.decode(errors="replace")
        if not text.startswith("REGISTER "):
            return
        self.registers += 1
        head = {}
        for line in text.split("\r\n")[1:]:
            if not line:
                break
            name, _, value = line.partition(":")
            head.setdefault(name.strip().lower(), []).append(value.strip())
        contact = head.get("contact", head.get("m", [""]))[0]
        lines = ["SIP/2.0 200 OK"] + ["Via: " + v for v in head.get("via", head.get("v", []))]
        lines += ["From: " + head.get("from", head.get("f", [""]))[0],
                  "To: " + head.get("to", head.get("t", [""]))[0] + ";tag=reg1",
                  "Call-ID: " + head.get("call-id", head.get("i", [""]))[0],
                  "CSeq: " + head["cseq"][0],
                  "Contact: %s;expires=600" % contact.split(";expires")[0],
                  "Contact: <%s>;expires=3600" % self.phone_contact,
                  "Content-Length: 0", "", ""]
        self.transport.sendto("\r\n".join(lines).encode(), address)


def sip_message(contact_user, body, port=5060):
    """Sends a SIP MESSAGE to the gateway account's Contact over UDP; (status, seconds to the answer)."""
    call_id = uuid.uuid4().hex
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        local = sock.getsockname()[1]
        request = ("MESSAGE sip:%s@127.0.0.1:%d SIP/2.0\r\n"
                   "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK%s;rport\r\n"
                   "Max-Forwards: 70\r\nFrom: \"Bob\" <sip:bob@example.com>;tag=%s\r\n"
                   "To: <sip:carol@example.com>\r\nCall-ID: %s\r\nCSeq: 1 MESSAGE\r\n"
                   "Content-Type: text/plain\r\nContent-Length: %d\r\n\r\n%s"
                   % (contact_user, port, local, call_id[:10], call_id[10:16], call_id, len(body), body))
        started = time.monotonic()
        sock.sendto(request.encode(), ("127.0.0.1", port))
        sock.settimeout(5)
        while True:
            answer = sock.recv(65536).decode(errors="replace")
            status = int(answer.split(" ", 2)[1])
            if status >= 200:
                return status, time.monotonic() - started


class SipCaller:
    """A phone calling the web account's Contact over UDP (INVITE with PCMU), which can CANCEL."""

    def __init__(self, contact_user, port=5060):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(5)
        self.local = self.sock.getsockname()[1]
        self.port = port
        self.uri = "sip:%s@127.0.0.1:%d" % (contact_user, port)
        self.call_id = uuid.uuid4().hex
        self.branch = "z9hG4bK" + uuid.uuid4().hex[:12]
        self.tag = uuid.uuid4().hex[:8]

    def _head(self, method, to_tag=""):
        return ("%s %s SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:%d;branch=%s;rport\r\nMax-Forwards: 70\r\n"
                "From: \"Bob\" <sip:bob@example.com>;tag=%s\r\nTo: <sip:carol@example.com>%s\r\n"
                "Call-ID: %s\r\nCSeq: 1 %s\r\n"
                % (method, self.uri, self.local, self.branch, self.tag, to_tag, self.call_id, method))

    def invite(self):
        sdp = ("v=0\r\no=bob 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
               "m=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n")
        message = (self._head("INVITE") + "Contact: <sip:bob@127.0.0.1:%d>\r\nContent-Type: application/sdp\r\n"
                   "Content-Length: %d\r\n\r\n%s" % (self.local, len(sdp), sdp))
        self.sock.sendto(message.encode(), ("127.0.0.1", self.port))
        return self.wait(lambda status, cseq: status == 180)

    def wait(self, predicate):
        while True:
            answer = self.sock.recv(65536).decode(errors="replace")
            status = int(answer.split(" ", 2)[1])
            cseq = next(line for line in answer.split("\r\n") if line.lower().startswith("cseq:"))
            to = next(line for line in answer.split("\r\n") if line.lower().startswith(("to:", "t:")))
            if status >= 300 and "INVITE" in cseq:
                self.ack(to.split(":", 1)[1].strip())
            if predicate(status, cseq):
                return status

    def ack(self, to):
        message = ("ACK %s SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:%d;branch=%s;rport\r\nMax-Forwards: 70\r\n"
                   "From: \"Bob\" <sip:bob@example.com>;tag=%s\r\nTo: %s\r\nCall-ID: %s\r\nCSeq: 1 ACK\r\n"
                   "Content-Length: 0\r\n\r\n" % (self.uri, self.local, self.branch, self.tag, to, self.call_id))
        self.sock.sendto(message.encode(), ("127.0.0.1", self.port))

    def cancel(self):
        self.sock.sendto((self._head("CANCEL") + "Content-Length: 0\r\n\r\n").encode(), ("127.0.0.1", self.port))
        return self.wait(lambda status, cseq: status >= 300 and "INVITE" in cseq)

    def final(self):
        return self.wait(lambda status, cseq: status >= 300 and "INVITE" in cseq)

    def answered(self):
        """Waits for the INVITE's 200 and ACKs it (a new transaction)."""
        while True:
            answer = self.sock.recv(65536).decode(errors="replace")
            lines = answer.split("\r\n")
            if int(answer.split(" ", 2)[1]) == 200 and any("INVITE" in l for l in lines if l.lower().startswith("cseq:")):
                break
        to = next(l for l in lines if l.lower().startswith(("to:", "t:"))).split(":", 1)[1].strip()
        self.branch = "z9hG4bK" + uuid.uuid4().hex[:12]
        self.ack(to)
        return 200

    def answer_bye(self):
        """Answers the callee's BYE with 200."""
        while True:
            request = self.sock.recv(65536).decode(errors="replace")
            if request.startswith("BYE "):
                break
        head = [l for l in request.split("\r\n") if l.lower().startswith(("via:", "v:", "from:", "f:", "to:", "t:",
                                                                          "call-id:", "i:", "cseq:"))]
        self.sock.sendto(("SIP/2.0 200 OK\r\n" + "\r\n".join(head) + "\r\nContent-Length: 0\r\n\r\n").encode(),
                         ("127.0.0.1", self.port))

    def close(self):
        self.sock.close()


def call_pushes(standin, call_id):
    """(service, token, event, reason) of every push about call_id, in arrival order."""
    return sorted(((r["service"], r["token"], (r["body"].get("message", {}).get("data") or r["body"])["event"],
                    (r["body"].get("message", {}).get("data") or r["body"]).get("reason", ""), r["arrived"])
                   for r in standin.received() if r.get("service") in ("apns", "fcm") and r.get("body")
                   and (r["body"].get("message", {}).get("data") or r["body"]).get("call-id") == call_id),
                  key=lambda item: item[4])


def test_gateway_account_devices_and_message_pushes(janus, standin):
    async def body():
        loop = asyncio.get_running_loop()
        phone = ("sip:carol@10.1.2.3:5060;transport=tcp;pn-provider=apns;pn-prid=feedface01;"
                 "pn-param=%s.%s.voip" % (STANDIN.TEAM, APP))
        registrar_port = free_port()
        transport, registrar = await loop.create_datagram_endpoint(lambda: Registrar(phone),
                                                                   local_addr=("127.0.0.1", registrar_port))
        session = await Session.create(janus.ws_url)
        try:
            handle = await session.attach(SIP)
            await handle.send({"request": "register", "username": "sip:carol@example.com", "secret": "x",
                               "proxy": "sip:127.0.0.1:%d" % registrar_port})
            registered = await handle.next_event(predicate=lambda e: e.get("plugindata", {}).get("data", {})
                                                 .get("result", {}).get("event") == "registered")
            contact_user = registered["plugindata"]["data"]["result"]["contact_user"]
            answer, _ = await handle.send({"request": "push_register", "platform": "android",
                                           "app_id": "com.example.sylk.android", "token": "fcm-carol",
                                           "device_id": "tablet"})
            assert answer["result"]["event"] == "push_registered", answer
            assert answer["result"]["account"] == "carol@example.com"
            refused, _ = await handle.send({"request": "push_register", "platform": "ios", "app_id": "com.other",
                                            "token": "x"})
            assert refused.get("error_code") == 1003, refused
            listed = await admin_request(janus, {"request": "push_tokens", "account": "carol@example.com"})
            devices = {t["device_id"]: t for t in listed["tokens"]}
            assert set(devices) == {"tablet", "feedface01"}, listed  # the second from the registrar's 200
            assert devices["feedface01"]["voip"] is True and devices["feedface01"]["provider"] == "apns"

            # A MESSAGE: the browser gets it, the tablet a message push with badge 1, then 2; the
            # PushKit (voip) token of the phone takes calls only.
            for badge in (1, 2):
                status, seconds = await loop.run_in_executor(None, sip_message, contact_user, "hello %d" % badge)
                assert status == 200
                await handle.next_event(predicate=lambda e: e.get("plugindata", {}).get("data", {})
                                        .get("result", {}).get("event") == "message")
                got = await loop.run_in_executor(None, wait_for_received, standin,
                                                 lambda r, b=badge: (r.get("body") or {}).get("message", {})
                                                 .get("data", {}).get("badge") == str(b))
                assert [r["token"] for r in got] == ["fcm-carol"], got
                assert "error" not in got[0], got
            assert standin.received("apns") == []

            # Calls: the phone (PushKit) and the tablet ring with the browser; declined or
            # answered in the browser, they are told to stop; given up by the caller, they also
            # get a missed call.
            for how in ("declined", "cancelled", "accepted"):
                caller = SipCaller(contact_user)
                try:
                    assert await loop.run_in_executor(None, caller.invite) == 180
                    incoming = await handle.next_event(predicate=lambda e: e.get("plugindata", {}).get("data", {})
                                                       .get("result", {}).get("event") == "incomingcall")
                    if how == "accepted":  # an aiortc browser answers the offer
                        pc, _ = await make_peer(data_channel=False)
                        await pc.setRemoteDescription(RTCSessionDescription(sdp=incoming["jsep"]["sdp"], type="offer"))
                        await pc.setLocalDescription(await pc.createAnswer())
                        accepted, _ = await handle.send({"request": "accept"},
                                                        jsep={"type": "answer", "sdp": pc.localDescription.sdp})
                        assert "error" not in accepted, accepted
                        assert await loop.run_in_executor(None, caller.answered) == 200
                    elif how == "declined":
                        await handle.send({"request": "decline", "code": 603})
                        assert await loop.run_in_executor(None, caller.final) == 603
                    else:
                        assert await loop.run_in_executor(None, caller.cancel) == 487
                    expected = 5 if how == "cancelled" else 4
                    deadline = time.monotonic() + 5
                    while len(call_pushes(standin, caller.call_id)) < expected and time.monotonic() < deadline:
                        await asyncio.sleep(0.05)
                    pushes = call_pushes(standin, caller.call_id)
                    got = sorted((service, token, event, reason) for service, token, event, reason, _ in pushes)
                    reason = {"declined": "declined elsewhere", "accepted": "answered elsewhere"}.get(how, got[0][3])
                    wanted = [("apns", "feedface01", "cancel", reason), ("apns", "feedface01", "incoming_session", ""),
                              ("fcm", "fcm-carol", "cancel", reason), ("fcm", "fcm-carol", "incoming_session", "")]
                    if how == "cancelled":
                        wanted = sorted(wanted + [("fcm", "fcm-carol", "missed_call", reason)])
                        # A missed call is not a call event: not to the PushKit token.
                        assert len(got) == 5, got
                    assert got == sorted(wanted), (how, got)
                    voip = [r for r in standin.received("apns") if r["body"].get("call-id") == caller.call_id]
                    assert all(r["headers"]["apns-push-type"] == "voip" and "error" not in r for r in voip), voip
                    if how == "accepted":  # no missed call for it; the browser hangs up
                        await handle.send({"request": "hangup"})
                        await loop.run_in_executor(None, caller.answer_bye)
                        await pc.close()
                    await handle.next_event(predicate=lambda e: e.get("plugindata", {}).get("data", {})
                                            .get("result", {}).get("event") == "hangup")
                finally:
                    caller.close()

            # A stalled service, then one answering 503: messages are not delayed by either, and
            # their pushes are retried off the SIP thread and delivered once the service is back.
            async def fcm_status():
                return next(c for c in (await admin_request(janus, {"request": "push_status"}))["channels"]
                            if c["provider"] == "fcm")

            async def until(predicate, timeout=10):
                deadline = time.monotonic() + timeout
                while True:
                    current = await fcm_status()
                    if predicate(current) or time.monotonic() > deadline:
                        return current
                    await asyncio.sleep(0.1)

            before = await fcm_status()
            for step, mode in enumerate(("stall", "error503"), start=1):
                standin.mode(mode)
                started = time.monotonic()
                status, seconds = await loop.run_in_executor(None, sip_message, contact_user, "during " + mode)
                assert status == 200 and seconds < 0.5, (mode, seconds)
                await handle.next_event(timeout=2, predicate=lambda e: e.get("plugindata", {}).get("data", {})
                                        .get("result", {}).get("content") == "during " + mode)
                assert time.monotonic() - started < 1.0, mode
                # stall: the attempt times out (push_timeout_ms 1.5 s); 503: it is answered so.
                # Either way it is retried; then the service comes back.
                await until(lambda c, s=step: c["retried"] - before["retried"] >= s)
                standin.mode("normal")
                fcm = await until(lambda c, s=step: c["delivered"] - before["delivered"] >= s)
                assert fcm["delivered"] - before["delivered"] == step, (mode, before, fcm)
            assert fcm["retried"] - before["retried"] >= 2 and fcm["failed"] == before["failed"], (before, fcm)
        finally:
            await session.close()
            transport.close()
    run(body())


def test_conference_invitation_is_pushed(janus, standin):
    """A REFER (RFC 4579) makes a room invite an account whose only device is a phone app: the
    room's call to it fails (480), and the app gets an incoming_conference_request push naming
    the room and who invited (Sylk Pushserver's conference invitation)."""
    assert rest("POST", "/v2/tokens/dave@127.0.0.1", {"app-id": "com.example.sylk.android", "platform": "android",
                                                      "token": "fcm-dave", "device-id": "phone"})[0] == 200

    def refer():
        """REFERs sip:dave@<this socket> into the room from the same socket, answers the NOTIFYs
        (200) and the room's INVITE (480: no SIP device); the last NOTIFY's sipfrag."""
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.bind(("127.0.0.1", 0))
            s.settimeout(10)
            port = s.getsockname()[1]
            request = ("REFER sip:invite-room@127.0.0.1:5060 SIP/2.0\r\n"
                       "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK%s;rport\r\n"
                       "From: \"Ann\" <sip:ann@127.0.0.1:%d>;tag=%s\r\nTo: <sip:invite-room@127.0.0.1:5060>\r\n"
                       "Call-ID: %s\r\nCSeq: 1 REFER\r\nContact: <sip:ann@127.0.0.1:%d>\r\n"
                       "Refer-To: <sip:dave@127.0.0.1:%d;method=INVITE>\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
                       % (port, uuid.uuid4().hex[:10], port, uuid.uuid4().hex[:8], uuid.uuid4().hex, port, port))
            s.sendto(request.encode(), ("127.0.0.1", 5060))
            while True:
                data, address = s.recvfrom(65535)
                head, _, body = data.decode(errors="replace").partition("\r\n\r\n")
                echoed = [line for line in head.split("\r\n")[1:]
                          if line.split(":")[0].lower() in ("via", "from", "to", "call-id", "cseq")]
                if head.startswith("INVITE"):
                    echoed = [line + (";tag=dave1" if line.lower().startswith("to:") else "") for line in echoed]
                    status = "480 Temporarily Unavailable"
                elif head.startswith("NOTIFY"):
                    status = "200 OK"
                else:
                    continue  # the 202, the ACK of our 480
                s.sendto(("SIP/2.0 %s\r\n" % status + "\r\n".join(echoed) + "\r\nContent-Length: 0\r\n\r\n").encode(),
                         address)
                if head.startswith("NOTIFY") and "terminated" in head:
                    return body.split("\r\n")[0]

    assert "480" in refer()
    pushed = wait_for_received(standin, lambda r: r.get("token") == "fcm-dave")
    data = pushed[0]["body"]["message"]["data"]
    assert len(pushed) == 1 and "error" not in pushed[0], pushed
    assert data["event"] == "incoming_conference_request", data
    assert data["to_uri"].startswith("sip:invite-room@") and data["from_uri"].startswith("sip:ann@127.0.0.1"), data
    assert data["from_display_name"] == "Ann", data
