"""The server at a public address: the web app over https and the Janus API over wss on every
interface, reached by Chromium from another network namespace that trusts our test CA (NSS db,
no --ignore-certificate-errors); and the same through a TURN server (coturn) when the browser
can reach nothing but that server. STUN/TURN are set once, in janus.jcfg's nat section, and
reach the pages through the web app server's /config.json."""
import json
import os
import socket
import ssl
import subprocess
import tempfile
import time
import urllib.request

import pytest

from conftest import BUILD, TOP
from harness.janus_process import JanusProcess, sanitizer_env
from harness.netns_peer import NetnsPeer
from harness.processes import script_result

SERVER = "10.78.0.1"          # our end of the link to the browser's namespace
BROWSER = "10.78.0.2"
TURN_SERVER = "10.79.0.1"     # coturn listens here, on the link to the TURN-only browser
TURN_BROWSER = "10.79.0.2"
TURN_RELAY = "10.77.0.2"      # coturn relays from v1, towards janus on v0 (10.77.0.1)
TURN_USER, TURN_PASSWORD = "sylk-test", "turn-pass-Wq3x"
HTTPS_PORT, WSS_PORT = 8443, 8989


def openssl(*arguments):
    subprocess.run(["openssl", *arguments], check=True, capture_output=True)


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """A test CA and a server certificate it signed for both server addresses (subjectAltName IP),
    and a browser HOME whose NSS db trusts the CA."""
    folder = tmp_path_factory.mktemp("pki")
    ca_key, ca = folder / "ca-key.pem", folder / "ca.pem"
    key, request, certificate = folder / "key.pem", folder / "server.csr", folder / "server.pem"
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=Sylk test CA",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
            "-keyout", str(ca_key), "-out", str(ca))
    openssl("req", "-new", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=%s" % SERVER,
            "-keyout", str(key), "-out", str(request))
    extensions = folder / "server.ext"
    extensions.write_text("subjectAltName=IP:%s,IP:%s\nextendedKeyUsage=serverAuth\n"
                          "keyUsage=critical,digitalSignature,keyEncipherment\n" % (SERVER, TURN_SERVER))
    openssl("x509", "-req", "-in", str(request), "-CA", str(ca), "-CAkey", str(ca_key), "-CAcreateserial",
            "-days", "2", "-extfile", str(extensions), "-out", str(certificate))
    home = folder / "browser-home"
    nssdb = home / ".pki" / "nssdb"
    nssdb.mkdir(parents=True)
    subprocess.run(["certutil", "-d", "sql:%s" % nssdb, "-N", "--empty-password"], check=True, capture_output=True)
    subprocess.run(["certutil", "-d", "sql:%s" % nssdb, "-A", "-t", "C,,", "-n", "sylk-test-ca", "-i", str(ca)],
                   check=True, capture_output=True)
    return {"ca": str(ca), "certificate": str(certificate), "key": str(key), "home": str(home)}


class PublicJanus:
    """A janus in public mode for one test; fails the test if janus died meanwhile."""

    def __init__(self, pki, ice_interfaces, nat=None):
        self.process = JanusProcess(BUILD, tempfile.mkdtemp(prefix="sylk-janus-public-"), ice_interfaces=ice_interfaces,
                                    env=sanitizer_env(), run_options={"public_host": SERVER, "tls_cert": pki["certificate"],
                                                          "tls_key": pki["key"], "https_port": HTTPS_PORT,
                                                          "wss_port": WSS_PORT, "nat": nat})

    def __enter__(self):
        self.process.start()
        return self.process

    def __exit__(self, *exc):
        alive = self.process.alive()
        code = self.process.stop()
        if not alive:
            pytest.fail("janus died during the test (exit %s):\n%s" % (code, self.process.log_tail()))


def run_in(peer, pki, url, room):
    completed = subprocess.run(peer.command("node", os.path.join(TOP, "tests", "browser", "public_room_test.mjs"), url, room),
                               capture_output=True, text=True, timeout=180,
                               env=dict(os.environ, BROWSER_HOME=pki["home"]))
    return script_result(completed.stdout, completed.stderr)


