"""Asyncio clients for the Janus WebSocket API and admin API."""
import asyncio
import json
import secrets

import websockets


class JanusError(Exception):
    def __init__(self, reply):
        self.reply = reply
        error = reply.get("error", {})
        super().__init__("janus error %s: %s" % (error.get("code"), error.get("reason")))
        self.code = error.get("code")


def _tx():
    return secrets.token_hex(6)


class Connection:
    """One WebSocket to janus; replies are matched to requests by transaction."""

    def __init__(self, ws):
        self.ws = ws
        self.pending = {}          # transaction -> queue of replies
        self.handle_events = {}    # handle id -> queue of events without a transaction we wait for
        self.reader = asyncio.get_running_loop().create_task(self._read())

    @classmethod
    async def open(cls, url, protocol="janus-protocol"):
        ws = await websockets.connect(url, subprotocols=[protocol], max_size=None, open_timeout=5)
        return cls(ws)

    async def _read(self):
        try:
            async for text in self.ws:
                message = json.loads(text)
                tx = message.get("transaction")
                if tx in self.pending:
                    await self.pending[tx].put(message)
                elif "sender" in message:
                    self.handle_events.setdefault(message["sender"], asyncio.Queue())
                    await self.handle_events[message["sender"]].put(message)
        except websockets.exceptions.ConnectionClosed:
            pass

    async def send_raw(self, text):
        await self.ws.send(text)

    async def call(self, message, timeout=10, final=("success", "error", "event", "ack_only")):
        """Sends message and returns the first reply that is not an ack (an ack alone is
        returned for requests that end with one, such as keepalive)."""
        tx = message.setdefault("transaction", _tx())
        queue = self.pending[tx] = asyncio.Queue()
        await self.ws.send(json.dumps(message))
        try:
            while True:
                reply = await asyncio.wait_for(queue.get(), timeout)
                if reply.get("janus") == "ack" and message["janus"] not in ("keepalive", "trickle"):
                    continue
                return reply
        finally:
            del self.pending[tx]

    async def close(self):
        await self.ws.close()
        self.reader.cancel()


class Session:
    def __init__(self, connection, session_id):
        self.connection = connection
        self.id = session_id

    @classmethod
    async def create(cls, url):
        connection = await Connection.open(url)
        reply = await connection.call({"janus": "create"})
        if reply["janus"] != "success":
            raise JanusError(reply)
        return cls(connection, reply["data"]["id"])

    async def attach(self, plugin):
        reply = await self.connection.call({"janus": "attach", "session_id": self.id, "plugin": plugin})
        if reply["janus"] != "success":
            raise JanusError(reply)
        return Handle(self, reply["data"]["id"], plugin)

    async def close(self):
        try:
            await self.connection.call({"janus": "destroy", "session_id": self.id}, timeout=5)
        finally:
            await self.connection.close()


class Handle:
    def __init__(self, session, handle_id, plugin):
        self.session = session
        self.id = handle_id
        self.plugin = plugin

    async def send(self, body, jsep=None, timeout=10):
        """A plugin request; returns (data, jsep) from the synchronous answer or the event
        that carries our transaction. Core-level errors raise JanusError."""
        message = {"janus": "message", "session_id": self.session.id, "handle_id": self.id, "body": body}
        if jsep is not None:
            message["jsep"] = jsep
        reply = await self.session.connection.call(message, timeout)
        if reply["janus"] == "error":
            raise JanusError(reply)
        return reply["plugindata"]["data"], reply.get("jsep")

    async def send_raw_body(self, body_text, timeout=10):
        """Sends a message whose body is given as raw JSON text (possibly not an object)."""
        tx = _tx()
        text = '{"janus":"message","session_id":%d,"handle_id":%d,"transaction":"%s","body":%s}' % (
            self.session.id, self.id, tx, body_text)
        queue = self.session.connection.pending[tx] = asyncio.Queue()
        await self.session.connection.send_raw(text)
        try:
            while True:
                reply = await asyncio.wait_for(queue.get(), timeout)
                if reply.get("janus") != "ack":
                    return reply
        finally:
            del self.session.connection.pending[tx]

    async def next_event(self, timeout=10, predicate=lambda event: True):
        queue = self.session.connection.handle_events.setdefault(self.id, asyncio.Queue())
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            event = await asyncio.wait_for(queue.get(), max(0.01, deadline - loop.time()))
            if predicate(event):
                return event

    async def info(self, admin):
        return await admin.call("handle_info", session_id=self.session.id, handle_id=self.id)


class Admin:
    def __init__(self, connection, secret):
        self.connection = connection
        self.secret = secret

    @classmethod
    async def open(cls, url, secret):
        return cls(await Connection.open(url, "janus-admin-protocol"), secret)

    async def call(self, verb, **fields):
        message = {"janus": verb, "admin_secret": self.secret}
        message.update(fields)
        reply = await self.connection.call(message)
        if reply["janus"] != "success":
            raise JanusError(reply)
        return reply

    async def message_plugin(self, plugin, request):
        return (await self.call("message_plugin", plugin=plugin, request=request))["response"]

    async def close(self):
        await self.connection.close()
