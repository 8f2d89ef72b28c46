"""Issue 15, kill -9 of a node: a phone in a room whose node dies is called back by the node
that takes the room over, and no message acknowledged to a sender is lost from the shared
PostgreSQL journal. nats-server and two janus nodes with the SIP focus and the audio mixer; a sipp phone calls
the room on node0 (its Contact names a second sipp that takes calls), a web user is in the same
room on node1, so node1 knows the phone from the bus (its member carries the Contact as
`call_back`). kill -9 of node0: node1 claims the room and its focus INVITEs the phone there, From
the room; the phone answers and is a participant of node1's audio mixer again, whose mix reaches
its RTP port. Both nodes journal gateway messages in one PostgreSQL server the test starts
(initdb, pg_ctl on a private unix socket): MESSAGEs answered 200 by node0 and by node1 are all
in the account's sync through node1 after node0 is gone."""
import re
import uuid
import asyncio
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import pytest

from conftest import BUILD, run
from harness.cluster_nodes import start_nodes, stop_nodes
from harness.janus_api import Session
from harness.janus_process import JanusProcess, sanitizer_env
from harness.janus_api import Admin
from harness.nats_server import BlackholeRelay, NatsServer

HERE = os.path.dirname(os.path.abspath(__file__))
IN_ROOM = os.path.join(HERE, "sip", "cluster_phone_in_room.xml")
CALLED_BACK = os.path.join(HERE, "sip", "cluster_phone_called_back.xml")
LEASE_MS = 2000
SIP_PORTS = [5162, 5163]  # node i's SIP plugin
CALL_BACK_PORT = 5166     # where the phone takes calls (its Contact)
ROOM = "phones.room"      # a dot: the cluster encodes it
WITHOUT = ["msrp", "xmpp", "irc"]


ACCOUNT = "sip:ann@sylk.test"


class Postgres:
    """A PostgreSQL server of the test's own: initdb in a temporary folder, pg_ctl on a unix
    socket there (no TCP), as the postgres user when run as root (initdb refuses root)."""

    def __init__(self):
        self.folder = tempfile.mkdtemp(prefix="sylk-pg-")  # its own: the postgres user must reach it
        versions = sorted(os.listdir("/usr/lib/postgresql"), key=int, reverse=True) if os.path.isdir("/usr/lib/postgresql") else []
        self.bin = next((os.path.join("/usr/lib/postgresql", v, "bin") for v in versions
                         if os.access(os.path.join("/usr/lib/postgresql", v, "bin", "initdb"), os.X_OK)), None)
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        self.port = 20000 + os.getpid() % 20000
        self.conninfo = "host=%s port=%d user=sylk dbname=postgres" % (self.folder, self.port)

    def start(self):
        if not self.bin:
            pytest.skip("PostgreSQL's initdb and pg_ctl are not installed (Debian package postgresql)")
        os.chmod(self.folder, 0o755)
        if self.as_user:
            shutil.chown(self.folder, "postgres")
        data = os.path.join(self.folder, "data")
        subprocess.run(self.as_user + [os.path.join(self.bin, "initdb"), "-D", data, "-A", "trust", "-U", "sylk",
                                       "-E", "UTF8", "--no-sync"], check=True, capture_output=True)
        subprocess.run(self.as_user + [os.path.join(self.bin, "pg_ctl"), "-D", data, "-w", "-l",
                                       os.path.join(self.folder, "log"), "-o",
                                       "-c listen_addresses='' -k %s -p %d" % (self.folder, self.port), "start"],
                       check=True, capture_output=True)
        return self

    def stop(self):
        data = os.path.join(self.folder, "data")
        if os.path.exists(os.path.join(data, "postmaster.pid")):
            subprocess.run(self.as_user + [os.path.join(self.bin, "pg_ctl"), "-D", data, "-m", "immediate", "stop"],
                           capture_output=True)
        shutil.rmtree(self.folder, ignore_errors=True)


class Nodes:
    def __init__(self):
        self.folder = tempfile.mkdtemp(prefix="sylk-callback-")
        self.nats = NatsServer(os.path.join(self.folder, "nats"))
        self.postgres = Postgres()
        self.nodes = []
        self.relay = None
        self.killed = False

    def start(self):
        self.nats.start()
        self.relay = BlackholeRelay(self.nats.port)  # node1 reaches NATS through it (the last test cuts it)
        self.postgres.start()
        for index in range(2):
            name = "node%d" % index
            ws_port, admin_port, http_port = 8340 + index, 7340 + index, 8440 + index
            options = {"nats": self.relay.url if index == 1 else self.nats.url, "node": name, "lease_ms": LEASE_MS,
                       "ws_url": "ws://127.0.0.1:%d/" % ws_port, "sip_uri": "sip:127.0.0.1:%d" % SIP_PORTS[index]}
            self.nodes.append(JanusProcess(
                BUILD, os.path.join(self.folder, name), ws_port=ws_port, admin_port=admin_port, http_port=http_port,
                env=sanitizer_env(), test_plugins=False, sip_options={"sip_port": SIP_PORTS[index], "journal_backend": "postgresql",
                                                   "journal_postgres": self.postgres.conninfo,
                                                   # the sipp phones send no RTP: a run slowed past
                                                   # the tests' 6 s must not get the room's
                                                   # RTP-timeout BYE (CI run 19 got it)
                                                   "rtp_timeout": 0},
                run_options={"without_plugins": WITHOUT, "cluster_options": options, "sip_tls_port": 0}))
        start_nodes(self.nodes)
        return self

    def stop(self):
        stop_nodes(self.nodes)
        self.relay.close()
        self.nats.stop()
        self.postgres.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture(scope="module")
