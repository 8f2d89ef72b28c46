"""Starts stock janus with our plugins from the build tree and waits until it answers."""
import asyncio
import json
import os
import signal
import subprocess
import sys
import time

import websockets

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools"))
import janus_config  # noqa: E402


def sanitizer_env():
    """The environment janus needs to load plugins built with ASan+UBSan (./sylk test's second
    pass sets SYLK_JANUS_SANITIZERS): the sanitizer runtimes preloaded into janus alone. A report
    aborts janus. Leaks are not checked: janus itself does not free everything. Without the
    preload such plugins do not load at all, so every janus a test starts must use this."""
    if not os.environ.get("SYLK_JANUS_SANITIZERS"):
        return {}
    return {"LD_PRELOAD": os.environ["SYLK_JANUS_SANITIZERS"],
            "ASAN_OPTIONS": "detect_leaks=0:abort_on_error=1",
            "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1"}


class JanusProcess:
    # Started and not yet stopped: a failed test's report shows their logs' warnings and errors
    # (conftest.py), since the session's folder, logs and all, goes at exit.
    running = []

    def __init__(self, build_dir, run_dir, ice_interfaces="v0", test_plugins=True, stock_plugins=(),
                 ws_port=8188, admin_port=7188, http_port=8080, env=None, sip_options=None, extra_args=(),
                 event_loops=0, mixer_threads=3, event_handler=None, run_options=None):
        self.build_dir = build_dir
        self.run_dir = run_dir
        self.ws_url = "ws://127.0.0.1:%d/" % ws_port
        self.admin_url = "ws://127.0.0.1:%d/" % admin_port
        self.http_url = "http://127.0.0.1:%d/" % http_port
        self.ports = (ws_port, admin_port, http_port)
        self.ice_interfaces = ice_interfaces
        self.test_plugins = test_plugins
        self.stock_plugins = stock_plugins
        self.env = env
        self.sip_options = sip_options or {}
        self.extra_args = list(extra_args)  # more janus options, e.g. ["-w"] (no DTLS/SRTP) for benchmarks
        self.event_loops = event_loops      # janus.jcfg event_loops (0: a thread per handle, janus's default)
        # more than one whatever the machine, so tests always mix rooms in parallel (None: one per core)
        self.mixer_threads = mixer_threads
        # {"backend", "events", "grouping"}: load Janus's sample event handler (janus_config.py)
        self.event_handler = event_handler
        self.run_options = run_options or {}  # more make_run_dir arguments, e.g. public_host, nat
        self.process = None
        self.admin_secret = None
        self.log_path = os.path.join(run_dir, "janus.log")

    def start(self, timeout=20.0):
        ws_port, admin_port, http_port = self.ports
        self.admin_secret = janus_config.make_run_dir(
            self.run_dir, self.build_dir, ws_port, admin_port, http_port, ice_interfaces=self.ice_interfaces,
            test_plugins=self.test_plugins, stock_plugins=self.stock_plugins, debug_level=4,
            sip_rtp_timeout=6,  # short, so that the RTP timeout tests end soon
            sip_options=self.sip_options, event_loops=self.event_loops,
            mixer_threads=self.mixer_threads, event_handler=self.event_handler,
            # not 5061: sipp takes the first free port from 5061 up for itself (run_options may
            # give another: nodes of a cluster on one host each need their own)
            **{"sip_tls_port": 5081, **self.run_options})
        self.log = open(self.log_path, "w")
        env = dict(os.environ)
        env.update(self.env or {})
        self.process = subprocess.Popen(["janus", "-F", os.path.join(self.run_dir, "conf"), "-o"] + self.extra_args,
                                        stdout=self.log, stderr=subprocess.STDOUT, env=env)
        JanusProcess.running.append(self)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("janus exited with %s during start:\n%s" % (self.process.returncode, self.log_tail()))
            if asyncio.run(self._answers()):
                return self
            time.sleep(0.05)  # polling interval, not a wait for readiness
        # A janus that never answered still holds its ports: end it, or every later test fails too.
        self.stop()
        raise RuntimeError("janus did not answer within %.0f s:\n%s" % (timeout, self.log_tail()))

    async def _answers(self):
        try:
            async with websockets.connect(self.ws_url, subprotocols=["janus-protocol"], open_timeout=1) as ws:
                await ws.send(json.dumps({"janus": "info", "transaction": "ready"}))
                reply = json.loads(await asyncio.wait_for(ws.recv(), 2))
                return "janus.plugin.sylk.echo" in reply.get("plugins", {})
        except (OSError, asyncio.TimeoutError, websockets.exceptions.WebSocketException):
            return False

    def alive(self):
        return self.process is not None and self.process.poll() is None

    def log_tail(self, lines=60):
        try:
            with open(self.log_path) as f:
                return "".join(f.readlines()[-lines:])
        except OSError:
            return ""

    def log_problems(self, lines=30):
        """The last warnings and errors of its log (janus's [WARN] and [ERR] lines), each said
        once with how often: a retry logged every few seconds does not crowd out the rest."""
        counts = {}  # line -> times; re-inserted on each, so the order is that of last occurrence
        try:
            with open(self.log_path, errors="replace") as f:
                for line in f:
                    if line.startswith(("[WARN]", "[ERR]")):
                        counts[line] = counts.pop(line, 0) + 1
        except OSError:
            return ""
        return "".join(line if times == 1 else "(%d times) %s" % (times, line)
                       for line, times in list(counts.items())[-lines:])

    def stop(self, timeout=10.0):
        """Ends the janus we started, by its PID only."""
        if self in JanusProcess.running:
            JanusProcess.running.remove(self)
        if not self.process:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
        return self.process.returncode
