#!/usr/bin/python3
"""MSRP file transfer throughput through the server against a raw TCP copy, side by side in one run.

Three transfers of the same payload, alternating in every round (the order rotates), so that the
machine's load at the time touches all of them alike:

- raw: a plain TCP copy over the namespace's link (10.77.0.2 -> 10.77.0.1, as the MSRP traffic
  goes): the client writes the payload in chunks of the same size, a listener in this process
  reads it all and counts. The ceiling for one TCP stream between these two endpoints.
- up: an MSRP client (harness/msrp_peer.py) sends the file into a room through a file transfer
  session of janus.plugin.sylk.msrp, its chunks pipelined (RFC 4975 does not make a sender wait
  for a chunk's response; TCP's flow control paces it) (msrp.open_session with "file": sendonly, via hubprobe, as
  the SIP focus opens it); timed from the first chunk until the plugin reports the file stored
  (hashed and listed: status "done").
- down: the same client pulls that file back by its sha-1 (recvonly); timed from binding until
  the last byte is in.

For each: the median and range of MB/s over the rounds, and the ratios up/raw and down/raw (the
goal: >= 0.5). The Python peer frames and parses every chunk, so the ratios measure the server
and the peer together; the raw copy uses the same event loop. Writes
bench/results/msrp-files-<UTC time>.json and bench/results/msrp-files-latest.md. Needs the private
network namespace:

    tests/integration/netns.sh /usr/bin/python3 bench/msrp_file_bench.py [--mb 50 --rounds 5 --chunk 65536]
"""
import argparse
import asyncio
import datetime
import hashlib
import json
import os
import statistics
import sys
import tempfile
import time

from bench_common import RESULTS, TOP, cpu_clock, machine, require_netns
from harness.janus_api import Session  # noqa: E402
from harness.janus_process import JanusProcess  # noqa: E402
from harness.msrp_peer import MsrpEndpoint  # noqa: E402

PROBE = "janus.plugin.sylk.hubprobe.a"
MSRP = "janus.plugin.sylk.msrp"
SERVER_HOST, CLIENT_HOST = "10.77.0.1", "10.77.0.2"


UPLOAD_PHASES = []  # seconds until every chunk was answered, per upload (the rest: hashing, listing, polling)


def colon_hex(sha1_hex):
    return ":".join(sha1_hex[i:i + 2] for i in range(0, 40, 2)).upper()


async def raw_copy(payload, chunk):
    """One TCP stream, client to a listener in this process; seconds until the last byte is read."""
    done = asyncio.get_running_loop().create_future()

    async def receive(reader, writer):
        got = 0
        while got < len(payload):
            block = await reader.read(1 << 20)
            if not block:
                break
            got += len(block)
        writer.close()
        done.set_result(got)

    server = await asyncio.start_server(receive, SERVER_HOST, 0)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection(SERVER_HOST, port, local_addr=(CLIENT_HOST, 0))
    start = time.perf_counter()
    view = memoryview(payload)
    for offset in range(0, len(payload), chunk):
        writer.write(view[offset:offset + chunk])
        await writer.drain()
    got = await done
    elapsed = time.perf_counter() - start
    writer.close()
    server.close()
    await server.wait_closed()
    assert got == len(payload), got
    return elapsed


async def transfer_state(status_handle, session_id):
    status = (await status_handle.send({"request": "status"}))[0]["status"]
    return next((t for t in status["file_transfers"] if t["session"] == session_id), {})


async def open_session(caller, room, selector, direction):
    endpoint = MsrpEndpoint(host=CLIENT_HOST)
    session = endpoint.session()
    args = {"room": room, "uri": "sip:bench@example.com", "display": "Bench", "role": "passive",
            "remote": {"path": [str(session.uri)], "accept_types": ["*"]},
            "file": {"selector": selector, "direction": direction}}
    reply, _ = await caller.send({"request": "call", "service": "msrp.open_session", "args": args})
    if "error" in reply:
        raise RuntimeError("open_session: %r" % reply)
    return endpoint, session, reply["result"]


async def close_session(caller, endpoint, session, answer):
    await caller.send({"request": "call", "service": "msrp.close_session", "args": {"session": answer["session"]}})
    await session.close()
    await endpoint.close()


async def upload(status_handle, caller, room, payload, sha1, chunk):
    selector = 'name:"bench.bin" type:application/octet-stream size:%d hash:sha-1:%s' % (len(payload), colon_hex(sha1))
    endpoint, session, answer = await open_session(caller, room, selector, "sendonly")
    try:
        await session.connect(remote_path=answer["local"]["path"])
        start = time.perf_counter()
        await session.send_message(payload, content_type="application/octet-stream", chunk_size=chunk, window=None,
                                   timeout=600)
        UPLOAD_PHASES.append(time.perf_counter() - start)
        # Polled on one open handle, every 5 ms: a new Janus session per poll and 20 ms between
        # polls (the first runs) added up to tens of milliseconds to a transfer of ~200 ms.
        while (await transfer_state(status_handle, answer["session"])).get("state") != "done":
            await asyncio.sleep(0.005)
        return time.perf_counter() - start
    finally:
        await close_session(caller, endpoint, session, answer)


