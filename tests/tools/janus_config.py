#!/usr/bin/python3
"""Lays out a folder from which stock janus runs our plugins straight from the build tree.

    RUN/conf/        janus.jcfg, transport and plugin configs
    RUN/plugins/     symlinks to the build's plugin .so files (and stock ones when asked)
    RUN/transports/  Janus's WebSocket transport and our HTTP transport
    RUN/empty/       events and loggers folders, kept empty so nothing else loads

Used by `./sylk run` and by the test harness.
"""
import argparse
import glob
import ipaddress
import os
import secrets
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(os.path.dirname(HERE))

OUR_PLUGINS = {
    "echo": "plugins/echo/.libs/libjanus_sylk_echo.so",
    "videoroom": "plugins/videoroom/.libs/libjanus_sylk_videoroom.so",
    "audiomixer": "plugins/audiomixer/.libs/libjanus_sylk_audiomixer.so",
    "sip": "plugins/sip/.libs/libjanus_sylk_sip.so",
    "msrp": "plugins/msrp/.libs/libjanus_sylk_msrp.so",
    "xmpp": "plugins/xmpp/.libs/libjanus_sylk_xmpp.so",
    "irc": "plugins/irc/.libs/libjanus_sylk_irc.so",
    "cluster": "plugins/cluster/.libs/libjanus_sylk_cluster.so",
}
# Linked only when the build tree was configured with them (a branch that does not have the
# plugin yet still runs janus); once configured, a missing .so fails as loudly as the others.
CONFIGURED_ONLY = {"xmpp": "plugins/xmpp/.deps", "irc": "plugins/irc/.deps", "cluster": "plugins/cluster/.deps"}  # made by configure (non-recursive make: no Makefile there)
TEST_PLUGINS = {
    "hubprobe.a": "tests/plugins/hubprobe/.libs/libjanus_sylk_hubprobe_a.so",
    "hubprobe.b": "tests/plugins/hubprobe/.libs/libjanus_sylk_hubprobe_b.so",
}
OUR_TRANSPORTS = ["transports/http/.libs/libjanus_sylk_http.so",
                  "transports/loopback/.libs/libjanus_sylk_loopback.so"]


def janus_lib_dir():
    found = glob.glob("/usr/lib/*/janus/transports/libjanus_websockets.so")
    if not found:
        sys.exit("janus is not installed (no libjanus_websockets.so under /usr/lib/*/janus)")
    return os.path.dirname(os.path.dirname(found[0]))


def fill(template, values):
    text = open(os.path.join(SOURCE, "conf", template)).read()
    for key, value in values.items():
        text = text.replace("@%s@" % key, str(value))
    return text


def jcfg_value(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return '"%s"' % str(value).replace("\\", "\\\\").replace('"', '\\"')


def set_nat_option(text, key, value):
    """janus.jcfg text with key = value in its nat section, replacing the template's own value
    (janus refuses a file with a setting given twice)."""
    start = text.index("\nnat: {") + 1
    end = text.index("\n}", start)
    lines = text[start:end].split("\n")
    setting = "\t%s = %s" % (key, jcfg_value(value))
    for i, line in enumerate(lines):
        if line.strip().split("=")[0].strip() == key:
            lines[i] = setting
            break
    else:
        lines.insert(1, setting)
    return text[:start] + "\n".join(lines) + text[end:]


def public_certificate(run, host):
    """A self-signed certificate and key for host (IP address or DNS name), kept beside RUN
    across runs and made anew when the host changes. Returns (certificate, key) paths."""
    folder = os.path.join(os.path.dirname(os.path.abspath(run)), "public-tls")
    certificate, key = os.path.join(folder, "certificate.pem"), os.path.join(folder, "key.pem")
    host_file = os.path.join(folder, "host")
    if os.path.exists(certificate) and os.path.exists(key) and os.path.exists(host_file) \
            and open(host_file).read() == host:
        return certificate, key
    os.makedirs(folder, mode=0o700, exist_ok=True)
    try:
        ipaddress.ip_address(host)
        name = "IP:" + host
    except ValueError:
        name = "DNS:" + host
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "825",
                    "-subj", "/CN=%s" % host, "-addext", "subjectAltName=" + name,
                    "-keyout", key, "-out", certificate], check=True, capture_output=True)
    os.chmod(key, 0o600)
    with open(host_file, "w") as out:
        out.write(host)
    return certificate, key


