"""linphone-daemon (package linphone-cli) as a real SIP user agent: registers, calls, answers,
hangs up, sends MESSAGE, reports call state and media encryption, and (ZRTP) its SAS. Driven
through the unix socket its --pipe option makes in /tmp; events are polled with pop-event.

Three things make it work headless inside the test's network namespace:
- liblinphone only brings its SIP transports up once its core has fully started, and the core
  stays in "startup" when it cannot open its database ($HOME/.local/share/linphone/linphone.db;
  it does not create the folder). HOME is a fresh temp folder here, so we make the folder.
- Its network monitor (every 5 s) asks the kernel for the source address toward 87.98.157.38
  (linphone.org); the test namespace has no default route, so it finds only loopback, decides
  the network is down, tears its SIP transport down and never registers ("No listening point";
  turning the monitor off with auto_net_state_mon=0 leaves it never "up", so no REGISTER).
  Outside a namespace the host's default route hides this. We give that one address a route
  through the namespace's veth (v0, netns.sh) while the daemon runs: nothing is sent there.
- belle-sip binds [::]:port (dual stack) even with use_ipv6=0: we look in /proc/net/udp6 too.
- No sound card exists: an ~/.asoundrc makes ALSA's default device playback only, written to
  a raw file (what the daemon decoded from the call: checked by FFT). No capture device: an
  ALSA capture of "null" returns at once, mediastreamer takes it as its clock and stalls the
  daemon (its command socket stops answering); without one, its ticker runs on the wall clock.
  What it sends is a WAV tone played into the call (incall-player-start)."""
import asyncio
import math
import os
import re
import shutil
import signal
import subprocess
import tempfile
import wave

import numpy

from harness.processes import spawn

RATE = 48000  # ALSA's default device is opened at 48 kHz mono s16 by mediastreamer here

ASOUNDRC = """pcm.!default {{
    type asym
    playback.pcm "heard"
}}
pcm.heard {{
    type plug
    slave {{ pcm "heardfile"; rate {rate}; channels 1; format S16_LE }}
}}
pcm.heardfile {{
    type file
    slave.pcm "null"
    file "{heard}"
    format "raw"
}}
"""

CONFIG = """[sip]
sip_port={sip_port}
sip_tcp_port=0
sip_tls_port=0
guess_hostname=0
default_proxy={default_proxy}
[rtp]
bind_address=127.0.0.1
audio_rtp_port={rtp_port}
[net]
use_ipv6=0
[sound]
echocancellation=0
[video]
capture=0
display=0
automatically_initiate=0
automatically_accept=0
[misc]
zrtp_cache_db_file={folder}/zrtp-cache.db
"""


ACCOUNT = """[proxy_0]
reg_identity={identity}
reg_proxy=<{proxy}>
reg_route=<{proxy};lr>
reg_expires=3600
reg_sendregister=1
"""


def parse(text):
    """A daemon answer or event ("Key: value" lines) as a dict; "Status" is Ok or Error."""
    fields = {}
    for line in text.splitlines():
        key, sep, value = line.partition(": ")
        if sep and key not in fields:
            fields[key.strip()] = value.strip()
        elif line.endswith(":") and line[:-1] not in fields:
            fields[line[:-1].strip()] = ""
    return fields


