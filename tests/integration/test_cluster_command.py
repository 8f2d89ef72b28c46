"""`./sylk cluster up N` / `down` (tests/tools/cluster_up.py, which ./sylk runs after building),
inside the test run's own network namespace (netns.sh), where the command makes its bridge, its
veths and one namespace per node (nested namespaces). Two nodes: each janus answers on its own
namespace's address with every plugin loaded and serves the web app there; the nodes find each
other through NATS; a room joined through node0 is owned by node0 as node1 sees it, and a phone
calling it through the Kamailio front gets its 200 from node0; a message journaled by node0 is
read back through node1 and is a row of the shared PostgreSQL; both XMPP plugins are connected to
the one Prosody. Then `down`: no process, namespace, veth or bridge is left, and a second `down`
is harmless."""
import asyncio
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid

import pytest

from conftest import BUILD, run
from harness.janus_api import Admin, Connection, Session

TOOL = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tools", "cluster_up.py")
CLUSTER = "janus.plugin.sylk.cluster"
HOST = "10.77.1.1"                          # the cluster's host side (the tool's default subnet)
NODES = {"node0": "10.77.1.11", "node1": "10.77.1.12"}
PLUGINS = ["janus.plugin.sylk.%s" % name for name in
           ("videoroom", "audiomixer", "sip", "msrp", "xmpp", "irc", "cluster", "echo")]
SCENARIO = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sip", "front_call.xml")
ROOM = "try.room"
ACCOUNT = "sip:ann@sylk.test"


def tool(*args, timeout=180):
    return subprocess.run([sys.executable, TOOL, *args], capture_output=True, text=True, timeout=timeout)


def alive(entry):
    """The process pids.json names still runs: its PID with the start time recorded (PIDs wrap
    within seconds on a busy machine: a bare PID may be another test's process by now)."""
    try:
        with open("/proc/%d/stat" % entry["pid"]) as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return False
    return fields[0] != "Z" and int(fields[19]) == entry["started"]  # a zombie has ended


def links():
    return subprocess.run(["ip", "-o", "link", "show"], capture_output=True, text=True).stdout


def sip_message(address, contact_user, text):
    """One MESSAGE from a UDP socket on the host's side to sip:contact_user@address:5060; the final status."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(10)
        sock.bind((HOST, 0))
        local = sock.getsockname()[1]
        body = text.encode()
        request = ("MESSAGE sip:%s@%s:5060 SIP/2.0\r\nVia: SIP/2.0/UDP %s:%d;rport;branch=z9hG4bK%s\r\n"
                   "From: <sip:bob@%s:%d>;tag=%s\r\nTo: <sip:%s@%s>\r\nCall-ID: %s\r\n"
                   "CSeq: 1 MESSAGE\r\nMax-Forwards: 70\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n"
                   % (contact_user, address, HOST, local, uuid.uuid4().hex, HOST, local, uuid.uuid4().hex[:8],
                      contact_user, address, uuid.uuid4().hex, len(body))).encode() + body
        sock.sendto(request, (address, 5060))
        while True:
            status = re.match(rb"SIP/2\.0 (\d{3})", sock.recv(65536))
            if status and int(status.group(1)) >= 200:
                return int(status.group(1))


def print_log_tails(logs, lines=25):
    for name in sorted(os.listdir(logs)) if os.path.isdir(logs) else []:
        with open(os.path.join(logs, name), errors="replace") as log:
            print("--- %s (last %d lines)\n%s" % (name, lines, "".join(log.readlines()[-lines:])))


async def account_handle(session):
    """A guest registration of ACCOUNT on that session's node: (handle, contact user)."""
    handle = await session.attach("janus.plugin.sylk.sip")
    data, _ = await handle.send({"request": "register", "username": ACCOUNT, "type": "guest"})
    return handle, data["result"]["contact_user"]


