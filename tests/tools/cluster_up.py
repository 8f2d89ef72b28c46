#!/usr/bin/python3
"""A local cluster to try (`./sylk cluster up N` / `./sylk cluster down`): one nats-server with
JetStream, N janus nodes on loopback, each with its own ports, folder and log, all of them nodes
of one cluster (janus.plugin.sylk.cluster), and Kamailio in front of their SIP plugins
(conf/kamailio-cluster-front.cfg.sample as shipped), so phones call any room, and web users
register their SIP accounts, through one address. What was started is written to
<folder>/pids.json; `down` stops exactly those processes, by PID, and checks first that each PID
is still the program it started (a PID can be reused after a reboot).

Node i listens on ws 8188+i, admin 7188+i, http 8080+i (the web app), SIP (UDP and TCP) 5070+i;
the front on UDP 5060. Only node0 loads the MSRP, XMPP and IRC plugins: they listen on fixed
ports, which N nodes on one host cannot share (docs/cluster.md). SIP over TLS is off (the front
speaks UDP). The room page opened on any node goes to the room's node by itself."""
import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import janus_config  # noqa: E402

FIXED_PORT_PLUGINS = ["msrp", "xmpp", "irc"]
FRONT_SAMPLE = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                            "conf", "kamailio-cluster-front.cfg.sample")


def nats_server_binary():
    return shutil.which("nats-server") or "/usr/sbin/nats-server"


def wait_for_port(port, process, what, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            if process.poll() is not None:
                raise RuntimeError("%s ended at start (exit %s)" % (what, process.returncode))
            time.sleep(0.05)  # polling for the listener
    raise RuntimeError("%s did not listen on port %d within %.0f s" % (what, port, timeout))


def janus_env():
    """A build made with ASan+UBSan (./sylk test's second pass sets SYLK_JANUS_SANITIZERS to the
    runtimes) loads only into a janus that preloads them; other builds need nothing."""
    env = dict(os.environ)
    if os.environ.get("SYLK_JANUS_SANITIZERS"):
        env.update({"LD_PRELOAD": os.environ["SYLK_JANUS_SANITIZERS"],
                    "ASAN_OPTIONS": "detect_leaks=0:abort_on_error=1",
                    "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1"})
    return env


def wait_for_udp_port(port, process, what, timeout=15.0):
    """Until something is bound to UDP 127.0.0.1:port (a bind of ours fails)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("%s ended at start (exit %s)" % (what, process.returncode))
        probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return
        finally:
            probe.close()
        time.sleep(0.05)  # polling for the listener
    raise RuntimeError("%s did not listen on UDP port %d within %.0f s" % (what, port, timeout))


def front_config(folder, port, sip_ports):
    """The shipped sample, with this cluster's address and node list defined before it."""
    nodes_list = os.path.join(folder, "front-dispatcher.list")
    with open(nodes_list, "w") as out:
        out.writelines("1 sip:127.0.0.1:%d\n" % sip_port for sip_port in sip_ports)
    config = os.path.join(folder, "front.cfg")
    with open(config, "w") as out:
        out.write('#!define FRONT_LISTEN udp:127.0.0.1:%d\n#!define FRONT_DISPATCHER_LIST "%s"\n'
                  'include_file "%s"\n' % (port, nodes_list, FRONT_SAMPLE))
    check = subprocess.run(["kamailio", "-c", "-f", config], capture_output=True, text=True)
    if check.returncode != 0:
        raise RuntimeError("kamailio refuses the front's config:\n%s" % check.stderr[-2000:])
    return config


def start(command, log_path, env=None):
    log = open(log_path, "w")
    # A session of its own: Ctrl-C in the shell that ran `up` does not reach the cluster.
    return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)