async def download(caller, room, payload, sha1):
    endpoint, session, answer = await open_session(caller, room, "hash:sha-1:%s" % colon_hex(sha1), "recvonly")
    try:
        start = time.perf_counter()
        await session.connect(remote_path=answer["local"]["path"])
        message = await session.wait_message(timeout=600)
        elapsed = time.perf_counter() - start
        assert len(message.body) == len(payload) and hashlib.sha1(message.body).hexdigest() == sha1
        return elapsed
    finally:
        await close_session(caller, endpoint, session, answer)


def summary(mb, seconds):
    rates = [mb / s for s in seconds]
    return {"median_mb_s": round(statistics.median(rates), 1), "min_mb_s": round(min(rates), 1),
            "max_mb_s": round(max(rates), 1), "runs_s": [round(s, 3) for s in seconds]}


async def bench(janus, args):
    payload = os.urandom(args.mb * 1024 * 1024)
    sha1 = hashlib.sha1(payload).hexdigest()
    session = await Session.create(janus.ws_url)
    caller = await session.attach(PROBE)
    status_handle = await session.attach(MSRP)
    web = await Session.create(janus.ws_url)  # a web user keeps the room (and its files) open
    room_handle = await web.attach("janus.plugin.sylk.videoroom")
    room = "msrp-file-bench"
    await room_handle.send({"request": "join", "ptype": "publisher", "room": room, "display": "Keeper"})
    times = {"raw": [], "up": [], "down": []}
    # CPU seconds per transfer: janus's (the server's share) and this process's (the peer's):
    # which side a transfer's speed is bound by.
    server_cpu = {"raw": [], "up": [], "down": []}
    client_cpu = {"raw": [], "up": [], "down": []}
    pid = janus.process.pid
    order = ["raw", "up", "down"]
    try:
        for round_number in range(args.rounds):
            for kind in order[round_number % 3:] + order[:round_number % 3]:
                server_before, client_before = cpu_clock(pid), time.process_time()
                if kind == "raw":
                    times[kind].append(await raw_copy(payload, args.chunk))
                elif kind == "up":
                    times[kind].append(await upload(status_handle, caller, room, payload, sha1, args.chunk))
                else:
                    times[kind].append(await download(caller, room, payload, sha1))
                server_cpu[kind].append(cpu_clock(pid) - server_before)
                client_cpu[kind].append(time.process_time() - client_before)
                print("round %d %s: %.1f MB/s (janus CPU %.2f s, peer CPU %.2f s, wall %.2f s%s)"
                      % (round_number + 1, kind, args.mb / times[kind][-1], server_cpu[kind][-1], client_cpu[kind][-1],
                         times[kind][-1], "; chunks all answered at %.2f s" % UPLOAD_PHASES[-1] if kind == "up" else ""),
                      flush=True)
    finally:
        await web.close()
        await session.close()
    result = {kind: summary(args.mb, seconds) for kind, seconds in times.items()}
    for kind in times:
        result[kind]["janus_cpu_s_median"] = round(statistics.median(server_cpu[kind]), 3)
        result[kind]["peer_cpu_s_median"] = round(statistics.median(client_cpu[kind]), 3)
    for kind in ("up", "down"):
        result[kind]["ratio_to_raw"] = round(result[kind]["median_mb_s"] / result["raw"]["median_mb_s"], 3)
    return result


def main():
    require_netns(os.path.basename(__file__))
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mb", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--chunk", type=int, default=65536, help="bytes per MSRP chunk (and per raw write)")
    args = parser.parse_args()
    build = os.path.join(TOP, "build")
    janus = JanusProcess(build, tempfile.mkdtemp(prefix="sylk-msrp-file-bench-"),
                         run_options={"msrp_options": {"listen_ip": SERVER_HOST}})
    janus.start()
    try:
        result = asyncio.run(bench(janus, args))
    finally:
        janus.stop()
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    record = {"time": stamp, "machine": machine(), "mb": args.mb, "rounds": args.rounds, "chunk": args.chunk,
              "result": result}
    os.makedirs(RESULTS, exist_ok=True)
    with open(os.path.join(RESULTS, "msrp-files-%s.json" % stamp), "w") as out:
        json.dump(record, out, indent=2)
    lines = ["# MSRP file transfer throughput (%s)" % stamp, "",
             "%d MB, %d rounds, %d-byte chunks; median (min-max) MB/s; ratio of medians to the raw TCP copy."
             % (args.mb, args.rounds, args.chunk), "",
             "| transfer | MB/s | ratio to raw | janus CPU s | peer CPU s |", "|---|---|---|---|---|"]
    for kind, label in (("raw", "raw TCP copy 10.77.0.2 -> 10.77.0.1"), ("up", "MSRP client -> room (stored, hashed)"),
                        ("down", "room -> MSRP client (pull by sha-1)")):
        row = result[kind]
        lines.append("| %s | %s (%s-%s) | %s | %s | %s |" % (
            label, row["median_mb_s"], row["min_mb_s"], row["max_mb_s"], row.get("ratio_to_raw", "1"),
            row["janus_cpu_s_median"], row["peer_cpu_s_median"]))
    with open(os.path.join(RESULTS, "msrp-files-latest.md"), "w") as out:
        out.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    sys.exit(main())