def link(target, folder):
    if not os.path.exists(target):
        sys.exit("missing %s: build first (make)" % target)
    os.symlink(target, os.path.join(folder, os.path.basename(target)))


def make_run_dir(run, build, ws_port=8188, admin_port=7188, http_port=8080, admin_secret=None,
                 ice_interfaces="", debug_level=4, test_plugins=False, stock_plugins=(), rtp_ports="20000-40000",
                 max_file_bytes=100 * 1024 * 1024, sip_rtp_timeout=None, sip_tls_port=5061,
                 sip_options=None, event_loops=0, mixer_threads=None, event_handler=None,
                 public_host=None, https_port=8443, wss_port=8989, tls_cert=None, tls_key=None, nat=None,
                 msrp_options=None, without_plugins=(), xmpp_options=None, files_dir=None,
                 videoroom_rooms=(), irc_config=None, general_options=None, cluster_options=None,
                 listen_ip="127.0.0.1", sip_file_mode=None, mixer_rtp_ip=None):
    """Creates RUN afresh; returns the admin secret. event_loops > 0 makes janus serve every
    handle from that many shared loop threads instead of one thread per handle. mixer_threads
    sets the audio mixer's (default: one per core). event_handler = {"backend": URL, "events":
    "all" or "plugins,handles", "grouping": bool} loads Janus's stock sample event handler
    (janus.eventhandler.sampleevh), which POSTs every event to backend.

    public_host: serve the web app over https on https_port and the Janus API over wss on
    wss_port, both on every interface, with tls_cert/tls_key (PEM files) or else a self-signed
    pair for public_host (public_certificate()). The ws API and the admin API stay on loopback.
    nat: janus.jcfg `nat` settings (stun_server, stun_port, turn_server, turn_port, turn_type,
    turn_user, turn_pwd, nat_1_1_mapping, ...): the one place for STUN/TURN; janus core reads
    them and the web app server hands the STUN/TURN servers to the pages (/config.json).
    msrp_options: janus.plugin.sylk.msrp.jcfg settings over the test defaults (port 0: the
    plugin's MSRP listener takes a free port; its sessions' a=path say which).
    xmpp_options: janus.plugin.sylk.xmpp.jcfg settings over the defaults (a Prosody on
    127.0.0.1:5347, domain localhost; component_secret must match the server's).
    without_plugins: names of OUR_PLUGINS not to load (e.g. ["msrp"]: a janus without the msrp
    plugin, to test what the others do when its services are absent).
    files_dir: the room files folder (default RUN/files, deleted with RUN); one outside RUN
    survives a restart on a fresh RUN. videoroom_rooms: names of rooms configured (persistent)
    in the video room's jcfg. general_options: more janus.jcfg `general` settings, e.g.
    {"reclaim_session_timeout": 10} (a session outlives its WebSocket that long for a claim).
    cluster_options: janus.plugin.sylk.cluster.jcfg settings (nats, node, lease_ms, ws_url, ...);
    none: the plugin runs without a cluster (idle), as on a single node.
    listen_ip: the address of the Janus API, the admin API, the web app and janus's own
    `interface` (default loopback; a node of `./sylk cluster up` listens on its namespace's
    address). sip_file_mode: chmod of the SIP plugin's jcfg (0o600 when sip_options hold a
    secret, e.g. a journal_postgres password). mixer_rtp_ip: the audio mixer's RTP address for
    plain RTP peers (phones of the SIP focus; default its own, loopback)."""
    run = os.path.abspath(run)
    build = os.path.abspath(build)
    if os.path.exists(run):
        shutil.rmtree(run)
    folders = {name: os.path.join(run, name) for name in ("conf", "plugins", "transports", "empty")}
    for folder in folders.values():
        os.makedirs(folder)
    admin_secret = admin_secret or secrets.token_urlsafe(24)
    values = {
        "CONFIG_DIR": folders["conf"], "PLUGINS_DIR": folders["plugins"], "TRANSPORTS_DIR": folders["transports"],
        "EMPTY_DIR": folders["empty"], "DEBUG_LEVEL": debug_level, "ADMIN_SECRET": admin_secret,
        "ICE_INTERFACES": ice_interfaces, "RTP_PORT_RANGE": rtp_ports,
        "WS_PORT": ws_port, "ADMIN_WS_PORT": admin_port, "LISTEN_IP": listen_ip,
    }
    conf = folders["conf"]
    with open(os.path.join(conf, "janus.jcfg"), "w") as out:
        text = fill("janus.jcfg.in", values)
        if event_loops:
            text = text.replace("general: {", "general: {\n\tevent_loops = %d" % event_loops, 1)
        for key, value in (general_options or {}).items():
            text = text.replace("general: {", "general: {\n\t%s = %s" % (key, jcfg_value(value)), 1)
        if event_handler:
            text = enable_event_handler(text, run, folders["conf"], event_handler)
        for key, value in (nat or {}).items():
            text = set_nat_option(text, key, value)
        out.write(text)
    os.chmod(os.path.join(conf, "janus.jcfg"), 0o600)  # holds the admin secret
    if public_host and not (tls_cert and tls_key):
        tls_cert, tls_key = public_certificate(run, public_host)
    with open(os.path.join(conf, "janus.transport.websockets.jcfg"), "w") as out:
        text = fill("janus.transport.websockets.jcfg.in", values)
        if public_host:
            # wss on every interface (no wss_ip); the certificate is the transport's own setting
            text = text.replace("\twss = false\n", "\twss = true\n\twss_port = %d\n" % wss_port, 1)
            text = text.replace("certificates: {", 'certificates: {\n\tcert_pem = "%s"\n\tcert_key = "%s"'
                                % (os.path.abspath(tls_cert), os.path.abspath(tls_key)), 1)
        out.write(text)
    with open(os.path.join(conf, "janus.transport.sylk.http.jcfg"), "w") as out:
        if public_host:
            listen = '\tip = "0.0.0.0"\n\tport = %d\n\thttps = true\n\tcert_pem = "%s"\n\tcert_key = "%s"\n' % (
                https_port, os.path.abspath(tls_cert), os.path.abspath(tls_key))
        else:
            listen = '\tip = "%s"\n\tport = %d\n' % (listen_ip, http_port)
        out.write('general: {\n%s\tdocument_root = "%s"\n'
                  '\tfiles_dir = "%s"\n\tmax_file_bytes = %d\n}\n'
                  % (listen, os.path.join(SOURCE, "html"), files_dir or os.path.join(run, "files"), max_file_bytes))

    with open(os.path.join(conf, "janus.plugin.sylk.videoroom.jcfg"), "w") as out:
        out.write('general: {\n\trecordings_dir = "%s"\n}\n' % os.path.join(run, "recordings", "videoroom"))
        for name in videoroom_rooms:
            out.write('room-%s: {\n\tdescription = "%s"\n}\n' % (name, name))
    with open(os.path.join(conf, "janus.plugin.sylk.audiomixer.jcfg"), "w") as out:
        out.write('general: {\n\trecordings_dir = "%s"\n' % os.path.join(run, "recordings"))
        if mixer_threads:
            out.write('\tmixer_threads = %d\n' % mixer_threads)
        out.write('\tstate_dir = "%s"\n' % os.path.join(run, "state"))  # its ZRTP cache
        if mixer_rtp_ip:
            out.write('\trtp_ip = "%s"\n' % mixer_rtp_ip)
        out.write('}\n')

    # SIP over TLS with a self-signed pair made here (kept across runs of the same folder's parent)
    tls = os.path.join(os.path.dirname(run), "sip-tls")
    certificate, key = os.path.join(tls, "certificate.pem"), os.path.join(tls, "key.pem")
    if not (os.path.exists(certificate) and os.path.exists(key)):
        os.makedirs(tls, mode=0o700, exist_ok=True)
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "3650",
                        "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
                        "-keyout", key, "-out", certificate], check=True, capture_output=True)
        os.chmod(key, 0o600)
    with open(os.path.join(conf, "janus.plugin.sylk.sip.jcfg"), "w") as out:
        out.write('general: {\n\ttls_port = %d\n\ttls_certificate = "%s"\n\ttls_key = "%s"\n'
                  % (sip_tls_port, certificate, key))
        if sip_rtp_timeout is not None and "rtp_timeout" not in (sip_options or {}):  # a module's own wins
            out.write('\trtp_timeout = %d\n' % sip_rtp_timeout)
        if "state_dir" not in (sip_options or {}):  # the message journal, kept with the run
            out.write('\tstate_dir = "%s"\n' % os.path.join(run, "state"))
        for key, value in (sip_options or {}).items():
            out.write('\t%s = "%s"\n' % (key, value))
        out.write('}\n')
    if sip_file_mode is not None:
        os.chmod(os.path.join(conf, "janus.plugin.sylk.sip.jcfg"), sip_file_mode)

    with open(os.path.join(conf, "janus.plugin.sylk.msrp.jcfg"), "w") as out:
        msrp = {"port": 0, "tls_port": 0}
        msrp.update(msrp_options or {})
        out.write("general: {\n")
        for key, value in msrp.items():
            out.write('\t%s = %s\n' % (key, value if isinstance(value, int) else '"%s"' % value))
        out.write("}\n")

    write_xmpp_config(conf, xmpp_options)
    if cluster_options:
        with open(os.path.join(conf, "janus.plugin.sylk.cluster.jcfg"), "w") as out:
            out.write("general: {\n")
            for key, value in cluster_options.items():
                out.write("\t%s = %s\n" % (key, jcfg_value(value)))
            out.write("}\n")
    if irc_config:
        write_irc_config(conf, irc_config)

    plugins = dict(OUR_PLUGINS)
    for name, marker in CONFIGURED_ONLY.items():
        if not os.path.exists(os.path.join(build, marker)):
            plugins.pop(name, None)
    if test_plugins:
        plugins.update(TEST_PLUGINS)
    for name in without_plugins:
        plugins.pop(name, None)
    for path in plugins.values():
        link(os.path.join(build, path), folders["plugins"])
    janus_libs = janus_lib_dir()
    for name in stock_plugins:
        link(os.path.join(janus_libs, "plugins", "libjanus_%s.so" % name), folders["plugins"])
    link(os.path.join(janus_libs, "transports", "libjanus_websockets.so"), folders["transports"])
    for path in OUR_TRANSPORTS:
        link(os.path.join(build, path), folders["transports"])
    return admin_secret


