"""Malformed and hostile SIP at the plugin's stack, over UDP and TCP from raw sockets: each gets a
SIP error (or is dropped where RFC 3261 says so), janus keeps running, and a call in progress
goes on; no datagram stalls the stack or gets a response sent anywhere but to its source;
garbage ends its TCP connection; OPTIONS pings leave no Sofia handles; INVITEs with a body or
an Accept we do not take get 415/406; methods with any token character get 501; answers keep
the offer's payload types (issues 10 and 17)."""
import asyncio
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
import uuid

import pytest

from conftest import run
from harness.janus_api import Admin, Session
from harness.rtp_peer import RtpPeer
from test_sip_focus import sipp, wait_for

FOCUS = ("127.0.0.1", 5060)
SIP = "janus.plugin.sylk.sip"


def request(method, uri, body="", content_type="application/sdp", headers=None, content_length=None,
            transport="UDP", port=0, drop=()):
    call_id = uuid.uuid4().hex
    fields = [
        ("Via", "SIP/2.0/%s 127.0.0.1:%d;branch=z9hG4bK%s;rport" % (transport, port, uuid.uuid4().hex[:12])),
        ("From", "<sip:tester@127.0.0.1>;tag=%s" % uuid.uuid4().hex[:8]),
        ("To", "<%s>" % uri),
        ("Call-ID", call_id),
        ("CSeq", "1 %s" % method),
        ("Contact", "<sip:tester@127.0.0.1:%d>" % port),
        ("Max-Forwards", "70"),
    ] + list((headers or {}).items())
    if body:
        fields.append(("Content-Type", content_type))
    fields.append(("Content-Length", str(len(body.encode()) if content_length is None else content_length)))
    head = "%s %s SIP/2.0\r\n" % (method, uri) + "".join("%s: %s\r\n" % f for f in fields if f[0] not in drop)
    return (head + "\r\n" + body).encode()


def status_of(data):
    match = re.match(rb"SIP/2\.0 (\d{3})", data)
    return int(match.group(1)) if match else None


