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
            self._run("ip", "link", "add", link, "type", "veth", "peer", "name", link + "p",
                      "netns", str(self.holder.pid))
            self._run("ip", "addr", "add", "%s/%d" % (server_address, prefix), "dev", link)
            self._run("ip", "link", "set", link, "up")
            self._run(*self.command("ip", "link", "set", "lo", "up"))
            self._run(*self.command("ip", "addr", "add", "%s/%d" % (peer_address, prefix), "dev", link + "p"))
            self._run(*self.command("ip", "link", "set", link + "p", "up"))
        except Exception:
            self.close()
            raise

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