def test_up_starts_namespaced_nodes_with_every_plugin_and_down_removes_everything():
    if os.geteuid() != 0:
        pytest.fail("the cluster command needs root (the test namespace of a non-root run maps it; PostgreSQL "
                    "must run as another user, which a mapped root cannot switch to)")
    # Under /tmp, searchable by all: PostgreSQL runs as `postgres` and must reach its folder.
    parent = tempfile.mkdtemp(prefix="sylk-cluster-")
    os.chmod(parent, 0o755)
    folder = os.path.join(parent, "cluster")
    processes = []
    try:
        started_at = time.monotonic()
        started = tool("up", "2", "--build", BUILD, "--folder", folder, "--lease-ms", "2000")
        up_seconds = time.monotonic() - started_at
        state = json.load(open(os.path.join(folder, "pids.json"))) if os.path.exists(os.path.join(folder, "pids.json")) else {}
        processes = state.get("processes", [])
        assert started.returncode == 0, started.stdout + started.stderr
        print("up 2 took %.1f s" % up_seconds)
        assert [p["name"] for p in processes] == ["nats", "postgres", "prosody", "node0-namespace", "node0",
                                                  "node1-namespace", "node1", "front"], processes
        assert all(p["started"] is not None and alive(p) for p in processes), processes
        for name, address in NODES.items():
            assert "http://%s:8080/" % address in started.stdout, started.stdout  # announced
            # the node's janus lives in its namespace (the holder's), not in ours
            janus = next(p for p in processes if p["name"] == name)
            holder = next(p for p in processes if p["name"] == name + "-namespace")
            theirs = os.readlink("/proc/%d/ns/net" % janus["pid"])
            assert theirs == holder["netns"] != os.readlink("/proc/self/ns/net"), (theirs, holder)
            # the standard ports on the node's own address: SIP (TCP), MSRP, MSRP over TLS
            for port in (5060, 2855, 2856):
                socket.create_connection((address, port), timeout=5).close()
            # the web app answers on the node's address, from this (the host's) side
            with urllib.request.urlopen("http://%s:8080/room.html" % address, timeout=10) as page:
                assert page.status == 200 and b"<html" in page.read().lower()
        assert "sylkbr" in links() and "sylkn0" in links() and "sylkn1" in links()
        # a second `up` while this one runs is refused, and changes nothing
        again = tool("up", "2", "--build", BUILD, "--folder", folder)
        assert again.returncode != 0 and "already up" in again.stderr, again.stderr

        async def check_nodes():
            answers = {}
            for name, address in NODES.items():
                connection = await Connection.open("ws://%s:8188/" % address)
                try:
                    info = await connection.call({"janus": "info"}, final=("server_info", "error"))
                finally:
                    await connection.close()
                secret = open(os.path.join(folder, name, "admin_secret")).read().strip()
                admin = await Admin.open("ws://%s:7188/" % address, secret)
                try:
                    deadline = time.monotonic() + 30
                    while True:  # the nodes reach NATS and announce themselves; XMPP links come up
                        status = await admin.message_plugin(CLUSTER, {"request": "status"})
                        nodes = await admin.message_plugin(CLUSTER, {"request": "nodes"}) if status.get("ready") else {}
                        xmpp = await admin.message_plugin("janus.plugin.sylk.xmpp", {"request": "status"})
                        link = xmpp.get("status", {}).get("muc", {}).get("link", {})
                        sip_link = xmpp.get("status", {}).get("sip", {}).get("link", {})
                        # one node holds the shared rooms' domain, the other stands by; each
                        # holds its own SIP users' domain
                        if len(nodes.get("nodes", [])) == 2 and (link.get("connected") or link.get("standby")) \
                                and sip_link.get("connected"):
                            break
                        assert time.monotonic() < deadline, (status, nodes, xmpp)
                        await asyncio.sleep(0.1)
                    answers[name] = (info, status, sorted(n["node"] for n in nodes["nodes"]), xmpp)
                finally:
                    await admin.close()
            return answers

        answers = run(check_nodes(), timeout=90)
        holders = [name for name, (_, _, _, xmpp) in answers.items() if xmpp["status"]["muc"]["link"]["connected"]]
        assert len(holders) == 1, {name: a[3]["status"]["muc"]["link"] for name, a in answers.items()}
        for name, (info, status, nodes, xmpp) in answers.items():
            assert sorted(p for p in info["plugins"] if p in PLUGINS) == sorted(PLUGINS), (name, list(info["plugins"]))
            assert status["node"] == name and status["enabled"] and status["nats_connected"], status
            assert nodes == ["node0", "node1"], (name, nodes)
            assert xmpp["status"]["domain"] == "localhost", xmpp

        async def room_and_journal():
            web = await Session.create("ws://%s:8188/" % NODES["node0"])
            reader = await Session.create("ws://%s:8188/" % NODES["node1"])
            try:
                room = await web.attach("janus.plugin.sylk.videoroom")
                joined, _ = await room.send({"request": "join", "ptype": "publisher", "room": ROOM, "display": "Ann"})
                assert joined.get("videoroom") == "joined", joined
                owners = {}
                for name, address in NODES.items():
                    secret = open(os.path.join(folder, name, "admin_secret")).read().strip()
                    admin = await Admin.open("ws://%s:7188/" % address, secret)
                    try:
                        deadline = time.monotonic() + 10
                        while True:  # node0 claims the room on its join or its next lease tick
                            owner = await admin.message_plugin(CLUSTER, {"request": "owner", "room": ROOM})
                            if owner.get("node") == "node0":
                                break
                            assert time.monotonic() < deadline, owner
                            await asyncio.sleep(0.1)
                        owners[name] = owner
                    finally:
                        await admin.close()
                # a message journaled by node0 (answered 200), read through node1's sync
                _, contact = await account_handle(web)
                text = "journaled through node0 %s" % uuid.uuid4().hex[:8]
                assert await asyncio.to_thread(sip_message, NODES["node0"], contact, text) == 200
                device, _ = await account_handle(reader)
                data, _ = await device.send({"request": "sync_conversations"})
                synced = [e["content"] for e in data["result"]["entries"] if e["kind"] == "message"]
                # A phone calls the room through the front (one address for the whole cluster)
                # while Ann is in it on node0, and gets its 200 from node0, whichever node the
                # front tried first (node1 redirects it).
                trace = os.path.join(parent, "phone.log")
                phone = await asyncio.to_thread(
                    subprocess.run, ["sipp", "%s:5060" % HOST, "-sf", SCENARIO, "-m", "1", "-i", HOST, "-p", "0",
                                     "-nostdin", "-timeout", "20s", "-trace_msg", "-message_file", trace,
                                     "-set", "room", ROOM, "-set", "rtpport", "40000"],
                    cwd=parent, capture_output=True, timeout=30)
                sip_trace = open(trace, errors="replace").read() if os.path.exists(trace) else ""
                return owners, text, synced, phone, sip_trace
            finally:
                await reader.close()
                await web.close()

        owners, text, synced, phone, sip_trace = run(room_and_journal(), timeout=120)
        assert owners["node0"]["local"] is True and owners["node1"]["local"] is False, owners
        assert owners["node1"]["ws_url"] == "ws://%s:8188/" % NODES["node0"], owners
        assert text in synced, synced
        rows = subprocess.run(["psql", "-h", os.path.join(folder, "postgres"), "-p", "5432", "-U", "sylk", "-d", "sylk",
                               "-qAt", "-c", "SELECT count(*) FROM message_journal WHERE convert_from(content, 'UTF8') = '%s'"
                               % text], capture_output=True, text=True, timeout=30)
        assert rows.returncode == 0 and rows.stdout.strip() == "1", (rows.stdout, rows.stderr)
        assert phone.returncode == 0, (phone.stderr[-1500:], sip_trace[-3000:])
        answer = re.search(r"SIP/2\.0 200 OK.*?Contact: <sip:try\.room@10\.77\.1\.11:5060.*?\r?\n\r?\n(.*?)\r?\n\r?\n",
                           sip_trace, re.S)
        assert answer, sip_trace
        # the room's RTP is on node0's own address (a phone could not reach the node's loopback)
        assert "c=IN IP4 %s" % NODES["node0"] in answer.group(1), answer.group(1)
    finally:
        if sys.exc_info()[0] is not None:
            print_log_tails(os.path.join(folder, "logs"))  # shown with the failure
        stopped = tool("down", "--folder", folder, timeout=120)
        remaining = sorted(os.listdir(folder)) if os.path.isdir(folder) else None
        node_logs = {name: open(os.path.join(folder, "logs", name + ".log"), errors="replace").read()
                     for name in NODES if os.path.exists(os.path.join(folder, "logs", name + ".log"))}
        shutil.rmtree(parent, ignore_errors=True)
    assert stopped.returncode == 0, stopped.stdout + stopped.stderr
    assert processes and not any(alive(p) for p in processes), processes
    assert remaining == ["logs"], remaining  # the state went, the logs stay
    for name, log in node_logs.items():  # the ASan+UBSan pass: nothing reported, stop included
        assert "ERROR: AddressSanitizer" not in log and "runtime error:" not in log, (name, log[-4000:])
    assert sorted(node_logs) == sorted(NODES), node_logs.keys()
    left = links()
    assert "sylkbr" not in left and "sylkn" not in left, left
    assert "no cluster is up" in tool("down", "--folder", folder).stdout