def udp_response(payload, timeout=3.0):
    """Sends one datagram from a socket of its own; returns the first final response, whole."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        s.settimeout(timeout)
        s.sendto(payload.replace(b":0;branch", b":%d;branch" % s.getsockname()[1]), FOCUS)
        try:
            while True:
                data, _ = s.recvfrom(65535)
                code = status_of(data)
                if code and code >= 200:
                    return data
        except socket.timeout:
            return None


def udp_exchange(payload, timeout=3.0):
    """Sends one datagram; returns the first final status (>= 200), or None if none came."""
    response = udp_response(payload, timeout)
    return status_of(response) if response else None


def tcp_exchange(payload, timeout=5.0):
    with socket.create_connection(FOCUS, timeout=timeout) as s:
        s.sendall(payload)
        data = b""
        try:
            while True:
                chunk = s.recv(65535)
                if not chunk:
                    break
                data += chunk
                codes = [int(c) for c in re.findall(rb"SIP/2\.0 (\d{3})", data)]
                finals = [c for c in codes if c >= 200]
                if finals:
                    return finals[0]
        except socket.timeout:
            pass
        return None


SDP = "v=0\r\no=t 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\n"


def test_malformed_requests_get_errors_while_a_call_goes_on(janus):
    trace_dir = tempfile.mkdtemp(prefix="sylk-sipp-")

    async def body():
        phone = await RtpPeer("pcmu", 600).open()
        try:
            call = await sipp("room_hold.xml", trace_dir, ("room", "bad-room"), ("rtpport", phone.port))
            answer = await wait_for(os.path.join(trace_dir, "messages.log"), r"SIP/2\.0 200 OK.*?m=audio (\d+)")
            streaming = asyncio.ensure_future(phone.stream(("127.0.0.1", int(answer.group(1))), 2))
            loop = asyncio.get_running_loop()
            room = "sip:bad-room@127.0.0.1:5060"
            results = {
                "garbage SDP": await loop.run_in_executor(None, udp_exchange, request("INVITE", room, "v=0\r\nm=audio x\r\n")),
                "no SDP": await loop.run_in_executor(None, udp_exchange, request("INVITE", room)),
                "missing Call-ID": await loop.run_in_executor(
                    None, udp_exchange, request("INVITE", room, SDP, drop=("Call-ID",))),
                "missing From": await loop.run_in_executor(
                    None, udp_exchange, request("INVITE", room, SDP, drop=("From",))),
                "Content-Length too long": await loop.run_in_executor(
                    None, udp_exchange, request("INVITE", room, SDP, content_length=len(SDP) + 500)),
                "64 KB body (TCP)": await loop.run_in_executor(
                    None, tcp_exchange, request("INVITE", room, SDP + "a=x:" + "y" * 65536 + "\r\n", transport="TCP")),
                "unknown method": await loop.run_in_executor(None, udp_exchange, request("FROB", room)),
                "binary garbage": await loop.run_in_executor(None, udp_exchange, os.urandom(700)),
                "OPTIONS after all that": await loop.run_in_executor(None, udp_exchange, request("OPTIONS", room)),
            }
            await streaming
            return results, phone.packets_in
        finally:
            if "call" in locals() and call.returncode is None:
                call.kill()
            phone.close()

    try:
        results, packets = run(body(), timeout=60)
    finally:
        shutil.rmtree(trace_dir, ignore_errors=True)
    assert results["garbage SDP"] == 488, results
    assert results["no SDP"] == 488, results
    assert results["missing Call-ID"] == 400, results
    assert results["missing From"] == 400, results
    assert results["Content-Length too long"] == 400, results
    assert results["64 KB body (TCP)"] == 488, results        # our SDP reader: larger than 16 KiB
    assert results["unknown method"] == 501, results
    assert results["binary garbage"] is None, results
    assert results["OPTIONS after all that"] == 200, results
    assert packets > 50, packets       # the call in progress kept its media (the room's mix came back)
    assert janus.alive()


def sip_status(janus):
    async def body():
        admin = await Admin.open(janus.admin_url, janus.admin_secret)
        try:
            return await admin.message_plugin(SIP, {"request": "status"})
        finally:
            await admin.close()
    return run(body(), timeout=20)


def live_handles_settle(janus, at_most, seconds=6.0):
    """The stack's live Sofia handles, polled until they are at most at_most (retired handles go
    about a second after their request) or the time is up."""
    deadline = time.monotonic() + seconds
    while True:
        handles = sip_status(janus)["handles"]
        if handles <= at_most or time.monotonic() > deadline:
            return handles
        time.sleep(0.5)


def test_options_pings_are_answered_and_leave_no_handles(janus):
    """Issue 17 #3: each OPTIONS ping left a Sofia handle alive for good (5952 after 6000).
    OPTIONS is answered 200 with Allow, Accept and Supported (RFC 3261 §11), and the handles
    Sofia made for the pings are destroyed: the live count comes back to where it was."""
    baseline = live_handles_settle(janus, 0, seconds=3.0)
    pings = 2000
    answers = []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.settimeout(5.0)
        for start in range(0, pings, 100):  # a window of 100 at a time: no socket buffer overflows
            for _ in range(start, start + 100):
                s.sendto(request("OPTIONS", "sip:127.0.0.1:5060", port=port), FOCUS)
            for _ in range(100):
                data, _ = s.recvfrom(65535)
                answers.append(data)
    assert len(answers) == pings
    assert all(status_of(a) == 200 for a in answers), {status_of(a) for a in answers}
    headers = answers[0].split(b"\r\n\r\n")[0].decode()
    allow = re.search(r"^Allow: *(.*)$", headers, re.M | re.I)
    assert allow and "INVITE" in allow.group(1) and "OPTIONS" in allow.group(1), headers
    accept = re.search(r"^Accept: *(.*)$", headers, re.M | re.I)
    assert accept and "application/sdp" in accept.group(1), headers
    assert re.search(r"^Supported:", headers, re.M | re.I), headers
    handles = live_handles_settle(janus, baseline + 5)
    assert handles <= baseline + 5, (baseline, handles)
    assert janus.alive()


def header_of(response, name):
    match = re.search(rb"^%s: *(.*?)\r$" % name.encode(), response, re.M | re.I)
    return match.group(1).decode() if match else None


def test_invites_with_a_body_or_accept_we_do_not_take(janus):
    """RFC 3261 §8.2.3: an INVITE whose body is not SDP gets 415 with an Accept header (it got
    488), and one whose Accept excludes SDP gets 406 (it was answered with SDP); both for room
    calls (the focus) and for calls to a web user (the gateway)."""
    async def body():
        session = await Session.create(janus.ws_url)
        try:
            handle = await session.attach(SIP)
            data, _ = await handle.send({"request": "register", "username": "sip:carol@sylk.test", "type": "guest"})
            contact_user = data["result"]["contact_user"]
            loop = asyncio.get_running_loop()
            answers = {}
            for role, uri in (("focus", "sip:typed-room@127.0.0.1:5060"),
                              ("gateway", "sip:%s@127.0.0.1:5060" % contact_user)):
                for case, payload in (
                        ("text body", request("INVITE", uri, "hello", content_type="text/plain")),
                        ("Accept text", request("INVITE", uri, SDP, headers={"Accept": "text/plain"})),
                        ("Accept sdp q=0", request("INVITE", uri, SDP, headers={"Accept": "application/sdp;q=0"}))):
                    answers[role, case] = await loop.run_in_executor(None, udp_response, payload)
            # What is taken still is: SDP with an Accept that lists it (the focus answers 200).
            answers["taken"] = await loop.run_in_executor(None, udp_response, request(
                "INVITE", "sip:typed-room@127.0.0.1:5060", SDP, headers={"Accept": "text/plain, application/sdp"}))
            return answers
        finally:
            await session.close()

    answers = run(body(), timeout=40)
    for role in ("focus", "gateway"):
        wrong_type = answers[role, "text body"]
        assert status_of(wrong_type) == 415, (role, wrong_type)
        assert "application/sdp" in (header_of(wrong_type, "Accept") or ""), wrong_type
        for case in ("Accept text", "Accept sdp q=0"):
            assert status_of(answers[role, case]) == 406, (role, case, answers[role, case])
            assert b"m=audio" not in answers[role, case]
    assert status_of(answers["taken"]) == 200, answers["taken"]
    assert janus.alive()


def test_the_room_answer_keeps_the_offers_payload_types(janus):
    """RFC 3264 §6.1: an offer of 99 telephone-event/48000 and 101 telephone-event/8000 with
    PCMU was answered "99 telephone-event/8000", redefining 99. The answer now uses 101, as
    offered."""
    offer = ("v=0\r\no=t 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
             "m=audio 40002 RTP/AVP 0 99 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:99 telephone-event/48000\r\n"
             "a=rtpmap:101 telephone-event/8000\r\n")
    answer = udp_response(request("INVITE", "sip:pt-room@127.0.0.1:5060", offer))
    assert status_of(answer) == 200, answer
    sdp = answer.split(b"\r\n\r\n", 1)[1].decode()
    assert re.search(r"^m=audio \d+ RTP/AVP 0 101\r$", sdp, re.M), sdp
    rtpmaps = dict(re.findall(r"^a=rtpmap:(\d+) (\S+)\r$", sdp, re.M))
    assert rtpmaps == {"0": "PCMU/8000", "101": "telephone-event/8000"}, sdp



@pytest.fixture
def silent_dns():
    """The system resolver's nameserver made reachable in the test's namespace, on a socket that
    takes queries and never answers: what a host name under a black-holed domain costs. (With no
    route at all the resolver fails at once, hiding a synchronous lookup.)"""
    with open("/etc/resolv.conf") as conf:
        servers = re.findall(r"^nameserver\s+(\S+)", conf.read(), re.M)
    if not servers or ":" in servers[0]:
        pytest.skip("no IPv4 nameserver in /etc/resolv.conf")
    server = servers[0]
    subprocess.run(["ip", "addr", "add", server + "/32", "dev", "lo"], check=True)
    sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sink.bind((server, 53))
    try:
        yield sink
    finally:
        sink.close()
        subprocess.run(["ip", "addr", "del", server + "/32", "dev", "lo"], check=False)


def options_round_trip(timeout=8.0):
    """Seconds until a plain OPTIONS is answered (None: not within timeout)."""
    started = time.monotonic()
    code = udp_exchange(request("OPTIONS", "sip:127.0.0.1:5060"), timeout=timeout)
    return time.monotonic() - started if code == 200 else None


def test_no_datagram_stalls_the_stack_or_sends_a_reply_elsewhere(janus, silent_dns):
    """Requests whose top Via names another host: a host name (which would need DNS) or another
    address. RFC 3261 §18.2.2 sends responses where the request came from (received, rport); the
    stateless 505 for SIP/7.0 went to the Via's host, resolved synchronously on the SIP thread, so
    every such datagram stalled all SIP work for the resolver's timeout (seconds). Each case is
    sent from socket A, with socket C listening at the other address the Via names; then a plain
    OPTIONS must be answered within a second, A gets any reply and C nothing."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as other:
        other.bind(("127.0.0.2", 0))
        other.settimeout(0.2)
        elsewhere = "127.0.0.2:%d" % other.getsockname()[1]
        cases = {
            "SIP/7.0, Via host name": ("OPTIONS sip:127.0.0.1:5060 SIP/7.0", "SIP/2.0/UDP unresolvable.invalid:{port}", {}),
            "SIP/7.0, Via another address": ("OPTIONS sip:127.0.0.1:5060 SIP/7.0", "SIP/2.0/UDP " + elsewhere, {}),
            "SIP/7.0 Via, host name": ("OPTIONS sip:127.0.0.1:5060 SIP/2.0", "SIP/7.0/UDP unresolvable.invalid:{port}", {}),
            "maddr a host name": ("OPTIONS sip:127.0.0.1:5060 SIP/2.0",
                                  "SIP/2.0/UDP 127.0.0.1:{port};maddr=unresolvable.invalid", {}),
            "maddr another address": ("OPTIONS sip:127.0.0.1:5060 SIP/2.0",
                                      "SIP/2.0/UDP 127.0.0.1:{port};maddr=127.0.0.2", {}),
            "TCP Via over UDP, bad request": ("OPTIONS sip:127.0.0.1:5060 SIP/2.0", "SIP/2.0/TCP unresolvable.invalid:{port}",
                                              {"drop": ("Call-ID",)}),
        }
        results = {}
        for name, (line, via, extra) in cases.items():
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
                sender.bind(("127.0.0.1", 0))
                sender.settimeout(1.0)
                port = sender.getsockname()[1]
                payload = request("OPTIONS", "sip:127.0.0.1:5060", port=port, **extra).decode()
                payload = re.sub(r"^OPTIONS \S+ SIP/2\.0", line, payload)
                payload = re.sub(r"^Via: [^;\r]*", "Via: " + via.format(port=port), payload, flags=re.M)
                sender.sendto(payload.encode(), FOCUS)
                round_trip = options_round_trip()
                try:
                    reply = status_of(sender.recvfrom(65535)[0])
                except socket.timeout:
                    reply = None
                try:
                    misdirected = other.recvfrom(65535)[0][:40]
                except socket.timeout:
                    misdirected = None
                results[name] = (round_trip, reply, misdirected)
    for name, (round_trip, reply, misdirected) in results.items():
        assert round_trip is not None and round_trip < 1.0, (name, results)
        assert misdirected is None, (name, results)
    # The stateless 505 and 400 and the valid requests are answered, at the address they came from.
    assert results["SIP/7.0, Via host name"][1] == 505, results
    assert results["TCP Via over UDP, bad request"][1] == 400, results
    assert results["maddr a host name"][1] == 200, results
    assert results["maddr another address"][1] == 200, results
    assert janus.alive()


