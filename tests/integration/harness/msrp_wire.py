"""The MSRP wire format of the test peer (harness/msrp_peer.py): URIs and paths (RFC 4975
section 6), frames and the incremental frame parser (section 7)."""
import re
import secrets
import string


END_LINE_DASHES = b"-------"
MAX_HEADER_BYTES = 16384        # a frame whose headers exceed this is not MSRP: the parser gives up
DEFAULT_CHUNK_SIZE = 2048       # RFC 4975 section 7.1.1: chunks over 2048 must be interruptible
DEFAULT_TIMEOUT = 5.0


class MsrpError(Exception):
    """A peer or wire error a test should see plainly."""


class ParseError(MsrpError):
    """The byte stream is not MSRP; the connection that carried it is useless afterwards."""


def random_id(length=12):
    """Transaction ids, session ids and Message-IDs: RFC 4975 wants them unguessable (section 14.5)."""
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(length))


class MsrpUri:
    """msrp[s]://[user@]host[:port][/session-id];tcp[;params] (RFC 4975 section 9).

    Equality follows section 6.1: scheme, host (case-insensitive), port, session id (case-sensitive)
    and transport; the user part and parameters do not take part."""

    PATTERN = re.compile(r"^(msrps?)://(?:([^@/]+)@)?(\[[0-9a-fA-F:.]+\]|[^:/;]+)(?::(\d+))?"
                         r"(?:/([^;]*))?;([A-Za-z0-9_-]+)((?:;[^;]+)*)$")

    def __init__(self, scheme, host, port, session_id="", transport="tcp", user=None, params=""):
        self.scheme = scheme
        self.host = host
        self.port = int(port) if port is not None else None
        self.session_id = session_id or ""
        self.transport = transport
        self.user = user
        self.params = params

    @classmethod
    def parse(cls, text):
        text = text.decode() if isinstance(text, (bytes, bytearray)) else text
        match = cls.PATTERN.match(text.strip())
        if not match:
            raise ParseError("not an MSRP URI: %r" % text)
        scheme, user, host, port, session_id, transport, params = match.groups()
        return cls(scheme.lower(), host, port, session_id, transport.lower(), user, params or "")

    @property
    def secure(self):
        return self.scheme == "msrps"

    @property
    def address(self):
        """(host, port) to connect to; RFC 4975 has no default port, so one is required."""
        if self.port is None:
            raise MsrpError("MSRP URI without a port: %s" % self)
        return self.host.strip("[]"), self.port

    def __str__(self):
        text = "%s://" % self.scheme
        if self.user:
            text += self.user + "@"
        text += self.host
        if self.port is not None:
            text += ":%d" % self.port
        if self.session_id:
            text += "/" + self.session_id
        return text + ";" + self.transport + self.params

    __repr__ = __str__

    def _key(self):
        return (self.scheme, self.host.lower(), self.port, self.session_id, self.transport)

    def __eq__(self, other):
        if isinstance(other, str):
            other = MsrpUri.parse(other)
        return isinstance(other, MsrpUri) and self._key() == other._key()

    def __hash__(self):
        return hash(self._key())


def parse_path(value):
    """To-Path / From-Path: URIs separated by spaces."""
    return [MsrpUri.parse(part) for part in value.split()]


def format_path(uris):
    return " ".join(str(uri) for uri in uris)


class Frame:
    """One MSRP request or response (RFC 4975 section 8). `flag` is the continuation flag of the
    end-line: '$' last chunk, '+' more follow, '#' aborted. Headers keep their order."""

    def __init__(self, tid, method=None, status=None, comment="", headers=None, body=None, flag="$"):
        self.tid = tid
        self.method = method
        self.status = status
        self.comment = comment
        self.headers = list(headers or [])
        self.body = body
        self.flag = flag

    @property
    def is_request(self):
        return self.method is not None

    def header(self, name, default=None):
        name = name.lower()
        for key, value in self.headers:
            if key.lower() == name:
                return value
        return default

    def set_header(self, name, value):
        self.headers = [(k, v) for k, v in self.headers if k.lower() != name.lower()] + [(name, value)]

    @property
    def to_path(self):
        value = self.header("To-Path")
        return parse_path(value) if value else []

    @property
    def from_path(self):
        value = self.header("From-Path")
        return parse_path(value) if value else []

    @property
    def message_id(self):
        return self.header("Message-ID")

    @property
    def content_type(self):
        return self.header("Content-Type")

    @property
    def byte_range(self):
        """(start, end or None for '*', total or None for '*'); RFC 4975 section 7.1.1 default 1-*/*"""
        value = self.header("Byte-Range")
        if not value:
            return 1, None, None
        match = re.match(r"^\s*(\d+)-(\d+|\*)/(\d+|\*)\s*$", value)
        if not match:
            raise ParseError("bad Byte-Range: %r" % value)
        start, end, total = match.groups()
        return int(start), None if end == "*" else int(end), None if total == "*" else int(total)

    @property
    def status_header(self):
        """REPORT's Status: '000 200 OK' -> (200, 'OK')."""
        value = self.header("Status")
        if not value:
            return None
        parts = value.split(None, 2)
        return int(parts[1]), parts[2] if len(parts) > 2 else ""

    def serialize(self):
        if self.is_request:
            lines = ["MSRP %s %s" % (self.tid, self.method)]
        else:
            lines = ["MSRP %s %03d%s" % (self.tid, self.status, " " + self.comment if self.comment else "")]
        # To-Path then From-Path first (section 7.1 requires it), Content-Type last before the body.
        order = {"to-path": 0, "from-path": 1}
        headers = sorted(self.headers, key=lambda h: order.get(h[0].lower(), 2 if h[0].lower() != "content-type" else 3))
        lines += ["%s: %s" % (k, v) for k, v in headers]
        data = ("\r\n".join(lines) + "\r\n").encode()
        if self.body is not None:
            data += b"\r\n" + bytes(self.body) + b"\r\n"
        return data + END_LINE_DASHES + self.tid.encode() + self.flag.encode() + b"\r\n"

    def __repr__(self):
        what = self.method if self.is_request else "%03d %s" % (self.status, self.comment)
        size = len(self.body) if self.body is not None else 0
        return "<MSRP %s %s %dB%s>" % (self.tid, what, size, self.flag)


