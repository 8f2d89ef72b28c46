"""A real MSRP endpoint for the integration tests, written from RFC 4975 (MSRP), RFC 4976 (relays,
AUTH with digest), RFC 6135 (connection setup, session matching by session id), RFC 7701 (NICKNAME),
with helpers for the bodies chat clients send: CPIM (RFC 3862) and is-composing (RFC 3994).

No MSRP endpoint exists in Debian or npm, so the tests talk MSRP through this module. It is an
endpoint as a chat client is one, not a mock: it frames, chunks, reassembles and answers the way the
RFCs say, and it was proven against Kamailio's msrp relay (tests/integration/test_msrp_relay.py) before
any of our C++ existed. It also lets a test break the rules on purpose (raw bytes, a chosen status,
a peer that stops reading), because the server's handling of bad peers is part of what we test.

Shape (asyncio, one loop, the tests' own):
- MsrpUri, Frame, FrameParser: the wire format (msrp_wire.py, re-exported here).
- Connection: one TCP/TLS stream; reads frames, can stop reading (backpressure tests).
- MsrpEndpoint: listeners, the connection table (reused per RFC 4975 section 6.1 / RFC 6135),
  transactions, the relay AUTH, and the sessions it hosts.
- MsrpSession: one MSRP session: its URI and paths, sending (chunked), what it received.
- cpim()/parse_cpim(), is_composing()/parse_is_composing(): bodies (msrp_bodies.py, re-exported here).
"""
import asyncio
import collections
import hashlib
import os
import re
import socket
import ssl
import subprocess

# The wire format and the bodies live beside this module; tests import them from here too.
from .msrp_bodies import AG_CPIM_NS, Cpim, cpim, parse_cpim, is_composing, parse_is_composing  # noqa: F401
from .msrp_wire import END_LINE_DASHES, MAX_HEADER_BYTES, DEFAULT_CHUNK_SIZE, DEFAULT_TIMEOUT, MsrpError, ParseError, random_id, MsrpUri, parse_path, format_path, Frame, FrameParser  # noqa: F401


class Connection:
    """One TCP or TLS stream to another MSRP node. Reading can be stopped (pause_reading) so a test
    can play the peer that stops reading: asyncio then stops reading the socket once its buffer is
    full, and the sender's TCP window closes."""

    def __init__(self, endpoint, reader, writer, remote, outgoing):
        self.endpoint = endpoint
        self.reader = reader
        self.writer = writer
        self.remote = remote            # (host, port, secure) for the connection table
        self.outgoing = outgoing
        self.parser = FrameParser()
        self.bytes_read = 0
        self.bytes_written = 0
        self.error = None               # why the connection ended, if it did on our side
        self.closed = asyncio.get_running_loop().create_future()
        self._reading = asyncio.Event()
        self._reading.set()
        self._task = asyncio.ensure_future(self._read_loop())

    @property
    def peer_certificate(self):
        """DER of the other side's certificate (TLS), for fingerprint checks."""
        ssl_object = self.writer.get_extra_info("ssl_object")
        return ssl_object.getpeercert(binary_form=True) if ssl_object else None

    def pause_reading(self):
        self._reading.clear()

    def resume_reading(self):
        self._reading.set()

    @property
    def reading(self):
        return self._reading.is_set()

    async def _read_loop(self):
        try:
            while True:
                await self._reading.wait()
                data = await self.reader.read(65536)
                if not data:
                    break
                self.bytes_read += len(data)
                for frame in self.parser.feed(data):
                    await self.endpoint._dispatch(self, frame)
        except ParseError as error:
            self.error = error   # what the other side sent was not MSRP: drop the connection
        except (ConnectionError, ssl.SSLError, OSError) as error:
            self.error = error
        except asyncio.CancelledError:
            pass
        finally:
            self._finish()

    def _finish(self):
        if not self.closed.done():
            self.closed.set_result(self.error)
        self.endpoint._forget(self)
        try:
            self.writer.close()
        except Exception:
            pass

    async def send(self, data):
        """Writes bytes and waits while the socket's buffer is over its high-water mark."""
        if self.closed.done():
            raise MsrpError("connection to %s:%s is closed (%s)" % (self.remote[0], self.remote[1], self.error))
        self.writer.write(data)
        self.bytes_written += len(data)
        await self.writer.drain()

    async def send_frame(self, frame):
        await self.send(frame.serialize())

    async def wait_closed(self, timeout=DEFAULT_TIMEOUT):
        """Waits until the other side or an error ended the connection; returns the error or None."""
        return await asyncio.wait_for(asyncio.shield(self.closed), timeout)

    async def close(self):
        self._task.cancel()
        try:
            await self._task
        except asyncio.CancelledError:
            pass
        self._finish()


