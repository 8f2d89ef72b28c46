"""nats-server with JetStream for the cluster tests: on a free loopback port, its store in the
test's own folder, stopped by its PID. And a TCP relay a test can black-hole, to cut one
client off from NATS without closing its connection (what a network partition looks like)."""
import os
import signal
import socket
import subprocess
import threading
import time


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class NatsServer:
    def __init__(self, folder):
        self.folder = folder
        self.port = free_port()
        self.url = "nats://127.0.0.1:%d" % self.port
        self.process = None
        self.log_path = os.path.join(folder, "nats-server.log")

    def start(self, timeout=10.0):
        os.makedirs(self.folder, exist_ok=True)
        self.log = open(self.log_path, "w")
        self.process = subprocess.Popen(
            ["nats-server", "-js", "-a", "127.0.0.1", "-p", str(self.port), "-sd", os.path.join(self.folder, "store")],
            stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return self
            except OSError:
                if self.process.poll() is not None:
                    break
                time.sleep(0.02)  # polling for the listener
        self.stop()
        raise RuntimeError("nats-server did not start:\n%s" % open(self.log_path).read()[-2000:])

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process:
            self.log.close()


def nats_request(port, subject, payload, timeout=5.0):
    """One request over the NATS client protocol (CONNECT, SUB to an inbox, PUB with it as the
    reply subject) on a plain socket; the reply's payload (bytes). What a node's bus subscription
    gets from anyone on the bus: the tests send bad input that way."""
    inbox = "_INBOX.test%d" % os.getpid()
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(b'CONNECT {"verbose":false,"pedantic":false}\r\nSUB %s 1\r\nPUB %s %s %d\r\n%s\r\n'
                     % (inbox.encode(), subject.encode(), inbox.encode(), len(payload), payload))
        data = b""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
            if b"PING\r\n" in data:
                sock.sendall(b"PONG\r\n")
                data = data.replace(b"PING\r\n", b"")
            start = data.find(b"MSG ")
            if start >= 0 and b"\r\n" in data[start:]:
                header_end = data.index(b"\r\n", start)
                size = int(data[start:header_end].split()[-1])
                body = data[header_end + 2:header_end + 2 + size]
                if len(body) == size:
                    return body
        raise TimeoutError("no reply on %s within %.1f s" % (subject, timeout))


class BlackholeRelay:
    """Relays 127.0.0.1:<port> to a target; black_hole() makes it swallow every byte both ways
    (and every new connection) while keeping the sockets open, so the client notices only by
    silence, as in a partition."""

    def __init__(self, target_port):
        self.target_port = target_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.url = "nats://127.0.0.1:%d" % self.port
        self.cut = threading.Event()
        self.sockets = []
        threading.Thread(target=self._accept, daemon=True).start()

    def black_hole(self):
        self.cut.set()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            self.sockets.append(client)
            if self.cut.is_set():
                threading.Thread(target=self._pump, args=(client, None), daemon=True).start()
                continue
            try:
                server = socket.create_connection(("127.0.0.1", self.target_port))
            except OSError:
                client.close()
                continue
            self.sockets.append(server)
            threading.Thread(target=self._upstream, args=(client, server), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client), daemon=True).start()

    def _upstream(self, client, server):
        """What the client sends, to the server (LossyRelay reads it on the way)."""
        self._pump(client, server)

    def _pump(self, source, sink):
        while True:
            try:
                data = source.recv(65536)
            except OSError:
                return
            if not data:
                return
            if sink is not None and not self.cut.is_set():
                try:
                    sink.sendall(data)
                except OSError:
                    return

    def close(self):
        try:
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread
        except OSError:
            pass
        self.listener.close()
        for sock in self.sockets:
            try:
                sock.close()
            except OSError:
                pass


class LossyRelay(BlackholeRelay):
    """A relay that reads what its clients publish (the NATS client protocol: PUB and HPUB
    carry a byte count, every other operation is one line) and swallows the messages a test
    names with drop(), whole, the connection going on: what a slow consumer's lost messages
    or a flaky link look like to the cluster, aimed at one control message."""

    def __init__(self, target_port):
        self.lock = threading.Lock()
        self.rules = []     # [needles (bytes), messages left to drop]
        self.dropped = []   # the payloads swallowed, for the test's report
        super().__init__(target_port)

    def drop(self, *needles, count=1):
        """Swallows the next `count` published messages whose payload has every needle."""
        with self.lock:
            self.rules.append([[n.encode() for n in needles], count])

    def _swallows(self, payload):
        with self.lock:
            for rule in self.rules:
                if rule[1] > 0 and all(needle in payload for needle in rule[0]):
                    rule[1] -= 1
                    self.dropped.append(payload)
                    return True
        return False

    def _upstream(self, client, server):
        pending = b""
        while True:
            try:
                data = client.recv(65536)
            except OSError:
                return
            if not data:
                server.close()
                return
            pending += data
            out = bytearray()
            while True:
                end = pending.find(b"\r\n")
                if end < 0:
                    break
                line = pending[:end]
                if line[:4].upper() in (b"PUB ", b"HPUB"):
                    size = int(line.split()[-1])  # HPUB: the total of headers and payload
                    whole = end + 2 + size + 2
                    if len(pending) < whole:
                        break
                    if not self._swallows(pending[end + 2:end + 2 + size]):
                        out += pending[:whole]
                    pending = pending[whole:]
                else:
                    out += pending[:end + 2]
                    pending = pending[end + 2:]
            if out:
                try:
                    server.sendall(out)
                except OSError:
                    return
