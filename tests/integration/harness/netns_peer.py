"""A network namespace of its own for a peer (a browser) inside the test run's namespace,
joined to it by one veth pair and nothing else: the peer reaches exactly the addresses on
that link, like a machine on another network. Made by a holder process (`unshare --net`);
the peer's commands enter it with nsenter; close() ends the holder by PID, which removes the
namespace and its veth."""
import os
import subprocess
import time


class NetnsPeer:
    def __init__(self, link, server_address, peer_address, prefix=24):
        """link: name of the veth end on our side (the peer's end is link + "p")."""
        self.link = link
        self.server_address = server_address
        self.peer_address = peer_address
        self.holder = subprocess.Popen(["unshare", "--net", "--", "sleep", "3600"])
        ours = os.readlink("/proc/self/ns/net")
        deadline = time.monotonic() + 10
        while os.readlink("/proc/%d/ns/net" % self.holder.pid) == ours:
            if time.monotonic() > deadline or self.holder.poll() is not None:
                self.close()
                raise RuntimeError("unshare --net did not make a namespace")
            time.sleep(0.01)  # polling for unshare to switch, not a wait for readiness
        try:
            # No IPv6 on the peer's side: a link-local address finishing duplicate address
            # detection a second after the link came up is a netlink change, and Chromium's
            # network change notifier aborts a navigation under way with ERR_NETWORK_CHANGED
            # (seen once in CI). The peer's end is created with these defaults.
            for key in ("net.ipv6.conf.default.disable_ipv6", "net.ipv6.conf.all.disable_ipv6"):
                self._run(*self.command("sysctl", "-qw", key + "=1"))
            self._run("ip", "link", "add", link, "type", "veth", "peer", "name", link + "p",
                      "netns", str(self.holder.pid))
            self._run("ip", "addr", "add", "%s/%d" % (server_address, prefix), "dev", link)
            self._run("ip", "link", "set", link, "up")
            self._run(*self.command("ip", "link", "set", "lo", "up"))
            self._run(*self.command("ip", "addr", "add", "%s/%d" % (peer_address, prefix), "dev", link + "p"))
            self._run(*self.command("ip", "link", "set", link + "p", "up"))
            self._wait_until_up()
        except Exception:
            self.close()
            raise

    def _wait_until_up(self):
        """Both ends report operstate "up": the link is settled before the peer starts, so it
        sees no carrier change while it runs."""
        deadline = time.monotonic() + 10
        while True:
            ours = self._state(["ip", "-o", "link", "show", "dev", self.link])
            theirs = self._state(self.command("ip", "-o", "link", "show", "dev", self.link + "p"))
            if ours == theirs == "UP":
                return
            if time.monotonic() > deadline:
                raise RuntimeError("veth %s did not come up (%s/%s)" % (self.link, ours, theirs))
            time.sleep(0.05)

    @staticmethod
    def _state(command):
        """The "state X" word of `ip -o link show` (sysfs would show the mounter's namespace)."""
        words = subprocess.run(command, capture_output=True, text=True).stdout.split()
        return words[words.index("state") + 1] if "state" in words else None

    def command(self, *arguments):
        """The command line that runs arguments inside the peer's namespace."""
        return ["nsenter", "--net=/proc/%d/ns/net" % self.holder.pid, "--", *arguments]

    @staticmethod
    def _run(*arguments):
        subprocess.run(arguments, check=True, capture_output=True, text=True)

    def close(self):
        if self.holder.poll() is None:
            self.holder.kill()
        self.holder.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