def cluster():
    running = Nodes()
    try:
        yield running.start()
        if not running.nodes[1].alive():
            pytest.fail("node1 died during the test:\n%s" % running.nodes[1].log_tail())
    finally:
        running.stop()


def sipp(folder, name, arguments):
    trace = os.path.join(folder, name + ".log")
    process = subprocess.Popen(["sipp", "-i", "127.0.0.1", "-m", "1", "-nostdin", "-trace_msg", "-message_file", trace]
                               + arguments, cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return process, trace


def sip_message(port, contact_user, text):
    """One MESSAGE from a raw UDP socket to sip:contact_user@127.0.0.1:port; the final status."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(10)
        sock.bind(("127.0.0.1", 0))
        local = sock.getsockname()[1]
        body = text.encode()
        request = ("MESSAGE sip:%s@127.0.0.1:%d SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:%d;rport;branch=z9hG4bK%s\r\n"
                   "From: <sip:bob@127.0.0.1:%d>;tag=%s\r\nTo: <sip:%s@127.0.0.1>\r\nCall-ID: %s\r\n"
                   "CSeq: 1 MESSAGE\r\nMax-Forwards: 70\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n"
                   % (contact_user, port, local, uuid.uuid4().hex, local, uuid.uuid4().hex[:8], contact_user,
                      uuid.uuid4().hex, len(body))).encode() + body
        sock.sendto(request, ("127.0.0.1", port))
        while True:
            data = sock.recv(65536)
            status = re.match(rb"SIP/2\.0 (\d{3})", data)
            if status and int(status.group(1)) >= 200:
                return int(status.group(1))


async def account_handle(session):
    """A handle of ACCOUNT (a guest registration) on that session's node: (handle, contact user)."""
    handle = await session.attach("janus.plugin.sylk.sip")
    data, _ = await handle.send({"request": "register", "username": ACCOUNT, "type": "guest"})
    return handle, data["result"]["contact_user"]


def read(path):
    return open(path, errors="replace").read() if os.path.exists(path) else ""


def stop_sipps(*processes):
    for process in processes:
        if process.poll() is None:
            process.kill()
            process.wait()


async def phone_answered(phone, trace_path, node):
    """Until the phone's sipp has its 200 OK from node. 25 s: once, under ASan beside two other
    shards and a package build, a node answered nothing within 15 s (not explained: the node's
    log comes with the phone's trace)."""
    deadline = time.monotonic() + 25
    while "SIP/2.0 200 OK" not in read(trace_path):
        assert time.monotonic() < deadline and phone.poll() is None, "%s\nthe node:\n%s" % (
            read(trace_path)[-2000:], node.log_tail(60))
        await asyncio.sleep(0.05)


def invite_from_room(called_back, trace_path, room, node_port):
    """The INVITE the call-back phone took, once its sipp is known to have answered it, From the
    room on the node at node_port."""
    trace = read(trace_path)
    assert called_back.returncode == 0, "the call-back phone's sipp failed:\n%s" % trace[-3000:]
    invite = trace[trace.index("INVITE sip:"):]
    assert "From: <sip:%s@127.0.0.1:%d>" % (room, node_port) in invite, invite[:1500]
    return invite


def attendee(display):
    return lambda e: e.get("plugindata", {}).get("data", {}).get("attendee", {}).get("display") == display


def test_a_phone_in_a_dead_nodes_room_is_called_back_by_the_new_owner(cluster):
    node0, node1 = cluster.nodes
    rtp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # the phone's RTP port for the call-back
    rtp.bind(("127.0.0.1", 0))
    rtp.setblocking(False)
    rtp_port = rtp.getsockname()[1]
    called_back, called_back_trace = sipp(cluster.folder, "called-back", [
        "-sf", CALLED_BACK, "-p", str(CALL_BACK_PORT), "-timeout", "40s", "-set", "rtpport", str(rtp_port)])
    phone, phone_trace = sipp(cluster.folder, "phone", [
        "127.0.0.1:%d" % SIP_PORTS[0], "-sf", IN_ROOM, "-p", "0", "-timeout", "60s", "-set", "room", ROOM,
        "-set", "rtpport", "40010", "-set", "cbport", str(CALL_BACK_PORT)])

    async def body():
        await phone_answered(phone, phone_trace, node0)  # the phone is in the room on node0, its owner
        web = await Session.create(node1.ws_url)
        try:
            handle = await web.attach("janus.plugin.sylk.videoroom")
            joined, _ = await handle.send({"request": "join", "ptype": "publisher", "room": ROOM, "display": "Bea"})
            assert joined.get("videoroom") == "joined", joined
            # node1 learns node0's phone from node0's roster answer: before Bea's join answer
            # (then it lists it), or after (then an event tells her).
            if "Phone" not in [a.get("display") for a in joined.get("attendees", [])]:
                await handle.next_event(timeout=15, predicate=attendee("Phone"))
            # Messages to the account's devices on both nodes, each answered 200 (acknowledged:
            # journaled) before the kill; node0's last one just before it.
            doomed = await Session.create(node0.ws_url)
            _, on_node0 = await account_handle(doomed)
            _, on_node1 = await account_handle(web)
            acknowledged = []
            for port, contact, texts in ((SIP_PORTS[1], on_node1, ["to node1 %d" % i for i in range(3)]),
                                         (SIP_PORTS[0], on_node0, ["to node0 %d" % i for i in range(5)])):
                for text in texts:
                    assert await asyncio.to_thread(sip_message, port, contact, text) == 200, text
                    acknowledged.append(text)
            killed_at = time.monotonic()
            cluster.killed = True
            node0.process.send_signal(signal.SIGKILL)
            node0.process.wait()
            # The phone is back, called by node1 (the dial-out's leg is named by the URI's user).
            await handle.next_event(timeout=4 * LEASE_MS / 1000 + 5, predicate=attendee("phone"))
            back_s = time.monotonic() - killed_at
            mixer = await web.attach("janus.plugin.sylk.audiomixer")
            listed, _ = await mixer.send({"request": "listparticipants", "room": ROOM})
            deadline = time.monotonic() + 5
            packets = 0
            while packets == 0 and time.monotonic() < deadline:
                try:
                    rtp.recv(2048)
                    packets += 1
                except BlockingIOError:
                    await asyncio.sleep(0.02)
            # The account's device on node1 syncs: the shared journal has every acknowledged message.
            later = await Session.create(node1.ws_url)
            try:
                device, _ = await account_handle(later)
                data, _ = await device.send({"request": "sync_conversations"})
                synced = [e["content"] for e in data["result"]["entries"] if e["kind"] == "message"]
            finally:
                await later.close()
            return back_s, listed, packets, acknowledged, synced
        finally:
            await web.close()

    try:
        back_s, listed, packets, acknowledged, synced = run(body(), timeout=60)
        called_back.wait(timeout=15)
    finally:
        stop_sipps(phone, called_back)
        rtp.close()
    print("phone called back %.1f s after the kill (lease %d ms)" % (back_s, LEASE_MS))
    # The INVITE came from node1, From the room, with the mixer's offer.
    invite = invite_from_room(called_back, called_back_trace, ROOM, SIP_PORTS[1])
    assert "m=audio" in invite, invite[:1500]
    assert [p["display"] for p in listed["participants"]] == ["phone"], listed
    assert packets > 0, "no RTP from node1's mixer on the phone's port"
    assert back_s < 3 * LEASE_MS / 1000 + 3, back_s
    assert sorted(synced) == sorted(acknowledged), (acknowledged, synced)  # none lost, none twice


def test_a_call_is_not_held_up_by_a_silent_nats(cluster):
    """Runs after the kill: node1 alone. NATS goes silent for node1 (its relay swallows
    everything): a call into a new room asks the cluster who owns it, and the SIP thread waits
    for the answer at most 500 ms, then takes the call here (the lookup goes on, on its own
    thread). Without the bound it waits the KV read's timeout, and every other SIP request of
    the node with it."""
    node1 = cluster.nodes[1]

    async def focus():
        admin = await Admin.open(node1.admin_url, node1.admin_secret)
        try:
            return (await admin.message_plugin("janus.plugin.sylk.sip", {"request": "status"}))["focus"]
        finally:
            await admin.close()

    before = run(focus())
    cluster.relay.black_hole()
    started = time.monotonic()
    done = subprocess.run(["sipp", "127.0.0.1:%d" % SIP_PORTS[1], "-sf", os.path.join(HERE, "sip", "front_call.xml"),
                           "-m", "1", "-i", "127.0.0.1", "-p", "0", "-nostdin", "-timeout", "20s",
                           "-set", "room", "cut.room", "-set", "rtpport", "40020"],
                          cwd=cluster.folder, capture_output=True, timeout=30)
    took = time.monotonic() - started
    after = run(focus())
    assert done.returncode == 0, done.stderr[-1500:]
    print("call with NATS silent: %.2f s (INVITE to BYE's answer, with a 0.3 s pause)" % took)
    assert after["owner_lookups_timed_out"] - before["owner_lookups_timed_out"] == 1, (before, after)
    assert after["calls_answered"] - before["calls_answered"] == 1, (before, after)
