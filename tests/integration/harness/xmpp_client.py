"""An XMPP user for tests: a slixmpp (python3-slixmpp 1.8) client on the test's own asyncio loop.

The MUC side is done by hand, not by slixmpp's xep_0045 plugin, so that a test sees every stanza
the room sent, in order, exactly as it came (the plugin filters and reorders, and its join only
finishes on a subject): `join()` sends the presence with `<x xmlns='http://jabber.org/protocol/muc'/>`
and collects what the room answers until the subject (or an error) arrives.

    client = await XmppClient.connect(prosody, "alice", "password")
    join = await client.join("room1@conference.localhost", "Alice", history=None)
    join.occupants            # nicks whose presence came before our own (status 110)
    join.history              # messages with <delay/>, in order
    await client.groupchat("room1@conference.localhost", "hello")
    message = await client.wait_message(lambda m: m.body == "hi")
    await client.disconnect()

Everything received is kept in `client.received` (`Stanza` records, arrival order); every wait
raises `XmppTimeout` saying what did arrive. Nothing is ever dropped by the wrapper.
"""
import asyncio
import itertools
import time
import xml.etree.ElementTree as ET

import slixmpp
from slixmpp.xmlstream.handler import Callback
from slixmpp.xmlstream.matcher import MatchXPath

NS_CLIENT = "jabber:client"
NS_MUC = "http://jabber.org/protocol/muc"
NS_MUC_USER = "http://jabber.org/protocol/muc#user"
NS_CHATSTATES = "http://jabber.org/protocol/chatstates"
NS_DELAY = "urn:xmpp:delay"
NS_STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas"
NS_DISCO_INFO = "http://jabber.org/protocol/disco#info"
NS_DISCO_ITEMS = "http://jabber.org/protocol/disco#items"
CHAT_STATES = ("active", "composing", "paused", "inactive", "gone")

_ids = itertools.count(1)


class XmppTimeout(AssertionError):
    pass


def _q(namespace, name):
    return "{%s}%s" % (namespace, name)


def xml_escape(text):
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;").replace("'", "&apos;"))


class Stanza:
    """One stanza as received: the element (a copy, in namespace-qualified ElementTree form)
    and what the tests ask of it."""

    def __init__(self, element, received_at):
        self.xml = element
        self.received_at = received_at  # time.monotonic()
        self.kind = element.tag.split("}")[-1]  # message, presence, iq
        self.sender = element.get("from", "")
        self.to = element.get("to", "")
        self.type = element.get("type", "normal" if self.kind == "message" else
                                ("available" if self.kind == "presence" else ""))
        self.id = element.get("id")

    def __repr__(self):
        return ET.tostring(self.xml, encoding="unicode")

    def child(self, namespace, name):
        return self.xml.find(_q(namespace, name))

    def _text(self, name):
        found = self.xml.find(_q(NS_CLIENT, name))
        return None if found is None else (found.text or "")

    @property
    def body(self):
        return self._text("body")

    @property
    def subject(self):
        return self._text("subject")

    @property
    def thread(self):
        return self._text("thread")

    @property
    def status(self):
        return self._text("status")

    @property
    def resource(self):
        """The part after '/' of from: the occupant's nick for stanzas from a room."""
        return self.sender.split("/", 1)[1] if "/" in self.sender else ""

    @property
    def bare_from(self):
        return self.sender.split("/", 1)[0]

    @property
    def status_codes(self):
        """MUC status codes (muc#user <status code=.../>) as a set of ints."""
        x = self.child(NS_MUC_USER, "x")
        if x is None:
            return set()
        return {int(s.get("code")) for s in x.findall(_q(NS_MUC_USER, "status")) if (s.get("code") or "").isdigit()}

    @property
    def muc_item(self):
        """The muc#user <item/> attributes (affiliation, role, jid, nick) or {}."""
        x = self.child(NS_MUC_USER, "x")
        item = None if x is None else x.find(_q(NS_MUC_USER, "item"))
        return dict(item.attrib) if item is not None else {}

    @property
    def delay(self):
        """(stamp, from) of <delay xmlns='urn:xmpp:delay'/> or None."""
        delay = self.child(NS_DELAY, "delay")
        return None if delay is None else (delay.get("stamp"), delay.get("from"))

    @property
    def chat_state(self):
        for state in CHAT_STATES:
            if self.child(NS_CHATSTATES, state) is not None:
                return state
        return None

    @property
    def error(self):
        """(error type, condition name, text) of a type='error' stanza, else None."""
        error = self.xml.find(_q(NS_CLIENT, "error"))
        if error is None:
            return None
        condition, text = None, None
        for element in error:
            if element.tag == _q(NS_STANZAS, "text"):
                text = element.text
            elif element.tag.startswith("{%s}" % NS_STANZAS):
                condition = element.tag.split("}")[1]
        return error.get("type"), condition, text

    @property
    def error_condition(self):
        error = self.error
        return error[1] if error else None


