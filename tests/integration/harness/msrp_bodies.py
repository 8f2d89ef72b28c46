"""The bodies chat clients send over MSRP, for the test peer (harness/msrp_peer.py): CPIM
(RFC 3862, with SylkServer's Message-Type namespace) and is-composing (RFC 3994)."""
import datetime
import re

from .msrp_wire import MsrpError


AG_CPIM_NS = "urn:ag-projects:xml:ns:cpim"


class Cpim:
    """A parsed message/cpim body: `headers` in order as (name, value), `content_type`, `body`."""

    def __init__(self, headers, content_headers, body):
        self.headers = headers
        self.content_headers = content_headers
        self.body = body

    def header(self, name, default=None):
        return next((v for k, v in self.headers if k.lower() == name.lower()), default)

    def all(self, name):
        return [v for k, v in self.headers if k.lower() == name.lower()]

    @property
    def content_type(self):
        return next((v for k, v in self.content_headers if k.lower() == "content-type"), None)

    def namespaced(self, namespace, name):
        """A header in a namespace whatever prefix the sender chose (NS: prefix <uri>)."""
        for value in self.all("NS"):
            match = re.match(r"^\s*(\S*)\s*<([^>]*)>", value)
            if match and match.group(2) == namespace:
                prefix = match.group(1)
                return self.header("%s.%s" % (prefix, name) if prefix else name)
        return None

    def text(self):
        return self.body.decode("utf-8")


def cpim(body, content_type="text/plain", sender=None, recipients=(), when=None, namespaces=None,
         headers=(), message_type=None):
    """A message/cpim body (RFC 3862): From/To/DateTime, NS declarations and namespaced headers.
    sender/recipients: 'Alice <sip:alice@example.com>' or a bare URI (wrapped in <>). message_type:
    SylkServer's ag.Message-Type (e.g. 'status') in urn:ag-projects:xml:ns:cpim."""
    def address(value):
        return value if "<" in value else "<%s>" % value
    body = body.encode() if isinstance(body, str) else bytes(body)
    lines = []
    if sender:
        lines.append("From: " + address(sender))
    for recipient in recipients:
        lines.append("To: " + address(recipient))
    when = when or datetime.datetime.now(datetime.timezone.utc)
    lines.append("DateTime: " + (when if isinstance(when, str) else when.isoformat(timespec="seconds")))
    namespaces = dict(namespaces or {})
    if message_type:
        namespaces.setdefault("ag", AG_CPIM_NS)
    for prefix, uri in namespaces.items():
        lines.append("NS: %s <%s>" % (prefix, uri))
    if message_type:
        lines.append("ag.Message-Type: " + message_type)
    lines += ["%s: %s" % (k, v) for k, v in headers]
    head = "\r\n".join(lines) + "\r\n\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n" % (content_type, len(body))
    return head.encode() + body


def parse_cpim(data):
    """Splits a message/cpim body into its message headers, content headers and content."""
    data = bytes(data)
    head, sep, rest = data.partition(b"\r\n\r\n")
    if not sep:
        raise MsrpError("CPIM without the blank line after its headers")
    content_head, sep, body = rest.partition(b"\r\n\r\n")
    if not sep:
        raise MsrpError("CPIM without the blank line after its content headers")

    def headers(block):
        result = []
        for line in block.decode("utf-8").split("\r\n"):
            if line:
                name, _, value = line.partition(":")
                result.append((name.strip(), value.strip()))
        return result
    return Cpim(headers(head), headers(content_head), body)


def is_composing(state="active", content_type="text/plain", refresh=None, last_active=None):
    """An application/im-iscomposing+xml body (RFC 3994)."""
    parts = ['<?xml version="1.0" encoding="UTF-8"?>',
             '<isComposing xmlns="urn:ietf:params:xml:ns:im-iscomposing">',
             "<state>%s</state>" % state, "<contenttype>%s</contenttype>" % content_type]
    if last_active:
        parts.append("<lastactive>%s</lastactive>" % last_active)
    if refresh is not None:
        parts.append("<refresh>%d</refresh>" % refresh)
    parts.append("</isComposing>")
    return "\n".join(parts).encode()


def parse_is_composing(data):
    """{'state': 'active', 'contenttype': ..., 'refresh': ..., 'lastactive': ...} (absent keys left out)."""
    import xml.etree.ElementTree as ElementTree
    root = ElementTree.fromstring(bytes(data))
    namespace = "{urn:ietf:params:xml:ns:im-iscomposing}"
    if root.tag != namespace + "isComposing":
        raise MsrpError("not an isComposing document: %s" % root.tag)
    return {child.tag[len(namespace):]: (child.text or "").strip() for child in root if child.tag.startswith(namespace)}