class IncomingMessage:
    """A SEND reassembled from its chunks by Message-ID (RFC 4975 section 7.3.1). Chunks may come in
    any order; `complete` once the '$' chunk arrived and every byte up to it is there."""

    def __init__(self, message_id, first):
        self.message_id = message_id
        self.headers = list(first.headers)
        self.content_type = first.content_type
        self.from_path = first.from_path
        self.data = bytearray()
        self.received = 0
        self.chunks = 0
        self.total = None
        self.complete = False
        self.aborted = False
        self.last_seen = False      # the '$' chunk arrived (chunks may come in any order)
        self.statuses = []          # the status we answered to each chunk

    def add(self, frame):
        start, _end, total = frame.byte_range
        body = frame.body or b""
        if self.content_type is None and frame.content_type:
            self.content_type = frame.content_type
        if total is not None:
            self.total = total
        end = start - 1 + len(body)
        if len(self.data) < end:
            self.data.extend(bytes(end - len(self.data)))
        self.data[start - 1:end] = body
        self.received += len(body)
        self.chunks += 1
        if frame.flag == "#":
            self.aborted = True
        elif frame.flag == "$":
            self.last_seen = True
            if self.total is None:
                self.total = end
        if self.last_seen and not self.aborted and self.received >= self.total:
            del self.data[self.total:]
            self.complete = True

    @property
    def body(self):
        return bytes(self.data)

    def text(self):
        return self.body.decode("utf-8")

    def __repr__(self):
        state = "complete" if self.complete else "aborted" if self.aborted else "partial"
        return "<IncomingMessage %s %s %dB %s>" % (self.message_id, self.content_type, len(self.data), state)


class OutgoingMessage:
    """A message being sent in chunks; `responses` are the transaction responses per chunk, in
    order of arrival (a relay or the remote endpoint answers each chunk)."""

    def __init__(self, message_id, size):
        self.message_id = message_id
        self.size = size
        self.tids = []
        self.responses = []
        self.stopped = None         # the non-200 response that made us stop (e.g. 413)
        self.aborted = False

    @property
    def statuses(self):
        return [response.status for response in self.responses]


class RelayGrant:
    """The outcome of an AUTH exchange with a relay (RFC 4976 section 5): `status` of the last
    response, `use_path` (the relay URIs to put in front of our own path) and `expires`."""

    def __init__(self, responses):
        self.responses = responses
        final = responses[-1]
        self.status = final.status
        self.use_path = parse_path(final.header("Use-Path", "")) if final.status == 200 else []
        expires = final.header("Expires")
        self.expires = int(expires) if expires else None

    def __repr__(self):
        return "<RelayGrant %s %s expires=%s>" % (self.status, format_path(self.use_path), self.expires)


def digest_response(username, realm, password, method, uri, nonce, qop=None, nc=None, cnonce=None):
    """RFC 2617 section 3.2.2.1 with algorithm MD5; RFC 4976 section 5.1 uses method AUTH and the
    relay's URI (the To-Path of the AUTH) as digest-uri."""
    def md5(text):
        return hashlib.md5(text.encode()).hexdigest()
    ha1 = md5("%s:%s:%s" % (username, realm, password))
    ha2 = md5("%s:%s" % (method, uri))
    if qop:
        return md5("%s:%s:%s:%s:%s:%s" % (ha1, nonce, nc, cnonce, qop, ha2))
    return md5("%s:%s:%s" % (ha1, nonce, ha2))


