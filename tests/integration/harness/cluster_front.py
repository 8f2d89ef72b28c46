"""The cluster's SIP front for a test: Kamailio running conf/kamailio-cluster-front.cfg.sample
as shipped, with the test's address, node list and short timers defined first (a ping each
second; 2 s for an answer, so a node slowed by a loaded machine is not taken for dead), and a
sipp phone that calls a room through it (tests/integration/sip/front_call.xml)."""
import os
import subprocess

from harness.janus_process import JanusProcess, sanitizer_env
from harness.kamailio_registrar import KamailioRegistrar

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
SAMPLE = os.path.join(TOP, "conf", "kamailio-cluster-front.cfg.sample")
SCENARIO = os.path.join(TOP, "tests", "integration", "sip", "front_call.xml")


def front_node(build, folder, index, nats_url, lease_ms, sip_ports, ports, without_plugins, sip_options=None):
    """Janus node `index` (named node<index>) of a cluster behind the front, not started: a
    member of the cluster at nats_url whose SIP plugin listens on sip_ports[index] and who
    redirects there; ports = (ws, admin, http) of node 0, node i on each + i."""
    name = "node%d" % index
    ws_port, admin_port, http_port = (port + index for port in ports)
    options = {"nats": nats_url, "node": name, "lease_ms": lease_ms,
               "ws_url": "ws://127.0.0.1:%d/" % ws_port, "sip_uri": "sip:127.0.0.1:%d" % sip_ports[index]}
    return JanusProcess(
        build, os.path.join(folder, name), ws_port=ws_port, admin_port=admin_port, http_port=http_port,
        env=sanitizer_env(), test_plugins=False, sip_options={"sip_port": sip_ports[index], **(sip_options or {})},
        run_options={"without_plugins": without_plugins, "cluster_options": options, "sip_tls_port": 0})


def start_front(folder, port, sip_ports):
    """Kamailio on udp:127.0.0.1:port dispatching to the nodes' SIP on those loopback ports."""
    nodes_list = os.path.join(folder, "dispatcher.list")
    with open(nodes_list, "w") as out:
        out.writelines("1 sip:127.0.0.1:%d\n" % sip_port for sip_port in sip_ports)
    wrapper = os.path.join(folder, "front.cfg.in")
    with open(wrapper, "w") as out:
        out.write('#!define FRONT_LISTEN udp:127.0.0.1:%d\n#!define FRONT_DISPATCHER_LIST "%s"\n'
                  '#!define FRONT_PING_INTERVAL 1\n#!define FRONT_REPLY_TIMEOUT_MS 2000\n'
                  'include_file "%s"\n' % (port, nodes_list, SAMPLE))
    return KamailioRegistrar(folder, port=port, template=wrapper).start()


def call_through_front(folder, port, room, name, timeout_s=20):
    """One sipp phone calling sip:<room>@front; its message trace (sipp failing fails the test)."""
    trace = os.path.join(folder, name + ".log")
    done = subprocess.run(["sipp", "127.0.0.1:%d" % port, "-sf", SCENARIO, "-m", "1", "-i", "127.0.0.1",
                           "-p", "0", "-nostdin", "-timeout", "%ds" % timeout_s, "-trace_msg", "-message_file", trace,
                           "-set", "room", room, "-set", "rtpport", "40000"],
                          cwd=folder, capture_output=True, timeout=timeout_s + 15)
    text = open(trace, errors="replace").read() if os.path.exists(trace) else ""
    assert done.returncode == 0, "sipp calling %s failed (%d):\n%s\n%s" % (room, done.returncode, done.stderr[-1500:],
                                                                          text[-3000:])
    return text