class JoinResult:
    """What a room sent in answer to our join presence, in order."""

    def __init__(self, room, nick):
        self.room, self.nick = room, nick
        self.stanzas = []        # everything from the room, in arrival order, until the subject or error
        self.presences = []      # other occupants' presences before our own
        self.self_presence = None
        self.history = []        # messages with <delay/>
        self.subject = None      # the <message><subject/> stanza
        self.error = None        # the presence type='error' stanza, when refused

    @property
    def occupants(self):
        """Nicks of the other occupants announced before our own presence (available ones)."""
        return [p.resource for p in self.presences if p.type != "unavailable"]

    @property
    def order(self):
        """Short labels of the stanzas in arrival order, e.g. ['presence', 'self', 'history', 'subject']."""
        labels = []
        for stanza in self.stanzas:
            if stanza is self.self_presence:
                labels.append("self")
            elif stanza is self.subject:
                labels.append("subject")
            elif stanza in self.history:
                labels.append("history")
            else:
                labels.append(stanza.kind)
        return labels


class _Client(slixmpp.ClientXMPP):
    def __init__(self, jid, password, host, port):
        super().__init__(jid, password)
        self._host, self._port = host, port

    async def get_dns_records(self, domain, port=None):
        # the test's Prosody is at a fixed loopback address: no DNS (localhost may be ::1 first)
        return [(self._host, self._host, self._port)]


