"""The network of `./sylk cluster up` (tests/tools/cluster_up.py): one bridge on the host's side
holding the host's address of the cluster's subnet, and one network namespace per node joined to
it by a veth pair, so every node has an address of its own and listens on the standard ports.

A node's namespace is held by a process of its own (`unshare --net -- sleep infinity`), not
named under /run/netns: a named namespace is visible to the whole machine, and two runs (a test
in one network namespace, a user in another, two helpers) would fight over one name, while the
holder's namespace lives exactly as long as the holder and is found by its PID. Its processes
enter it with nsenter. The node's end of the veth is `eth0` inside it; the namespace has no
default route: a node reaches the subnet (the host's services, the other nodes) and nothing else.
"""
import ipaddress
import os
import subprocess
import time


# `ip route` lines that start with a type before the destination
ROUTE_TYPES = {"unicast", "local", "broadcast", "multicast", "anycast", "blackhole", "unreachable", "prohibit",
               "throw", "nat"}


def run(*arguments):
    result = subprocess.run(arguments, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError("%s failed (%d): %s" % (" ".join(arguments), result.returncode, result.stderr.strip()))
    return result.stdout


class ClusterNetwork:
    """subnet: an IPv4 /24 or larger, e.g. 10.77.1.0/24: the host's side is its .1, node i its
    .11 + i. bridge: the bridge's name; node i's veth is `<veth_prefix><i>` on the host's side."""

    def __init__(self, subnet, bridge="sylkbr", veth_prefix="sylkn"):
        self.subnet = ipaddress.ip_network(subnet)
        if self.subnet.version != 4 or self.subnet.prefixlen > 24:
            raise ValueError("the cluster's subnet must be IPv4 with room for 20 nodes (a /24 or larger): %s" % subnet)
        self.bridge = bridge
        self.veth_prefix = veth_prefix

    @property
    def host_address(self):
        return str(self.subnet.network_address + 1)

    def node_address(self, index):
        return str(self.subnet.network_address + 11 + index)

    def veth(self, index):
        return "%s%d" % (self.veth_prefix, index)

    def check_free(self):
        """Refuses a subnet that overlaps an address or a route this host already has (the
        cluster would hide part of a real network) and a bridge name that exists."""
        if link_exists(self.bridge):
            raise RuntimeError("a link named %s exists already (another cluster? `./sylk cluster down`)" % self.bridge)
        for line in run("ip", "-o", "-4", "route", "show", "table", "all").splitlines():
            words = line.split()
            if words and words[0] in ROUTE_TYPES:
                words = words[1:]
            if not words or words[0] == "default":
                continue
            try:
                network = ipaddress.ip_network(words[0], strict=False)
            except ValueError:
                continue
            if network.overlaps(self.subnet):
                raise RuntimeError("%s overlaps %s, which this host already routes (%s): give another with --subnet"
                                   % (self.subnet, network, line.strip()))

    def make_bridge(self):
        run("ip", "link", "add", self.bridge, "type", "bridge", "forward_delay", "0")
        run("ip", "addr", "add", "%s/%d" % (self.host_address, self.subnet.prefixlen), "dev", self.bridge)
        run("ip", "link", "set", self.bridge, "up")

    def remove_bridge(self):
        if link_exists(self.bridge):
            run("ip", "link", "del", self.bridge)

    @staticmethod
    def start_holder():
        """A process in a new network namespace; returns (Popen, the namespace's inode)."""
        ours = os.readlink("/proc/self/ns/net")
        holder = subprocess.Popen(["unshare", "--net", "--", "sleep", "infinity"], start_new_session=True,
                                  stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while True:
            try:
                theirs = os.readlink("/proc/%d/ns/net" % holder.pid)
            except OSError:
                theirs = ours
            if theirs != ours and os.path.basename(os.readlink("/proc/%d/exe" % holder.pid)) == "sleep":
                return holder, theirs
            if holder.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("unshare --net did not make a namespace (exit %s)" % holder.poll())
            time.sleep(0.01)  # polling for unshare to switch, not a wait for readiness

    @staticmethod
    def enter(holder_pid):
        """The command prefix that runs a program inside the holder's namespace."""
        return ["nsenter", "--net=/proc/%d/ns/net" % holder_pid, "--"]

    def join_node(self, index, holder_pid):
        """The node's veth pair: `eth0` with the node's address inside, the host's end on the
        bridge. IPv6 is off inside (nothing here uses it, and a link-local address finishing
        duplicate address detection later is a network change that browsers react to)."""
        inside = self.enter(holder_pid)
        for key in ("net.ipv6.conf.default.disable_ipv6", "net.ipv6.conf.all.disable_ipv6"):
            run(*inside, "sysctl", "-qw", key + "=1")
        run("ip", "link", "add", self.veth(index), "type", "veth", "peer", "name", "eth0", "netns", str(holder_pid))
        run("ip", "link", "set", self.veth(index), "master", self.bridge)
        run("ip", "link", "set", self.veth(index), "up")
        run(*inside, "ip", "link", "set", "lo", "up")
        run(*inside, "ip", "addr", "add", "%s/%d" % (self.node_address(index), self.subnet.prefixlen), "dev", "eth0")
        run(*inside, "ip", "link", "set", "eth0", "up")
        deadline = time.monotonic() + 10
        while not (link_state([], self.veth(index)) == link_state(inside, "eth0") == "UP"):
            if time.monotonic() > deadline:
                raise RuntimeError("the veth of node %d did not come up" % index)
            time.sleep(0.02)  # polling the link state

    def remove_veth(self, index):
        """Deleting one end deletes the pair (the namespace's end too)."""
        if link_exists(self.veth(index)):
            run("ip", "link", "del", self.veth(index))


def link_exists(name):
    return subprocess.run(["ip", "link", "show", "dev", name], capture_output=True).returncode == 0


def link_state(prefix, name):
    """The "state X" word of `ip -o link show` (sysfs would show the mounter's namespace)."""
    words = subprocess.run(prefix + ["ip", "-o", "link", "show", "dev", name], capture_output=True, text=True).stdout.split()
    return words[words.index("state") + 1] if "state" in words else None
