"""A full disk under the SIP gateway's message journal (issue 13): the journal's folder is a
8 MiB tmpfs in a private mount namespace; once a filler file has taken the space, an incoming
MESSAGE is answered 500 (the sender keeps it) and is not in the journal, a web user's `message`
request fails with 450 and nothing is sent; with space again, MESSAGEs are stored and answered
200. Its own module: it starts its own janus with the journal on that tmpfs."""
import asyncio
import contextlib
import ctypes
import errno
import os
import shutil
import sqlite3
import subprocess
import tempfile

import pytest

from conftest import BUILD, run
from harness.janus_process import JanusProcess, sanitizer_env
from test_message_store import cpim, rows, sip_message, web_user  # noqa: F401 (rows: same reader)

CLONE_NEWNS = 0x00020000


def private_tmpfs(folder, size="8m"):
    """Mounts a tmpfs of size on folder, visible to this process and its children only; the
    reason it cannot, or None."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(CLONE_NEWNS) != 0:
        return "unshare(CLONE_NEWNS): %s" % os.strerror(ctypes.get_errno())
    for command in (["mount", "--make-rprivate", "/"], ["mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", folder]):
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            return "%s: %s" % (" ".join(command), done.stderr.strip())
    return None


def fill(folder):
    """Writes a filler file until the file system is full."""
    path = os.path.join(folder, "filler")
    with open(path, "wb", buffering=0) as filler:
        block = b"\0" * 4096
        try:
            while True:
                filler.write(block)
                filler.flush()
        except OSError as e:
            assert e.errno == errno.ENOSPC
    return path


def test_a_full_disk_acknowledges_nothing_it_did_not_store():
    state_dir = tempfile.mkdtemp(prefix="sylk-journal-full-")
    why = private_tmpfs(state_dir)
    if why:
        pytest.skip("no private tmpfs for the full-disk test: " + why)
    run_dir = tempfile.mkdtemp(prefix="sylk-janus-full-")
    janus = JanusProcess(BUILD, run_dir, env=sanitizer_env(), sip_options={"state_dir": state_dir})
    janus.start()
    journal = os.path.join(state_dir, "message-journal.sqlite")

    def stored(message_id):
        # closing(): sqlite3's own `with` does not close, and an open file keeps the tmpfs from
        # being unmounted at the end (its folder was left behind in every run).
        with contextlib.closing(sqlite3.connect("file:%s?mode=ro" % journal, uri=True)) as db:
            return db.execute("SELECT COUNT(*) FROM message_journal WHERE message_id = ?", (message_id,)).fetchone()[0]

    async def body():
        session, handle, contact = await web_user()
        try:
            assert await asyncio.to_thread(sip_message, contact, cpim("before-full", "fits"), "message/cpim") == 200
            sizes = {name: os.path.getsize(os.path.join(state_dir, name)) for name in os.listdir(state_dir)}
            print("journal files before the disk fills:", sizes, subprocess.run(["df", "-k", state_dir], capture_output=True, text=True).stdout)
            filler = fill(state_dir)
            status = await asyncio.to_thread(sip_message, contact, cpim("while-full", "x" * 20000), "message/cpim")
            assert status == 500
            data, _ = await handle.send({"request": "message", "uri": "sip:bob@127.0.0.1:5999", "content": "y" * 10000})
            assert data.get("error_code") == 450 and "could not store" in data["error"], data
            os.unlink(filler)
            assert stored("before-full") == 1 and stored("while-full") == 0
            # Room again: the sender's retry is stored and acknowledged.
            assert await asyncio.to_thread(sip_message, contact, cpim("while-full", "x" * 20000), "message/cpim") == 200
            assert stored("while-full") == 1
        finally:
            await session.close()
    try:
        run(body())
        assert "the journal could not store it" in open(janus.log_path, errors="replace").read()
    finally:
        janus.stop()
        subprocess.run(["umount", state_dir])
        shutil.rmtree(state_dir, ignore_errors=True)
