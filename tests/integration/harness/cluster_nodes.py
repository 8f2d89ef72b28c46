"""A cluster for a test: one nats-server with JetStream and janus nodes that are its members
(janus.plugin.sylk.cluster), each with its own ports and folder, started in parallel and stopped
by PID. Node i listens on base ports + i. Nodes named in `relayed` reach NATS through a
BlackholeRelay the test can cut (a partition), or with `lossy` a LossyRelay that drops the
messages the test names. `node_options` adds cluster settings per node
(test_cluster_audio gives each node its own media_ip on loopback)."""
import os
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor

import pytest

from harness.janus_process import JanusProcess, sanitizer_env
from harness.nats_server import BlackholeRelay, LossyRelay, NatsServer

# Only what the cluster tests need by default: nodes in one namespace must not fight over the
# fixed SIP/MSRP/XMPP/IRC ports.
WITHOUT = ["audiomixer", "sip", "msrp", "xmpp", "irc"]


def start_nodes(nodes, timeout=40):
    """Starts janus nodes in parallel (each start waits for its node's API)."""
    with ThreadPoolExecutor(max(1, len(nodes))) as pool:
        list(pool.map(lambda node: node.start(timeout=timeout), nodes))


def stop_nodes(nodes):
    """Stops janus nodes in parallel: a node cut off from NATS waits out its timeouts."""
    with ThreadPoolExecutor(max(1, len(nodes))) as pool:
        list(pool.map(lambda node: node.stop(), nodes))


class ClusterNodes:
    def __init__(self, build, names, lease_ms, ws_port=8300, admin_port=7300, http_port=8400,
                 relayed=(), without_plugins=WITHOUT, options=None, node_options=None, lossy=False,
                 run_options=None):
        self.build = build
        self.names = list(names)
        self.lease_ms = lease_ms
        self.ports = (ws_port, admin_port, http_port)
        self.relayed = set(relayed)
        self.lossy = lossy  # the relayed nodes' relay drops chosen messages instead (LossyRelay)
        self.run_options = dict(run_options or {})  # more make_run_dir arguments for every node (xmpp_options)
        self.without_plugins = without_plugins
        self.options = dict(options or {})  # more janus.plugin.sylk.cluster settings, for every node
        self.node_options = node_options or {}  # name -> more cluster settings (e.g. media_ip)
        self.folder = tempfile.mkdtemp(prefix="sylk-cluster-")
        self.nats = NatsServer(os.path.join(self.folder, "nats"))
        self.relay = None
        self.nodes = []
        self.killed = set()  # nodes the test killed on purpose

    def start(self):
        self.nats.start()
        if self.relayed:
            self.relay = (LossyRelay if self.lossy else BlackholeRelay)(self.nats.port)
        for index, name in enumerate(self.names):
            url = self.relay.url if name in self.relayed else self.nats.url
            ws_port, admin_port, http_port = (port + index for port in self.ports)
            options = {"nats": url, "node": name, "lease_ms": self.lease_ms,
                       "ws_url": "ws://127.0.0.1:%d/" % ws_port, "http_url": "http://127.0.0.1:%d/" % http_port}
            options.update(self.options)
            options.update(self.node_options.get(name, {}))
            self.nodes.append(JanusProcess(
                self.build, os.path.join(self.folder, name), ws_port=ws_port, admin_port=admin_port,
                http_port=http_port, env=sanitizer_env(), test_plugins=False,
                run_options={"without_plugins": self.without_plugins, "cluster_options": options, **self.run_options}))
        start_nodes(self.nodes)
        return self

    def node(self, name):
        return self.nodes[self.names.index(name)]

    def dead_unexpectedly(self):
        """(name, node) of the first node the test did not kill that is not alive (a sanitizer
        report or a crash ends janus), or None."""
        for name, node in zip(self.names, self.nodes):
            if name not in self.killed and not node.alive():
                return name, node
        return None

    def serve(self):
        """A module fixture's body (`yield from ClusterNodes(...).serve()`): starts the nodes,
        yields them, fails the test when a node it did not kill died meanwhile (a sanitizer report
        or a crash), and stops everything whatever happened."""
        try:
            yield self.start()
            dead = self.dead_unexpectedly()
            if dead:
                pytest.fail("%s died during the test:\n%s" % (dead[0], dead[1].log_tail()))
        finally:
            self.stop()

    def stop(self):
        stop_nodes(self.nodes)
        if self.relay:
            self.relay.close()
        self.nats.stop()
        shutil.rmtree(self.folder, ignore_errors=True)
