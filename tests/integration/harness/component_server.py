"""A test's own XEP-0114 accept side, for what a real server never does (stops reading, sends
malformed or endless stanzas, drops the link in the middle of a join): it answers the stream
header and the handshake of every component link like Prosody does, records the links' domains
in order, and hands each link to `script(domain, index, reader, writer)` (index: how many links
of that domain came before). A script that returns leaves the link to be read until it closes.
`refuse(domain, attempt)` true answers that attempt's handshake with a not-authorized stream
error, as a server does for a wrong secret; `attempts` has every connection's (domain, time)."""
import asyncio
import json
import re
import socket
import time

STREAM_NS = "http://etherx.jabber.org/streams"


async def read_everything(domain, index, reader, writer):
    """The default script: a server that reads and drops every stanza."""


class ComponentServer:
    def __init__(self, port, script=read_everything, receive_buffer=None, refuse=lambda domain, attempt: False):
        self.port = port
        self.script = script
        self.refuse = refuse
        self.receive_buffer = receive_buffer  # SO_RCVBUF of the links: a small window when set
        self.links = []  # domains whose handshake was taken, in connection order
        self.attempts = []  # (domain, time.monotonic()) of every stream opened
        self.server = None
        self.tasks = set()

    async def start(self):
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if self.receive_buffer:
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, self.receive_buffer)  # inherited
        listener.bind(("127.0.0.1", self.port))
        listener.listen(8)
        self.server = await asyncio.start_server(self._link, sock=listener)
        return self

    async def _link(self, reader, writer):
        self.tasks.add(asyncio.current_task())
        try:
            buffer = b""
            while not re.search(rb"<stream:stream[^>]*>", buffer):
                chunk = await reader.read(4096)
                if not chunk:
                    return
                buffer += chunk
            domain = re.search(rb"to=['\"]([^'\"]+)['\"]", buffer).group(1).decode()
            attempt = sum(1 for d, _ in self.attempts if d == domain)
            self.attempts.append((domain, time.monotonic()))
            writer.write(("<?xml version='1.0'?><stream:stream xmlns:stream='%s' xmlns='jabber:component:accept' "
                          "from='%s' id='s%d'>" % (STREAM_NS, domain, len(self.links))).encode())
            while b"</handshake>" not in buffer:
                chunk = await reader.read(4096)
                if not chunk:
                    return
                buffer += chunk
            if self.refuse(domain, attempt):
                writer.write(b"<stream:error><not-authorized xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
                             b"</stream:error></stream:stream>")
                await writer.drain()
                return
            writer.write(b"<handshake/>")
            index = self.links.count(domain)
            self.links.append(domain)
            await self.script(domain, index, reader, writer)
            while not writer.is_closing() and await reader.read(65536):
                pass
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    async def close(self):
        self.server.close()
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)


async def link_status(admin, timeout=5):
    """janus.plugin.sylk.xmpp's status, which its stack thread computes: a thread stuck in a
    write never answers (the timeout then fails the test)."""
    reply = await asyncio.wait_for(admin.message_plugin("janus.plugin.sylk.xmpp", {"request": "status"}), timeout)
    return reply["status"]


async def link_status_until(admin, probe, timeout=20, seen=None):
    """The status once probe(it); every muc link status on the way goes to `seen` (a list)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        current = await link_status(admin)
        if seen is not None:
            seen.append(current["muc"]["link"])
        if probe(current):
            return current
        assert loop.time() < deadline, json.dumps({k: current[k]["link"] for k in ("muc", "sip")})
        await asyncio.sleep(0.05)


class FloodedLink:
    """A ComponentServer with a small receive window: the first link of
    `domain` gets `self.requests` once flood is set, then `reading(reader)` decides how it is read;
    every other link is read and dropped."""

    def __init__(self, port, domain, reading):
        self.domain = domain
        self.reading = reading
        self.requests = ""
        self.flood = asyncio.Event()
        self.sent = asyncio.Event()
        self.server = ComponentServer(port, self._script, receive_buffer=4096)

    @property
    def links(self):
        return self.server.links

    async def start(self):
        await self.server.start()

    async def _script(self, domain, index, reader, writer):
        if domain != self.domain or index != 0:
            return
        await self.flood.wait()
        writer.write(self.requests.encode())
        try:
            await writer.drain()  # the plugin reads them, answering as it reads
        finally:
            # (a slow plugin, under ASan, may drop the link before it read them all: a reset)
            self.sent.set()
        await self.reading(reader)

    async def close(self):
        await self.server.close()