def up(args):
    folder = os.path.abspath(args.folder)
    if os.path.exists(os.path.join(folder, "pids.json")):
        sys.exit("a cluster is already up in %s: `./sylk cluster down` first" % folder)
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder)
    started = {"folder": folder, "processes": []}
    nats_url = "nats://127.0.0.1:%d" % args.nats_port

    def record(name, program, process):
        started["processes"].append({"name": name, "program": program, "pid": process.pid})
        with open(os.path.join(folder, "pids.json"), "w") as out:
            json.dump(started, out, indent=1)

    try:
        nats = start([nats_server_binary(), "-js", "-a", "127.0.0.1", "-p", str(args.nats_port),
                      "-sd", os.path.join(folder, "nats-store")], os.path.join(folder, "nats-server.log"))
        record("nats", "nats-server", nats)
        wait_for_port(args.nats_port, nats, "nats-server")
        nodes = []
        for index in range(args.nodes):
            name = "node%d" % index
            ws_port, admin_port, http_port = args.ws_port + index, args.admin_port + index, args.http_port + index
            run_dir = os.path.join(folder, name)
            secret = janus_config.make_run_dir(
                run_dir, args.build, ws_port, admin_port, http_port,
                without_plugins=FIXED_PORT_PLUGINS if index else (),
                sip_options={"sip_port": args.sip_port + index}, sip_tls_port=0,
                cluster_options={"nats": nats_url, "node": name, "lease_ms": args.lease_ms,
                                 "ws_url": "ws://127.0.0.1:%d/" % ws_port,
                                 "http_url": "http://127.0.0.1:%d/" % http_port,
                                 "sip_uri": "sip:127.0.0.1:%d" % (args.sip_port + index)})
            process = start(["janus", "-F", os.path.join(run_dir, "conf"), "-o"], os.path.join(run_dir, "janus.log"),
                            env=janus_env())
            record(name, "janus", process)
            nodes.append((name, process, ws_port, admin_port, http_port, secret))
        for name, process, ws_port, *_ in nodes:
            wait_for_port(ws_port, process, "janus %s" % name)
        config = front_config(folder, args.front_port, [args.sip_port + i for i in range(args.nodes)])
        front = start(["kamailio", "-DD", "-E", "-f", config, "-Y", folder, "-m", "32", "-M", "8"],
                      os.path.join(folder, "kamailio.log"))
        record("front", "kamailio", front)
        wait_for_udp_port(args.front_port, front, "kamailio")
    except Exception as error:
        down(args)
        sys.exit("cluster not started: %s" % error)
    print("\n  A Sylk cluster of %d nodes is up (NATS %s, lease %d ms; folder %s)." %
          (args.nodes, nats_url, args.lease_ms, folder))
    for index, (name, process, ws_port, admin_port, http_port, secret) in enumerate(nodes):
        print("    %s: web app http://127.0.0.1:%d/  Janus API ws://127.0.0.1:%d/  admin ws://127.0.0.1:%d/ "
              "(secret %s)  SIP 127.0.0.1:%d  log %s" % (name, http_port, ws_port, admin_port, secret,
                                                         args.sip_port + index, os.path.join(folder, name, "janus.log")))
    print("    front: Kamailio on sip:127.0.0.1:%d (UDP)  log %s" % (args.front_port, os.path.join(folder, "kamailio.log")))
    print("  Open one room's link on two nodes: both pages meet on the room's node. Phones call\n"
          "  sip:<room>@127.0.0.1:%d and reach the room's node; SIP accounts registered with proxy\n"
          "  sip:127.0.0.1:%d get their calls on the node that registered them.\n"
          "  `./sylk cluster down` stops it.\n" % (args.front_port, args.front_port))


def is_program(pid, program):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as cmdline:
            argv0 = cmdline.read().split(b"\0")[0].decode(errors="replace")
    except OSError:
        return False
    return os.path.basename(argv0) == program


def down(args):
    folder = os.path.abspath(args.folder)
    path = os.path.join(folder, "pids.json")
    if not os.path.exists(path):
        print("no cluster is up in %s" % folder)
        return
    with open(path) as source:
        processes = json.load(source)["processes"]
    # The front and the nodes first (they give their rooms up through NATS), NATS last.
    for entry in sorted(processes, key=lambda p: p["program"] == "nats-server"):
        pid = entry["pid"]
        if not is_program(pid, entry["program"]):
            continue  # gone already, or the PID is another program's now
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while is_program(pid, entry["program"]) and time.monotonic() < deadline:
            try:
                if os.waitpid(pid, os.WNOHANG)[0]:
                    break  # our own child (up and down in one process): reaped
            except ChildProcessError:
                pass  # started by an earlier `up`: not ours to reap
            time.sleep(0.05)  # waiting for it to end
        if is_program(pid, entry["program"]):
            os.kill(pid, signal.SIGKILL)
        print("stopped %s (pid %d)" % (entry["name"], pid))
    os.remove(path)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    start_parser = sub.add_parser("up", help="start nats-server and N janus nodes")
    start_parser.add_argument("nodes", type=int, help="how many janus nodes (1-20)")
    start_parser.add_argument("--build", required=True, help="configured and built tree")
    start_parser.add_argument("--folder", required=True, help="the cluster's folder (replaced)")
    start_parser.add_argument("--lease-ms", type=int, default=5000)
    start_parser.add_argument("--nats-port", type=int, default=4222)
    start_parser.add_argument("--ws-port", type=int, default=8188, help="node0's; node i takes this + i")
    start_parser.add_argument("--admin-port", type=int, default=7188)
    start_parser.add_argument("--http-port", type=int, default=8080)
    start_parser.add_argument("--sip-port", type=int, default=5070, help="node0's SIP port; node i takes this + i")
    start_parser.add_argument("--front-port", type=int, default=5060, help="Kamailio's (UDP)")
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
