"""The IRC side of the IRC bridge tests: a real ngircd (Debian's) on loopback, and IRC users as
a few lines of asyncio over a socket, keeping every message they receive in order."""
import asyncio
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time

NGIRCD = "/usr/sbin/ngircd"


class Ngircd:
    """ngircd -n -f CONF on 127.0.0.1:port (and a TLS port with a self-signed certificate for
    localhost when tls_port is given), started and stopped by PID; stop() and start() again keep
    the configuration. Synchronous: each test body runs in its own event loop."""

    def __init__(self, port=6667, max_nick_length=12, tls_port=None):
        self.port, self.tls_port = port, tls_port
        # named now (a janus config may point at the certificate), made by start(): a module
        # that is only collected leaves nothing behind
        self.folder = os.path.join(tempfile.gettempdir(), "sylk-ngircd-%d-%d" % (os.getpid(), port))
        self.conf = os.path.join(self.folder, "ngircd.conf")
        self.log_path = os.path.join(self.folder, "ngircd.log")
        self.certificate = os.path.join(self.folder, "cert.pem")
        self.key = os.path.join(self.folder, "key.pem")
        self.dh = os.path.join(self.folder, "dh.pem")
        self.process = None
        self.lines = ["[Global]", "Name = irc.test", "Info = Sylk test server", "Listen = 127.0.0.1",
                      "Ports = %d" % port, "MotdPhrase = test",
                      "[Limits]", "MaxNickLength = %d" % max_nick_length, "MaxConnectionsIP = 0",
                      "PingTimeout = 120", "PongTimeout = 20",
                      "[Options]", "DNS = no", "Ident = no", "PAM = no"]
        if tls_port:
            # DHFile: without it ngircd generates DH parameters at start (slow); RFC 7919's group is instant
            self.lines += ["[SSL]", "CertFile = %s" % self.certificate, "KeyFile = %s" % self.key,
                           "DHFile = %s" % self.dh, "Ports = %d" % tls_port]

    def start(self, timeout=10):
        if not os.path.exists(self.conf):
            os.makedirs(self.folder, exist_ok=True)
            if self.tls_port:
                subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                                "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
                                "-keyout", self.key, "-out", self.certificate], check=True, capture_output=True)
                subprocess.run(["openssl", "genpkey", "-genparam", "-algorithm", "DH", "-pkeyopt", "dh_param:ffdhe2048",
                                "-out", self.dh], check=True, capture_output=True)
            with open(self.conf, "w") as out:
                out.write("\n".join(self.lines) + "\n")
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen([NGIRCD, "-n", "-f", self.conf], stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:  # listening once a connection is taken
            try:
                socket.create_connection(("127.0.0.1", self.port), 1).close()
                return self
            except OSError:
                if self.process.poll() is not None:
                    break
                time.sleep(0.02)
        raise AssertionError("ngircd did not start:\n" + self.log_tail())

    def alive(self):
        return self.process is not None and self.process.poll() is None

    def stop(self):
        if self.alive():
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def remove(self):
        """Deletes the configuration, certificate and log (after stop())."""
        shutil.rmtree(self.folder, ignore_errors=True)

    def log_tail(self):
        try:
            return open(self.log_path, errors="replace").read()[-3000:]
        except OSError:
            return ""


LINE = re.compile(r"^(?::(\S+) )?(\S+)(.*)$")


def parse(line):
    """(nick, command, params) of a server line."""
    match = LINE.match(line)
    prefix, command, rest = match.group(1) or "", match.group(2), match.group(3)
    params = []
    rest = rest.lstrip(" ")
    while rest:
        if rest.startswith(":"):
            params.append(rest[1:])
            break
        word, _, rest = rest.partition(" ")
        params.append(word)
        rest = rest.lstrip(" ")
    return prefix.split("!")[0], command.upper(), params


class IrcUser:
    """One IRC user: register(), join(), say(), nick(), part(), quit(); every line received is
    kept as (nick, command, params); wait() for one that matches."""

    def __init__(self, nick):
        self.nick = nick
        self.lines = []
        self.times = []  # time.monotonic() of each line's arrival
        self._changed = asyncio.Event()
        self.reader = self.writer = self._task = None

    @classmethod
    async def connect(cls, server, nick, timeout=10):
        user = cls(nick)
        user.reader, user.writer = await asyncio.open_connection("127.0.0.1", server.port)
        user._task = asyncio.ensure_future(user._read())
        user.send("NICK %s" % nick)
        user.send("USER %s 0 * :test user" % nick)
        await user.wait(lambda n, c, p: c == "001", timeout, "welcome")
        return user

    def send(self, line):
        self.writer.write((line + "\r\n").encode())

    async def _read(self):
        while True:
            raw = await self.reader.readline()
            if not raw:
                self.lines.append(("", "CLOSED", []))
                self._changed.set()
                return
            line = raw.decode(errors="replace").rstrip("\r\n")
            if not line:
                continue
            nick, command, params = parse(line)
            if command == "PING":
                self.send("PONG :%s" % (params[0] if params else ""))
            self.lines.append((nick, command, params))
            self.times.append(time.monotonic())
            self._changed.set()

    async def wait(self, predicate, timeout=10, what="line", start=0):
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            for line in self.lines[start:]:
                if predicate(*line):
                    return line
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError("%s: no %s in %d s; got:\n%s" % (
                    self.nick, what, timeout, "\n".join(map(str, self.lines[-40:]))))
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), remaining)
            except asyncio.TimeoutError:
                pass

    async def join(self, channel):
        """Joins; returns the other nicks of NAMES."""
        start = len(self.lines)
        self.send("JOIN %s" % channel)
        await self.wait(lambda n, c, p: c == "366", 10, "end of NAMES", start)
        names = []
        for n, c, p in self.lines[start:]:
            if c == "353":
                names += [name.lstrip("@+%&~") for name in p[-1].split()]
        return [name for name in names if name != self.nick]

    def privmsgs(self, target, start=0):
        """(sender, text) of the PRIVMSGs to target received so far."""
        return [(n, p[1]) for n, c, p in self.lines[start:] if c == "PRIVMSG" and len(p) == 2 and p[0] == target]

    def say(self, target, text):
        self.send("PRIVMSG %s :%s" % (target, text))

    def change_nick(self, nick):
        self.send("NICK %s" % nick)
        self.nick = nick

    def part(self, channel):
        self.send("PART %s :bye" % channel)

    async def quit(self):
        self.send("QUIT :done")
        await self.wait(lambda n, c, p: c in ("ERROR", "CLOSED"), 5, "close")
        await self.close()

    async def close(self):
        if self._task:
            self._task.cancel()
        if self.writer:
            self.writer.close()
