#!/usr/bin/python3
"""MSRP file transfer throughput through the server against a raw TCP copy, side by side in one run.

The transfers of the same payload alternate in every round (the order rotates), so that the
machine's load at the time touches all of them alike. Every peer is bench/msrp_file_peer (C++,
built by `make check`; made here if missing), so the peer is not what bounds a transfer and both
sides of the ratio pay the same peer costs:

- raw: a plain TCP copy over the namespace's addresses (10.77.0.2 -> 10.77.0.1, as the MSRP
  traffic goes): one msrp_file_peer process writes the payload in writes of the chunk size, a
  second one reads it all (1 MiB reads) and answers one byte; timed from the first write until
  that byte is back. The ceiling for one TCP stream between two processes here.
- raw+file (the goal's fair baseline for an upload): the same raw copy, its reader storing the
  file as janus stores an upload (--store-mode, default "buffered": plain writes into the page
  cache, no fdatasync, no hash); then raw+file pull (of a pull): that stored file sent by a raw
  sender with sendfile() in chunk-size ranges, as janus sends a pull, from wherever the store
  left it (page cache). The memory-to-memory raw row stays: the issue's literal baseline.
- stored (for reference): the same raw copy, its reader also writing the bytes to a file and
  SHA-1 hashing them on its one thread: what storing and hashing cost a plain receiver.
- up: msrp_file_peer sends the file into a room through a file transfer session of
  janus.plugin.sylk.msrp (msrp.open_session with "file": sendonly, via hubprobe, as the SIP focus
  opens it): SEND chunks of the chunk size, pipelined (RFC 4975 does not make a sender wait for a
  chunk's response; TCP's flow control paces it), Success-Report: yes; timed from the first byte
  until the success REPORT, which the server sends once the file is stored (written, SHA-1
  checked, listed). The plugin's status must then say "done".
- down: the same peer pulls that file back by its sha-1 (recvonly); timed from connecting until
  the last byte is in (every chunk answered 200); the body's SHA-1 is checked afterwards. The
  peer's 50 MB body is allocated and touched before the clock, as the raw sink's buffer is warm
  (on this project's VMs a fresh page costs a fault from the host on first touch).
- down_cold: the same pull after the stored file was taken out of the page cache
  (msrp_file_peer evict: written back, POSIX_FADV_DONTNEED): a file stored long ago or before a
  restart, read from the disk while it is sent; to compare with "disk read".
- disk (for reference, no network): the same payload written to a file beside janus's store
  with 1 MiB O_DIRECT writes, then read back cold: the device's own speeds (rows "disk write"
  and "disk read"; the read is what a pull of a file no longer in the page cache waits for).

For each: the median and range of MB/s over the rounds, the ratios up/raw and down/raw, and
up/raw+file and down/raw+file pull (the goal: >= 0.5 of each, docs/msrp-api.md "Benchmark"), the CPU seconds of janus and of the peer processes per transfer, the CPU per MB of
each end inside the clock (janus is an upload's receiving end and a pull's sending end; a raw
copy's ends are its two peers; load does not change these as it changes wall time), and the
machine's load average. Writes bench/results/msrp-files-<UTC time>.json and bench/results/msrp-files-latest.md.
One command (about a minute); needs the private network namespace:

    tests/integration/netns.sh /usr/bin/python3 bench/msrp_file_bench.py [--mb 50 --rounds 7 --chunk 65536]
"""
import argparse
import asyncio
import datetime
import hashlib
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

from bench_common import RESULTS, TOP, cpu_clock, machine, require_netns
from harness.janus_api import Session  # noqa: E402
from harness.janus_process import JanusProcess  # noqa: E402

PROBE = "janus.plugin.sylk.hubprobe.a"
MSRP = "janus.plugin.sylk.msrp"
SERVER_HOST, CLIENT_HOST = "10.77.0.1", "10.77.0.2"
PEER = None  # the msrp_file_peer program


def colon_hex(sha1_hex):
    return ":".join(sha1_hex[i:i + 2] for i in range(0, 40, 2)).upper()


def thread_cpu(pid, name):
    """CPU seconds of pid's live threads called name (the msrp plugin's stack thread: "msrp")."""
    total = 0.0
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/stat" % (pid, tid)) as f:
                head, fields = f.read().rsplit(")", 1)
            if head.split("(", 1)[1] == name:
                fields = fields.split()
                total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (FileNotFoundError, ProcessLookupError):
            pass
    return total


def children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


