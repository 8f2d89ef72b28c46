#!/usr/bin/python3
"""The two servers of bench/msrp_switch_bench.py, each set up with N MSRP sessions for the load
client: JanusTarget (janus.plugin.sylk.msrp's conference switch, its sessions opened by chat-only SIP
calls through the focus or the hub service msrp.open_session) and KamailioTarget (Kamailio's msrp
module relaying paired sessions, RFC 4976 AUTH with digest), with the MSRP client pieces they share."""
import asyncio
import os
import re
import secrets
import selectors
import socket
import subprocess
import tempfile
import threading
import time

from bench_common import JANUS_CPU, LogWatch, threads_cpus
from harness.janus_api import Session  # noqa: E402
from harness.janus_process import JanusProcess  # noqa: E402
from harness.kamailio_msrp import KamailioMsrpRelay  # noqa: E402
from harness.msrp_peer import FrameParser, digest_response, parse_challenge  # noqa: E402

PROBE = "janus.plugin.sylk.hubprobe.a"
MSRP = "janus.plugin.sylk.msrp"
CLIENT_HOST = "10.77.0.2"
SERVER_HOST = "10.77.0.1"
FOCUS = "127.0.0.1:5060"    # the SIP plugin's focus in the test configuration
PHONE_MSRP_PORT = 2999      # the port in the a=path our calls offer (we connect: a=setup:active)
HERE = os.path.dirname(os.path.abspath(__file__))


def new_id():
    return secrets.token_hex(6)


def client_socket(host, port):
    """A blocking TCP connection from CLIENT_HOST; the load client makes it non-blocking."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind((CLIENT_HOST, 0))
    sock.connect((host, port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def own_uri(sock):
    return "msrp://%s:%d/%s;tcp" % (CLIENT_HOST, sock.getsockname()[1], new_id())


def transaction(sock, frame_text, parser, timeout=10):
    """Sends a request and returns its response (only for AUTH: nothing else arrives before it)."""
    sock.settimeout(timeout)
    sock.sendall(frame_text.encode())
    while True:
        data = sock.recv(65536)
        if not data:
            raise RuntimeError("connection closed during a transaction")
        for frame in parser.feed(data):
            if not frame.is_request:
                return frame


def request(tid, method, to_path, from_path, headers=()):
    lines = ["MSRP %s %s" % (tid, method), "To-Path: " + to_path, "From-Path: " + from_path]
    lines += ["%s: %s" % h for h in headers]
    return "\r\n".join(lines) + "\r\n-------%s$\r\n" % tid


def host_port(uri):
    hostport = uri.split("://", 1)[1].split("/", 1)[0].split(";", 1)[0]
    host, port = hostport.rsplit(":", 1)
    return host, int(port)


class SetupReader:
    """Reads the sessions' sockets while the bench sets up the rest, before the load client takes
    them over: answers every SEND 200 (the switch's join notices, N x N of them in all, and its
    welcome notice) so that no transaction of the switch times out and no socket's buffers fill
    while later sessions join. One thread, one selector for all sockets. The hand-over waits for a
    quiet moment with every socket at a frame boundary, so the load client starts on a whole frame."""

    def __init__(self):
        self.selector = selectors.DefaultSelector()
        self.lock = threading.Lock()
        self.last_data = time.monotonic()
        self.answered = 0
        self.error = None
        self.stopping = False
        self.thread = threading.Thread(target=self.run, name="setup-reader", daemon=True)
        self.thread.start()

    def add(self, sock, own):
        """Reads sock from now on; own: our URI there (the From-Path of our responses)."""
        sock.settimeout(5)  # recv only when select says so; sendall of a response may wait a little
        with self.lock:
            self.selector.register(sock, selectors.EVENT_READ, {"parser": FrameParser(), "own": own})

    def run(self):
        while not self.stopping:
            with self.lock:
                ready = self.selector.select(timeout=0.02) if self.selector.get_map() else []
            if not ready:
                time.sleep(0.005)
                continue
            for key, _ in ready:
                try:
                    self.read(key.fileobj, key.data)
                except Exception as error:  # noqa: BLE001 - reported by handover()
                    self.error = self.error or "%s: %s" % (key.data["own"], error)

    def read(self, sock, state):
        data = sock.recv(262144)
        if not data:
            raise RuntimeError("the switch closed the connection during set-up")
        self.last_data = time.monotonic()
        replies = []
        for frame in state["parser"].feed(data):
            if frame.is_request and frame.method == "SEND" and frame.header("Failure-Report", "yes") != "no":
                replies.append("MSRP %s 200 OK\r\nTo-Path: %s\r\nFrom-Path: %s\r\n-------%s$\r\n"
                               % (frame.tid, frame.from_path[0], state["own"], frame.tid))
        if replies:
            sock.sendall("".join(replies).encode())
            self.answered += len(replies)

    def at_frame_boundary(self):
        with self.lock:
            return all(not key.data["parser"].buffer and key.data["parser"].frame is None
                       for key in self.selector.get_map().values())

    async def handover(self, quiet_s=1.0, timeout=120):
        """Waits until nothing came for quiet_s and every socket is at a frame boundary, then stops
        reading (the sockets are blocking again, as the load client expects them)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() - self.last_data < quiet_s or not self.at_frame_boundary():
            if self.error:
                break
            if time.monotonic() > deadline:
                raise RuntimeError("the sessions did not go quiet during set-up")
            await asyncio.sleep(0.1)
        self.stopping = True
        await asyncio.to_thread(self.thread.join)
        if self.error:
            raise RuntimeError("set-up: " + self.error)
        for key in list(self.selector.get_map().values()):
            self.selector.unregister(key.fileobj)
            key.fileobj.settimeout(None)
        self.selector.close()
        return self.answered


