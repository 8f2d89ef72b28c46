"""Kamailio's msrp module as the real RFC 4976 relay of the MSRP tests.

The relay runs from tests/integration/kamailio/msrp-relay.cfg with this run's addresses, a fixed test
user and password (digest auth), plain msrp on `port` and, with tls=True, msrps on `tls_port` with a
certificate made by openssl now. Kamailio 5.6.3's own tls module cannot complete a handshake with
Debian 12's OpenSSL 3 (see the config's header), so msrps is terminated by socat in front of an
inner plain listener; the MSRP relaying (AUTH, Use-Path, forwarding) is Kamailio's either way.
Both are ended by their PIDs (kamailio's main process ends its children; socat's forks for each
TLS client are in socat's own process group, ended with it).
"""
import contextlib
import os
import secrets
import signal
import socket
import subprocess
import time

from harness.msrp_peer import make_certificate

HERE = os.path.dirname(os.path.abspath(__file__))
TEMPLATE = os.path.join(os.path.dirname(HERE), "kamailio", "msrp-relay.cfg")
MODULES = "/usr/lib/x86_64-linux-gnu/kamailio/modules/"


class KamailioMsrpRelay:
    def __init__(self, run_dir, host="10.77.0.1", port=2855, tls_port=2856, inner_port=2857, tls=True, user="relayuser",
                 password="relay-secret", realm="relay.test", min_expires=60, max_expires=3600, debug=2):
        self.run_dir = run_dir
        self.host, self.port, self.tls_port, self.tls = host, port, tls_port, tls
        self.inner_port = inner_port
        self.tls_front = None
        self.user, self.password, self.realm = user, password, realm
        self.min_expires, self.max_expires = min_expires, max_expires
        self.debug = debug
        self.process = None
        self.log_path = os.path.join(run_dir, "kamailio.log")
        self.certfile = self.keyfile = self.fingerprint = None

    @property
    def uri(self):
        """The relay's URI as a client puts it in the To-Path of its AUTH."""
        return "msrp://%s:%d;tcp" % (self.host, self.port)

    @property
    def tls_uri(self):
        return "msrps://%s:%d;tcp" % (self.host, self.tls_port)

    def _config(self):
        with open(TEMPLATE) as handle:
            text = handle.read()
        values = {"DEBUG": self.debug, "HOST": self.host, "PORT": self.port, "TLS_PORT": self.tls_port, "INNER_PORT": self.inner_port,
                  "MODULES": MODULES,
                  "NONCE_SECRET": secrets.token_hex(16), "REALM": self.realm, "USER": self.user,
                  "PASSWORD": self.password, "MIN_EXPIRES": self.min_expires, "MAX_EXPIRES": self.max_expires}
        for name, value in values.items():
            text = text.replace("@@%s@@" % name, str(value))
        if self.tls:
            text = text.replace("#!KAMAILIO\n", "#!KAMAILIO\n#!define WITH_TLS\n", 1)
        path = os.path.join(self.run_dir, "kamailio-msrp.cfg")
        with open(path, "w") as handle:
            handle.write(text)
        return path

    def start(self, timeout=15):
        if self.tls:
            self.certfile, self.keyfile, self.fingerprint = make_certificate(self.run_dir, "relay.test")
        config = self._config()
        check = subprocess.run(["kamailio", "-c", "-f", config], capture_output=True, text=True)
        if check.returncode != 0:
            raise RuntimeError("kamailio rejects its config:\n%s" % check.stderr[-3000:])
        log = open(self.log_path, "wb")
        self.process = subprocess.Popen(["kamailio", "-DD", "-E", "-f", config, "-Y", self.run_dir,
                                         "-m", "32", "-M", "8"],
                                        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        if self.tls:
            self.tls_front = subprocess.Popen(
                ["socat", "OPENSSL-LISTEN:%d,bind=%s,reuseaddr,fork,cert=%s,key=%s,verify=0"
                 % (self.tls_port, self.host, self.certfile, self.keyfile),
                 "TCP:127.0.0.1:%d" % self.inner_port],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        log.close()
        ports = [self.port] + ([self.tls_port] if self.tls else [])
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.tls_front is not None and self.tls_front.poll() is not None:
                self.stop()
                raise RuntimeError("socat (the TLS front) exited:\n%s" % self.log_tail())
            if self.process.poll() is not None:
                self.stop()
                raise RuntimeError("kamailio exited (%s):\n%s" % (self.process.returncode, self.log_tail()))
            if all(self._accepts(port) for port in ports):
                return self
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("kamailio did not listen on %s within %ss:\n%s" % (ports, timeout, self.log_tail()))

    def _accepts(self, port):
        try:
            with socket.create_connection((self.host, port), timeout=0.5):
                return True
        except OSError:
            return False

    def alive(self):
        return self.process is not None and self.process.poll() is None

    def stop(self):
        """SIGTERM to the PIDs we started (kamailio's main process ends its children; socat's
        process group holds its forks), then SIGKILL. Returns kamailio's exit status."""
        if self.tls_front is not None and self.tls_front.returncode is None:
            try:
                os.killpg(self.tls_front.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.tls_front.wait(5)
            except subprocess.TimeoutExpired:
                os.killpg(self.tls_front.pid, signal.SIGKILL)
                self.tls_front.wait()
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode

    def log_tail(self, lines=60):
        try:
            with open(self.log_path, errors="replace") as handle:
                return "".join(handle.readlines()[-lines:])
        except OSError:
            return ""

    @contextlib.contextmanager
    def log_on_failure(self, lines=40):
        """Adds the relay's last log lines to a failing test's error: what Kamailio did with the
        frames is half of the story."""
        try:
            yield
        except Exception as error:
            raise AssertionError("%s\n--- kamailio log (last lines) ---\n%s" % (error, self.log_tail(lines))) from error

    def log(self):
        with open(self.log_path, errors="replace") as handle:
            return handle.read()
