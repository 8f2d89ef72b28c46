"""What the SIP benchmark (sip_bench.py) runs: janus with both SIP plugins, the sipp processes
(registrar, room callers, the reference UAS) and one measured step of each kind."""
import asyncio
import csv
import math
import os
import statistics
import struct
import time

from bench_common import JANUS_CPU, LOAD_CPU, cpu_busy, cpu_clock, threads_cpus
from harness.janus_api import Session  # noqa: E402
import janus_config  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SCENARIOS = os.path.join(HERE, "sip")
PLUGINS = {"sylk": "janus.plugin.sylk.sip", "stock": "janus.plugin.sip"}
FOCUS_PORT, REGISTRAR_PORT, REFERENCE_PORT = 5060, 5070, 5090
REFERENCE_MEDIA_PORT, CALLER_MEDIA_PORT = 7000, 8000
FRAME_S = 0.02

# The stock plugin's configuration (janus_config.make_run_dir writes none for it): our address,
# no OPTIONS keepalives (ours sends none either), the same registration TTL as ours by default.
STOCK_SIP_JCFG = """general: {
\tlocal_ip = "127.0.0.1"
\tsdp_ip = "127.0.0.1"
\tkeepalive_interval = 0
\tbehind_nat = false
\tregister_ttl = 3600
\trtp_port_range = "40000-50000"
\tsip_timer_t1x64 = 32000
}
"""

_make_run_dir = janus_config.make_run_dir


def _make_run_dir_with_stock_sip(run, *args, **kwargs):
    secret = _make_run_dir(run, *args, **kwargs)
    with open(os.path.join(run, "conf", "janus.plugin.sip.jcfg"), "w") as out:
        out.write(STOCK_SIP_JCFG)
    return secret


# JanusProcess lays out its run folder with janus_config.make_run_dir; the stock SIP plugin's
# configuration is added here rather than in the shared test tool.
janus_config.make_run_dir = _make_run_dir_with_stock_sip


def start_janus(janus, pinned):
    """Starts janus on CPU 0 (inherited from the thread that starts it), pins its threads there,
    and puts this process back on the load generator's CPU."""
    if pinned:
        os.sched_setaffinity(0, {JANUS_CPU})
    try:
        janus.start()
    finally:
        if pinned:
            os.sched_setaffinity(0, {LOAD_CPU})
    return threads_cpus(janus.process.pid, JANUS_CPU if pinned else None)


def proc_status(pid):
    """VmRSS and VmHWM in KiB and the thread count, from /proc/<pid>/status."""
    values = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM", "Threads"):
                values[key] = int(value.split()[0])
    values["fds"] = len(os.listdir("/proc/%d/fd" % pid))
    return values


def udp_drops(pid, port=None):
    """Datagrams the kernel dropped on pid's UDP sockets (full receive buffers), from the drops
    column of /proc/<pid>/net/udp for the sockets among its file descriptors (only the one bound
    to port, when given)."""
    inodes = set()
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            target = os.readlink("/proc/%d/fd/%s" % (pid, fd))
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    drops = 0
    for table in ("udp", "udp6"):
        try:
            with open("/proc/%d/net/%s" % (pid, table)) as f:
                next(f)
                for line in f:
                    fields = line.split()
                    if fields[9] in inodes and (port is None or int(fields[1].rsplit(":", 1)[1], 16) == port):
                        drops += int(fields[-1])
        except OSError:
            pass
    return drops


def thread_cpu(pid, name):
    """CPU seconds of pid's threads called name or name-<n> (/proc ticks)."""
    total = 0
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/stat" % (pid, tid)) as f:
                text = f.read()
        except OSError:
            continue
        comm, fields = text[text.index("(") + 1:text.rindex(")")], text.rsplit(")", 1)[1].split()
        if comm == name or comm.startswith(name + "-"):
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def percentile(values, p):
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))]


def tone_file(folder):
    """One second of a 440 Hz tone at about -20 dBov in raw PCMU: sipp's rtp_stream plays raw
    codec bytes (it skips a RIFF header, nothing else), looped."""
    # G.711 mu-law encoder (audioop is deprecated): bias, segment, mantissa, inverted.
    def ulaw(sample):
        sign = 0x80 if sample < 0 else 0
        magnitude = min(abs(sample), 32635) + 132
        exponent = max(0, magnitude.bit_length() - 8)
        mantissa = (magnitude >> (exponent + 3)) & 0x0F
        return ~(sign | (exponent << 4) | mantissa) & 0xFF
    data = bytes(ulaw(int(3277 * math.sin(2 * math.pi * 440 * i / 8000))) for i in range(8000))
    path = os.path.join(folder, "tone-440hz.ulaw")
    with open(path, "wb") as out:
        out.write(data)
    return path