def open_fds(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def test_tcp_connections_that_send_garbage_are_closed(janus):
    """Issue 17 #2: a TCP connection that sent garbage stayed open, unread, in CLOSE_WAIT until
    Sofia's 30-minute idle timeout (300 such connections held 246 fds for 29 minutes). Now the
    server ends it at once (the client reads end of stream), and once the clients have gone too
    janus's descriptors are back where they were."""
    pid = janus.process.pid
    udp_exchange(request("OPTIONS", "sip:127.0.0.1:5060"))  # the stack is up and settled
    baseline = open_fds(pid)
    garbage = [b"hello there\r\n\r\n", b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
               b"\x16\x03\x01\x02\x7f\x01\xff\x01\xfc\x03\x03 binary\r\n\r\n", b"INVITE\r\n\r\n"]
    connections = []
    for i in range(100):
        s = socket.create_connection(FOCUS, timeout=5)
        s.sendall(garbage[i % len(garbage)])
        connections.append(s)
    started = time.monotonic()
    ended = 0
    for s in connections:
        s.settimeout(max(0.1, started + 3.0 - time.monotonic()))
        try:
            if s.recv(65535) == b"":
                ended += 1
        except (socket.timeout, ConnectionResetError):
            pass
    waited = time.monotonic() - started
    held = open_fds(pid) - baseline
    for s in connections:
        s.close()
    deadline = time.monotonic() + 5.0
    while open_fds(pid) > baseline and time.monotonic() < deadline:
        time.sleep(0.2)
    after = open_fds(pid)
    assert ended == len(connections), (ended, waited)
    assert after <= baseline, (baseline, held, after)
    # A valid request over TCP is still answered (and its connection kept).
    assert tcp_exchange(request("OPTIONS", "sip:127.0.0.1:5060", transport="TCP")) == 200
    assert janus.alive()


def test_methods_with_any_token_character_are_answered(janus):
    """RFC 3261 token characters include "*+`%'~": a request with such a method name got no
    answer at all (Sofia's parser took only URL characters for methods it did not know, and
    called the request garbage). It is an unknown method now: 501, over TCP and UDP."""
    results = {}
    for method in ("FOO*+", "B`Q", "X%Y'Z~!"):
        payload = request(method, "sip:any-room@127.0.0.1:5060")
        results[method, "UDP"] = udp_exchange(payload)
        results[method, "TCP"] = tcp_exchange(request(method, "sip:any-room@127.0.0.1:5060", transport="TCP"))
    assert all(code == 501 for code in results.values()), results
    assert janus.alive()