def test_a_failed_up_stops_what_it_had_started():
    """`up` with a build tree that has no plugins: nats-server, PostgreSQL, Prosody and node0's
    namespace are up when janus_config finds nothing to link; the failed `up` stops them all,
    removes the veth and the bridge and leaves only the logs, and `down` then has nothing to do."""
    parent = tempfile.mkdtemp(prefix="sylk-cluster-")
    os.chmod(parent, 0o755)
    folder, empty_build = os.path.join(parent, "cluster"), os.path.join(parent, "build")
    os.makedirs(empty_build)
    try:
        failed = tool("up", "1", "--build", empty_build, "--folder", folder)
        remaining = sorted(os.listdir(folder))
        logs = sorted(os.listdir(os.path.join(folder, "logs")))
        again = tool("down", "--folder", folder)
    finally:
        shutil.rmtree(parent, ignore_errors=True)
    assert failed.returncode != 0 and "cluster not started" in failed.stderr, (failed.stdout, failed.stderr)
    assert "missing" in failed.stderr and "build first" in failed.stderr, failed.stderr  # janus_config's reason
    stopped = dict(re.findall(r"stopped (\S+) \(pid (\d+)\)", failed.stdout))
    assert sorted(stopped) == ["nats", "node0-namespace", "postgres", "prosody"], failed.stdout
    assert "removed bridge sylkbr" in failed.stdout, failed.stdout
    left = links()
    assert "sylkbr" not in left and "sylkn" not in left, left
    assert remaining == ["logs"], remaining
    assert {"nats-server.log", "postgres.log", "prosody.log"} <= set(logs), logs
    assert "no cluster is up" in again.stdout, again.stdout
