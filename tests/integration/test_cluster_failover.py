"""The room's node dies under the web app (kill -9): a page that had moved to it finds the room
again on a live node and joins it as the same person, within the lease and the page's retries.
nats-server and two janus nodes (harness/cluster_nodes.py), Chromium."""
import json
import os
import signal
import subprocess

import pytest

from conftest import BUILD
from harness.cluster_nodes import ClusterNodes
from harness.processes import script_result

LEASE_MS = 2000
TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(scope="module")
def cluster():
    yield from ClusterNodes(BUILD, ["node0", "node1"], LEASE_MS, ws_port=8320, admin_port=7320, http_port=8420).serve()


def test_a_page_whose_rooms_node_dies_rejoins_on_a_live_node(cluster):
    node0, node1 = cluster.nodes
    script = subprocess.Popen(["node", os.path.join(TOP, "tests", "browser", "cluster_failover_test.mjs"),
                               node0.http_url + "room.html", node1.http_url + "room.html", "crew.failover"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        ready = json.loads(script.stdout.readline() or "{}")
        assert ready.get("ready", {}).get("server") == node0.ws_url, ready  # Bob's page moved to node0
        cluster.killed.add("node0")
        node0.process.send_signal(signal.SIGKILL)
        node0.process.wait()
        script.stdin.write("killed\n")
        script.stdin.flush()
        out, err = script.communicate(timeout=90)
    finally:
        if script.poll() is None:
            script.kill()
            script.wait()
    result = script_result(out, err)
    assert "error" not in result, json.dumps(result, indent=1)
    after = result["after"]
    # Back through node1, which owns the room now; as Bob, a new participant of the room there.
    assert after["server"] == node1.ws_url, result
    assert result["display"] == "Bob" and after["id"] != result["before"]["id"], result
    assert "rejoin" in after["actions"] and "rejoined" in after["actions"], result
    # node0's lease lapses at most a lease after its last renewal; the page retries at 0.5, 1, 2 s...
    assert after["seconds"] < LEASE_MS / 1000 + 6, result
    print("back in the room %.1f s after the kill (lease %d ms)" % (after["seconds"], LEASE_MS))
