"""Push notification benchmark (issue 13): a real janus with the SIP plugin's push service and
the HTTP/2 TLS stand-in for APNs (tests/integration/harness/push_standin.py under hypercorn).

1. Throughput: one account with N APNs devices; one REST push to the account queues N pushes at
   once, which the APNs channel sends as streams on its one HTTP/2 connection. pushes/s = N /
   (last arrival at the stand-in - the trigger). Goal >= 500/s.
2. Latency: K single pushes triggered one by one at a steady rate through the REST API
   (push_api_wait_ms = 0: the API answers once queued); trigger-to-request latency = the
   stand-in's arrival time - the trigger's send time (same host clock). Goal p99 < 50 ms.

The stand-in is Python: by default bench/push_standin_fast.py (raw h2 on asyncio, APNs only,
the same checks), which costs far less CPU per push than the tests' hypercorn stand-in
(--standin hypercorn); the report gives the stand-in's CPU seconds next to janus's so a reader
can tell which one was the limit.

    tests/integration/netns.sh /usr/bin/python3 bench/push_bench.py [--devices 2000 --singles 500 --rate 100]
        [--standin fast|hypercorn]
"""
import argparse
import datetime
import http.client
import json
import os
import subprocess
import statistics
import sys
import tempfile
import time

from bench_common import RESULTS, TOP, cpu_seconds, machine, require_netns
from harness.janus_process import JanusProcess  # noqa: E402
from harness.push_service import PushStandIn, free_port  # noqa: E402

ACCOUNT = "bench@example.com"
BENCH = os.path.dirname(os.path.abspath(__file__))


class FastStandIn(PushStandIn):
    """The same keys, CA and control client; bench/push_standin_fast.py instead of hypercorn."""

    def start(self):
        env = dict(os.environ, PUSH_STANDIN_CONFIG=self.path("standin.json"))
        self.log = open(self.path("standin.log"), "ab")
        self.process = subprocess.Popen(
            [sys.executable, os.path.join(BENCH, "push_standin_fast.py"), "--port", str(self.port),
             "--certfile", self.path("server.pem"), "--keyfile", self.path("server.key")],
            env=env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 15
        while time.time() < deadline:
            try:
                self.reset()
                return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("the fast push stand-in did not start:\n" + open(self.path("standin.log")).read()[-2000:])


class Api:
    def __init__(self, port):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def post(self, path, body):
        self.connection.request("POST", path, body=json.dumps(body), headers={"Content-Type": "application/json"})
        answer = self.connection.getresponse()
        data = answer.read()
        return answer.status, json.loads(data) if data else None


def wait_count(standin, count, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        received = standin.received("apns")
        if len(received) >= count:
            return received
        time.sleep(0.2)
    return standin.received("apns")


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--devices", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--singles", type=int, default=500)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--standin", choices=("fast", "hypercorn"), default="fast")
    options = parser.parse_args()
    require_netns("push_bench.py")
    temp = tempfile.mkdtemp(prefix="sylk-push-bench-")
    standin = (FastStandIn if options.standin == "fast" else PushStandIn)(os.path.join(temp, "standin"))
    api_port = free_port()
    sip_options = dict(standin.sip_options(), push_api_port=api_port, push_api_hosts="127.0.0.1",
                       push_database=os.path.join(temp, "tokens.sqlite"), push_api_wait_ms=0)
    janus = JanusProcess(os.path.join(TOP, "build"), os.path.join(temp, "janus"), sip_options=sip_options)
    standin.start()
    janus.start()
    report = {"machine": machine(), "when": datetime.datetime.utcnow().isoformat() + "Z", "options": vars(options)}
    try:
        api = Api(api_port)
        app = standin.APNS_TOPICS[0]
        for index in range(options.devices):
            status, answer = api.post("/v2/tokens/" + ACCOUNT, {"app-id": app, "platform": "ios",
                                                                 "token": "%064x" % index, "device-id": "d%d" % index})
            assert status == 200, answer
        janus_cpu0, standin_cpu0 = cpu_seconds(janus.process.pid), cpu_seconds(standin.process.pid)
        rounds = []
        for round_index in range(options.rounds):
            standin.reset()
            trigger = time.time()
            status, answer = api.post("/v2/tokens/%s/push" % ACCOUNT, {"event": "message", "sip-from": "sip:b@x"})
            assert status in (200, 202), answer
            received = wait_count(standin, options.devices, 120)
            good = [r for r in received if r.get("answered") == 200 and "error" not in r]
            last = max(r["arrived"] for r in received)
            rounds.append({"pushes": len(received), "accepted": len(good), "seconds": round(last - trigger, 3),
                           "pushes_per_s": round(len(received) / (last - trigger), 1)})
            print("round %d: %s" % (round_index + 1, rounds[-1]), flush=True)
        report["throughput"] = rounds
        report["throughput_cpu_s"] = {"janus": round(cpu_seconds(janus.process.pid) - janus_cpu0, 2),
                                      "standin": round(cpu_seconds(standin.process.pid) - standin_cpu0, 2)}

        # Latency: one device, pushes triggered one at a time at --rate.
        single = "single@example.com"
        status, _ = api.post("/v2/tokens/" + single, {"app-id": app, "platform": "ios", "token": "ab" * 32,
                                                      "device-id": "one"})
        assert status == 200
        standin.reset()
        sent = {}
        interval = 1.0 / options.rate
        start = time.time()
        for index in range(options.singles):
            due = start + index * interval
            pause = due - time.time()
            if pause > 0:
                time.sleep(pause)
            call_id = "lat-%d" % index
            sent[call_id] = time.time()
            status, answer = api.post("/v2/tokens/%s/push" % single, {"event": "incoming_session", "call-id": call_id,
                                                                      "sip-from": "sip:b@x"})
            assert status in (200, 202), answer
        received = wait_count(standin, options.singles, 60)
        latencies = [(r["arrived"] - sent[r["body"]["call-id"]]) * 1000 for r in received
                     if r.get("body") and r["body"].get("call-id") in sent]
        report["latency_ms"] = {"count": len(latencies), "p50": round(percentile(latencies, 0.5), 2),
                                "p99": round(percentile(latencies, 0.99), 2), "max": round(max(latencies), 2),
                                "mean": round(statistics.mean(latencies), 2), "rate_per_s": options.rate}
        print("latency: %s" % report["latency_ms"], flush=True)
        status_body = None
    finally:
        janus.stop()
        standin.stop()
    best = max(r["pushes_per_s"] for r in report["throughput"])
    report["goals"] = {"pushes_per_s >= 500": best >= 500, "p99_ms < 50": report["latency_ms"]["p99"] < 50}
    os.makedirs(RESULTS, exist_ok=True)
    stamp = datetime.datetime.utcnow().strftime("%Y%m%dT%H%M%SZ")
    with open(os.path.join(RESULTS, "push-%s.json" % stamp), "w") as out:
        json.dump(report, out, indent=2)
    print(json.dumps(report["goals"]))
    del status_body


if __name__ == "__main__":
    main()