async def run_peer(*args):
    """Runs msrp_file_peer to its end; its result line ({"seconds": ..., "bytes": ...})."""
    process = await asyncio.create_subprocess_exec(PEER, *map(str, args), stdout=asyncio.subprocess.PIPE,
                                                   stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), 600)
    if process.returncode != 0:
        raise RuntimeError("msrp_file_peer %s failed: %s" % (args[0], err.decode(errors="replace").strip()))
    if err.strip():
        print(err.decode(errors="replace").strip(), flush=True)
    return json.loads(out.decode().strip().splitlines()[-1])


async def raw_copy(path, size, chunk, store=None, how="hash", keep=False, sender="raw-send"):
    """One TCP stream between two peer processes; seconds until the sink's byte is back. With store
    (a path) the sink also writes the bytes there: how "hash" buffered and SHA-1 hashed (one
    thread), else as janus stores an upload in that mode (msrp_file_peer's storeMode). keep: the
    stored file stays (for a raw-sendfile of it). sender "raw-sendfile": path is sent with
    sendfile() from the page cache (or the disk) instead of from memory."""
    sink = await asyncio.create_subprocess_exec(PEER, "raw-sink", SERVER_HOST, str(size),
                                                *([store, how] if store else []), stdout=asyncio.subprocess.PIPE)
    port = int((await sink.stdout.readline()).decode())
    result = await run_peer(sender, CLIENT_HOST, SERVER_HOST, port, path, chunk)
    sink_line = (await sink.stdout.read()).decode().strip().splitlines()[-1]
    if await sink.wait() != 0:
        raise RuntimeError("raw sink failed")
    if store and not keep:
        os.unlink(store)
    assert result["bytes"] == size, result
    return result["seconds"], {"send": result["cpu"], "receive": json.loads(sink_line)["cpu"]}


async def disk_copy(path, scratch):
    """The payload written with O_DIRECT and read back cold; (write seconds, read seconds)."""
    result = await run_peer("disk", path, os.path.join(scratch, "disk.bin"))
    return result["write_seconds"], result["read_seconds"]


async def transfer_state(status_handle, session_id):
    status = (await status_handle.send({"request": "status"}))[0]["status"]
    return next((t for t in status["file_transfers"] if t["session"] == session_id), {})


async def open_session(caller, room, selector, direction):
    # The peer connects to us (we are passive): its URI's port is never connected to, only
    # matched against the From-Path of its first request.
    own = "msrp://%s:2855/%s;tcp" % (CLIENT_HOST, os.urandom(8).hex())
    args = {"room": room, "uri": "sip:bench@example.com", "display": "Bench", "role": "passive",
            "remote": {"path": [own], "accept_types": ["*"]},
            "file": {"selector": selector, "direction": direction}}
    reply, _ = await caller.send({"request": "call", "service": "msrp.open_session", "args": args})
    if "error" in reply:
        raise RuntimeError("open_session: %r" % reply)
    answer = reply["result"]
    return own, " ".join(answer["local"]["path"]), answer


async def close_session(caller, answer):
    await caller.send({"request": "call", "service": "msrp.close_session", "args": {"session": answer["session"]}})


async def upload(status_handle, caller, room, path, size, sha1, chunk):
    selector = 'name:"bench.bin" type:application/octet-stream size:%d hash:sha-1:%s' % (size, colon_hex(sha1))
    own, to_path, answer = await open_session(caller, room, selector, "sendonly")
    try:
        result = await run_peer("send", CLIENT_HOST, answer["local"]["host"], answer["local"]["port"], to_path, own,
                                path, chunk)
        state = await transfer_state(status_handle, answer["session"])
        if state.get("state") != "done":
            raise RuntimeError("the plugin did not store the file: %r" % state)
        return result["seconds"], {"send": result["cpu"]}
    finally:
        await close_session(caller, answer)


async def download(caller, room, size, sha1, scratch):
    own, to_path, answer = await open_session(caller, room, "hash:sha-1:%s" % colon_hex(sha1), "recvonly")
    out = os.path.join(scratch, "pulled.bin")
    try:
        result = await run_peer("recv", CLIENT_HOST, answer["local"]["host"], answer["local"]["port"], to_path, own, out,
                                size)
        with open(out, "rb") as f:
            body = f.read()
        os.unlink(out)
        assert len(body) == size and hashlib.sha1(body).hexdigest() == sha1, "the pulled file differs"
        return result["seconds"], {"receive": result["cpu"]}
    finally:
        await close_session(caller, answer)


