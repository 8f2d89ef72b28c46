"""Prosody 0.12 (Debian's `prosody`) as the real XMPP server of the XMPP tests and of `./sylk run`.

One Prosody per test module, loopback only, from a config written into a temporary folder that
also holds its data (users registered with prosodyctl), its log and its pid file:

- VirtualHost `domain` (default `localhost`): c2s on `c2s_port`, plain (no TLS: loopback only),
  in-band registration allowed, so clients can register themselves too;
- the two external components (XEP-0114) the plugin connects as, `conference.<domain>` (rooms)
  and `sip.<domain>` (SIP users), on `component_port` with one shared `component_secret`;
- Prosody's own MUC as `muc.<domain>`: the harness self-test and the benchmark's baseline;
- mod_websocket on `http_port` (`/xmpp-websocket`) for the WebSocket clients of later tests;
- with `multicast` (the default), Sylk's mod_sylk_multicast (plugins/xmpp/prosody) on the
  VirtualHost, trusting the declared components (by default `conference.<domain>` and
  `sip.<domain>`): our rooms let Prosody make their copies (XEP-0033); `multicast=False` is a
  Prosody without it (the component's per-copy fallback).

`stop()` ends the process we started, by its PID; `restart()` (stop, start again with the same
config and data) is how a test takes the component link away and gives it back.

Prosody refuses to run as root unless told (`run_as_root`): the test namespace runs as (a
possibly mapped) root, and a mapped root cannot switch to the `prosody` user, so the config says
so; it writes only inside its own folder.
"""
import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time

# Sylk's Prosody modules (mod_sylk_multicast), in the source tree.
PROSODY_MODULES = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))), "plugins", "xmpp", "prosody")

CONFIG = """-- written by tests/integration/harness/prosody.py
daemonize = false
run_as_root = true
pidfile = "{folder}/prosody.pid"
data_path = "{data}"
plugin_paths = {{ {plugin_paths} }}
certificates = "{folder}/certs"
log = {{ {{ levels = {{ min = "{log_level}" }}, to = "file", filename = "{folder}/prosody.log" }} }}

interfaces = {{ "{host}" }}
local_interfaces = {{ "{host}" }}
c2s_ports = {{ {c2s_port} }}
c2s_interfaces = {{ "{host}" }}
component_ports = {{ {component_port} }}
component_interfaces = {{ "{host}" }}
http_ports = {{ {http_port} }}
http_interfaces = {{ "{host}" }}
https_ports = {{ }}
s2s_ports = {{ }}
c2s_direct_tls_ports = {{ }}
legacy_ssl_ports = {{ }}

modules_enabled = {{ {extra_modules}"roster", "saslauth", "disco", "ping", "register", "websocket", "posix" }}
modules_disabled = {{ "s2s", "tls", "offline" }}
c2s_require_encryption = false
allow_unencrypted_plain_auth = true
allow_registration = true
min_seconds_between_registrations = 0
authentication = "internal_plain"
storage = "internal"
consider_websocket_secure = true
-- the benchmark and the malformed-input tests send fast: no per-connection rate limits
limits = {{ }}
c2s_stanza_size_limit = {stanza_limit}
component_stanza_size_limit = {stanza_limit}

VirtualHost "{domain}"
    -- mod_sylk_multicast (when loaded): our rooms' components may have Prosody make their copies
    sylk_multicast_components = {{ {trusted_components} }}

{components}
Component "{own_muc_domain}" "muc"
    restrict_room_creation = false
    max_history_messages = 50
    muc_room_default_history_length = 20
    muc_room_locking = false
    muc_tombstones = false
"""


