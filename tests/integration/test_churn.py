"""Churn (issue 17): mixer and video room participants (aiortc and plain WebSocket clients) join
and leave every way there is, including closing the WebSocket without a word, phones (sipp) call
the rooms and hang up or vanish, and bad input arrives throughout (refused joins, malformed
bodies). Once the clients are gone janus must hold nothing of theirs: no rooms (plugins' admin
`list`, the hub's room count), no sessions (admin `list_sessions`), no SIP calls, and its file
descriptors and threads back at their baseline. bench/churn_bench.py runs the same load for an
hour and fits janus's memory slope."""
import asyncio
import re

from conftest import run
from harness.churn import ChurnLoad, leftovers, process_counts, sample_peaks
from harness.janus_api import Admin

WARMUP_S = 6
CHURN_S = 35
# Calls never acknowledged end 64*T1 = 32 s after their 200; an abandoned acknowledged call
# after the focus's RTP timeout (6 s in the test configuration) and its BYE.
SETTLE_S = 50
# What may outlive the clients for a moment, and why a small margin is right rather than none:
# janus's request pool (a GThreadPool) may keep idle threads for later requests, a handle's loop
# thread ends only once Janus frees the handle after its last reference, and a just-closed
# WebSocket or SIP socket may take a moment to go. Anything that leaks per client grows with the
# ~200 clients of a run and is far above it. The check waits for both counts to come down to
# baseline + margin and fails if they do not within SETTLE_S (in practice both come back exactly).
THREAD_TOLERANCE = 2
FD_TOLERANCE = 2


async def settle(admin, pid, expected, baseline, seconds):
    """Polls until nothing of the clients is left and fds/threads are back near baseline."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while True:
        held = await leftovers(admin)
        counts = process_counts(pid)
        clean = (held == expected and counts["fds"] <= baseline["fds"] + FD_TOLERANCE
                 and counts["threads"] <= baseline["threads"] + THREAD_TOLERANCE)
        if clean or loop.time() > deadline:
            return clean, held, counts
        await asyncio.sleep(0.5)


def test_churn_leaves_nothing_behind(janus):
    pid = janus.process.pid

    async def body():
        admin = await Admin.open(janus.admin_url, janus.admin_secret)
        try:
            empty = await leftovers(admin)
            # A first round starts what janus and the plugins start once (mixer threads, the SIP
            # stack's transports, GLib's pools); the baseline is taken after it has gone.
            warmup = ChurnLoad(janus)
            await warmup.run(WARMUP_S, unacked_calls=0)
            warm_clean, warm_held, _ = await settle(admin, pid, empty, process_counts(pid), 30)
            assert warm_clean, "the warm-up left %s (empty: %s)" % (warm_held, empty)
            await asyncio.sleep(1)
            baseline = process_counts(pid)
            load = ChurnLoad(janus)
            peaks = {}
            sampler = asyncio.get_running_loop().create_task(sample_peaks(pid, peaks))
            counts = await load.run(CHURN_S)
            sampler.cancel()
            started = asyncio.get_running_loop().time()
            clean, held, after = await settle(admin, pid, empty, baseline, SETTLE_S)
            after["settled_s"] = round(asyncio.get_running_loop().time() - started, 1)
            return empty, warmup, load, counts, baseline, peaks, clean, held, after
        finally:
            await admin.close()

    empty, warmup, load, counts, baseline, peaks, clean, held, after = run(body(), timeout=WARMUP_S + CHURN_S + SETTLE_S + 90)
    with open(janus.log_path, errors="replace") as log:
        invalid_sessions = len(re.findall(r"Invalid plugin session", log.read()))
    print("churn: %s; janus baseline %s, peak %s, after %s; 'Invalid plugin session' lines: %d; errors: %s"
          % (counts, baseline, peaks, after, invalid_sessions, load.errors[:5]))
    # The load really ran: every kind of client and ending happened, and worked.
    assert not warmup.errors and not load.errors, (warmup.errors + load.errors)[:10]
    for what in ("webrtc_mixer_up", "webrtc_video_up", "plain_joins", "rejoins", "refused_joins", "malformed_bodies",
                 "sip_calls", "sip_abandoned", "sip_unacked", "end_leave", "end_detach", "end_destroy", "end_abrupt"):
        assert counts.get(what, 0) > 0, "no %s in %s" % (what, counts)
    # ... and held threads and sockets while it ran, so coming back to the baseline means something
    assert peaks["threads"] > baseline["threads"] + THREAD_TOLERANCE and peaks["fds"] > baseline["fds"] + FD_TOLERANCE, peaks
    assert held == empty, "left behind after the churn: %s (before: %s)" % (held, empty)
    assert clean, "janus did not come back to its baseline: %s after, %s before" % (after, baseline)
    assert janus.alive()