def assert_video_both_ways(result, host):
    assert "error" not in result, json.dumps(result, indent=1)
    assert set(result["pages"]) == {"Ann", "Ben"}
    for name, page in result["pages"].items():
        assert page["protocol"] == "https:", page
        # the page found the wss API at its own host by itself (no ?server=)
        assert page["server"] == "wss://%s:%d/" % (host, WSS_PORT), page
        (feed, first), = page["first"].items()
        second = page["second"][feed]
        assert second["display"] == ({"Ann", "Ben"} - {name}).pop()
        assert second["framesDecoded"] > first["framesDecoded"] > 10, (name, first, second)
        assert second["videoBytes"] > first["videoBytes"] and second["audioBytes"] > 0, (name, first, second)


def test_web_app_and_api_over_tls_from_another_network(pki):
    with NetnsPeer("pub0", SERVER, BROWSER) as peer, PublicJanus(pki, ice_interfaces="pub0") as janus:
        # the plain ws API and the admin API stay on loopback: nothing listens there on SERVER
        for port in (8188, 7188):
            with socket.socket() as probe:
                probe.settimeout(2)
                assert probe.connect_ex((SERVER, port)) != 0, "port %d answers on %s" % (port, SERVER)
        # /config.json over https, verified against the test CA: the pages' view of janus
        context = ssl.create_default_context(cafile=pki["ca"])
        with urllib.request.urlopen("https://%s:%d/config.json" % (SERVER, HTTPS_PORT), context=context, timeout=10) as reply:
            config = json.load(reply)
        assert config == {"janus": {"ws_port": 8188, "wss_port": WSS_PORT}, "iceServers": []}
        result = run_in(peer, pki, "https://%s:%d/room.html" % (SERVER, HTTPS_PORT), "public-room")
        assert_video_both_ways(result, SERVER)
        for page in result["pages"].values():
            for pair in page["pairs"].values():
                assert pair["selected"] and pair["local"]["address"] == BROWSER, page["pairs"]
                assert pair["remote"]["address"] == SERVER, page["pairs"]
        assert janus.alive()


class Coturn:
    """coturn with long-term credentials on TURN_SERVER only, relaying from TURN_RELAY; its own
    config file (not Debian's), no CLI, started and ended by PID. Start it once TURN_SERVER
    exists (the browser's link)."""

    def __init__(self, folder):
        self.folder = folder
        self.log_path = folder / "turnserver.log"
        config = folder / "turnserver.conf"
        config.write_text("\n".join([
            "listening-ip=%s" % TURN_SERVER, "listening-port=3478", "relay-ip=%s" % TURN_RELAY,
            "min-port=49152", "max-port=49252", "lt-cred-mech", "realm=sylk.test",
            "user=%s:%s" % (TURN_USER, TURN_PASSWORD), "userdb=%s" % (folder / "turndb"),
            "no-cli", "no-tls", "no-dtls", "no-tcp-relay", "fingerprint", "no-multicast-peers",
            # the peers it may relay to: janus's network (private addresses need saying so)
            "allowed-peer-ip=10.77.0.0-10.77.0.255",
            "pidfile=%s" % (folder / "turnserver.pid"), "log-file=stdout", "simple-log", "verbose", ""]))
        self.log = open(self.log_path, "w")
        self.process = subprocess.Popen(["turnserver", "-c", str(config)], stdout=self.log, stderr=subprocess.STDOUT)

    def __enter__(self):
        deadline = time.monotonic() + 15
        while not stun_binding_answers(TURN_SERVER, 3478):  # ready: it answers a STUN binding request
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.__exit__()
                pytest.fail("turnserver did not start:\n%s" % self.log_path.read_text()[-3000:])
        return self

    def __exit__(self, *exc):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


def stun_binding_answers(host, port):
    request = b"\x00\x01\x00\x00\x21\x12\xa4\x42" + os.urandom(12)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.settimeout(0.3)
        probe.sendto(request, (host, port))
        try:
            answer, _ = probe.recvfrom(2048)
        except OSError:
            return False
    return answer[:2] == b"\x01\x01" and answer[8:20] == request[8:20]


@pytest.fixture
def v1_accepts_local_sources():
    """janus's UDP to coturn's addresses in this namespace (relay 10.77.0.2, listener 10.79.0.1)
    was seen to leave v0 and come back in on v1 with janus's own address as source, which Linux
    drops unless accept_local is on (no answer, Send-Q filling). Between machines this cannot
    happen; here it is switched on for the test and back off after."""
    setting = "/proc/sys/net/ipv4/conf/v1/accept_local"
    before = open(setting).read().strip()
    with open(setting, "w") as out:
        out.write("1")
    yield
    with open(setting, "w") as out:
        out.write(before)


