"""The PostgreSQL server of `./sylk cluster up` (tests/tools/cluster_up.py): the message journal
every node shares (docs/message-store.md, journal_backend = "postgresql").

Debian's server binaries (/usr/lib/postgresql/<newest>/bin), a data folder of its own under the
cluster's folder, started with pg_ctl. initdb refuses root, so the server runs as the user who
asked for the cluster through sudo (SUDO_USER: the checkout is theirs, they can reach its
folder), or as `postgres` when root ran it directly. It listens on a unix socket in its folder
(mode 700: its user and root only, trusted) and on TCP at the cluster's host-side address, where
the nodes log in as `sylk` with a password made for this cluster (SCRAM), from the cluster's
subnet only. Database `sylk`; the nodes make the journal's tables themselves.
"""
import os
import pwd
import secrets
import shutil
import subprocess
import time

PORT = 5432


def server_binaries():
    root = "/usr/lib/postgresql"
    versions = sorted((v for v in os.listdir(root) if v.isdigit()), key=int, reverse=True) if os.path.isdir(root) else []
    for version in versions:
        folder = os.path.join(root, version, "bin")
        if os.access(os.path.join(folder, "initdb"), os.X_OK):
            return folder
    raise RuntimeError("PostgreSQL's server is not installed (Debian package postgresql)")


def server_user():
    """Whom the server runs as (None: the current user, who is not root)."""
    if os.geteuid() != 0:
        return None
    invoker = os.environ.get("SUDO_USER")
    if invoker and invoker != "root":
        try:
            pwd.getpwnam(invoker)
            return invoker
        except KeyError:
            pass
    return "postgres"


class ClusterPostgres:
    def __init__(self, folder, host_address, subnet, log_path):
        self.folder = folder  # its own: the socket and data/ in it
        self.data = os.path.join(folder, "data")
        self.host_address = host_address
        self.subnet = subnet
        self.log_path = log_path
        self.user = server_user()
        self.bin = server_binaries()
        self.password = secrets.token_urlsafe(18)
        socket_path = os.path.join(folder, ".s.PGSQL.%d" % PORT)
        if len(socket_path) > 100:  # sun_path holds 107 bytes
            raise RuntimeError("the cluster's folder is too deep for PostgreSQL's unix socket (%s): use a shorter"
                               " --folder" % socket_path)

    def _as_user(self, *command):
        return (["runuser", "-u", self.user, "--"] if self.user else []) + list(command)

    def conninfo(self):
        """What a node puts in journal_postgres (holds the password: the file is mode 600)."""
        return "host=%s port=%d dbname=sylk user=sylk password=%s connect_timeout=5" % (
            self.host_address, PORT, self.password)

    def start(self, on_running):
        """initdb, pg_ctl start, CREATE DATABASE sylk. on_running(pid) is called as soon as the
        server runs (before the database is made), so whoever stops it knows its PID even when
        what follows fails."""
        os.makedirs(self.folder, mode=0o700)
        open(self.log_path, "a").close()
        if self.user:
            for path in (self.folder, self.log_path):
                shutil.chown(path, self.user)
            reach = subprocess.run(self._as_user("test", "-w", self.folder), capture_output=True)
            if reach.returncode != 0:
                raise RuntimeError("PostgreSQL runs as %s, who cannot reach %s: let it search the folders above"
                                   " (chmod o+x) or give a --folder it can reach" % (self.user, self.folder))
        password_file = os.path.join(self.folder, "initdb-password")
        fd = os.open(password_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(self.password + "\n")
        if self.user:
            shutil.chown(password_file, self.user)
        try:
            self._check(self._as_user(os.path.join(self.bin, "initdb"), "-D", self.data, "-U", "sylk", "-E", "UTF8",
                                      "--auth-local=trust", "--auth-host=scram-sha-256", "--pwfile", password_file,
                                      "--no-sync"), "initdb")
        finally:
            os.remove(password_file)
        with open(os.path.join(self.data, "pg_hba.conf"), "a") as hba:
            hba.write("# ./sylk cluster up: the nodes, from the cluster's subnet only\n"
                      "host all sylk %s scram-sha-256\n" % self.subnet)
        options = "-c listen_addresses='%s' -k %s -p %d" % (self.host_address, self.folder, PORT)
        try:
            self._check(self._as_user(os.path.join(self.bin, "pg_ctl"), "-D", self.data, "-w", "-t", "60",
                                      "-l", self.log_path, "-o", options, "start"), "pg_ctl start")
        finally:  # a server that came up late, after pg_ctl gave up, is stopped too
            if os.path.exists(os.path.join(self.data, "postmaster.pid")):
                on_running(self.pid())
        self._check([os.path.join(self.bin, "psql"), "-h", self.folder, "-p", str(PORT), "-U", "sylk", "-d", "postgres",
                     "-qAt", "-c", "CREATE DATABASE sylk"], "CREATE DATABASE")

    def pid(self):
        deadline = time.monotonic() + 10
        while True:
            try:
                with open(os.path.join(self.data, "postmaster.pid")) as source:
                    return int(source.readline())
            except (OSError, ValueError):
                if time.monotonic() > deadline:
                    raise RuntimeError("PostgreSQL wrote no postmaster.pid")
                time.sleep(0.05)  # pg_ctl -w returned: the file is there or coming

    def query(self, sql):
        """psql over the unix socket as sylk: the rows, `|`-separated."""
        return self._check([os.path.join(self.bin, "psql"), "-h", self.folder, "-p", str(PORT), "-U", "sylk",
                            "-d", "sylk", "-qAt", "-c", sql], "psql")

    @staticmethod
    def _check(command, what):
        result = subprocess.run(command, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120)
        if result.returncode != 0:
            raise RuntimeError("PostgreSQL %s failed (%d): %s" % (what, result.returncode,
                                                                  (result.stderr or result.stdout)[-1500:]))
        return result.stdout
