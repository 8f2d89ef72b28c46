"""Durability of the SIP gateway's message journal (issue 13): janus gets kill -9 during a
burst of 10,000 SIP MESSAGEs from sipp; after the restart every MESSAGE that got a 200 is in the
journal exactly once, and a web user's sync_conversations returns it. Its own module: it starts
and kills its own janus, so no module janus may hold the ports."""
import asyncio
import os
import re
import shutil
import signal
import sqlite3
import tempfile
import time

from conftest import BUILD, run
from harness.janus_process import JanusProcess, sanitizer_env
from harness.processes import spawn
from test_message_store import ACCOUNT, SCENARIOS, web_user


def sipp_200_call_ids(log_path):
    """Call-IDs of the MESSAGEs sipp received a 200 for, from its -trace_msg log."""
    ids = set()
    with open(log_path, errors="replace") as log:
        text = log.read()
    for block in re.split(r"\n-{20,}[^\n]*\n", text):
        if "message received" in block and re.search(r"^\s*SIP/2\.0 200", block, re.M):
            match = re.search(r"^\s*Call-ID:\s*(\S+)", block, re.M | re.I)
            if match:
                ids.add(match.group(1))
    return ids


def test_kill_9_during_a_burst_loses_no_acknowledged_message():
    """10,000 MESSAGEs at up to 2000/s; janus gets SIGKILL after about 2 s. Every MESSAGE sipp
    got a 200 for is in the journal after the restart, exactly once, and sync shows it."""
    run_dir = tempfile.mkdtemp(prefix="sylk-journal-kill-")
    # The journal outside the run folder: starting janus again makes a fresh run folder.
    state_dir = tempfile.mkdtemp(prefix="sylk-journal-state-")
    janus = JanusProcess(BUILD, run_dir, env=sanitizer_env(), sip_options={"state_dir": state_dir})
    janus.start()
    trace_dir = tempfile.mkdtemp(prefix="sylk-sipp-")
    log_path = os.path.join(trace_dir, "burst.log")

    async def burst():
        session, handle, contact = await web_user()
        sipp = await spawn("sipp", "127.0.0.1:5060", "-sf", os.path.join(SCENARIOS, "message_burst.xml"),
                           "-s", contact, "-m", "10000", "-r", "2000", "-l", "400", "-i", "127.0.0.1", "-p", "0",
                           "-nostdin", "-trace_msg", "-message_file", log_path, "-timeout", "60s",
                           cwd=trace_dir, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
        await asyncio.sleep(2.0)
        janus.process.send_signal(signal.SIGKILL)
        janus.process.wait()
        await asyncio.sleep(1.0)  # answers already on the way reach sipp
        sipp.kill()
        await sipp.wait()
        await session.connection.close()  # its janus is gone: no destroy to send
    try:
        run(burst(), timeout=90)
        acknowledged = sipp_200_call_ids(log_path)
        assert len(acknowledged) > 100, "the burst hardly started before the kill: %d" % len(acknowledged)
        assert len(acknowledged) < 10000, "janus was killed only after the burst ended"
        janus.start()  # the same run folder: the same journal
        with sqlite3.connect(os.path.join(state_dir, "message-journal.sqlite")) as db:
            stored = db.execute("SELECT message_id, COUNT(*) FROM message_journal WHERE account = ? AND kind = 'message'"
                                " GROUP BY message_id", (ACCOUNT,)).fetchall()
        counts = {message_id: count for message_id, count in stored}
        missing = [call_id for call_id in acknowledged if counts.get("sip:%s;cseq=1" % call_id) != 1]
        assert not missing, "%d acknowledged messages are not in the journal once, e.g. %s" % (len(missing), missing[:3])
        print("acknowledged %d, journaled %d (some stored but killed before their 200)" % (len(acknowledged), len(counts)))

        async def sync_after_restart():
            session, handle, _ = await web_user()
            try:
                seen, since = set(), 0
                while True:
                    started = time.monotonic()
                    data, _ = await handle.send({"request": "sync_conversations", "since_seq": since, "limit": 5000})
                    page = data["result"]
                    print("sync of %d entries over the gateway API: %.0f ms" % (len(page["entries"]),
                                                                             (time.monotonic() - started) * 1000))
                    seen.update(e["message_id"] for e in page["entries"] if e["kind"] == "message")
                    since = page["last_seq"]
                    if not page["more"]:
                        return seen
            finally:
                await session.close()
        seen = run(sync_after_restart())
        assert {"sip:%s;cseq=1" % c for c in acknowledged} <= seen
    finally:
        janus.stop()
        shutil.rmtree(state_dir, ignore_errors=True)
        shutil.rmtree(trace_dir, ignore_errors=True)