# ------------------------------------------------------------------ the two targets


class JanusTarget:
    name = "janus"

    def __init__(self, build, run_dir, open_by, hold_s, temp):
        self.open_by, self.hold_s, self.temp = open_by, hold_s, temp
        self.process = JanusProcess(build, run_dir, test_plugins=True,
                                    run_options={"msrp_options": {"listen_ip": SERVER_HOST, "history_length": 0}})
        self.rooms = 0

    def start(self, pinned):
        self.process.start()
        threads_cpus(self.process.process.pid, JANUS_CPU if pinned else None)
        self.log = LogWatch(self.process.log_path)

    def pids(self):
        return [self.process.process.pid]

    def alive(self):
        return self.process.alive()

    async def open(self, n):
        if self.open_by == "sip":
            return await self.open_by_sip(n)
        return await self.open_by_service(n)

    async def open_by_sip(self, n):
        """N chat-only calls into a new room through the SIP focus (sipp, bench/sip/msrp_chat_call.xml,
        a=setup:active), each answered with the switch's a=path; we connect to it and bind with an
        empty SEND whose From-Path is the path the INVITE offered."""
        self.rooms += 1
        room = "bench%dn%d" % (self.rooms, n)
        folder = tempfile.mkdtemp(prefix="sipp-", dir=self.temp)
        calls = os.path.join(folder, "calls.csv")
        index = {}  # our MSRP session id -> call number
        with open(calls, "w") as out:
            out.write("SEQUENTIAL\n")
            for i in range(n):
                index["s%s%d" % (new_id(), i)] = i
                out.write("u%d;User %d;%s\n" % (i, i, list(index)[-1]))
        messages = os.path.join(folder, "messages.log")
        self.sipp = subprocess.Popen(
            ["sipp", FOCUS, "-sf", os.path.join(HERE, "sip", "msrp_chat_call.xml"), "-inf", calls, "-m", str(n),
             "-r", "200", "-i", "127.0.0.1", "-p", "0", "-nostdin", "-timeout", "%ds" % (self.hold_s + 60),
             "-d", str(int(self.hold_s * 1000)), "-trace_msg", "-message_file", messages,
             "-set", "room", room, "-set", "msrpport", str(PHONE_MSRP_PORT)],
            cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        # Each call's MSRP connection is made as soon as its answer is in sipp's trace (the switch
        # gives a session 30 s to bind), and read from then on (join notices): see SetupReader.
        self.session = await Session.create(self.process.ws_url)
        self.caller = None
        self.socks = []
        reader = SetupReader()
        try:
            async for offered, answered in self.sip_answers(messages, n):
                sock = client_socket(*host_port(answered))
                sock.sendall(request(new_id(), "SEND", answered, offered, [("Message-ID", new_id()),
                                                                         ("Byte-Range", "1-0/0")]).encode())
                reader.add(sock, offered)
                self.socks.append((sock, offered, answered))
        except BaseException:
            reader.stopping = True
            raise
        # the sessions' identities (CPIM From must be the caller's URI), as the switch has them
        handle = await self.session.attach(MSRP)
        deadline = time.monotonic() + 20
        while True:
            status = (await handle.send({"request": "status"}))[0].get("status", {})
            sessions = [x for r in status.get("rooms", []) if r.get("room") == room for x in r.get("sessions", [])]
            if len(sessions) == n and all(x.get("bound") for x in sessions):
                break
            if time.monotonic() > deadline or reader.error:
                raise RuntimeError("%d of %d SIP chat sessions bound in room %s" % (
                    sum(1 for x in sessions if x.get("bound")), n, room))
            await asyncio.sleep(0.2)  # polling the switch's status, which has no event for this
        self.setup_answered = await reader.handover()
        by_display = {x["display"]: x for x in sessions}
        self.ids = [x["session"] for x in sessions]
        lines = []
        for i, (sock, offered, answered) in enumerate(self.socks):
            entry = by_display["User %d" % index[offered.rsplit("/", 1)[1].split(";")[0]]]
            lines.append((sock.fileno(), offered, answered, '"%s" <%s>' % (entry["display"], entry["uri"])))
        self.socks = [sock for sock, _, _ in self.socks]
        return lines

    async def sip_answers(self, messages, n, timeout=60):
        """Yields (offered a=path, answered a=path) of each call as its 200 appears in sipp's message
        trace (paired with its INVITE by Call-ID), until all n are answered."""
        deadline = time.monotonic() + timeout
        given, offset, pending = set(), 0, ""
        offered, answered = {}, {}
        while len(given) < n:
            if os.path.exists(messages):
                with open(messages, errors="replace") as trace:
                    trace.seek(offset)
                    pending += trace.read()
                    offset = trace.tell()
            blocks = pending.split("-----------------------------------------------")
            pending = blocks.pop()  # the last block may still be being written
            for block in blocks:
                call_id = re.search(r"^Call-ID:\s*(\S+)", block, re.M | re.I)
                path = re.search(r"^a=path:(\S+)", block, re.M)
                if not call_id or not path:
                    continue
                if re.search(r"^INVITE ", block, re.M):
                    offered[call_id.group(1)] = path.group(1)
                elif re.search(r"^SIP/2\.0 200 ", block, re.M) and re.search(r"^CSeq:\s*1 INVITE", block, re.M | re.I):
                    answered[call_id.group(1)] = path.group(1)
            for call in list(answered):
                if call not in given and call in offered:
                    given.add(call)
                    yield offered[call], answered[call]
            if len(given) >= n:
                return
            if self.sipp.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("%d of %d chat calls answered (sipp %s): %s" % (
                    len(given), n, self.sipp.poll(), self.sipp.stderr.read()[-1000:] if self.sipp.poll() is not None
                    else ""))
            await asyncio.sleep(0.05)  # polling sipp's trace file

    async def open_by_service(self, n):
        """N sessions in a new room: msrp.open_session (passive: we connect), then the binding SEND."""
        self.rooms += 1
        room = "bench%d-%d@conference.sylk.test" % (self.rooms, n)
        self.session = await Session.create(self.process.ws_url)
        caller = await self.session.attach(PROBE)
        self.ids, self.socks, lines = [], [], []
        reader = SetupReader()
        for i in range(n):
            uri = "sip:u%d@bench.test" % i
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind((CLIENT_HOST, 0))
            mine = "msrp://%s:%d/%s;tcp" % (CLIENT_HOST, sock.getsockname()[1], new_id())
            args = {"room": room, "uri": uri, "display": "User %d" % i, "role": "passive",
                    "remote": {"path": [mine], "accept_types": ["message/cpim", "text/plain"],
                               "accept_wrapped_types": ["*"]}}
            reply, _ = await caller.send({"request": "call", "service": "msrp.open_session", "args": args})
            if "error" in reply or "result" not in reply:
                raise RuntimeError("msrp.open_session refused: %s" % reply)
            answer = reply["result"]
            self.ids.append(answer["session"])
            path = answer["local"]["path"]
            sock.connect(host_port(path[0]))
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            tid = new_id()
            # the empty SEND that binds the session to this connection (RFC 4975 section 5.4); its
            # 200, the welcome notice and the rest are read by the load client
            sock.sendall(request(tid, "SEND", " ".join(path), mine, [("Message-ID", new_id()),
                                                                     ("Byte-Range", "1-0/0")]).encode())
            reader.add(sock, mine)
            self.socks.append(sock)
            lines.append((sock.fileno(), mine, " ".join(path), '"User %d" <%s>' % (i, uri)))
        self.setup_answered = await reader.handover()
        self.caller = caller
        return lines

    def messages_per_second(self, deliveries, n):
        return deliveries / (n - 1)

    async def counters(self):
        """The switch's own counts for this room's sessions: sent and dropped (full send queue)."""
        handle = await self.session.attach(MSRP)
        status = (await handle.send({"request": "status"}))[0].get("status", {})
        sent = dropped = 0
        ids = set(self.ids)
        for room in status.get("rooms", []):
            for session in room.get("sessions", []):
                if session.get("session") in ids:
                    sent += session.get("sent", 0)
                    dropped += session.get("dropped", 0)
        return {"switch_sent": sent, "switch_dropped": dropped}

    async def close(self):
        if self.open_by == "sip":
            # the calls end with sipp's BYEs after -d; the focus then closes the chat sessions
            try:
                await asyncio.to_thread(self.sipp.wait, self.hold_s + 60)
            except subprocess.TimeoutExpired:
                self.sipp.kill()
                self.sipp.wait()
            closed = {"sipp_exit": self.sipp.returncode}
        else:
            for session_id in self.ids:
                await self.caller.send({"request": "call", "service": "msrp.close_session",
                                        "args": {"session": session_id}})
            closed = {}
        for sock in self.socks:
            sock.close()
        await self.session.close()
        return closed

    def stop(self):
        return self.process.stop()


class KamailioTarget:
    name = "kamailio"

    def __init__(self, run_dir):
        self.relay = KamailioMsrpRelay(run_dir, host=SERVER_HOST, tls=False, debug=0)

    def start(self, pinned):
        self.relay.start()
        for pid in self.pids():
            threads_cpus(pid, JANUS_CPU if pinned else None)
        self.log = LogWatch(self.relay.log_path)

    def pids(self):
        """Kamailio's main process and every process it forked (workers, TCP readers, timers)."""
        main = self.relay.process.pid
        found, changed = {main}, True
        while changed:
            changed = False
            for entry in os.listdir("/proc"):
                if not entry.isdigit() or int(entry) in found:
                    continue
                try:
                    with open("/proc/%s/stat" % entry) as f:
                        ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                except (OSError, ValueError, IndexError):
                    continue
                if ppid in found:
                    found.add(int(entry))
                    changed = True
        return sorted(found)

    def alive(self):
        return self.relay.alive()

    def authenticate(self, sock, mine):
        relay = self.relay.uri
        parser = FrameParser()
        base = [("Expires", "3600")]
        response = transaction(sock, request(new_id(), "AUTH", relay, mine, base), parser)
        if response.status == 401:
            challenge = parse_challenge(response.header("WWW-Authenticate", ""))
            qop = "auth" if "auth" in [q.strip() for q in challenge.get("qop", "").split(",")] else None
            cnonce, nc = new_id(), "00000001"
            answer = digest_response(self.relay.user, challenge.get("realm", ""), self.relay.password, "AUTH", relay,
                                     challenge["nonce"], qop, nc, cnonce)
            fields = ['username="%s"' % self.relay.user, 'realm="%s"' % challenge.get("realm", ""),
                      'nonce="%s"' % challenge["nonce"], 'uri="%s"' % relay, 'response="%s"' % answer, "algorithm=MD5"]
            if qop:
                fields += ["qop=%s" % qop, "nc=%s" % nc, 'cnonce="%s"' % cnonce]
            response = transaction(sock, request(new_id(), "AUTH", relay, mine,
                                                 base + [("Authorization", "Digest " + ", ".join(fields))]), parser)
        if response.status != 200:
            raise RuntimeError("relay AUTH answered %s %s" % (response.status, response.comment))
        return response.header("Use-Path")

    async def open(self, n):
        """N connections authenticated to the relay; session 2k and 2k+1 talk to each other."""
        if n % 2:
            raise RuntimeError("the relay pairs sessions: N must be even")
        self.socks, grants = [], []
        for _ in range(n):
            sock = client_socket(SERVER_HOST, self.relay.port)
            mine = own_uri(sock)
            grants.append((sock, mine, await asyncio.to_thread(self.authenticate, sock, mine)))
            self.socks.append(sock)
        lines = []
        for i, (sock, mine, _) in enumerate(grants):
            _, partner, use_path = grants[i ^ 1]
            lines.append((sock.fileno(), mine, "%s %s" % (use_path, partner), '"User %d" <sip:u%d@bench.test>' % (i, i)))
        return lines

    def messages_per_second(self, deliveries, n):
        return deliveries

    async def counters(self):
        return {}

    async def close(self):
        for sock in self.socks:
            sock.close()
        return {}

    def stop(self):
        return self.relay.stop()


# ------------------------------------------------------------------ one run
