"""Kamailio as a plain SIP registrar and proxy (tests/integration/kamailio/registrar.cfg): web
users of the SIP gateway register with it, it relays requests for an XMPP domain to janus's SIP
plugin and everything else to the registered contact. Started and ended by PID."""
import os
import signal
import socket
import subprocess
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TEMPLATE = os.path.join(os.path.dirname(HERE), "kamailio", "registrar.cfg")
MODULES = "/usr/lib/x86_64-linux-gnu/kamailio/modules/"


class KamailioRegistrar:
    def __init__(self, run_dir, host="127.0.0.1", port=5080, xmpp_domain="localhost", janus_sip="127.0.0.1:5060",
                 debug=2, template=TEMPLATE, values=None):
        self.template, self.values = template, dict(values or {})
        self.run_dir, self.host, self.port = run_dir, host, port
        self.xmpp_domain, self.janus_sip, self.debug = xmpp_domain, janus_sip, debug
        self.process = None
        self.log_path = os.path.join(run_dir, "kamailio-registrar.log")

    @property
    def uri(self):
        return "sip:%s:%d" % (self.host, self.port)

    def start(self, timeout=15):
        with open(self.template) as handle:
            text = handle.read()
        values = {"DEBUG": self.debug, "HOST": self.host, "PORT": self.port, "MODULES": MODULES,
                  "XMPP_DOMAIN": self.xmpp_domain, "JANUS_SIP": self.janus_sip}
        values.update(self.values)
        for name, value in values.items():
            text = text.replace("@@%s@@" % name, str(value))
        config = os.path.join(self.run_dir, "kamailio-registrar.cfg")
        with open(config, "w") as handle:
            handle.write(text)
        check = subprocess.run(["kamailio", "-c", "-f", config], capture_output=True, text=True)
        if check.returncode != 0:
            raise RuntimeError("kamailio rejects its config:\n%s" % check.stderr[-3000:])
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(["kamailio", "-DD", "-E", "-f", config, "-Y", self.run_dir,
                                             "-m", "32", "-M", "8"],
                                            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("kamailio exited (%s):\n%s" % (self.process.returncode, self.log_tail()))
            if self._bound():
                return self
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("kamailio did not start within %ss:\n%s" % (timeout, self.log_tail()))

    def _bound(self):
        """Kamailio has bound its UDP port (a bind of ours fails)."""
        probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            probe.bind((self.host, self.port))
            return False
        except OSError:
            return True
        finally:
            probe.close()

    def alive(self):
        return self.process is not None and self.process.poll() is None

    def stop(self):
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