XMPP_DEFAULTS = {
    "server_host": "127.0.0.1", "server_port": 5347, "domain": "localhost",
    "muc_domain": "conference.localhost", "sip_domain": "sip.localhost",
    "component_secret": "", "history": 20,
}


def write_xmpp_config(conf, options=None):
    """janus.plugin.sylk.xmpp.jcfg: the XEP-0114 component link to an XMPP server (mode 600: it
    holds the component secret). The domains follow `domain` unless given."""
    settings = dict(XMPP_DEFAULTS)
    options = dict(options or {})
    if "domain" in options:
        settings["muc_domain"] = "conference." + options["domain"]
        settings["sip_domain"] = "sip." + options["domain"]
    settings.update(options)
    path = os.path.join(conf, "janus.plugin.sylk.xmpp.jcfg")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write("general: {\n")
        for key, value in settings.items():
            out.write("\t%s = %s\n" % (key, jcfg_value(value)))
        out.write("}\n")


def write_irc_config(conf, categories):
    """janus.plugin.sylk.irc.jcfg from {category: {option: value}} ("general", "bridge-<name>";
    mode 600: a bridge may hold a server password)."""
    fd = os.open(os.path.join(conf, "janus.plugin.sylk.irc.jcfg"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        for category, options in categories.items():
            out.write("%s: {\n" % category)
            for key, value in options.items():
                out.write("\t%s = %s\n" % (key, jcfg_value(value)))
            out.write("}\n")


def enable_event_handler(janus_jcfg, run, conf, options):
    """Links Debian's libjanus_sampleevh.so into RUN/events, configures it, and returns janus.jcfg's
    text with that events folder and events.broadcast on."""
    events = os.path.join(run, "events")
    os.makedirs(events)
    link(os.path.join(janus_lib_dir(), "events", "libjanus_sampleevh.so"), events)
    with open(os.path.join(conf, "janus.eventhandler.sampleevh.jcfg"), "w") as out:
        out.write('general: {\n\tenabled = true\n\tbackend = "%s"\n\tevents = "%s"\n\tgrouping = %s\n'
                  '\tjson = "plain"\n\tmax_retransmissions = 2\n}\n'
                  % (options["backend"], options.get("events", "all"),
                     "true" if options.get("grouping", True) else "false"))
    empty = 'events_folder = "%s"' % os.path.join(run, "empty")
    if empty not in janus_jcfg:
        sys.exit("janus.jcfg.in has no events_folder line to point at the event handler")
    janus_jcfg = janus_jcfg.replace(empty, 'events_folder = "%s"' % events, 1)
    return janus_jcfg.replace("events: {", "events: {\n\tbroadcast = true", 1)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run", required=True, help="folder to create (replaced if present)")
    parser.add_argument("--build", required=True, help="configured and built tree")
    parser.add_argument("--ws-port", type=int, default=8188)
    parser.add_argument("--admin-port", type=int, default=7188)
    parser.add_argument("--http-port", type=int, default=8080)
    parser.add_argument("--ice-interfaces", default="")
    parser.add_argument("--debug-level", type=int, default=4)
    parser.add_argument("--secret-file", help="write the generated admin secret here (mode 600)")
    parser.add_argument("--public", metavar="HOST", help="serve https and wss on every interface for HOST")
    parser.add_argument("--cert", help="PEM certificate (chain) for --public; default: a self-signed one")
    parser.add_argument("--key", help="PEM private key of --cert")
    parser.add_argument("--https-port", type=int, default=8443)
    parser.add_argument("--wss-port", type=int, default=8989)
    parser.add_argument("--nat", action="append", default=[], metavar="KEY=VALUE",
                        help="a janus.jcfg nat setting, e.g. stun_server=stun.example.org (repeatable)")
    parser.add_argument("--xmpp-secret-file", help="the XEP-0114 component secret of the XMPP server "
                        "janus.plugin.sylk.xmpp connects to (127.0.0.1:5347, domain localhost)")
    args = parser.parse_args()
    if bool(args.cert) != bool(args.key):
        parser.error("--cert and --key go together")
    if args.cert and not args.public:
        parser.error("--cert and --key need --public HOST")
    for path in (args.cert, args.key):
        if path and not os.path.isfile(path):
            parser.error("no such file: %s" % path)
    nat = {}
    for setting in args.nat:
        key, separator, value = setting.partition("=")
        if not separator or not key:
            parser.error("--nat takes KEY=VALUE, not %r" % setting)
        nat[key] = int(value) if value.isdigit() else value
    secret = make_run_dir(args.run, args.build, args.ws_port, args.admin_port, args.http_port,
                          ice_interfaces=args.ice_interfaces, debug_level=args.debug_level,
                          public_host=args.public, https_port=args.https_port, wss_port=args.wss_port,
                          tls_cert=args.cert, tls_key=args.key, nat=nat,
                          xmpp_options={"component_secret": open(args.xmpp_secret_file).read().strip(),
                                        "moderators": "alice@localhost"}  # ./sylk run's demo moderator
                          if args.xmpp_secret_file else None)
    if args.public and not args.cert:
        print(public_certificate(args.run, args.public)[0])
    if args.secret_file:
        fd = os.open(args.secret_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secret + "\n")


if __name__ == "__main__":
    main()