class Prosody:
    """A Prosody we start and stop. users: {"name": "password"} registered before the start."""

    def __init__(self, folder=None, host="127.0.0.1", domain="localhost", c2s_port=5222, component_port=5347,
                 http_port=5280, secret=None, users=None, log_level="info", stanza_limit=1024 * 1024,
                 component_domains=None, multicast=True, modules=(), plugin_paths=()):
        """component_domains: the XEP-0114 components to declare, all with the one secret
        (default the plugin's two, conference.<domain> and sip.<domain>; `./sylk cluster up`
        gives each node a pair of its own on one shared Prosody). modules: more of Prosody's
        modules to enable (the MUC benchmark's --stock-modules: Debian's default set);
        plugin_paths: more folders to find modules in (its --lua-profile's)."""
        self.folder = folder or tempfile.mkdtemp(prefix="sylk-prosody-")
        self.host, self.domain = host, domain
        self.c2s_port, self.component_port, self.http_port = c2s_port, component_port, http_port
        self.muc_domain = "conference." + domain      # our plugin's rooms component
        self.sip_domain = "sip." + domain             # our plugin's SIP users component
        self.own_muc_domain = "muc." + domain         # Prosody's own MUC: the baseline
        self.component_domains = list(component_domains or (self.muc_domain, self.sip_domain))
        self.multicast = multicast
        self.modules = list(modules)
        self.plugin_paths = ([PROSODY_MODULES] if multicast else []) + list(plugin_paths)
        self.secret = secret or secrets.token_urlsafe(18)
        self.users = dict(users or {})
        self.log_level = log_level
        self.stanza_limit = stanza_limit
        self.config_path = os.path.join(self.folder, "prosody.cfg.lua")
        self.log_path = os.path.join(self.folder, "prosody.log")
        self.data = os.path.join(self.folder, "data")
        self.process = None
        self._console = None

    @property
    def websocket_url(self):
        return "ws://%s:%d/xmpp-websocket" % (self.host, self.http_port)

    def jid(self, user):
        return "%s@%s" % (user, self.domain)

    def _write_config(self):
        os.makedirs(self.data, mode=0o700, exist_ok=True)
        os.makedirs(os.path.join(self.folder, "certs"), exist_ok=True)  # none: loopback without TLS
        text = CONFIG.format(folder=self.folder, data=self.data, host=self.host, c2s_port=self.c2s_port,
                             component_port=self.component_port, http_port=self.http_port,
                             domain=self.domain, own_muc_domain=self.own_muc_domain, secret=self.secret,
                             log_level=self.log_level, stanza_limit=self.stanza_limit,
                             components="".join('Component "%s"\n    component_secret = "%s"\n\n' % (name, self.secret)
                                                for name in self.component_domains),
                             trusted_components=", ".join('"%s"' % name for name in self.component_domains),
                             plugin_paths=", ".join('"%s"' % path for path in self.plugin_paths),
                             extra_modules=('"sylk_multicast", ' if self.multicast else "")
                             + "".join('"%s", ' % name for name in self.modules))
        fd = os.open(self.config_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # holds the secret
        with os.fdopen(fd, "w") as out:
            out.write(text)

    def register(self, user, password):
        """prosodyctl register, offline (works whether Prosody runs or not)."""
        result = subprocess.run(["prosodyctl", "--config", self.config_path, "register", user, self.domain,
                                 password], capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=30)
        if result.returncode != 0:
            raise RuntimeError("prosodyctl register %s failed (%s): %s%s"
                               % (user, result.returncode, result.stdout, result.stderr))
        self.users[user] = password

    def prepare(self):
        """Writes the config and registers the users (start() does it the first time)."""
        self._write_config()
        for user, password in list(self.users.items()):
            self.register(user, password)

    def write_accounts(self, users):
        """Stores accounts straight into Prosody's internal_plain storage (what prosodyctl
        register writes), for many users at once (the benchmark); names [a-z0-9] only.
        Call before start()."""
        folder = os.path.join(self.data, self.domain.replace(".", "%2e"), "accounts")
        os.makedirs(folder, mode=0o700, exist_ok=True)
        for user, password in users.items():
            if not user.isalnum() or not user.islower() and not user.isdigit():
                raise ValueError("account names here are [a-z0-9]: %r" % user)
            with open(os.path.join(folder, user + ".dat"), "w") as out:
                out.write('return {\n\t["password"] = "%s";\n};\n' % password.replace("\\", "").replace('"', ""))
            self.users[user] = password

    def command(self):
        """The command line that runs this Prosody in the foreground."""
        return ["prosody", "--config", self.config_path, "-F"]

    def start(self, timeout=20):
        if not os.path.exists(self.config_path):
            self.prepare()
        self._console = open(os.path.join(self.folder, "prosody.console"), "ab")
        self.process = subprocess.Popen(self.command(),
                                        stdout=self._console, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        ports = (self.c2s_port, self.component_port, self.http_port)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                code = self.process.returncode
                self.stop()
                raise RuntimeError("prosody exited (%s) during start:\n%s" % (code, self.log_tail()))
            if all(self._accepts(port) for port in ports):
                return self
            time.sleep(0.1)  # polling interval, not a wait for readiness
        self.stop()
        raise RuntimeError("prosody did not listen on %s within %ss:\n%s" % (ports, timeout, self.log_tail()))

    def _accepts(self, port):
        try:
            with socket.create_connection((self.host, port), timeout=0.5):
                return True
        except OSError:
            return False

    def alive(self):
        return self.process is not None and self.process.poll() is None

    @property
    def pid(self):
        return self.process.pid if self.process else None

    def stop(self, timeout=10):
        """SIGTERM to the PID we started, SIGKILL if it lingers. Returns the exit status."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._console:
            self._console.close()
            self._console = None
        return self.process.returncode

    def restart(self, down_seconds=0.0):
        """Stops Prosody (every c2s and component link drops), waits, starts it again with the
        same config, users and ports."""
        self.stop()
        time.sleep(down_seconds)
        return self.start()

    def remove(self):
        """Deletes the folder (config, data, log). Call after stop()."""
        shutil.rmtree(self.folder, ignore_errors=True)

    def log_tail(self, lines=60):
        text = ""
        for path in (self.log_path, os.path.join(self.folder, "prosody.console")):
            try:
                with open(path, errors="replace") as handle:
                    text += "".join(handle.readlines()[-lines:])
            except OSError:
                pass
        return text

    def log(self):
        try:
            with open(self.log_path, errors="replace") as handle:
                return handle.read()
        except OSError:
            return ""

    def cpu_seconds(self):
        """utime + stime of the Prosody process so far (the benchmark's CPU per stanza)."""
        return process_cpu_seconds(self.pid)

    @contextlib.contextmanager
    def log_on_failure(self, lines=40):
        """Adds Prosody's last log lines to a failing test's error."""
        try:
            yield
        except Exception as error:
            raise AssertionError("%s\n--- prosody log (last lines) ---\n%s" % (error, self.log_tail(lines))) from error


def process_cpu_seconds(pid):
    """utime + stime of a process from /proc/PID/stat, in seconds."""
    with open("/proc/%d/stat" % pid) as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks
