#!/usr/bin/python3
"""A local cluster to try (`./sylk cluster up N` / `./sylk cluster down`; needs root: ./sylk
asks sudo). Every janus node runs in a network namespace of its own with an address of its own
on one bridge (default subnet 10.77.1.0/24: the host's side is 10.77.1.1, node i 10.77.1.(11+i)),
so each node has ALL the plugins (video room, audio mixer, SIP, MSRP, XMPP, IRC, cluster, echo)
on the standard ports, the web app on :8080, the Janus API on :8188 and the admin API on :7188
of its address. On the host's side of the bridge (10.77.1.1): one nats-server with JetStream
(:4222), one PostgreSQL (:5432, and a unix socket in its folder) holding the message journal of
every node, one Prosody (c2s :5222, components :5347: the rooms' domain, which one node holds at a time, and
each node's SIP users' domain), and
Kamailio (conf/kamailio-cluster-front.cfg.sample as shipped) in front of the nodes' SIP on UDP
:5060. docs/cluster.md ("Trying it") says why.

What was started is written to <folder>/pids.json as it starts; `down` (also run by a failed
`up`) stops exactly those processes, by PID, checking first that each PID is still the program
it started, deletes the veths and the bridge it made (the namespaces end with their holder
processes) and the folder's state, keeping <folder>/logs. It is safe to run twice."""
import argparse
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "integration"))
import janus_config  # noqa: E402
from cluster_network import ClusterNetwork, link_exists  # noqa: E402
from cluster_postgres import PORT as POSTGRES_PORT, ClusterPostgres  # noqa: E402
from harness.prosody import Prosody  # noqa: E402

FRONT_SAMPLE = os.path.join(os.path.dirname(os.path.dirname(HERE)), "conf", "kamailio-cluster-front.cfg.sample")
NATS_PORT, SIP_PORT, FRONT_PORT = 4222, 5060, 5060
WS_PORT, ADMIN_PORT, HTTP_PORT = 8188, 7188, 8080
MSRP_PORT, MSRP_TLS_PORT = 2855, 2856
XMPP_DOMAIN, XMPP_USERS = "localhost", ("alice", "bob")
# Stopped in this order: the front and the nodes first (the nodes give their rooms up through
# NATS and close their journal connections), the services they use next, the namespaces last.
STOP_ORDER = ["kamailio", "janus", "prosody", "postgres", "nats-server", "sleep"]


def nats_server_binary():
    return shutil.which("nats-server") or "/usr/sbin/nats-server"


def wait_for_tcp(address, port, process, what, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection((address, port), timeout=0.5).close()
            return
        except OSError:
            if process is not None and process.poll() is not None:
                raise RuntimeError("%s ended at start (exit %s)" % (what, process.returncode))
            time.sleep(0.05)  # polling for the listener
    raise RuntimeError("%s did not listen on %s:%d within %.0f s" % (what, address, port, timeout))


def wait_for_udp(address, port, process, what, timeout=15.0):
    """Until something is bound to UDP address:port (a bind of ours fails)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("%s ended at start (exit %s)" % (what, process.returncode))
        probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            probe.bind((address, port))
        except OSError:
            return
        finally:
            probe.close()
        time.sleep(0.05)  # polling for the listener
    raise RuntimeError("%s did not listen on UDP %s:%d within %.0f s" % (what, address, port, timeout))


def janus_env():
    """A build made with ASan+UBSan (./sylk test's second pass sets SYLK_JANUS_SANITIZERS to the
    runtimes) loads only into a janus that preloads them; other builds need nothing."""
    env = dict(os.environ)
    if os.environ.get("SYLK_JANUS_SANITIZERS"):
        env.update({"LD_PRELOAD": os.environ["SYLK_JANUS_SANITIZERS"],
                    "ASAN_OPTIONS": "detect_leaks=0:abort_on_error=1",
                    "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1"})
    return env


def write_secret(path, text):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(text)


def front_config(folder, listen, node_sips):
    """The shipped sample, with this cluster's address and node list defined before it."""
    nodes_list = os.path.join(folder, "front-dispatcher.list")
    with open(nodes_list, "w") as out:
        out.writelines("1 %s\n" % uri for uri in node_sips)
    config = os.path.join(folder, "front.cfg")
    with open(config, "w") as out:
        out.write('#!define FRONT_LISTEN udp:%s\n#!define FRONT_DISPATCHER_LIST "%s"\n'
                  'include_file "%s"\n' % (listen, nodes_list, FRONT_SAMPLE))
    check = subprocess.run(["kamailio", "-c", "-f", config], capture_output=True, text=True)
    if check.returncode != 0:
        raise RuntimeError("kamailio refuses the front's config:\n%s" % check.stderr[-2000:])
    return config


class Cluster:
    """One `up`: starts things in order and records each in pids.json the moment it exists."""

    def __init__(self, args):
        self.args = args
        self.folder = os.path.abspath(args.folder)
        self.logs = os.path.join(self.folder, "logs")
        self.network = ClusterNetwork(args.subnet)
        self.state = {"folder": self.folder, "subnet": str(self.network.subnet), "bridge": None, "veths": [],
                      "processes": []}

    def save(self):
        with open(os.path.join(self.folder, "pids.json"), "w") as out:
            json.dump(self.state, out, indent=1)

    def record(self, name, program, pid, **extra):
        self.state["processes"].append(dict(name=name, program=program, pid=pid, started=start_time(pid), **extra))
        self.save()

    def start(self, name, command, env=None):
        log = open(os.path.join(self.logs, name + ".log"), "w")
        # A session of its own: Ctrl-C in the shell that ran `up` does not reach the cluster.
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
                                   start_new_session=True)
        log.close()
        return process

    def up(self):
        args, network = self.args, self.network
        host = network.host_address
        network.check_free()
        shutil.rmtree(self.folder, ignore_errors=True)
        os.makedirs(self.logs)
        os.chmod(self.folder, 0o755)
        self.save()  # from here on `down` knows what to undo
        self.state["bridge"] = network.bridge
        self.save()
        network.make_bridge()

        nats = self.start("nats-server", [nats_server_binary(), "-js", "-a", host, "-p", str(NATS_PORT),
                                          "-sd", os.path.join(self.folder, "nats-store")])
        self.record("nats", "nats-server", nats.pid)

        postgres = ClusterPostgres(os.path.join(self.folder, "postgres"), host, network.subnet,
                                   os.path.join(self.logs, "postgres.log"))
        postgres.start(lambda pid: self.record("postgres", "postgres", pid, data=postgres.data))

        # Every node names the same rooms' domain: Prosody admits one connection, the other nodes
        # stand by and one takes it over when the holder dies, so users have one address for
        # every room. SIP users' domains stay one per node: a SIP user's message to XMPP leaves
        # from the node it reached, which a standby could not do (docs/cluster.md, "XMPP in a
        # cluster").
        rooms_domain = "conference." + XMPP_DOMAIN
        component_domains = [rooms_domain] + ["sip.node%d.%s" % (index, XMPP_DOMAIN) for index in range(args.nodes)]
        prosody = Prosody(folder=os.path.join(self.folder, "prosody"), host=host, domain=XMPP_DOMAIN,
                          users={user: secrets.token_urlsafe(9) for user in XMPP_USERS},
                          component_domains=component_domains)
        os.makedirs(prosody.folder, mode=0o700)
        prosody.prepare()
        prosody_process = self.start("prosody", prosody.command())
        self.record("prosody", "prosody", prosody_process.pid)
        write_secret(os.path.join(self.folder, "xmpp-users"),
                     "".join("%s %s\n" % (prosody.jid(user), password) for user, password in prosody.users.items()))

        wait_for_tcp(host, NATS_PORT, nats, "nats-server")
        wait_for_tcp(host, prosody.component_port, prosody_process, "prosody")

        nodes = []
        for index in range(args.nodes):
            name, address = "node%d" % index, network.node_address(index)
            holder, namespace = network.start_holder()
            self.record(name + "-namespace", "sleep", holder.pid, netns=namespace)
            self.state["veths"].append(network.veth(index))
            self.save()
            network.join_node(index, holder.pid)
            run_dir = os.path.join(self.folder, name)
            secret = janus_config.make_run_dir(
                run_dir, args.build, WS_PORT, ADMIN_PORT, HTTP_PORT, listen_ip=address, ice_interfaces="eth0",
                mixer_rtp_ip=address,  # the phones' RTP (the SIP gateway's follows sip_ip)
                sip_options={"sip_ip": address, "sip_port": SIP_PORT, "journal_backend": "postgresql",
                             "journal_postgres": postgres.conninfo()},
                sip_tls_port=0, sip_file_mode=0o600,
                # MSRP over TLS with the self-signed pair make_run_dir makes for SIP (peers check
                # MSRP certificates by the SDP's a=fingerprint, so self-signed does)
                msrp_options={"port": MSRP_PORT, "tls_port": MSRP_TLS_PORT,
                              "tls_certificate": os.path.join(self.folder, "sip-tls", "certificate.pem"),
                              "tls_key": os.path.join(self.folder, "sip-tls", "key.pem")},
                xmpp_options={"server_host": host, "server_port": prosody.component_port, "domain": XMPP_DOMAIN,
                              "muc_domain": rooms_domain, "sip_domain": component_domains[1 + index],
                              "component_secret": prosody.secret, "moderators": prosody.jid("alice")},
                cluster_options={"nats": "nats://%s:%d" % (host, NATS_PORT), "node": name,
                                 "lease_ms": args.lease_ms,
                                 "ws_url": "ws://%s:%d/" % (address, WS_PORT),
                                 "http_url": "http://%s:%d/" % (address, HTTP_PORT),
                                 "sip_uri": "sip:%s:%d" % (address, SIP_PORT)})
            write_secret(os.path.join(run_dir, "admin_secret"), secret + "\n")
            process = self.start(name, network.enter(holder.pid) + ["janus", "-F", os.path.join(run_dir, "conf"), "-o"],
                                 env=janus_env())
            # until nsenter has exec'd janus, the PID's program is nsenter
            self.record(name, "janus", process.pid, launcher="nsenter", namespace_holder=holder.pid)
            nodes.append((name, address, process, holder.pid))
        for name, address, process, _ in nodes:
            wait_for_tcp(address, WS_PORT, process, "janus %s" % name, timeout=90)

        config = front_config(self.folder, "%s:%d" % (host, FRONT_PORT),
                              ["sip:%s:%d" % (address, SIP_PORT) for _, address, _, _ in nodes])
        front = self.start("kamailio", ["kamailio", "-DD", "-E", "-f", config, "-Y", self.folder, "-m", "32", "-M", "8"])
        self.record("front", "kamailio", front.pid)
        wait_for_udp(host, FRONT_PORT, front, "kamailio")
        self.announce(nodes, prosody)

    def announce(self, nodes, prosody):
        host, folder = self.network.host_address, self.folder
        lines = ["", "  A Sylk cluster of %d node%s is up: network %s on bridge %s (this host is %s), lease %d ms."
                 % (len(nodes), "" if len(nodes) == 1 else "s", self.network.subnet, self.network.bridge, host,
                    self.args.lease_ms)]
        for index, (name, address, _, holder) in enumerate(nodes):
            lines += ["  %s  (its namespace: nsenter --net=/proc/%d/ns/net)" % (name, holder),
                      "    web app    http://%s:%d/   (conference /room.html, SIP phone /phone.html)" % (address, HTTP_PORT),
                      "    Janus API  ws://%s:%d/   admin ws://%s:%d/ (secret in %s)"
                      % (address, WS_PORT, address, ADMIN_PORT, os.path.join(folder, name, "admin_secret")),
                      "    SIP        sip:%s:%d (UDP, TCP)   MSRP %s:%d (TLS :%d)   SIP users to XMPP user\\40host@%s"
                      % (address, SIP_PORT, address, MSRP_PORT, MSRP_TLS_PORT, prosody.component_domains[1 + index]),
                      "    log        %s" % os.path.join(self.logs, name + ".log")]
        lines += ["  front      Kamailio on sip:%s:%d (UDP): phones call sip:<room>@%s and reach the room's node;"
                  % (host, FRONT_PORT, host),
                  "             SIP accounts registered with proxy sip:%s:%d get their calls on their node" % (host, FRONT_PORT),
                  "  NATS       nats://%s:%d (JetStream)" % (host, NATS_PORT),
                  "  PostgreSQL %s:%d and %s, database sylk, user sylk: every node's message journal"
                  % (host, POSTGRES_PORT, os.path.join(folder, "postgres")),
                  "  XMPP       Prosody on %s:5222 (domain %s, no TLS: a private link); users and passwords in %s"
                  % (host, XMPP_DOMAIN, os.path.join(folder, "xmpp-users")),
                  "             rooms ROOM@%s: one node holds the domain, another takes it over" % prosody.component_domains[0],
                  "  logs       %s" % self.logs,
                  "  Open one room's link on two nodes: both pages meet on the room's node and chat crosses",
                  "  the bus. Browsers give cameras and microphones to secure origins only: start Chromium with",
                  "  --unsafely-treat-insecure-origin-as-secure=%s"
                  % ",".join("http://%s:%d" % (address, HTTP_PORT) for _, address, _, _ in nodes),
                  "  (Firefox: media.devices.insecure.enabled and media.getusermedia.insecure.enabled in about:config).",
                  "  `./sylk cluster down` stops it all.", ""]
        print("\n".join(lines))


