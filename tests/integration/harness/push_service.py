"""Runs the push stand-in (harness/push_standin.py) under hypercorn with a test CA: the keys
janus signs with (APNs .p8, a Google service account file), the CA janus trusts, and a small
client for the stand-in's control endpoints."""
import json
import os
import socket
import ssl
import subprocess
import time
import urllib.request

HARNESS = os.path.dirname(os.path.abspath(__file__))


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def openssl(*arguments):
    subprocess.run(["openssl", *arguments], check=True, capture_output=True)


class PushStandIn:
    APNS_TOPICS = ["com.example.sylk"]
    TEAM, KEY_ID = "TEAM123456", "KEY1234567"
    PROJECT, CLIENT_EMAIL = "sylk-test", "pusher@sylk-test.iam.gserviceaccount.com"

    def __init__(self, folder, port=None):
        self.folder = folder
        self.port = port or free_port()
        self.url = "https://127.0.0.1:%d" % self.port
        self.token_url = self.url + "/token"
        self.process = None
        os.makedirs(folder, exist_ok=True)
        self._make_keys()

    def path(self, name):
        return os.path.join(self.folder, name)

    def _make_keys(self):
        if os.path.exists(self.path("service_account.json")):
            return
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "30",
                "-subj", "/CN=Sylk push test CA", "-keyout", self.path("ca.key"), "-out", self.path("ca.pem"))
        openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=127.0.0.1",
                "-keyout", self.path("server.key"), "-out", self.path("server.csr"))
        with open(self.path("server.ext"), "w") as ext:
            ext.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
        openssl("x509", "-req", "-in", self.path("server.csr"), "-CA", self.path("ca.pem"), "-CAkey",
                self.path("ca.key"), "-CAcreateserial", "-days", "30", "-extfile", self.path("server.ext"),
                "-out", self.path("server.pem"))
        openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", self.path("apns.p8"))
        openssl("pkey", "-in", self.path("apns.p8"), "-pubout", "-out", self.path("apns.pub"))
        openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", self.path("fcm.pem"))
        openssl("pkey", "-in", self.path("fcm.pem"), "-pubout", "-out", self.path("fcm.pub"))
        with open(self.path("fcm.pem")) as key:
            account = {"type": "service_account", "project_id": self.PROJECT, "private_key_id": "k1",
                       "private_key": key.read(), "client_email": self.CLIENT_EMAIL, "token_uri": self.token_url}
        with open(self.path("service_account.json"), "w") as out:
            json.dump(account, out)
        with open(self.path("standin.json"), "w") as out:
            json.dump({"apns_public_key": self.path("apns.pub"), "apns_key_id": self.KEY_ID, "apns_team": self.TEAM,
                       "apns_topics": self.APNS_TOPICS, "fcm_public_key": self.path("fcm.pub"),
                       "client_email": self.CLIENT_EMAIL, "token_url": self.token_url,
                       "fcm_project": self.PROJECT}, out)

    def sip_options(self):
        """janus.plugin.sylk.sip settings that point its push channels here."""
        return {"push_apns_url": self.url, "push_apns_key": self.path("apns.p8"), "push_apns_key_id": self.KEY_ID,
                "push_apns_team_id": self.TEAM, "push_apns_topics": ",".join(self.APNS_TOPICS),
                "push_fcm_url": self.url, "push_fcm_service_account": self.path("service_account.json"),
                "push_ca_file": self.path("ca.pem")}

    def start(self):
        env = dict(os.environ, PUSH_STANDIN_CONFIG=self.path("standin.json"), PYTHONPATH=os.path.dirname(HARNESS))
        # Module-scoped (its fixture stops it by PID), so not through harness.processes, whose
        # per-test cleanup would end it after the first test.
        self.log = open(self.path("standin.log"), "ab")
        self.process = subprocess.Popen(
            ["/usr/bin/python3", "-m", "hypercorn", "--certfile", self.path("server.pem"), "--keyfile",
             self.path("server.key"), "--bind", "127.0.0.1:%d" % self.port, "--workers", "1",
             "harness.push_standin:app"], env=env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 15
        while time.time() < deadline:
            try:
                self.reset()
                return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("the push stand-in did not start:\n" + open(self.path("standin.log")).read()[-2000:])

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process:
            self.log.close()

    def _control(self, path, payload=None):
        context = ssl.create_default_context(cafile=self.path("ca.pem"))
        data = json.dumps(payload).encode() if payload is not None else None
        request = urllib.request.Request(self.url + path, data=data, method="POST" if data is not None else "GET")
        with urllib.request.urlopen(request, context=context, timeout=5) as answer:
            return json.loads(answer.read())

    def received(self, service=None):
        return [r for r in self._control("/_control/received") if service is None or r.get("service") == service]

    def reset(self):
        return self._control("/_control/reset", {})

    def mode(self, mode):
        return self._control("/_control/mode", {"mode": mode})