def parse_challenge(value):
    """'Digest realm="x", nonce="y", qop="auth"' -> {'realm': 'x', ...}"""
    scheme, _, rest = value.strip().partition(" ")
    if scheme.lower() != "digest":
        raise MsrpError("not a Digest challenge: %r" % value)
    params = {}
    for match in re.finditer(r'([A-Za-z0-9_-]+)\s*=\s*("((?:[^"\\]|\\.)*)"|[^,\s]+)', rest):
        params[match.group(1).lower()] = match.group(3) if match.group(3) is not None else match.group(2)
    return params


def certificate_fingerprint(der):
    """'sha-256 AB:CD:...' as SDP's a=fingerprint writes it (RFC 4572)."""
    digest = hashlib.sha256(der).hexdigest().upper()
    return "sha-256 " + ":".join(digest[i:i + 2] for i in range(0, len(digest), 2))


def make_certificate(directory, common_name="msrp-peer.test", key="rsa:2048"):
    """A self-signed certificate made by openssl at test time: (certfile, keyfile, fingerprint).
    RSA by default: Kamailio 5.6's tls module offers no signature algorithm for an EC key."""
    certfile = os.path.join(directory, common_name + ".crt")
    keyfile = os.path.join(directory, common_name + ".key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", key, "-nodes", "-days", "2", "-subj", "/CN=" + common_name, "-addext",
                    "subjectAltName=DNS:%s,IP:10.77.0.1,IP:10.77.0.2,IP:127.0.0.1" % common_name,
                    "-keyout", keyfile, "-out", certfile], check=True, capture_output=True)
    with open(certfile, "rb") as handle:
        der = ssl.PEM_cert_to_DER_cert(handle.read().decode())
    return certfile, keyfile, certificate_fingerprint(der)