def up(args):
    folder = os.path.abspath(args.folder)
    if os.path.exists(os.path.join(folder, "pids.json")):
        sys.exit("a cluster is already up in %s: `./sylk cluster down` first" % folder)
    if os.geteuid() != 0:
        sys.exit("`cluster up` makes network namespaces, a bridge and veths: it needs root (./sylk uses sudo)")
    cluster = Cluster(args)
    try:
        cluster.up()
    except BaseException as error:  # SystemExit too: janus_config exits on a build without a plugin
        print("cluster not started: %s\nstopping what was started" % (error or type(error).__name__), file=sys.stderr)
        down(args)
        sys.exit(1)


def start_time(pid):
    """When the process started (clock ticks since boot), or None when it is gone: with its PID
    it names one process, even on a machine whose PIDs wrap within seconds (pid_max 32768)."""
    try:
        with open("/proc/%d/stat" % pid) as stat:
            return int(stat.read().rsplit(")", 1)[1].split()[19])
    except (OSError, ValueError, IndexError):
        return None


def is_program(pid, programs, netns=None, started=None):
    if started is not None and start_time(pid) != started:
        return False  # another process has this PID now
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as cmdline:
            argv = [word.decode(errors="replace") for word in cmdline.read().split(b"\0")[:2]]
        with open("/proc/%d/stat" % pid) as stat:
            if stat.read().rsplit(")", 1)[1].split()[0] == "Z":
                return False  # ended, not reaped yet
        if netns is not None and os.readlink("/proc/%d/ns/net" % pid) != netns:
            return False
    except OSError:
        return False
    # the program, or the script an interpreter runs (prosody is `lua5.4 /usr/bin/prosody`)
    return any(os.path.basename(word) in programs for word in argv)