class Linphone:
    """One linphone-daemon in a temp folder. frequency: the tone it plays into calls (Hz)."""

    def __init__(self, sip_port, rtp_port, frequency=600, encryption="none", name="linphone", account=None):
        """account: (identity, proxy URI): registered at start and the default for calls and
        MESSAGEs, which then go through that proxy (the daemon's register command makes an
        account that is not the default, so its calls would look the domain up in DNS)."""
        self.sip_port, self.rtp_port, self.frequency = sip_port, rtp_port, frequency
        self.account = account
        self.encryption, self.name = encryption, name
        self.folder = tempfile.mkdtemp(prefix="sylk-linphone-")
        self.pipe = "sylk-linphone-%d-%d" % (os.getpid(), sip_port)
        self.log_path = os.path.join(self.folder, "linphone.log")
        self.heard_path = os.path.join(self.folder, "heard.raw")
        self.tone_path = os.path.join(self.folder, "tone.wav")
        self.process = None
        self.reader = self.writer = None
        self.lock = asyncio.Lock()
        self.events = []
        self.routed = False
        self.log_mark = 0

    PROBE = "87.98.157.38"  # where liblinphone's network monitor looks for a route

    def _route_probe(self):
        have = subprocess.run(["ip", "route", "get", self.PROBE], capture_output=True).returncode == 0
        if not have and subprocess.run(["ip", "link", "show", "v0"], capture_output=True).returncode == 0:
            subprocess.run(["ip", "route", "add", self.PROBE + "/32", "dev", "v0"], check=True)
            self.routed = True

    async def start(self, timeout=15):
        self._route_probe()
        os.makedirs(os.path.join(self.folder, ".local", "share", "linphone"))
        with open(os.path.join(self.folder, "linphonerc"), "w") as handle:
            handle.write(CONFIG.format(sip_port=self.sip_port, rtp_port=self.rtp_port, folder=self.folder,
                                       default_proxy=0 if self.account else -1))
            if self.account:
                identity, proxy = self.account
                handle.write(ACCOUNT.format(identity=identity, proxy=proxy))
        with open(os.path.join(self.folder, ".asoundrc"), "w") as handle:
            handle.write(ASOUNDRC.format(heard=self.heard_path, rate=RATE))
        self._write_tone(12)
        socket_path = os.path.join("/tmp", self.pipe)
        if os.path.exists(socket_path):
            os.unlink(socket_path)
        env = dict(os.environ, HOME=self.folder)
        self.process = await spawn("linphone-daemon", "--config", os.path.join(self.folder, "linphonerc"),
                                   "--pipe", self.pipe, "--log", self.log_path, cwd=self.folder, env=env,
                                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            try:
                self.reader, self.writer = await asyncio.open_unix_connection(socket_path)
                break
            except OSError:
                if loop.time() > deadline or self.process.returncode is not None:
                    raise RuntimeError("linphone-daemon made no control socket:\n" + self.log_tail())
                await asyncio.sleep(0.1)
        # The core iterates only while a client is connected; the SIP socket comes up then.
        while not self._udp_bound(self.sip_port):
            if loop.time() > deadline:
                raise RuntimeError("linphone-daemon's SIP socket never came up:\n" + self.log_tail())
            await self.command("call-status")
            await asyncio.sleep(0.1)
        answer = await self.command("media-encryption " + self.encryption)
        if answer.get("Encryption") != self.encryption:
            raise RuntimeError("media-encryption %s refused: %r" % (self.encryption, answer))
        return self

    def _write_tone(self, seconds):
        t = numpy.arange(int(seconds * 8000)) / 8000
        samples = (numpy.sin(2 * math.pi * self.frequency * t) * 12000).astype("<i2")
        with wave.open(self.tone_path, "wb") as handle:
            handle.setnchannels(1)
            handle.setsampwidth(2)
            handle.setframerate(8000)
            handle.writeframes(samples.tobytes())

    @staticmethod
    def _udp_bound(port):
        # belle-sip binds [::]:port (dual stack) even with use_ipv6=0
        for name in ("/proc/net/udp", "/proc/net/udp6"):
            with open(name) as table:
                if any(line.split()[1].endswith(":%04X" % port) for line in list(table)[1:]):
                    return True
        return False

    async def command(self, text, timeout=10):
        """Sends one command; returns the parsed answer (raises on a lost connection)."""
        async with self.lock:
            self.writer.write(text.encode())
            await self.writer.drain()
            data = await asyncio.wait_for(self.reader.read(65536), timeout)
            if not data:
                raise RuntimeError("linphone-daemon closed its socket:\n" + self.log_tail())
            # One answer is one write; take whatever follows within a moment too
            while True:
                try:
                    more = await asyncio.wait_for(self.reader.read(65536), 0.02)
                except asyncio.TimeoutError:
                    break
                if not more:
                    break
                data += more
        return parse(data.decode(errors="replace"))

    async def next_event(self, predicate, timeout=15):
        """The next queued daemon event matching predicate (earlier non-matching ones are kept)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            for event in self.events:
                if predicate(event):
                    self.events.remove(event)
                    return event
            answer = await self.command("pop-event")
            if answer.get("Event-type"):
                self.events.append(answer)
                continue
            if loop.time() > deadline:
                raise AssertionError("%s: no such event in %s s; queued: %r\n%s" %
                                     (self.name, timeout, self.events, self.log_tail()))
            await asyncio.sleep(0.1)

    async def call_state(self, *states, timeout=15):
        return await self.next_event(lambda e: e.get("Event-type") == "call-state-changed" and
                                     e.get("Event") in states, timeout)

    async def registered(self, timeout=15):
        """The state the account given at construction reached (polled: the daemon raises no
        event for registrations)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            state = (await self.command("register-status ALL")).get("State")
            if state in ("LinphoneRegistrationOk", "LinphoneRegistrationFailed") or loop.time() > deadline:
                return state
            await asyncio.sleep(0.1)

    async def message_received(self, timeout=15):
        """The next incoming MESSAGE: its fields, Content unquoted."""
        event = await self.next_event(lambda e: e.get("Event-type") == "message-received", timeout)
        event["Content"] = event.get("Content", "").strip('"')
        return event

    async def call(self, uri):
        answer = await self.command("call " + uri)
        assert answer.get("Status") == "Ok", answer
        return int(answer["Id"])

    async def answer(self, call_id):
        return await self.command("answer %d" % call_id)

    async def terminate(self, call_id=None):
        return await self.command("terminate" + ("" if call_id is None else " %d" % call_id))

    async def message(self, uri, text):
        return await self.command("message %s %s" % (uri, text))

    async def play_tone(self, call_id):
        answer = await self.command("incall-player-start %s %d" % (self.tone_path, call_id))
        assert answer.get("Status") == "Ok", answer

    async def status(self, call_id):
        return await self.command("call-status %d" % call_id)

    def heard(self, seconds=1.5):
        """The last seconds the daemon decoded from its calls, as float samples and their rate."""
        data = numpy.fromfile(self.heard_path, dtype="<i2") if os.path.exists(self.heard_path) else numpy.zeros(0)
        return data[-int(seconds * RATE):].astype(numpy.float64), RATE

    def zrtp(self):
        """What the log says of ZRTP since mark_log(): (secure, sas); mediastreamer logs "ZRTP
        secrets on: SAS is xxxx ..." once the exchange has ended and SRTP is keyed."""
        found = re.findall(r"SAS is ([A-Za-z0-9]{4})", self.log_text()[self.log_mark:])
        return bool(found), (found[-1] if found else None)

    def mark_log(self):
        self.log_mark = len(self.log_text())

    def log_text(self):
        try:
            with open(self.log_path, errors="replace") as handle:
                return handle.read()
        except OSError:
            return ""

    def log_tail(self, size=4000):
        return self.log_text()[-size:]

    async def stop(self):
        if self.writer:
            try:
                self.writer.write(b"quit")
                await self.writer.drain()
            except (ConnectionError, RuntimeError):
                pass
            self.writer.close()
        if self.process and self.process.returncode is None:
            try:
                await asyncio.wait_for(self.process.wait(), 3)
            except asyncio.TimeoutError:
                self.process.send_signal(signal.SIGKILL)
                await self.process.wait()
        try:
            os.unlink(os.path.join("/tmp", self.pipe))
        except OSError:
            pass
        if self.routed:
            subprocess.run(["ip", "route", "del", self.PROBE + "/32", "dev", "v0"], capture_output=True)
            self.routed = False

    def remove(self):
        shutil.rmtree(self.folder, ignore_errors=True)
