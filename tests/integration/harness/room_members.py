"""The non-XMPP members of a room for the XMPP room tests, each seen from its own side:

- `ApiWebUser`: a video room participant over the Janus API (what the room page does, without media),
  keeping every event it gets (messages, attendee roster changes, composing) in order;
- `BrowserWebUser`: html/room.html in headless Chromium (tests/browser/room_chat_user.mjs),
  driven line by line: `say()`, `state()` (its messages, participants and attendees);
- `RoomPhone`: a sipp phone in the room through the SIP focus (sip/xmpp_room_phone.xml) with the
  RTP peer keeping its media alive; what it received is read from sipp's message trace.
"""
import asyncio
import json
import os
import re
import tempfile

from harness.janus_api import Session
from harness.processes import spawn
from harness.rtp_peer import RtpPeer

VIDEOROOM = "janus.plugin.sylk.videoroom"
HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
SCENARIOS = os.path.join(os.path.dirname(HERE), "sip")


class ApiWebUser:
    def __init__(self, session, handle, joined):
        self.session, self.handle, self.joined = session, handle, joined
        self.id = joined["id"]
        self.member = "%s/%d" % (VIDEOROOM, self.id)
        self.events = []      # plugindata.data of every event, in order
        self._changed = asyncio.Event()
        self._reader = asyncio.ensure_future(self._read())

    @classmethod
    async def join(cls, url, room, display):
        session = await Session.create(url)
        handle = await session.attach(VIDEOROOM)
        joined, _ = await handle.send({"request": "join", "ptype": "publisher", "room": room, "display": display})
        return cls(session, handle, joined)

    async def _read(self):
        queue = self.session.connection.handle_events.setdefault(self.handle.id, asyncio.Queue())
        while True:
            event = await queue.get()
            data = event.get("plugindata", {}).get("data")
            if data is not None:
                self.events.append(data)
                self._changed.set()

    @property
    def history(self):
        return self.joined.get("history", [])

    def messages(self, predicate=lambda m: True):
        """Messages from others and from itself (the video room hands one's own back), in order."""
        return [e["message"] for e in self.events if "message" in e and predicate(e["message"])]

    def attendee_events(self):
        return [e["attendee"] for e in self.events if "attendee" in e]

    def composing_events(self):
        return [e["composing"] for e in self.events if "composing" in e]

    async def wait(self, probe, timeout=10, what="event"):
        """Waits until probe() returns something true; returns it."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            found = probe()
            if found:
                return found
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError("web user %s: no %s within %ss; events: %s"
                                     % (self.id, what, timeout, json.dumps(self.events[-12:])))
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), remaining)
            except asyncio.TimeoutError:
                pass

    async def wait_message(self, predicate, timeout=10):
        found = await self.wait(lambda: self.messages(predicate), timeout, "matching message")
        return found[0]

    async def say(self, text, to=None):
        body = {"request": "message", "text": text}
        if to is not None:
            body["to"] = to
        return (await self.handle.send(body))[0]

    async def composing(self, active=True):
        return (await self.handle.send({"request": "composing", "active": active}))[0]

    async def listing(self, room):
        """The video room's listparticipants: (its participants, other plugins' attendees)."""
        reply = (await self.handle.send({"request": "listparticipants", "room": room}))[0]
        return reply.get("participants", []), reply.get("attendees", [])

    async def close(self):
        self._reader.cancel()
        await self.session.close()


class BrowserWebUser:
    def __init__(self, process):
        self.process = process
        self.id = None

    @classmethod
    async def join(cls, http_url, room, display, timeout=90):
        process = await spawn("node", os.path.join(TOP, "tests", "browser", "room_chat_user.mjs"),
                              http_url + "room.html", room, display,
                              stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
        user = cls(process)
        ready = await user._line(timeout)
        if not ready.get("ready"):
            await user.close()
            raise AssertionError("the room page did not join: %s" % ready)
        user.id = ready["id"]
        user.member = "%s/%d" % (VIDEOROOM, user.id)
        return user

    async def _line(self, timeout=30):
        while True:
            line = await asyncio.wait_for(self.process.stdout.readline(), timeout)
            if not line:
                raise AssertionError("the browser script ended (exit %s)" % self.process.returncode)
            if line.startswith(b"{"):
                return json.loads(line)

    async def _command(self, command, timeout=30):
        self.process.stdin.write((json.dumps(command) + "\n").encode())
        await self.process.stdin.drain()
        return await self._line(timeout)

    async def say(self, text, to=None):
        command = {"say": text}
        if to is not None:
            command["to"] = to
        answer = await self._command(command)
        assert "error" not in answer, answer
        return answer

    async def state(self):
        answer = await self._command({"state": True})
        assert "state" in answer, answer
        return answer["state"]

    async def wait_state(self, probe, timeout=15, what="state"):
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            state = await self.state()
            if probe(state):
                return state
            if loop.time() > deadline:
                raise AssertionError("browser user: no %s within %ss; state: %s" % (what, timeout, json.dumps(state)))
            await asyncio.sleep(0.3)  # polling the page, not a wait for readiness

    async def close(self):
        if self.process.returncode is None:
            try:
                self.process.stdin.close()
                await asyncio.wait_for(self.process.wait(), 15)
            except (asyncio.TimeoutError, BrokenPipeError, ConnectionResetError):
                self.process.kill()
                await self.process.wait()


class RoomPhone:
    """A sipp phone calling sip:<room>@focus with sip/xmpp_room_phone.xml (its own pauses: it
    sends its MESSAGE ~4 s after the ACK, then takes exactly five CPIM MESSAGEs)."""

    FOCUS = "127.0.0.1:5060"

    def __init__(self, room, scenario="xmpp_room_phone.xml"):
        self.room, self.scenario = room, scenario
        self.trace_dir = tempfile.mkdtemp(prefix="sylk-sipp-")
        self.trace_path = os.path.join(self.trace_dir, "messages.log")
        self.process = self.rtp = self._media = None

    async def call(self):
        self.rtp = await RtpPeer("pcmu", 600).open()
        self.process = await spawn(
            "sipp", self.FOCUS, "-sf", os.path.join(SCENARIOS, self.scenario), "-m", "1", "-i", "127.0.0.1",
            "-p", "0", "-nostdin", "-timeout", "120s", "-trace_msg", "-message_file", self.trace_path,
            "-set", "room", self.room, "-set", "rtpport", str(self.rtp.port),
            cwd=self.trace_dir, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
        answer = await self.wait_trace(r"SIP/2\.0 200 OK.*?m=audio (\d+) RTP/AVP")
        # the focus ends a call without RTP after rtp_timeout: keep a tone flowing
        self._media = asyncio.ensure_future(self.rtp.stream(("127.0.0.1", int(answer.group(1))), 110))
        return self

    def trace(self):
        return open(self.trace_path, errors="replace").read() if os.path.exists(self.trace_path) else ""

    async def wait_trace(self, pattern, timeout=20):
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            match = re.search(pattern, self.trace(), re.S)
            if match:
                return match
            if self.process.returncode is not None:
                break
            await asyncio.sleep(0.1)
        raise AssertionError("sipp: no %r in its trace:\n%s" % (pattern, self.trace()[-3000:]))

    def received_messages(self):
        """(headers, body) of each MESSAGE request the phone received, in order."""
        found = []
        for block in re.split(r"^-{10,}.*$", self.trace().replace("\r\n", "\n"), flags=re.M):
            block = block.strip()
            if not block.startswith("UDP message received"):
                continue
            message = block.split("\n", 1)[1].lstrip() if "\n" in block else ""
            if message.startswith("MESSAGE "):
                headers, _, body = message.partition("\n\n")
                found.append((headers, body.strip()))
        return found

    async def finish(self, timeout=60):
        """Waits for the scenario's end (its BYE); returns (exit status, stderr)."""
        try:
            _, errors = await asyncio.wait_for(self.process.communicate(), timeout)
        except asyncio.TimeoutError:
            self.process.kill()
            raise AssertionError("sipp stuck:\n" + self.trace()[-3000:])
        return self.process.returncode, errors.decode(errors="replace")

    async def close(self):
        if self._media:
            self._media.cancel()
        if self.process and self.process.returncode is None:
            self.process.kill()
            await self.process.wait()
        if self.rtp:
            self.rtp.close()