def summary(mb, seconds):
    rates = [mb / s for s in seconds]
    return {"median_mb_s": round(statistics.median(rates), 1), "min_mb_s": round(min(rates), 1),
            "max_mb_s": round(max(rates), 1), "runs_s": [round(s, 3) for s in seconds]}


async def bench(janus, args):
    payload = os.urandom(args.mb * 1024 * 1024)
    sha1 = hashlib.sha1(payload).hexdigest()
    scratch = tempfile.mkdtemp(prefix="sylk-msrp-file-bench-peer-")
    path = os.path.join(scratch, "payload.bin")
    with open(path, "wb") as f:
        f.write(payload)
    size = len(payload)
    del payload
    session = await Session.create(janus.ws_url)
    caller = await session.attach(PROBE)
    status_handle = await session.attach(MSRP)
    web = await Session.create(janus.ws_url)  # a web user keeps the room (and its files) open
    room_handle = await web.attach("janus.plugin.sylk.videoroom")
    room = "msrp-file-bench"
    await room_handle.send({"request": "join", "ptype": "publisher", "room": room, "display": "Keeper"})

    async def keep_alive(janus_session):
        # A loaded machine makes a run outlast janus's 60 s session timeout: the keeper's session
        # ending ends the room, and its files with it.
        while True:
            await asyncio.sleep(15)
            await janus_session.connection.call({"janus": "keepalive", "session_id": janus_session.id}, timeout=5)

    keepers = [asyncio.ensure_future(keep_alive(s)) for s in (session, web)]
    times = {"raw": [], "raw_file": [], "raw_file_pull": [], "stored": [], "up": [], "down": [], "down_cold": [],
             "disk_write": [], "disk_read": []}
    # CPU seconds per transfer: janus's (the server's share) and this process's (the peer's):
    # which side a transfer's speed is bound by.
    server_cpu = {kind: [] for kind in times}
    stack_cpu = {kind: [] for kind in times}  # of those, the msrp stack thread's (10 ms ticks)
    client_cpu = {kind: [] for kind in times}
    end_cpu_ms_mb = {"send": {kind: [] for kind in times}, "receive": {kind: [] for kind in times}}
    pid = janus.process.pid
    order = [kind for kind in ["raw", "up", "file", "stored", "down", "down_cold", "disk"] if kind in args.kinds.split(",")]
    try:
        for round_number in range(args.rounds):
            for kind in order[round_number % len(order):] + order[:round_number % len(order)]:
                if kind == "disk":
                    write_s, read_s = await disk_copy(path, scratch)
                    times["disk_write"].append(write_s)
                    times["disk_read"].append(read_s)
                    print("round %d disk: write %.1f MB/s, read back cold %.1f MB/s"
                          % (round_number + 1, args.mb / write_s, args.mb / read_s), flush=True)
                    continue
                if kind == "file":
                    # The raw copy that stores the file as janus does (the fair baseline of an
                    # upload), then that file sent from where the store left it (of a pull).
                    stored = os.path.join(scratch, "raw-file.bin")
                    for step in ("raw_file", "raw_file_pull"):
                        if step == "raw_file":
                            seconds, ends = await raw_copy(path, size, args.chunk, stored, args.store_mode, keep=True)
                        else:
                            seconds, ends = await raw_copy(stored, size, args.chunk, sender="raw-sendfile")
                            os.unlink(stored)
                        times[step].append(seconds)
                        for end, cpu in ends.items():
                            end_cpu_ms_mb[end][step].append(1000 * cpu / args.mb)
                        print("round %d %s: %.1f MB/s (wall %.3f s)" % (round_number + 1, step, args.mb / seconds, seconds),
                              flush=True)
                    continue
                server_before, client_before, stack_before = cpu_clock(pid), children_cpu(), thread_cpu(pid, "msrp")
                if kind == "raw":
                    seconds, ends = await raw_copy(path, size, args.chunk)
                elif kind == "stored":
                    seconds, ends = await raw_copy(path, size, args.chunk, os.path.join(scratch, "stored.bin"))
                elif kind == "up":
                    seconds, ends = await upload(status_handle, caller, room, path, size, sha1, args.chunk)
                elif kind == "down_cold":
                    # The stored file out of the page cache first: a file stored long ago, or
                    # before a restart (the store's newest file of the payload's size).
                    stored = max((os.path.join(d, f) for d, _, fs in os.walk(janus.run_dir) for f in fs
                                  if os.path.getsize(os.path.join(d, f)) == size), key=os.path.getmtime)
                    await run_peer("evict", stored)
                    server_before, client_before, stack_before = cpu_clock(pid), children_cpu(), thread_cpu(pid, "msrp")
                    seconds, ends = await download(caller, room, size, sha1, scratch)
                else:
                    seconds, ends = await download(caller, room, size, sha1, scratch)
                times[kind].append(seconds)
                server_cpu[kind].append(cpu_clock(pid) - server_before)
                # The CPU of each end within the clock, per MB: janus is the receiving end of an
                # upload and the sending end of a pull; a raw copy's ends are its two peers.
                if kind in ("up", "down", "down_cold"):
                    ends["receive" if kind == "up" else "send"] = server_cpu[kind][-1]
                for end, cpu in ends.items():
                    end_cpu_ms_mb[end][kind].append(1000 * cpu / args.mb)
                client_cpu[kind].append(children_cpu() - client_before)
                stack_cpu[kind].append(thread_cpu(pid, "msrp") - stack_before)
                print("round %d %s: %.1f MB/s (janus CPU %.3f s, its msrp thread %.2f s, peer CPU %.3f s, wall %.3f s)"
                      % (round_number + 1, kind, args.mb / times[kind][-1], server_cpu[kind][-1], stack_cpu[kind][-1],
                         client_cpu[kind][-1], times[kind][-1]), flush=True)
    finally:
        for keeper in keepers:
            keeper.cancel()
        await web.close()
        await session.close()
        os.unlink(path)
        os.rmdir(scratch)
    times = {kind: seconds for kind, seconds in times.items() if seconds}
    result = {kind: summary(args.mb, seconds) for kind, seconds in times.items()}
    for kind in times:
        for end in ("send", "receive"):
            if end_cpu_ms_mb[end][kind]:
                values = end_cpu_ms_mb[end][kind]
                result[kind]["%s_end_cpu_ms_per_mb" % end] = {
                    "median": round(statistics.median(values), 2), "min": round(min(values), 2),
                    "max": round(max(values), 2)}
        if kind.startswith("disk") or kind.startswith("raw_file"):
            continue
        result[kind]["janus_cpu_s_median"] = round(statistics.median(server_cpu[kind]), 3)
        result[kind]["peer_cpu_s_median"] = round(statistics.median(client_cpu[kind]), 3)
        result[kind]["msrp_thread_cpu_s_median"] = round(statistics.median(stack_cpu[kind]), 3)
    for kind in ("raw_file", "raw_file_pull", "stored", "up", "down", "down_cold", "disk_write", "disk_read"):
        if kind not in result or "raw" not in result:
            continue
        result[kind]["ratio_to_raw"] = round(result[kind]["median_mb_s"] / result["raw"]["median_mb_s"], 3)
    # The goal's fair baselines: an upload against the raw copy that stores the file as janus does,
    # a pull against the raw copy that sends that stored file.
    for kind, baseline in (("up", "raw_file"), ("down", "raw_file_pull")):
        if kind in result and baseline in result:
            result[kind]["ratio_to_raw_file"] = round(result[kind]["median_mb_s"] / result[baseline]["median_mb_s"], 3)
    return result