class XmppClient:
    """One logged-in XMPP user. Create with `await XmppClient.connect(...)`."""

    def __init__(self, jid, password, host="127.0.0.1", port=5222, resource=None, stream_management=False):
        if resource:
            jid = "%s/%s" % (jid, resource)
        self.xmpp = _Client(jid, password, host, port)
        self.xmpp.register_plugin("xep_0030")  # answers disco#info to whoever asks us
        self.xmpp.register_plugin("xep_0199")
        self.stream_management = stream_management
        self._sm_enabled = None
        if stream_management:  # XEP-0198, no resumption: counts what it handles, answers <r/>
            self.xmpp.register_plugin("xep_0198", {"allow_resume": False})
            self.xmpp.add_event_handler("sm_enabled", self._on_sm_enabled)
        self.received = []
        self._waiters = []
        self._session = None
        self._disconnected = None
        for kind in ("message", "presence", "iq"):
            self.xmpp.register_handler(Callback("collect-" + kind, MatchXPath("{%s}%s" % (NS_CLIENT, kind)),
                                                self._collect))
        self.xmpp.add_event_handler("session_start", self._on_session_start)
        self.xmpp.add_event_handler("failed_auth", self._on_failure)
        self.xmpp.add_event_handler("connection_failed", self._on_failure)
        self.xmpp.add_event_handler("disconnected", self._on_disconnected)

    @classmethod
    async def connect(cls, prosody_or_host, user, password=None, resource=None, timeout=15, domain=None,
                      stream_management=False):
        """Logs `user` in to a harness Prosody (or a (host, port) pair with domain given) and
        sends initial presence; with stream_management, returns once XEP-0198 is enabled."""
        if isinstance(prosody_or_host, tuple):
            (host, port), domain = prosody_or_host, domain or "localhost"
        else:
            host, port = prosody_or_host.host, prosody_or_host.c2s_port
            domain = prosody_or_host.domain
            password = password if password is not None else prosody_or_host.users[user]
        client = cls("%s@%s" % (user, domain), password, host, port, resource, stream_management)
        await client.start(timeout)
        return client

    async def start(self, timeout=15):
        loop = asyncio.get_running_loop()
        self._session = loop.create_future()
        self._disconnected = loop.create_future()
        self._sm_enabled = loop.create_future()
        self.xmpp.connect(address=(self.xmpp._host, self.xmpp._port), use_ssl=False,
                          force_starttls=False, disable_starttls=True)
        try:
            await asyncio.wait_for(asyncio.shield(self._session), timeout)
            if self.stream_management:
                await asyncio.wait_for(asyncio.shield(self._sm_enabled), timeout)
        except asyncio.TimeoutError:
            self.xmpp.abort()
            raise XmppTimeout("%s: no session%s within %ss" % (
                self.jid, " with stream management" if self.stream_management else "", timeout)) from None

    @property
    def jid(self):
        return str(self.xmpp.boundjid)

    @property
    def bare_jid(self):
        return self.xmpp.boundjid.bare

    def _on_session_start(self, _event):
        self.xmpp.send_presence()
        if not self._session.done():
            self._session.set_result(True)

    def _on_sm_enabled(self, _stanza):
        if self._sm_enabled and not self._sm_enabled.done():
            self._sm_enabled.set_result(True)

    @property
    def connected(self):
        """False once the stream ended (closed by either side)."""
        return self._disconnected is not None and not self._disconnected.done()

    @property
    def handled(self):
        """XEP-0198: how many stanzas this client has counted as handled since it enabled it."""
        return self.xmpp.plugin["xep_0198"].handled

    def _on_failure(self, reason):
        if self._session and not self._session.done():
            self._session.set_exception(RuntimeError("%s: cannot log in: %s" % (self.xmpp.boundjid, reason)))

    def _on_disconnected(self, _reason):
        if self._disconnected and not self._disconnected.done():
            self._disconnected.set_result(True)

    def _collect(self, stanza):
        # a copy: slixmpp reuses and mutates its stanza objects
        element = ET.fromstring(ET.tostring(stanza.xml))
        record = Stanza(element, time.monotonic())
        self.received.append(record)
        for waiter in list(self._waiters):
            waiter()

    # ---- waiting -------------------------------------------------------------------------
    async def wait_for(self, predicate, timeout=10, start=0, what="stanza"):
        """The first stanza at index >= start that satisfies predicate, waiting up to timeout s."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        index = start
        while True:
            while index < len(self.received):
                if predicate(self.received[index]):
                    return self.received[index]
                index += 1
            remaining = deadline - loop.time()
            if remaining <= 0:
                tail = self.received[start:][-12:]
                raise XmppTimeout("%s: no %s within %ss; received since: %s"
                                  % (self.jid, what, timeout, "\n  ".join([""] + [repr(s) for s in tail])))
            arrived = loop.create_future()

            def wake(future=arrived):
                if not future.done():
                    future.set_result(None)
            self._waiters.append(wake)
            try:
                await asyncio.wait_for(arrived, remaining)
            except asyncio.TimeoutError:
                pass
            finally:
                self._waiters.remove(wake)

    async def wait_message(self, predicate=lambda m: True, timeout=10, start=0):
        return await self.wait_for(lambda s: s.kind == "message" and predicate(s), timeout, start, "matching message")

    async def wait_presence(self, predicate=lambda p: True, timeout=10, start=0):
        return await self.wait_for(lambda s: s.kind == "presence" and predicate(s), timeout, start,
                                   "matching presence")

    async def collect(self, predicate, seconds):
        """Every stanza matching predicate that arrives within `seconds` from now (for checking
        that something arrives exactly once, or not at all)."""
        start = len(self.received)
        await asyncio.sleep(seconds)
        return [s for s in self.received[start:] if predicate(s)]

    def mark(self):
        """An index to pass as start=: only stanzas received after this call."""
        return len(self.received)

    def messages(self, predicate=lambda m: True, start=0):
        return [s for s in self.received[start:] if s.kind == "message" and predicate(s)]

    # ---- MUC -----------------------------------------------------------------------------
    async def join(self, room, nick, history=None, password=None, timeout=15, extra=""):
        """Sends the MUC join presence to room/nick and returns a JoinResult once the subject
        arrived (or the join was refused: JoinResult.error). history: None (the room's default)
        or a dict of <history/> attributes, e.g. {"maxstanzas": 5}."""
        occupant = "%s/%s" % (room, nick)
        start = self.mark()
        children = ""
        if history is not None:
            children += "<history %s/>" % " ".join('%s="%s"' % (k, xml_escape(str(v))) for k, v in history.items())
        if password is not None:
            children += "<password>%s</password>" % xml_escape(password)
        self.send_raw("<presence to='%s'><x xmlns='%s'>%s</x>%s</presence>"
                      % (xml_escape(occupant), NS_MUC, children, extra))
        result = JoinResult(room, nick)
        room_lower = room.lower()
        index = start
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            def from_room(s):
                return s.bare_from.lower() == room_lower and s.kind in ("presence", "message")
            stanza = await self.wait_for(from_room, max(0.01, deadline - loop.time()), index,
                                         "answer from %s to our join (so far: %s)" % (room, result.order))
            index = self.received.index(stanza, index) + 1
            result.stanzas.append(stanza)
            if stanza.kind == "presence":
                if stanza.type == "error":
                    result.error = stanza
                    return result
                if 110 in stanza.status_codes:
                    result.self_presence = stanza
                elif result.self_presence is None:
                    result.presences.append(stanza)
            elif stanza.subject is not None and stanza.body is None:
                result.subject = stanza
                return result
            elif stanza.delay is not None:
                result.history.append(stanza)

    async def leave(self, room, nick, status=None):
        body = "<status>%s</status>" % xml_escape(status) if status else ""
        self.send_raw("<presence to='%s/%s' type='unavailable'>%s</presence>" % (xml_escape(room), xml_escape(nick), body))

    def groupchat(self, room, body, stanza_id=None, extra=""):
        """Sends a groupchat message; returns its id (the room echoes it back with the same id)."""
        stanza_id = stanza_id or "gc-%d" % next(_ids)
        self.send_raw("<message to='%s' type='groupchat' id='%s'><body>%s</body>%s</message>"
                      % (xml_escape(room), xml_escape(stanza_id), xml_escape(body), extra))
        return stanza_id

    def private(self, room, nick, body, stanza_id=None, extra=""):
        """A private message to one occupant (type chat to room/nick)."""
        stanza_id = stanza_id or "pm-%d" % next(_ids)
        self.send_raw("<message to='%s/%s' type='chat' id='%s'><body>%s</body>%s</message>"
                      % (xml_escape(room), xml_escape(nick), xml_escape(stanza_id), xml_escape(body), extra))
        return stanza_id

    def chat_state(self, to, state, message_type="groupchat"):
        """A standalone XEP-0085 notification (no body)."""
        if state not in CHAT_STATES:
            raise ValueError(state)
        self.send_raw("<message to='%s' type='%s' id='cs-%d'><%s xmlns='%s'/></message>"
                      % (xml_escape(to), message_type, next(_ids), state, NS_CHATSTATES))

    def set_subject(self, room, subject):
        self.send_raw("<message to='%s' type='groupchat' id='subj-%d'><subject>%s</subject></message>"
                      % (xml_escape(room), next(_ids), xml_escape(subject)))

    async def iq(self, to, payload, iq_type="get", timeout=10):
        """Sends an iq with the given payload (XML text) and returns the result or error Stanza."""
        iq_id = "iq-%d" % next(_ids)
        start = self.mark()
        self.send_raw("<iq to='%s' type='%s' id='%s'>%s</iq>" % (xml_escape(to), iq_type, iq_id, payload))
        return await self.wait_for(lambda s: s.kind == "iq" and s.id == iq_id and s.type in ("result", "error"),
                                   timeout, start, "iq answer %s" % iq_id)

    async def disco_info(self, to, node=None, timeout=10):
        node = " node='%s'" % xml_escape(node) if node else ""
        return await self.iq(to, "<query xmlns='%s'%s/>" % (NS_DISCO_INFO, node), timeout=timeout)

    async def disco_items(self, to, timeout=10):
        return await self.iq(to, "<query xmlns='%s'/>" % NS_DISCO_ITEMS, timeout=timeout)

    def send_raw(self, text):
        """Sends XML text as is (Prosody checks it is well-formed and routes it)."""
        self.xmpp.send_raw(text)

    async def disconnect(self, timeout=5):
        if self._disconnected is None or self._disconnected.done():
            return
        self.xmpp.disconnect(wait=1.0)
        try:
            await asyncio.wait_for(asyncio.shield(self._disconnected), timeout)
        except asyncio.TimeoutError:
            self.xmpp.abort()

    async def __aenter__(self):
        return self

    async def __aexit__(self, *_exc):
        await self.disconnect()


def disco_identities(stanza):
    """[(category, type, name)] of a disco#info result."""
    query = stanza.child(NS_DISCO_INFO, "query")
    if query is None:
        return []
    return [(i.get("category"), i.get("type"), i.get("name")) for i in query.findall(_q(NS_DISCO_INFO, "identity"))]


def disco_features(stanza):
    query = stanza.child(NS_DISCO_INFO, "query")
    if query is None:
        return set()
    return {f.get("var") for f in query.findall(_q(NS_DISCO_INFO, "feature"))}


def disco_item_jids(stanza):
    query = stanza.child(NS_DISCO_ITEMS, "query")
    if query is None:
        return []
    return [i.get("jid") for i in query.findall(_q(NS_DISCO_ITEMS, "item"))]