class MsrpSession:
    """One MSRP session hosted by an endpoint: its own URI, the remote path, and what arrived.

    `responder(frame)` chooses the answer to each incoming request: return an int status, a
    (status, comment) pair, or None for the default (200 to SEND and NICKNAME, 501 otherwise).
    Success reports (Success-Report: yes) are sent once a message is complete, as RFC 4975
    section 7.1.2 asks of the receiving endpoint, unless `send_success_reports` is False."""

    def __init__(self, endpoint, session_id=None, remote_path=None):
        self.endpoint = endpoint
        self.session_id = session_id or random_id()
        self.uri = MsrpUri("msrps" if endpoint.tls else "msrp", endpoint.advertised_host,
                           endpoint.advertised_port, self.session_id)
        self.relay_path = list(endpoint.relay_path)   # our relays' Use-Path, outermost first
        self.remote_path = [MsrpUri.parse(u) if isinstance(u, str) else u for u in (remote_path or [])]
        self.connection = None
        self.chunk_size = endpoint.chunk_size
        self.responder = None
        self.send_success_reports = True
        self.messages = collections.OrderedDict()   # Message-ID -> IncomingMessage
        self.empty_sends = []                       # bodiless SENDs (bindings, keep-alives)
        self.reports = []
        self.requests = []                          # every request received, in order
        self.bound = asyncio.get_running_loop().create_future()
        self._cursor = 0

    @property
    def path(self):
        """What this session advertises in SDP a=path: our relays, then our own URI."""
        return self.relay_path + [self.uri]

    @property
    def to_path(self):
        """Where requests go: through our own relays, then the remote path (RFC 4976 section 6)."""
        return self.relay_path + self.remote_path

    # --- connection setup -------------------------------------------------------------------
    async def connect(self, remote_path=None, fingerprint=None, bind=True):
        """Active role: connect to the first hop (or reuse a connection to it) and, by default,
        send the empty SEND that binds the session to the connection (RFC 4975 section 5.4,
        RFC 6135 section 4.2)."""
        if remote_path is not None:
            self.remote_path = [MsrpUri.parse(u) if isinstance(u, str) else u for u in remote_path]
        self.connection = await self.endpoint.connection_to(self.to_path[0], fingerprint=fingerprint)
        if bind:
            response = await self.bind()
            if response.status != 200:
                raise MsrpError("binding SEND answered %s %s" % (response.status, response.comment))
        if not self.bound.done():
            self.bound.set_result(self.connection)
        return self.connection

    async def bind(self, timeout=DEFAULT_TIMEOUT):
        """The empty SEND (no body, no Byte-Range beyond the default) that binds the session."""
        frame = self._request("SEND", [("Message-ID", random_id())])
        return await self.endpoint.transaction(self.connection, frame, timeout)

    async def wait_bound(self, timeout=DEFAULT_TIMEOUT):
        """Passive role: wait for the other side's first request to reach this session."""
        self.connection = await asyncio.wait_for(asyncio.shield(self.bound), timeout)
        return self.connection

    def _request(self, method, headers, body=None, flag="$"):
        return Frame(random_id(10), method=method, headers=[("To-Path", format_path(self.to_path)),
                                                             ("From-Path", str(self.uri))] + headers,
                     body=body, flag=flag)

    def _need_connection(self):
        if self.connection is None or self.connection.closed.done():
            raise MsrpError("session %s has no open connection" % self.session_id)
        return self.connection

    # --- sending ----------------------------------------------------------------------------
    async def send_message(self, body, content_type="text/plain", message_id=None, chunk_size=None,
                           success_report=None, failure_report=None, extra_headers=(), abort_after_chunks=None,
                           window=None, wait=True, timeout=DEFAULT_TIMEOUT, total_known=True):
        """Sends one message in chunks of `chunk_size` bytes (RFC 4975 section 7.1.1).

        success_report / failure_report: None leaves the header out ('no' / 'yes' are the RFC's
        defaults), else 'yes' / 'no' / 'partial'. abort_after_chunks=k: the k-th chunk ends with '#'
        and nothing more is sent. window=n: at most n chunks unanswered (None: all pipelined).
        A non-200 answer (e.g. 413) stops the sending, as section 7.1.3 asks. wait: return after
        every expected response arrived (none are expected with Failure-Report: no)."""
        connection = self._need_connection()
        body = body.encode() if isinstance(body, str) else bytes(body)
        chunk_size = chunk_size or self.chunk_size
        outgoing = OutgoingMessage(message_id or random_id(16), len(body))
        expect_responses = failure_report in (None, "yes")
        pending = []
        offset = 0
        count = 0
        while True:
            piece = body[offset:offset + chunk_size]
            count += 1
            last = offset + len(piece) >= len(body)
            flag = "$" if last else "+"
            if abort_after_chunks is not None and count >= abort_after_chunks:
                flag = "#"
                outgoing.aborted = True
            headers = [("Message-ID", outgoing.message_id)]
            if success_report is not None:
                headers.append(("Success-Report", success_report))
            if failure_report is not None:
                headers.append(("Failure-Report", failure_report))
            total = str(len(body)) if total_known else "*"
            end = str(offset + len(piece)) if (last or total_known) else "*"
            headers.append(("Byte-Range", "%d-%s/%s" % (offset + 1, end if len(body) else "0", total)))
            headers += list(extra_headers)
            headers.append(("Content-Type", content_type))
            frame = self._request("SEND", headers, body=piece, flag=flag)
            outgoing.tids.append(frame.tid)
            if expect_responses:
                future = self.endpoint._expect(frame.tid)
                future.add_done_callback(lambda f, o=outgoing: self._chunk_answered(o, f))
                pending.append(future)
            await connection.send_frame(frame)
            offset += len(piece)
            if flag != "+" or outgoing.stopped:
                break
            while window and expect_responses and sum(not f.done() for f in pending) >= window:
                await asyncio.wait([f for f in pending if not f.done()], timeout=timeout,
                                   return_when=asyncio.FIRST_COMPLETED)
                if outgoing.stopped:
                    break
            if outgoing.stopped:
                break
        if wait and pending:
            done, not_done = await asyncio.wait(pending, timeout=timeout)
            if not_done:
                raise asyncio.TimeoutError("%d of %d chunk responses for %s did not come within %ss"
                                           % (len(not_done), len(pending), outgoing.message_id, timeout))
        return outgoing

    def _chunk_answered(self, outgoing, future):
        if future.cancelled() or future.exception():
            return
        response = future.result()
        outgoing.responses.append(response)
        if response.status != 200 and outgoing.stopped is None:
            outgoing.stopped = response

    async def send_nickname(self, nickname, timeout=DEFAULT_TIMEOUT):
        """RFC 7701: NICKNAME with Use-Nickname; returns the response (200, 424, 425, ...)."""
        frame = self._request("NICKNAME", [("Use-Nickname", '"%s"' % nickname.replace('"', '\\"'))])
        return await self.endpoint.transaction(self._need_connection(), frame, timeout)

    async def send_report(self, message_id, status=200, comment="OK", byte_range=None, to_path=None):
        """A REPORT (RFC 4975 section 7.1.2) of our own making; REPORTs get no response."""
        headers = [("Message-ID", message_id), ("Status", "000 %03d %s" % (status, comment))]
        if byte_range:
            headers.append(("Byte-Range", byte_range))
        frame = self._request("REPORT", headers)
        if to_path is not None:
            frame.set_header("To-Path", format_path(to_path))
        await self._need_connection().send_frame(frame)

    async def request(self, method, headers=(), body=None, content_type=None, timeout=DEFAULT_TIMEOUT):
        """Any request (e.g. an unknown method) and its response."""
        headers = list(headers)
        if content_type:
            headers.append(("Content-Type", content_type))
        frame = self._request(method, headers, body=body)
        return await self.endpoint.transaction(self._need_connection(), frame, timeout)

    async def send_raw(self, data):
        """Bytes exactly as given, for malformed-input tests."""
        await self._need_connection().send(data)

    def pause_reading(self):
        self._need_connection().pause_reading()

    def resume_reading(self):
        self._need_connection().resume_reading()

    async def close(self):
        """Ends this session's connection (a chat client leaving closes its TCP connection)."""
        if self.connection:
            await self.connection.close()

    # --- receiving --------------------------------------------------------------------------
    def _received(self, connection, frame):
        """Returns the status to answer with, or None for no response."""
        if not self.bound.done():
            self.bound.set_result(connection)
            self.connection = connection
        self.requests.append(frame)
        if frame.method == "REPORT":
            self.reports.append(frame)
            return None
        status = self._choose_status(frame)
        if frame.method == "SEND":
            if frame.body is not None:   # a message chunk; a bodiless SEND only binds or keeps alive
                message = self.messages.get(frame.message_id)
                if message is None:
                    message = self.messages[frame.message_id] = IncomingMessage(frame.message_id, frame)
                if status[0] == 200:
                    message.add(frame)
                message.statuses.append(status[0])
                if message.complete and frame.header("Success-Report", "no") == "yes" and self.send_success_reports:
                    asyncio.ensure_future(self._success_report(connection, frame, message))
            else:
                self.empty_sends.append(frame)
        return status

    def _choose_status(self, frame):
        default = (200, "OK") if frame.method in ("SEND", "NICKNAME") else (501, "Unknown method")
        choice = self.responder(frame) if self.responder else None
        if choice is None:
            return default
        if isinstance(choice, int):
            return choice, {200: "OK", 403: "Forbidden", 413: "Too large", 415: "Unsupported media type",
                            425: "Nickname in use", 481: "No such session"}.get(choice, "Status")
        return choice

    async def _success_report(self, connection, frame, message):
        report = Frame(random_id(10), method="REPORT", headers=[
            ("To-Path", format_path(frame.from_path)), ("From-Path", str(self.uri)),
            ("Message-ID", message.message_id), ("Byte-Range", "1-%d/%d" % (len(message.data), len(message.data))),
            ("Status", "000 200 OK")])
        try:
            await connection.send_frame(report)
        except MsrpError:
            pass

    def complete_messages(self):
        return [m for m in self.messages.values() if m.complete]

    async def wait_message(self, predicate=None, timeout=DEFAULT_TIMEOUT):
        """The first complete message (in arrival order) matching predicate, received before or after
        the call."""
        def found():
            for message in self.complete_messages():
                if predicate is None or predicate(message):
                    return message
            return None
        return await self.endpoint.wait_for(found, timeout, lambda: "messages %r" % list(self.messages.values()))

    async def next_message(self, timeout=DEFAULT_TIMEOUT):
        """Complete messages one by one in arrival order (a queue over `messages`)."""
        def found():
            complete = self.complete_messages()
            return complete[self._cursor] if len(complete) > self._cursor else None
        message = await self.endpoint.wait_for(found, timeout, lambda: "messages %r" % list(self.messages.values()))
        self._cursor += 1
        return message

    async def wait_report(self, message_id=None, timeout=DEFAULT_TIMEOUT):
        def found():
            for report in self.reports:
                if message_id is None or report.message_id == message_id:
                    return report
            return None
        return await self.endpoint.wait_for(found, timeout, lambda: "reports %r" % self.reports)

    async def wait_request(self, method, timeout=DEFAULT_TIMEOUT):
        def found():
            return next((r for r in self.requests if r.method == method), None)
        return await self.endpoint.wait_for(found, timeout, lambda: "requests %r" % self.requests)