def call_scenario(folder, tone=None):
    """bench/sip/room_call.xml, with the RTP stream of the tone after the ACK when tone is given."""
    with open(os.path.join(SCENARIOS, "room_call.xml")) as f:
        text = f.read()
    media = '<nop><action><exec rtp_stream="%s,-1,0" /></action></nop>' % tone if tone else ""
    path = os.path.join(folder, "call-media.xml" if tone else "call.xml")
    with open(path, "w") as out:
        out.write(text.replace("<!--MEDIA-->", media))
    return path


def rooms_file(folder, prefix, calls, room_size):
    """The sipp injection file: line i is the room of call i (room_size calls per room)."""
    path = os.path.join(folder, "rooms-%s.csv" % prefix)
    with open(path, "w") as out:
        out.write("SEQUENTIAL\n")
        for i in range(calls):
            out.write("%s-%d\n" % (prefix, i // room_size))
    return path


async def sipp(arguments, folder, name):
    out = open(os.path.join(folder, name + ".out"), "w")
    process = await asyncio.create_subprocess_exec("sipp", *arguments, cwd=folder, stdout=out,
                                                   stderr=asyncio.subprocess.STDOUT)
    process.out = out
    return process


async def end(process, timeout=5.0):
    """Ends a sipp we started, by its PID; returns its exit code."""
    if process.returncode is None:
        process.terminate()
        try:
            await asyncio.wait_for(process.wait(), timeout)
        except asyncio.TimeoutError:
            process.kill()
            await process.wait()
    process.out.close()
    return process.returncode


def sipp_stats(path):
    """Successful and failed calls from the last line of a sipp -trace_stat file."""
    try:
        with open(path) as f:
            rows = list(csv.reader(f, delimiter=";"))
    except OSError:
        return None
    if len(rows) < 2:
        return None
    header, last = rows[0], rows[-1]
    column = {name: i for i, name in enumerate(header)}
    try:
        return {"successful": int(last[column["SuccessfulCall(C)"]]), "failed": int(last[column["FailedCall(C)"]])}
    except (KeyError, ValueError, IndexError):
        return None


def rtts(folder):
    """INVITE -> 200 times in ms from sipp's -trace_rtt file(s) in folder."""
    values = []
    for name in os.listdir(folder):
        if name.endswith("_rtt.csv"):
            with open(os.path.join(folder, name)) as f:
                for line in f:
                    parts = line.strip().split(";")
                    if len(parts) == 3 and parts[2] == "1":
                        try:
                            values.append(float(parts[1]))
                        except ValueError:
                            pass
    return values


# ------------------------------------------------------------------ REGISTER


async def keepalive(session):
    while True:
        await asyncio.sleep(15)
        try:
            await session.connection.call({"janus": "keepalive", "session_id": session.id}, timeout=5)
        except Exception:  # noqa: BLE001 -- a dead janus shows in the step itself
            pass


def sip_result(data):
    return (data or {}).get("result", {}).get("event")


async def register_step(janus, name, n, window, folder):
    """N handles of one plugin register accounts u<i> with the sipp registrar, at most window at a
    time ("cold": the first REGISTER of each handle); then all unregister and register again
    ("warm": the stock plugin keeps each handle's Sofia stack and thread after an unregister, so it
    has none to start then). janus was started for this step alone (RSS growth is this plugin's)."""
    plugin = PLUGINS[name]
    pid = janus.process.pid
    registrar = await sipp(["-sf", os.path.join(SCENARIOS, "registrar.xml"), "-i", "127.0.0.1",
                            "-p", str(REGISTRAR_PORT), "-nostdin", "-buff_size", "4194304",
                            "-trace_stat", "-stf", os.path.join(folder, "registrar-stat.csv")], folder, "registrar")
    session = await Session.create(janus.ws_url)
    pinger = asyncio.ensure_future(keepalive(session))
    try:
        await asyncio.sleep(0.5)
        before = proc_status(pid)
        handles = []
        for start in range(0, n, 100):
            handles += await asyncio.gather(*(session.attach(plugin) for _ in range(start, min(n, start + 100))))
        await asyncio.sleep(1.0)
        attached = proc_status(pid)
        gate = asyncio.Semaphore(window)

        def body(i):
            return {"request": "register", "username": "sip:u%d@127.0.0.1:%d" % (i, REGISTRAR_PORT),
                    "secret": "secret%d" % i, "proxy": "sip:127.0.0.1:%d" % REGISTRAR_PORT}
        cold = await request_all(pid, handles, gate, body, "registering", ("registered",))
        await asyncio.sleep(1.0)
        registered = proc_status(pid)
        gone = await request_all(pid, handles, gate, lambda i: {"request": "unregister"}, "unregistering",
                                 ("unregistered",))
        await asyncio.sleep(0.5)
        warm = await request_all(pid, handles, gate, body, "registering", ("registered",))
    finally:
        pinger.cancel()
        await session.connection.close()
        code = await end(registrar)
    return {
        "name": name, "n": n, "window": window, **cold,
        "rss_kib": {"start": before["VmRSS"], "attached": attached["VmRSS"], "registered": registered["VmRSS"]},
        "kib_per_account": round((registered["VmRSS"] - before["VmRSS"]) / n, 1),
        "kib_per_registration": round((registered["VmRSS"] - attached["VmRSS"]) / n, 1),
        "threads": {"start": before["Threads"], "attached": attached["Threads"], "registered": registered["Threads"]},
        "fds": {"start": before["fds"], "registered": registered["fds"]},
        "unregister": gone, "warm": warm,
        "registrar_exit": code, "registrar": sipp_stats(os.path.join(folder, "registrar-stat.csv")),
    }


async def request_all(pid, handles, gate, body, first, finals):
    """Sends body(i) to handle i, at most gate's worth in flight, and waits for each one's final
    event (after the synchronous or first answer `first`); rate, latencies, janus CPU, failures."""
    latencies, failures = [], []

    async def one(i, handle):
        async with gate:
            t0 = time.monotonic()
            try:
                data, _ = await handle.send(body(i), timeout=60)
                event = sip_result(data)
                if event == first:
                    reply = await handle.next_event(timeout=60, predicate=lambda e: sip_result(
                        e.get("plugindata", {}).get("data")) in finals + ("registration_failed",))
                    data = reply["plugindata"]["data"]
                    event = sip_result(data)
            except asyncio.TimeoutError:
                event, data = "timeout", None
            if event in finals:
                latencies.append(time.monotonic() - t0)
            else:
                failures.append(str(data)[:200] if data else event)

    busy0, _ = cpu_busy(JANUS_CPU)
    load0, _ = cpu_busy(LOAD_CPU)
    clock0, t0 = cpu_clock(pid), time.monotonic()
    await asyncio.gather(*(one(i, h) for i, h in enumerate(handles)))
    elapsed, cpu = time.monotonic() - t0, cpu_clock(pid) - clock0
    others = cpu_busy(JANUS_CPU)[0] - busy0 - cpu
    load = cpu_busy(LOAD_CPU)[0] - load0  # this client and the sipp registrar
    ok = len(latencies)
    return {"done": ok, "failed": len(failures), "failures_sample": sorted(set(failures))[:5],
            "seconds": round(elapsed, 3), "per_second": round(ok / elapsed, 1) if elapsed > 0 else None,
            "latency_ms_p50": round(1000 * statistics.median(latencies), 1) if latencies else None,
            "latency_ms_p99": round(1000 * percentile(latencies, 99), 1) if latencies else None,
            "janus_cpu_ms_per_request": round(1000 * cpu / max(ok, 1), 3),
            "cpu0_other_pct": round(100 * others / elapsed, 1) if elapsed > 0.2 else None,
            "janus_cpu_pct": round(100 * cpu / elapsed, 1) if elapsed > 0.2 else None,
            "load_cpu_pct": round(100 * load / elapsed, 1) if elapsed > 0.2 else None}


# ------------------------------------------------------------------ calls


async def wait_quiet(limit=30.0, quiet_pct=15.0):
    """Before a retry: waits (at most limit seconds) until CPU 0 is less than quiet_pct busy over
    a second (the server is idle between steps, so that is other processes); returns the seconds
    waited and the last busy share."""
    start, pct = time.monotonic(), None
    while time.monotonic() - start < limit:
        busy0, t0 = cpu_busy(JANUS_CPU)[0], time.monotonic()
        await asyncio.sleep(1.0)
        pct = 100 * (cpu_busy(JANUS_CPU)[0] - busy0) / (time.monotonic() - t0)
        if pct < quiet_pct:
            break
    return round(time.monotonic() - start, 1), round(pct, 1) if pct is not None else None


class Reference:
    """sipp as the UAS (bench/sip/uas_echo.xml with -rtp_echo), on janus's CPU."""

    def __init__(self, folder, pinned):
        self.folder, self.pinned, self.process = folder, pinned, None

    async def start(self):
        self.process = await sipp(["-sf", os.path.join(SCENARIOS, "uas_echo.xml"), "-i", "127.0.0.1",
                                   "-p", str(REFERENCE_PORT), "-mi", "127.0.0.1", "-mp", str(REFERENCE_MEDIA_PORT),
                                   "-rtp_echo", "-rtp_buffsize", "4194304", "-nostdin", "-buff_size", "4194304"],
                                  self.folder, "reference-uas")
        await asyncio.sleep(0.5)
        if self.pinned:
            threads_cpus(self.process.pid, JANUS_CPU)
        return self

    @property
    def pid(self):
        return self.process.pid


async def calls_step(target, server_pid, admin, prefix, calls, rate, hold_ms, room_size, folder, scenario,
                     window=None, settle=3.0):
    """One sipp UAC run: `calls` calls at `rate` per second into rooms of room_size (or to the
    reference UAS), each held hold_ms. With window: once all calls are up (the focus's
    active_calls, or the ramp time for the reference) and settle seconds more, the server's CPU,
    the mixer's counters and socket drops are measured over window seconds."""
    step_folder = os.path.join(folder, prefix)
    os.makedirs(step_folder)
    port = FOCUS_PORT if target == "focus" else REFERENCE_PORT
    arguments = ["127.0.0.1:%d" % port, "-sf", scenario, "-inf", rooms_file(step_folder, prefix, calls, room_size),
                 "-i", "127.0.0.1", "-p", "0", "-mi", "127.0.0.1", "-mp", str(CALLER_MEDIA_PORT),
                 "-d", str(int(hold_ms)), "-r", str(rate), "-m", str(calls), "-l", str(calls), "-nostdin",
                 "-buff_size", "4194304", "-recv_timeout", "10000",
                 "-timeout", "%ds" % int(calls / rate + hold_ms / 1000 + 40), "-timeout_error",
                 "-trace_rtt", "-rtt_freq", "1", "-trace_stat", "-stf", os.path.join(step_folder, "stat.csv"),
                 "-trace_err", "-error_file", os.path.join(step_folder, "errors.log")]
    leftover = None
    if target == "focus":  # what earlier steps left: calls the focus still counts, legs still in rooms
        status = await admin.message_plugin(PLUGINS["sylk"], {"request": "status"})
        listing = await admin.message_plugin("janus.plugin.sylk.audiomixer", {"request": "list"})
        leftover = {"active_calls": status["focus"]["active_calls"],
                    "mixer_participants": sum(len(r.get("participants", [])) for r in listing.get("list", []))}
    sip_drops0 = udp_drops(server_pid, port)
    busy0, _ = cpu_busy(JANUS_CPU)
    clock0, t0 = cpu_clock(server_pid), time.monotonic()
    uac = await sipp(arguments, step_folder, "uac")
    try:
        return await _calls_step(target, server_pid, admin, prefix, calls, rate, hold_ms, room_size, window, settle,
                                 step_folder, uac, t0, clock0, sip_drops0, busy0, port, leftover)
    finally:
        await end(uac)


async def _calls_step(target, server_pid, admin, prefix, calls, rate, hold_ms, room_size, window, settle, step_folder,
                      uac, t0, clock0, sip_drops0, busy0, port, leftover):
    measured = None
    if window:
        ramp_deadline = t0 + calls / rate + 5
        active = None
        while time.monotonic() < ramp_deadline:
            await asyncio.sleep(0.25)
            if target == "focus":
                active = (await admin.message_plugin(PLUGINS["sylk"], {"request": "status"}))["focus"]["active_calls"]
                if active >= calls:
                    break
            elif time.monotonic() - t0 >= calls / rate + 0.5:
                break
        await asyncio.sleep(settle)
        measured = await measure(target, server_pid, uac.pid, admin, prefix, window, calls)
        measured["active_calls_at_window"] = active
    deadline, uac_cpu = time.monotonic() + calls / rate + hold_ms / 1000 + 60, 0.0
    while uac.returncode is None and time.monotonic() < deadline:
        try:
            uac_cpu = cpu_clock(uac.pid)  # its last reading before it exits
        except OSError:
            pass
        try:
            await asyncio.wait_for(uac.wait(), 0.25)
        except asyncio.TimeoutError:
            pass
    code = await end(uac)
    wall, cpu = time.monotonic() - t0, cpu_clock(server_pid) - clock0
    sip_drops = udp_drops(server_pid, port) - sip_drops0
    others = cpu_busy(JANUS_CPU)[0] - busy0 - cpu
    stats = sipp_stats(os.path.join(step_folder, "stat.csv")) or {}
    times = rtts(step_folder)
    failed = calls - stats.get("successful", 0) if stats else calls - len(times)
    result = {"target": target, "calls": calls, "rate": rate, "hold_ms": hold_ms, "room_size": room_size,
              "sipp_exit": code, "successful": stats.get("successful"), "failed": failed,
              "failed_pct": round(100.0 * failed / calls, 3),
              "setup_ms_p50": statistics.median(times) if times else None,
              "setup_ms_p99": percentile(times, 99), "setup_ms_max": max(times) if times else None,
              "server_cpu_ms_per_call": round(1000 * cpu / calls, 3), "wall_s": round(wall, 2),
              "caller_sipp_cpu_pct": round(100 * uac_cpu / wall, 1), "server_sip_socket_drops": sip_drops,
              "cpu0_other_pct": round(100 * others / wall, 1), "leftover_before": leftover}
    if measured:
        result["window"] = measured
    if failed:
        try:
            with open(os.path.join(step_folder, "errors.log"), errors="replace") as f:
                result["sipp_errors_sample"] = [line.strip()[:200] for line in f if line.strip()][:5]
        except OSError:
            pass
    return result


async def measure(target, server_pid, uac_pid, admin, prefix, window, calls):
    async def mixer():
        if target != "focus":
            return None
        reply = await admin.message_plugin("janus.plugin.sylk.audiomixer", {"request": "list"})
        totals = {f: 0 for f in ("packets_in", "packets_out", "lost", "late")}
        participants = 0
        for room in reply.get("list", []):
            if not str(room.get("room")).startswith(prefix + "-"):
                continue
            for p in room.get("participants", []):
                participants += 1
                for field in totals:
                    totals[field] += p.get("stats", {}).get(field, 0)
        return {"mixer": reply.get("mixer", {}), "totals": totals, "participants": participants}

    before = await mixer()
    drops0, server0, uac0, t0 = udp_drops(server_pid), cpu_clock(server_pid), cpu_clock(uac_pid), time.monotonic()
    busy0, steal0 = cpu_busy(JANUS_CPU)
    mixer0 = thread_cpu(server_pid, "sylk-mixer") if target == "focus" else 0
    await asyncio.sleep(window)
    dt = time.monotonic() - t0
    server_cpu, uac_cpu, drops = cpu_clock(server_pid) - server0, cpu_clock(uac_pid) - uac0, udp_drops(server_pid) - drops0
    busy1, steal1 = cpu_busy(JANUS_CPU)
    mixer_thread = thread_cpu(server_pid, "sylk-mixer") - mixer0 if target == "focus" else None
    after = await mixer()
    result = {"seconds": round(dt, 3), "server_cpu_pct": round(100 * server_cpu / dt, 1),
              "caller_sipp_cpu_pct": round(100 * uac_cpu / dt, 1), "server_udp_drops": drops,
              # other processes on the server's CPU (from /proc/stat ticks: rough, can come out negative)
              "cpu0_other_pct": round(100 * (busy1 - busy0 - server_cpu) / dt, 1),
              "cpu0_steal_pct": round(100 * (steal1 - steal0) / dt, 1)}
    if mixer_thread is not None:  # the audio mixer's threads (the mixing, apart from SIP and RTP I/O)
        result["mixer_thread_cpu_pct"] = round(100 * mixer_thread / dt, 1)
    if before and after:
        delta = {f: after["totals"][f] - before["totals"][f] for f in after["totals"]}
        n = after["participants"]
        expected = n * dt / FRAME_S
        ticks = after["mixer"].get("ticks", 0) - before["mixer"].get("ticks", 0)
        missed = after["mixer"].get("missed_deadlines", 0) - before["mixer"].get("missed_deadlines", 0)
        result.update({"participants": n, **delta, "mixer_ticks": ticks, "missed_deadlines": missed,
                       "in_pct_of_expected": round(100 * delta["packets_in"] / expected, 2) if expected else None,
                       "out_pct_of_expected": round(100 * delta["packets_out"] / expected, 2) if expected else None,
                       "loss_pct": round(100 * (delta["lost"] + drops) / max(1, delta["packets_in"] + delta["lost"]
                                                                             + drops), 3)})
    else:  # the reference: what its echo socket dropped against what the callers sent
        result["loss_pct"] = round(100 * drops / (calls * dt / FRAME_S), 3)
    return result
