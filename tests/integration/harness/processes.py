"""Peer processes a test starts (sipp, baresip, socat, browsers): spawned through here so that
the conftest fixture can end, by PID, whatever a failing test left running."""
import asyncio
import json
import os
import signal

_started = []


async def spawn(*arguments, **options):
    """asyncio.create_subprocess_exec, remembered for end_leftovers()."""
    process = await asyncio.create_subprocess_exec(*arguments, **options)
    _started.append(process.pid)
    return process


def end_leftovers():
    """Kills the processes spawned since the last call that are still running, and reaps them."""
    while _started:
        pid = _started.pop()
        try:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass  # ended and reaped already


def script_result(output, errors=""):
    """The last line of a browser script's output that is a JSON object (scripts print their
    result last), from bytes or text; fails with the ends of its output and errors if there is none."""
    def text(value):
        return value.decode(errors="replace") if isinstance(value, bytes) else (value or "")
    lines = [line for line in text(output).splitlines() if line.startswith("{")]
    assert lines, "the script printed no result:\n%s\n%s" % (text(output)[-2000:], text(errors)[-2000:])
    return json.loads(lines[-1])


def udp_port_bound(port):
    """Whether a UDP socket of this network namespace is bound to port (IPv4 or IPv6)."""
    for path in ("/proc/net/udp", "/proc/net/udp6"):
        try:
            with open(path) as table:
                next(table)
                for line in table:
                    local = line.split()[1]
                    if int(local.rsplit(":", 1)[1], 16) == port:
                        return True
        except OSError:
            continue
    return False


async def wait_udp_bound(process, port, timeout=10):
    """Until process (just spawned) has bound its UDP port: a request sent before that is refused
    (ICMP port unreachable; Sofia answers 503), as one CI run's REGISTER to a sipp registrar was
    on a loaded machine. Returns whether it did; the test's own assertions say the rest."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not udp_port_bound(port):
        if process.returncode is not None or loop.time() > deadline:
            return False
        await asyncio.sleep(0.02)
    return True