class MsrpEndpoint:
    """An MSRP node: listeners (passive), outgoing connections (active, TCP or TLS), one connection
    table keyed by (host, port, secure) so sessions to the same next hop share one connection
    (RFC 4975 section 6.1, RFC 6135), transactions by id, and the sessions it hosts.

    tls: serve and advertise msrps (certfile/keyfile required to listen). Outgoing TLS checks the
    other side with `cafile` when given, or a pinned SDP fingerprint per connection; with neither,
    any certificate is accepted (the tests' relays use throwaway certificates).
    rcvbuf: SO_RCVBUF for our sockets, so that a paused reader fills up quickly."""

    def __init__(self, host="10.77.0.2", port=0, tls=False, certfile=None, keyfile=None, cafile=None,
                 chunk_size=DEFAULT_CHUNK_SIZE, advertised_port=None, rcvbuf=None):
        self.host = host
        self.port = port
        self.tls = tls
        self.certfile, self.keyfile, self.cafile = certfile, keyfile, cafile
        self.chunk_size = chunk_size
        self.advertised_host = host
        self.advertised_port = advertised_port if advertised_port is not None else (port or 9)
        self.rcvbuf = rcvbuf
        self.relay_path = []
        self.sessions = {}
        self.connections = []
        self.responses = []             # every response received, in order
        self.unmatched_requests = []    # requests for no session of ours (answered 481)
        self._transactions = {}
        self._server = None
        self._changed = asyncio.Condition()

    # --- transport --------------------------------------------------------------------------
    async def listen(self):
        """Passive role: accept connections on host:port (port 0 picks one; sessions created after
        this call advertise it)."""
        context = None
        if self.tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(self.certfile, self.keyfile)
        sock = socket.socket(socket.AF_INET6 if ":" in self.host else socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if self.rcvbuf:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, self.rcvbuf)
        sock.bind((self.host, self.port))
        self._server = await asyncio.start_server(self._accepted, sock=sock, ssl=context)
        self.port = sock.getsockname()[1]
        self.advertised_port = self.port
        return self

    async def _accepted(self, reader, writer):
        peer = writer.get_extra_info("peername")
        self.connections.append(Connection(self, reader, writer, (peer[0], peer[1], self.tls), outgoing=False))
        await self._notify()

    def _client_context(self, fingerprint):
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        if self.cafile:
            context.load_verify_locations(self.cafile)
            context.verify_mode = ssl.CERT_REQUIRED
        else:
            context.verify_mode = ssl.CERT_NONE   # checked by fingerprint below, or test relays
        if self.certfile:
            context.load_cert_chain(self.certfile, self.keyfile)
        return context

    async def connection_to(self, uri, fingerprint=None, timeout=DEFAULT_TIMEOUT):
        """An open connection to the node `uri` names, reused if there is one."""
        host, port = uri.address
        key = (host, port, uri.secure)
        for connection in self.connections:
            if connection.outgoing and connection.remote == key and not connection.closed.done():
                return connection
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        if self.rcvbuf:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, self.rcvbuf)
        sock.setblocking(False)
        try:
            if self.host:
                sock.bind((self.host, 0))   # leave from our own address, as a real client would
            await asyncio.wait_for(asyncio.get_running_loop().sock_connect(sock, (host, port)), timeout)
            context = self._client_context(fingerprint) if uri.secure else None
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(sock=sock, ssl=context, server_hostname="" if context else None), timeout)
        except BaseException:
            sock.close()
            raise
        connection = Connection(self, reader, writer, key, outgoing=True)
        if fingerprint:
            if not uri.secure:
                await connection.close()
                raise MsrpError("a fingerprint to pin, but %s is not msrps" % uri)
            actual = certificate_fingerprint(connection.peer_certificate)
            if actual.replace(" ", "").lower() != fingerprint.replace(" ", "").lower():
                await connection.close()
                raise MsrpError("certificate fingerprint %s is not the expected %s" % (actual, fingerprint))
        self.connections.append(connection)
        return connection

    def _forget(self, connection):
        if connection in self.connections:
            self.connections.remove(connection)
        asyncio.ensure_future(self._notify())  # transactions time out on their own

    # --- sessions ---------------------------------------------------------------------------
    def session(self, session_id=None, remote_path=None):
        """A new session with its URI known at once (to go into SDP before any connection)."""
        session = MsrpSession(self, session_id, remote_path)
        self.sessions[session.session_id] = session
        return session

    # --- transactions -----------------------------------------------------------------------
    def _expect(self, tid):
        future = asyncio.get_running_loop().create_future()
        self._transactions[tid] = future
        return future

    async def transaction(self, connection, frame, timeout=DEFAULT_TIMEOUT):
        """Sends a request and returns its response (asyncio.TimeoutError if none comes)."""
        future = self._expect(frame.tid)
        try:
            await connection.send_frame(frame)
            return await asyncio.wait_for(future, timeout)
        finally:
            self._transactions.pop(frame.tid, None)

    async def _dispatch(self, connection, frame):
        if not frame.is_request:
            self.responses.append(frame)
            future = self._transactions.pop(frame.tid, None)
            if future and not future.done():
                future.set_result(frame)
            await self._notify()
            return
        to_path = frame.to_path
        session = self.sessions.get(to_path[0].session_id) if to_path else None
        if session is None:
            self.unmatched_requests.append(frame)
            if frame.method != "REPORT":
                await self._respond(connection, frame, (481, "Session does not exist"))
            await self._notify()
            return
        status = session._received(connection, frame)
        if status is not None and self._wants_response(frame, status[0]):
            await self._respond(connection, frame, status, session.uri)
        await self._notify()

    @staticmethod
    def _wants_response(frame, status):
        """RFC 4975 section 7.1.2: Failure-Report 'no' gets no response, 'partial' only errors."""
        failure_report = frame.header("Failure-Report", "yes") if frame.method == "SEND" else "yes"
        return failure_report == "yes" or (failure_report == "partial" and status != 200)

    async def _respond(self, connection, frame, status, own_uri=None):
        """Responses to SEND go back one hop (To-Path: the first From-Path URI: hop-by-hop, RFC 4976
        section 7.3); to other requests along the whole From-Path."""
        from_path = frame.from_path
        to_path = from_path[:1] if frame.method == "SEND" else from_path
        own = own_uri or (frame.to_path[0] if frame.to_path else None)
        response = Frame(frame.tid, status=status[0], comment=status[1],
                         headers=[("To-Path", format_path(to_path)), ("From-Path", str(own))])
        try:
            await connection.send_frame(response)
        except MsrpError:
            pass

    # --- relay (RFC 4976) -------------------------------------------------------------------
    async def authenticate(self, relay, username, password, expires=None, fingerprint=None,
                           timeout=DEFAULT_TIMEOUT, realm_override=None):
        """AUTH to a relay: AUTH -> 401 with a Digest challenge -> AUTH with Authorization ->
        200 with Use-Path and Expires (RFC 4976 section 5.1). On 200, sessions created afterwards
        put the Use-Path in front of their own path. Returns a RelayGrant; a refusal (401/403
        again) is a RelayGrant with that status, for tests of wrong passwords."""
        relay = MsrpUri.parse(relay) if isinstance(relay, str) else relay
        connection = await self.connection_to(relay, fingerprint=fingerprint, timeout=timeout)
        client = MsrpUri("msrps" if relay.secure else "msrp", self.advertised_host, self.advertised_port,
                         random_id())
        base = [("To-Path", str(relay)), ("From-Path", str(client))]
        if expires is not None:
            base.append(("Expires", str(expires)))
        responses = [await self.transaction(connection, Frame(random_id(10), method="AUTH", headers=base), timeout)]
        if responses[-1].status == 401:
            challenge = parse_challenge(responses[-1].header("WWW-Authenticate", ""))
            realm = realm_override or challenge.get("realm", "")
            qop = "auth" if "auth" in [q.strip() for q in challenge.get("qop", "").split(",")] else None
            cnonce, nc = random_id(16), "00000001"
            answer = digest_response(username, realm, password, "AUTH", str(relay), challenge["nonce"],
                                     qop, nc, cnonce)
            fields = ['username="%s"' % username, 'realm="%s"' % realm, 'nonce="%s"' % challenge["nonce"],
                      'uri="%s"' % relay, 'response="%s"' % answer, "algorithm=MD5"]
            if qop:
                fields += ["qop=%s" % qop, "nc=%s" % nc, 'cnonce="%s"' % cnonce]
            if "opaque" in challenge:
                fields.append('opaque="%s"' % challenge["opaque"])
            headers = base + [("Authorization", "Digest " + ", ".join(fields))]
            responses.append(await self.transaction(connection, Frame(random_id(10), method="AUTH",
                                                                      headers=headers), timeout))
        grant = RelayGrant(responses)
        if grant.status == 200:
            self.relay_path = grant.use_path
        return grant

    # --- waiting ----------------------------------------------------------------------------
    async def _notify(self):
        async with self._changed:
            self._changed.notify_all()

    async def wait_for(self, found, timeout=DEFAULT_TIMEOUT, describe=None):
        """Waits until found() returns something truthy (re-checked on every frame and connection
        event); on timeout raises asyncio.TimeoutError saying what did arrive."""
        async def waiter():
            async with self._changed:
                while True:
                    result = found()
                    if result:
                        return result
                    await self._changed.wait()
        try:
            return await asyncio.wait_for(waiter(), timeout)
        except asyncio.TimeoutError:
            raise asyncio.TimeoutError("nothing matching within %ss; %s" % (timeout, describe() if describe else ""))

    async def wait_connection(self, timeout=DEFAULT_TIMEOUT):
        """The first incoming connection (passive role)."""
        return await self.wait_for(lambda: next((c for c in self.connections if not c.outgoing), None), timeout)

    async def close(self):
        for connection in list(self.connections):
            await connection.close()
        if self._server:
            self._server.close()
            await self._server.wait_closed()
