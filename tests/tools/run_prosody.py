#!/usr/bin/python3
"""Prepares the loopback Prosody of `./sylk run` (tests/integration/harness/prosody.py's config):
a throw-away folder with the config, data, log and the component secret, VirtualHost localhost on
127.0.0.1 (c2s 5222, XEP-0114 components conference.localhost and sip.localhost on 5347, websocket
on 5280), in-band registration open (loopback only), and demo users with fresh passwords.

Prints one line per demo user, `user@localhost password`, and writes the component secret to
--secret-file (mode 600) for janus_config.py. ./sylk run then starts `prosody --config
FOLDER/prosody.cfg.lua -F` itself and stops it by PID.
"""
import argparse
import os
import secrets
import shutil
import socket
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "integration"))
from harness.prosody import Prosody  # noqa: E402


def busy(host, port):
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--folder", required=True, help="folder to create (replaced if present)")
    parser.add_argument("--secret-file", required=True, help="write the component secret here (mode 600)")
    parser.add_argument("--users", default="alice,bob", help="demo users to register (comma separated)")
    parser.add_argument("--domain", default="localhost")
    args = parser.parse_args()
    server = Prosody(folder=os.path.abspath(args.folder), domain=args.domain,
                     users={name: secrets.token_urlsafe(9) for name in args.users.split(",") if name})
    taken = [port for port in (server.c2s_port, server.component_port, server.http_port) if busy(server.host, port)]
    if taken:
        sys.exit("something already listens on 127.0.0.1 port %s (a system Prosody or ejabberd?): stop it, or "
                 "attach janus.plugin.sylk.xmpp to that server instead (docs/xmpp.md)" % ", ".join(map(str, taken)))
    shutil.rmtree(server.folder, ignore_errors=True)
    os.makedirs(server.folder, mode=0o700)
    server.prepare()
    fd = os.open(args.secret_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(server.secret + "\n")
    for user, password in server.users.items():
        print("%s %s" % (server.jid(user), password))


if __name__ == "__main__":
    main()
