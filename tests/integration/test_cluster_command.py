"""`./sylk cluster up N` / `down` (tests/tools/cluster_up.py, which ./sylk runs after building):
nats-server, N janus nodes that find each other and Kamailio in front of them (a sipp phone calls
a room through it), then stopped by PID, nothing left behind."""
import asyncio
import json
import os
import re
import subprocess
import sys
import time

from conftest import BUILD, run
from harness.janus_api import Admin

TOOL = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tools", "cluster_up.py")
CLUSTER = "janus.plugin.sylk.cluster"
PORTS = {"--nats-port": 14222, "--ws-port": 18188, "--admin-port": 17188, "--http-port": 18080,
         "--sip-port": 15070, "--front-port": 15060}
SCENARIO = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sip", "front_call.xml")


def tool(*args):
    return subprocess.run([sys.executable, TOOL, *args], capture_output=True, text=True, timeout=90)


def alive(pid):
    try:
        with open("/proc/%d/status" % pid) as status:
            return "\nState:\tZ" not in status.read()  # a zombie has ended
    except OSError:
        return False


def test_up_starts_a_cluster_whose_nodes_find_each_other_and_down_stops_it(tmp_path):
    folder = str(tmp_path / "cluster")
    ports = [str(item) for pair in PORTS.items() for item in pair]
    started = tool("up", "2", "--build", BUILD, "--folder", folder, "--lease-ms", "2000", *ports)
    try:
        assert started.returncode == 0, started.stdout + started.stderr
        processes = json.load(open(os.path.join(folder, "pids.json")))["processes"]
        assert [p["name"] for p in processes] == ["nats", "node0", "node1", "front"], processes
        assert all(alive(p["pid"]) for p in processes), processes
        assert "http://127.0.0.1:18081/" in started.stdout  # node1's web app is announced
        # a second `up` while this one runs is refused, and changes nothing
        again = tool("up", "2", "--build", BUILD, "--folder", folder, *ports)
        assert again.returncode != 0 and "already up" in again.stderr, again.stderr

        async def views():
            answers = {}
            for index in range(2):
                secret = open(os.path.join(folder, "node%d" % index, "conf", "janus.jcfg")).read()
                secret = secret.split('admin_secret = "', 1)[1].split('"', 1)[0]
                admin = await Admin.open("ws://127.0.0.1:%d/" % (PORTS["--admin-port"] + index), secret)
                try:
                    deadline = time.monotonic() + 20
                    while True:  # the nodes reach NATS and announce themselves on their first ticks
                        status = await admin.message_plugin(CLUSTER, {"request": "status"})
                        nodes = await admin.message_plugin(CLUSTER, {"request": "nodes"}) if status.get("ready") else {}
                        if len(nodes.get("nodes", [])) == 2:
                            break
                        assert time.monotonic() < deadline, (status, nodes)
                        await asyncio.sleep(0.1)
                    answers["node%d" % index] = (status, sorted(n["node"] for n in nodes["nodes"]))
                finally:
                    await admin.close()
            return answers

        answers = run(views(), timeout=60)
        for name, (status, nodes) in answers.items():
            assert status["node"] == name and status["enabled"] and status["nats_connected"], status
            assert nodes == ["node0", "node1"], (name, nodes)
        # A phone calls a room through the front (one address for the whole cluster) and gets
        # its 200 from one of the nodes' SIP plugins.
        trace = str(tmp_path / "phone.log")
        phone = subprocess.run(["sipp", "127.0.0.1:%d" % PORTS["--front-port"], "-sf", SCENARIO, "-m", "1",
                                "-i", "127.0.0.1", "-p", "0", "-nostdin", "-timeout", "20s", "-trace_msg",
                                "-message_file", trace, "-set", "room", "try.room", "-set", "rtpport", "40000"],
                               cwd=str(tmp_path), capture_output=True, timeout=30)
        text = open(trace, errors="replace").read() if os.path.exists(trace) else ""
        assert phone.returncode == 0, (phone.stderr[-1500:], text[-3000:])
        assert re.search(r"SIP/2\.0 200 OK.*?Contact: <sip:try\.room@127\.0\.0\.1:1507[01]", text, re.S), text
    finally:
        stopped = tool("down", "--folder", folder)
    assert stopped.returncode == 0, stopped.stdout + stopped.stderr
    assert not any(alive(p["pid"]) for p in processes), processes
    assert not os.path.exists(os.path.join(folder, "pids.json"))
    assert "no cluster is up" in tool("down", "--folder", folder).stdout