class FrameParser:
    """Incremental: feed() bytes as they arrive, get complete frames back in order. Raises
    ParseError on anything that is not MSRP (the connection is then closed: RFC 4975 has no way to
    resynchronise a stream)."""

    FIRST_LINE = re.compile(rb"^MSRP ([A-Za-z0-9.+%=-]{3,32}) (?:([A-Z]+)|(\d{3})(?: (.*))?)$")

    def __init__(self, max_body=16 * 1024 * 1024):
        self.buffer = bytearray()
        self.max_body = max_body
        self.frame = None          # the frame whose headers are parsed, waiting for its body
        self.scan_from = 0

    def feed(self, data):
        self.buffer += data
        frames = []
        while True:
            frame = self._next()
            if frame is None:
                return frames
            frames.append(frame)

    def _next(self):
        if self.frame is None:
            if not self._parse_head():
                return None
        return self._parse_body()

    def _parse_head(self):
        head_end = self.buffer.find(b"\r\n")
        if head_end < 0:
            if len(self.buffer) > MAX_HEADER_BYTES:
                raise ParseError("no MSRP start line within %d bytes" % MAX_HEADER_BYTES)
            return False
        match = self.FIRST_LINE.match(bytes(self.buffer[:head_end]))
        if not match:
            raise ParseError("bad MSRP start line: %r" % bytes(self.buffer[:min(head_end, 80)]))
        tid = match.group(1).decode()
        end_line = END_LINE_DASHES + tid.encode()
        headers = []
        position = head_end + 2
        while True:
            line_end = self.buffer.find(b"\r\n", position)
            if line_end < 0:
                if len(self.buffer) > MAX_HEADER_BYTES:
                    raise ParseError("MSRP headers longer than %d bytes" % MAX_HEADER_BYTES)
                return False
            line = bytes(self.buffer[position:line_end])
            position = line_end + 2
            if line.startswith(end_line) and len(line) == len(end_line) + 1 and line[-1:] in b"$+#":
                frame = self._make(match, tid, headers, None, line[-1:].decode())
                del self.buffer[:position]
                self.frame = frame
                self.frame_done = True
                return True
            if line == b"":
                break
            name, colon, value = line.partition(b":")
            if not colon or not name or b" " in name:
                raise ParseError("bad MSRP header line: %r" % line[:80])
            headers.append((name.decode(), value.strip().decode("utf-8", "replace")))
        self.frame = self._make(match, tid, headers, b"", "$")
        self.frame_done = False
        del self.buffer[:position]
        self.scan_from = 0
        return True

    def _make(self, match, tid, headers, body, flag):
        method, status, comment = match.group(2), match.group(3), match.group(4)
        if method:
            return Frame(tid, method=method.decode(), headers=headers, body=body, flag=flag)
        return Frame(tid, status=int(status), comment=(comment or b"").decode("utf-8", "replace"),
                     headers=headers, body=body, flag=flag)

    def _parse_body(self):
        frame = self.frame
        if self.frame_done:
            self.frame = None
            return frame
        marker = b"\r\n" + END_LINE_DASHES + frame.tid.encode()
        index = self.buffer.find(marker, self.scan_from)
        if index < 0 or len(self.buffer) < index + len(marker) + 3:
            if index < 0:
                self.scan_from = max(0, len(self.buffer) - len(marker) - 2)
            if len(self.buffer) > self.max_body:
                raise ParseError("MSRP chunk larger than %d bytes" % self.max_body)
            return None
        tail = self.buffer[index + len(marker):index + len(marker) + 3]
        if tail[0:1] not in (b"$", b"+", b"#") or tail[1:3] != b"\r\n":
            raise ParseError("bad MSRP end-line for %s: %r" % (frame.tid, bytes(tail)))
        frame.body = bytes(self.buffer[:index])
        frame.flag = tail[0:1].decode()
        del self.buffer[:index + len(marker) + 3]
        self.frame = None
        self.scan_from = 0
        return frame
