"""Peer processes a test starts (sipp, baresip, socat, browsers): spawned through here so that
the conftest fixture can end, by PID, whatever a failing test left running."""
import asyncio
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
