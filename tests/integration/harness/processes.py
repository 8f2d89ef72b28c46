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