def test_media_relayed_through_turn_when_only_turn_is_reachable(pki, tmp_path, v1_accepts_local_sources):
    # The browser's namespace has one link, to coturn's address; janus gathers on v0 only, so
    # its host candidates (10.77.0.1) are unreachable from there: media must go through coturn.
    nat = {"turn_server": TURN_SERVER, "turn_port": 3478, "turn_type": "udp",
           "turn_user": TURN_USER, "turn_pwd": TURN_PASSWORD}
    with NetnsPeer("turn0", TURN_SERVER, TURN_BROWSER) as peer, Coturn(tmp_path) as turn, \
            PublicJanus(pki, ice_interfaces="v0", nat=nat):
        # janus's network is unreachable from the browser's namespace (the https port listens
        # on every address, 10.77.0.1 included)
        probe = "import socket, sys; socket.create_connection((sys.argv[1], %d), 2)" % HTTPS_PORT
        unreachable = subprocess.run(peer.command("/usr/bin/python3", "-c", probe, "10.77.0.1"), capture_output=True)
        assert unreachable.returncode != 0, "the browser's namespace must not reach janus's network"
        reachable = subprocess.run(peer.command("/usr/bin/python3", "-c", probe, TURN_SERVER), capture_output=True)
        assert reachable.returncode == 0, reachable.stderr
        # the TURN server set in janus.jcfg reaches the pages too
        context = ssl.create_default_context(cafile=pki["ca"])
        with urllib.request.urlopen("https://%s:%d/config.json" % (TURN_SERVER, HTTPS_PORT), context=context,
                                    timeout=10) as reply:
            config = json.load(reply)
        assert config["iceServers"] == [{"urls": "turn:%s:3478?transport=udp" % TURN_SERVER,
                                         "username": TURN_USER, "credential": TURN_PASSWORD}]
        result = run_in(peer, pki, "https://%s:%d/room.html" % (TURN_SERVER, HTTPS_PORT), "turn-room")
        assert_video_both_ways(result, TURN_SERVER)
        for page in result["pages"].values():
            for pair in page["pairs"].values():
                assert pair["selected"] and pair["local"]["type"] == "relay", page["pairs"]
                assert pair["local"]["address"] == TURN_RELAY and pair["local"]["relayProtocol"] == "udp", page["pairs"]
    # coturn's own word that it allocated relays, read once it has ended (it buffers its log)
    assert "incoming packet allocate processed, success" in turn.log_path.read_text().lower()


def test_a_bad_certificate_or_key_is_named_and_nothing_listens(pki, tmp_path):
    """A wrong file, swapped files and a key of another certificate: janus goes on without the
    web app server, whose error names the problem; no https port is open."""
    other_key = tmp_path / "other-key.pem"
    openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", str(other_key))
    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate\n")
    cases = [
        ({"tls_cert": str(junk), "tls_key": pki["key"]}, "cert_pem '%s' holds no PEM certificate" % junk),
        ({"tls_cert": pki["key"], "tls_key": pki["certificate"]}, "holds no PEM certificate"),
        ({"tls_cert": pki["certificate"], "tls_key": str(tmp_path / "missing.pem")}, "cannot read cert_key"),
        ({"tls_cert": pki["certificate"], "tls_key": str(other_key)}, "do they belong together?"),
    ]
    for files, message in cases:
        janus = JanusProcess(BUILD, tempfile.mkdtemp(prefix="sylk-janus-badtls-"), ice_interfaces="v0", env=sanitizer_env(),
                             run_options={"public_host": SERVER, "https_port": HTTPS_PORT, "wss_port": WSS_PORT, **files})
        janus.start()
        try:
            with socket.socket() as probe:
                probe.settimeout(2)
                assert probe.connect_ex(("127.0.0.1", HTTPS_PORT)) != 0, files
            # janus's logger writes from its own thread: on a loaded machine the transport's
            # line may land a moment after the API is up
            deadline = time.monotonic() + 10
            log = open(janus.log_path).read()
            while message not in log and time.monotonic() < deadline:
                time.sleep(0.2)
                log = open(janus.log_path).read()
            assert message in log, (message, log[-3000:])
            assert "-----BEGIN" not in log  # the key's text is never logged
        finally:
            janus.stop()
