"""Issue 17: one source address could hold any number of idle TCP connections to the SIP port
(Sofia accepts them all and keeps an idle one for tcp_idle_timeout, 120 s). The plugin bounds
them per source (tcp_connections_per_source, 32 by default): 100 idle connections from one host
are cut to 32 within seconds, the longest idle first, while a client of that same host that
talks keeps its connection and calls a room over it; the same over TLS."""
import re
import select
import ssl
import socket
import time
import uuid

from test_sip_malformed import FOCUS, SDP, request, status_of, udp_exchange

BOUND = 32   # the default of tcp_connections_per_source


def still_open(connections):
    """The connections the server has not closed (a readable socket with nothing to read has
    seen end of stream; a reset, or TLS ending without close_notify, counts as closed too)."""
    readable, _, _ = select.select(connections, [], [], 0)
    closed = set()
    for s in readable:
        timeout = s.gettimeout()
        s.settimeout(0)   # readable may mean a TLS record that is no data (a session ticket)
        try:
            if s.recv(65535) == b"":
                closed.add(s)
        except (ssl.SSLWantReadError, BlockingIOError):
            pass
        except (OSError, ssl.SSLError):
            closed.add(s)
        finally:
            s.settimeout(timeout)
    return [s for s in connections if s not in closed]


def read_response(s, method, timeout=5.0):
    """The first final response to `method` on the connection (whole message, bytes)."""
    s.settimeout(timeout)
    data = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in re.split(rb"(?=SIP/2\.0 \d{3} )", data):
            code = status_of(message)
            if code and code >= 200 and re.search(rb"CSeq: *\d+ " + method.encode(), message) and b"\r\n\r\n" in message:
                return message
        chunk = s.recv(65535)
        if not chunk:
            break
        data += chunk
    raise AssertionError("no final response to %s: %r" % (method, data[-500:]))


def test_idle_tcp_connections_per_source_are_bounded(janus):
    udp_exchange(request("OPTIONS", "sip:127.0.0.1:5060"))   # the stack is up
    flood = [socket.create_connection(FOCUS, timeout=5) for _ in range(100)]
    try:
        # swept once a second, once a connection has been idle for a second
        deadline = time.monotonic() + 10
        remaining = still_open(flood)
        while len(remaining) > BOUND and time.monotonic() < deadline:
            time.sleep(0.25)
            remaining = still_open(flood)
        assert len(remaining) == BOUND, len(remaining)
        time.sleep(2.5)   # and it stays so: the sweep does not take more than the surplus
        assert len(still_open(flood)) == BOUND

        # a client of the same host that talks: answered, then calls a room, on one connection
        # that is idle for a while in between (the flood's older connections go before it)
        client = socket.create_connection(FOCUS, timeout=5)
        port = client.getsockname()[1]
        client.sendall(request("OPTIONS", "sip:127.0.0.1:5060", transport="TCP", port=port))
        assert status_of(read_response(client, "OPTIONS")) == 200
        time.sleep(2.5)
        room = "sip:bounded-room@127.0.0.1"
        invite = request("INVITE", room, SDP, transport="TCP", port=port)
        client.sendall(invite)
        answer = read_response(client, "INVITE", timeout=10)
        assert status_of(answer) == 200, answer[:200]
        call_id = re.search(rb"Call-ID: *(\S+)", invite).group(1).decode()
        from_field = re.search(rb"From: *([^\r\n]+)", invite).group(1).decode()
        to_field = re.search(rb"To: *([^\r\n]+)", answer).group(1).decode()
        contact = re.search(rb"Contact: *<([^>]+)>", answer).group(1).decode()
        for method, cseq in (("ACK", 1), ("BYE", 2)):
            client.sendall(("%s %s SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:%d;branch=z9hG4bK%s;rport\r\n"
                            "From: %s\r\nTo: %s\r\nCall-ID: %s\r\nCSeq: %d %s\r\nMax-Forwards: 70\r\n"
                            "Content-Length: 0\r\n\r\n" % (method, contact, port, uuid.uuid4().hex[:12], from_field,
                                                           to_field, call_id, cseq, method)).encode())
        assert status_of(read_response(client, "BYE")) == 200
        assert client in still_open([client])
        assert len(still_open(flood)) < BOUND   # the talking client counted, an idle one went
        client.close()
        assert "idle SIP connections from 127.0.0.1" in janus.log_tail(400)
        assert janus.alive()
    finally:
        for s in flood:
            s.close()


def test_idle_tls_connections_count_too(janus):
    """The same bound over TLS (the SIP TLS listener the tests configure on 5081): 50 idle TLS
    connections from one host, handshake done, are cut to 32; a TLS client of that host is then
    answered on a connection of its own."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE   # the test's self-made certificate
    tls_focus = ("127.0.0.1", 5081)
    flood = [context.wrap_socket(socket.create_connection(tls_focus, timeout=5)) for _ in range(50)]
    try:
        deadline = time.monotonic() + 10
        remaining = still_open(flood)
        while len(remaining) > BOUND and time.monotonic() < deadline:
            time.sleep(0.25)
            remaining = still_open(flood)
        assert len(remaining) == BOUND, len(remaining)
        client = context.wrap_socket(socket.create_connection(tls_focus, timeout=5))
        port = client.getsockname()[1]
        client.sendall(request("OPTIONS", "sip:127.0.0.1:5081", transport="TLS", port=port))
        assert status_of(read_response(client, "OPTIONS")) == 200
        client.close()
    finally:
        for s in flood:
            s.close()