def main():
    require_netns(os.path.basename(__file__))
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mb", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--chunk", type=int, default=65536, help="bytes per MSRP chunk (and per raw write)")
    parser.add_argument("--store-mode", default="buffered",
                        choices=["buffered", "buffered-sync", "direct", "direct-sync"],
                        help="how the raw+file copy stores the file: as janus stores an upload (buffered)")
    parser.add_argument("--kinds", default="raw,up,file,stored,down,down_cold,disk",
                        help="the transfers to run (comma-separated; a profile of one, e.g. up; the report needs all)")
    parser.add_argument("--janus-env", action="append", default=[], metavar="NAME=VALUE",
                        help="an environment variable for janus (experiments, e.g. MALLOC_TRIM_THRESHOLD_=67108864)")
    parser.add_argument("--peer", help="the peer program (default: BUILD/bench/msrp_file_peer, made if missing)")
    args = parser.parse_args()
    build = os.path.join(TOP, "build")
    global PEER
    PEER = args.peer or os.path.join(build, "bench", "msrp_file_peer")
    if not args.peer and not os.path.exists(PEER):
        subprocess.run(["make", "-C", build, "bench/msrp_file_peer"], check=True, capture_output=True)
    load_before = os.getloadavg()
    janus = JanusProcess(build, tempfile.mkdtemp(prefix="sylk-msrp-file-bench-"),
                         run_options={"msrp_options": {"listen_ip": SERVER_HOST}},
                         env=dict(setting.split("=", 1) for setting in args.janus_env))
    janus.start()
    try:
        result = asyncio.run(bench(janus, args))
    finally:
        janus.stop()
    if set(args.kinds.split(",")) != {"raw", "up", "file", "stored", "down", "down_cold", "disk"}:
        print(json.dumps(result, indent=2))  # a partial run (profiling): no result files
        return 0
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    load = {"before": [round(v, 2) for v in load_before], "after": [round(v, 2) for v in os.getloadavg()]}
    record = {"time": stamp, "machine": machine(), "mb": args.mb, "rounds": args.rounds, "chunk": args.chunk,
              "janus_env": args.janus_env, "store_mode": args.store_mode,
              "load_average": load, "peer": "bench/msrp_file_peer (C++)", "result": result}
    os.makedirs(RESULTS, exist_ok=True)
    with open(os.path.join(RESULTS, "msrp-files-%s.json" % stamp), "w") as out:
        json.dump(record, out, indent=2)
    lines = ["# MSRP file transfer throughput (%s)" % stamp, "",
             "%d MB, %d rounds, %d-byte chunks; median (min-max) MB/s; ratio of medians to the raw TCP copy. "
             "Every peer is bench/msrp_file_peer (C++): the raw copy is two of its processes (writer, reader), the "
             "MSRP rows one of them against janus. Load average (1, 5, 15 min) before %s, after %s; %d CPUs."
             % (args.mb, args.rounds, args.chunk, load["before"], load["after"], os.cpu_count()), "",
             "| transfer | MB/s | ratio to raw | ratio to raw+file | janus CPU s | of it the msrp thread | peer CPU s | sending end CPU ms/MB | receiving end CPU ms/MB |",
             "|---|---|---|---|---|---|---|---|---|"]
    for kind, label in (("raw", "raw TCP copy 10.77.0.2 -> 10.77.0.1 (peer to peer, memory to memory)"),
                        ("raw_file", "raw+file: the same, the reader storing the file as janus does (%s)" % args.store_mode),
                        ("raw_file_pull", "raw+file pull: that stored file sent with sendfile(), as janus sends a pull"),
                        ("stored", "raw+store: the same, the reader writing and hashing"), ("up", "MSRP client -> room (stored, hashed)"),
                        ("down", "room -> MSRP client (pull by sha-1)"),
                        ("down_cold", "the same pull, the file out of the page cache first (stored long ago)"),
                        ("disk_write", "disk write (no network): 1 MiB O_DIRECT writes, the device's own speed"),
                        ("disk_read", "disk read (no network): that file read back cold, as a pull of a file not in the page cache reads it")):
        row = result[kind]
        ends = ["%s (%s-%s)" % (row[key]["median"], row[key]["min"], row[key]["max"]) if key in row else "-"
                for key in ("send_end_cpu_ms_per_mb", "receive_end_cpu_ms_per_mb")]
        lines.append("| %s | %s (%s-%s) | %s | %s | %s | %s | %s | %s | %s |" % (
            label, row["median_mb_s"], row["min_mb_s"], row["max_mb_s"], row.get("ratio_to_raw", "1"),
            row.get("ratio_to_raw_file", "-"),
            row.get("janus_cpu_s_median", "-"), row.get("msrp_thread_cpu_s_median", "-"), row.get("peer_cpu_s_median", "-"),
            *ends))
    lines += ["", "janus CPU: the whole process (ns clock); of it the msrp thread: the MSRP stack thread alone (10 ms "
              "ticks; an upload's writes and SHA-1 run on a thread of the file's own); peer CPU: the peer processes, "
              "loading the 50 MB payload from disk included. raw+file: the raw copy whose reader stores the file as "
              "janus stores an upload (no hash), and that file sent with sendfile(): the fair baselines of an "
              "upload and a pull (ratio to raw+file). raw+store: the raw copy whose reader also writes the "
              "bytes to a file and SHA-1 hashes them on its one thread (what storing costs a plain receiver; "
              "for reference, not the goal's baseline). Sending/receiving end CPU ms/MB: the CPU of each end "
              "within the clock (the peers' getrusage, janus's process clock), per MB: load does not change it "
              "as it changes wall time. janus is an upload's receiving end (to compare with the raw sink's) and a "
              "pull's sending end (to compare with the raw sender's). disk write/read: the payload written to "
              "a file beside janus's store with O_DIRECT, then read back cold, no network: the device's own "
              "speeds (for reference)."]
    with open(os.path.join(RESULTS, "msrp-files-latest.md"), "w") as out:
        out.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    sys.exit(main())