def stop_process(entry):
    pid, program, netns, started = entry["pid"], entry["program"], entry.get("netns"), entry.get("started")
    programs = [program] + ([entry["launcher"]] if entry.get("launcher") else [])
    if not is_program(pid, programs, netns, started):
        return False  # gone already, or the PID is another program's now
    # PostgreSQL: SIGINT is its fast shutdown (SIGTERM waits for the clients to leave).
    os.kill(pid, signal.SIGINT if program == "postgres" else signal.SIGTERM)
    deadline = time.monotonic() + 15
    while is_program(pid, programs, netns, started) and time.monotonic() < deadline:
        try:
            if os.waitpid(pid, os.WNOHANG)[0]:
                break  # our own child (up and down in one process): reaped
        except ChildProcessError:
            pass  # started by an earlier `up`: not ours to reap
        time.sleep(0.05)  # waiting for it to end
    if is_program(pid, programs, netns, started):
        os.kill(pid, signal.SIGKILL)
    return True


def down(args):
    folder = os.path.abspath(args.folder)
    path = os.path.join(folder, "pids.json")
    if not os.path.exists(path):
        print("no cluster is up in %s" % folder)
        return
    with open(path) as source:
        state = json.load(source)
    processes = sorted(state["processes"], key=lambda p: STOP_ORDER.index(p["program"]) if p["program"] in STOP_ORDER
                       else len(STOP_ORDER))
    network = ClusterNetwork(state.get("subnet", "10.77.1.0/24"), bridge=state.get("bridge") or "sylkbr")
    for entry in processes:
        if entry["program"] == "sleep":  # the namespaces: their veths go first, then the holders
            for veth in state.get("veths", []):
                if link_exists(veth):
                    subprocess.run(["ip", "link", "del", veth], capture_output=True)
        if stop_process(entry):
            print("stopped %s (pid %d)" % (entry["name"], entry["pid"]))
    for veth in state.get("veths", []):  # when no holder was recorded
        if link_exists(veth):
            subprocess.run(["ip", "link", "del", veth], capture_output=True)
    if state.get("bridge") and link_exists(network.bridge):
        network.remove_bridge()
        print("removed bridge %s" % network.bridge)
    # The state (data, stores, configs with secrets) goes; the logs stay for a look afterwards.
    for name in os.listdir(folder):
        if name not in ("logs", "pids.json"):
            target = os.path.join(folder, name)
            shutil.rmtree(target) if os.path.isdir(target) and not os.path.islink(target) else os.remove(target)
    os.remove(path)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    start_parser = sub.add_parser("up", help="start the cluster")
    start_parser.add_argument("nodes", type=int, help="how many janus nodes (1-20)")
    start_parser.add_argument("--build", required=True, help="configured and built tree")
    start_parser.add_argument("--folder", required=True, help="the cluster's folder (replaced)")
    start_parser.add_argument("--lease-ms", type=int, default=5000)
    start_parser.add_argument("--subnet", default="10.77.1.0/24",
                              help="the cluster's IPv4 network (a /24 or larger; docs/cluster.md says why this one)")
    stop_parser = sub.add_parser("down", help="stop what `up` started")
    stop_parser.add_argument("--folder", required=True)
    args = parser.parse_args()
    if args.command == "up":
        if not 1 <= args.nodes <= 20:
            parser.error("between 1 and 20 nodes")
        up(args)
    else:
        down(args)


if __name__ == "__main__":
    main()
