"""What every benchmark here shares: where things are, the CPUs janus and the load generator are
pinned to, reading CPU time, describing the machine, watching the janus log, and the checks and
command-line options common to all of them."""
import os
import platform
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
RESULTS = os.path.join(HERE, "results")
sys.path.insert(0, os.path.join(TOP, "tests", "integration"))  # the test harness
sys.path.insert(0, os.path.join(TOP, "tests", "tools"))        # janus_config

JANUS_CPU, LOAD_CPU = 0, 1


def cpu_seconds(pid):
    """utime + stime of the whole process (all threads, live and ended), in seconds."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # fields 14, 15 of proc(5)


def cpu_clock(pid):
    """The same CPU time from the kernel's per-process CPU clock: ns instead of 10 ms ticks."""
    return time.clock_gettime(((~pid) << 3) | 2)  # Linux MAKE_PROCESS_CPUCLOCK(pid, CPUCLOCK_SCHED)


def threads_cpu_ns(pid):
    """CPU time (ns, /proc/<pid>/task/<tid>/schedstat) of pid's threads, summed by thread name:
    tells a plugin's own thread from the rest of janus (timers, other plugins' sweeps)."""
    by_name = {}
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/comm" % (pid, tid)) as comm, open("/proc/%d/task/%s/schedstat" % (pid, tid)) as stat:
                name = comm.read().strip()
                by_name[name] = by_name.get(name, 0) + int(stat.read().split()[0])
        except (FileNotFoundError, ProcessLookupError):
            pass  # a thread that ended between listing and reading
    return by_name


def threads_cpus(pid, pin_to=None):
    """Pins every thread of pid to CPU pin_to (when given); returns the CPUs its threads may use."""
    cpus = set()
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            if pin_to is not None:
                os.sched_setaffinity(int(tid), {pin_to})
            cpus |= os.sched_getaffinity(int(tid))
        except ProcessLookupError:
            pass
    return sorted(cpus)


def machine():
    def output(command):
        try:
            return subprocess.run(command, capture_output=True, text=True, timeout=10).stdout.strip()
        except OSError:
            return ""
    with open("/proc/cpuinfo") as f:
        model = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "?")
    return {"uname": output(["uname", "-a"]), "nproc": os.cpu_count(), "cpu_model": model,
            "kernel": platform.release(), "janus": (output(["janus", "--version"]).splitlines() or ["?"])[0],
            "git_commit": output(["git", "-C", TOP, "rev-parse", "--short", "HEAD"]) or "?"}


SATURATED_PCT = 85  # load generator CPU above which its numbers are suspect


LOG_PROBLEM = re.compile(r"\[(ERR|WARN)\]|\b(Error|error|ERROR|assert|Assertion)\b")


def cpu_busy(cpu):
    """(busy, steal) seconds of CPU cpu so far, from /proc/stat: busy counts every process on it
    (user, nice, system, irq, softirq), steal the time the hypervisor gave to someone else."""
    with open("/proc/stat") as f:
        fields = [int(v) for v in next(line for line in f if line.startswith("cpu%d " % cpu)).split()[1:9]]
    tick = os.sysconf("SC_CLK_TCK")
    return (fields[0] + fields[1] + fields[2] + fields[5] + fields[6]) / tick, fields[7] / tick


class LogWatch:
    """New problem lines ([ERR]/[WARN]/error) in the janus log since the last call."""

    def __init__(self, path):
        self.path, self.offset = path, 0

    def new_lines(self):
        try:
            with open(self.path, errors="replace") as f:
                f.seek(self.offset)
                text = f.read()
                self.offset = f.tell()
        except OSError:
            return []
        return [line for line in text.splitlines() if LOG_PROBLEM.search(line)]


def require_netns(script):
    """Exits unless running in the private network namespace that janus's ICE needs."""
    if not os.environ.get("SYLK_NETNS"):
        sys.exit("run it inside the private network namespace:\n"
                 "  tests/integration/netns.sh /usr/bin/python3 bench/%s" % script)
