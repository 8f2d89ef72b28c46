"""The SIP gateway's message journal (issue 13, docs/message-store.md) against a real janus:
SIP MESSAGEs from sipp and from a raw SIP client to web users' accounts, the sync requests on
the gateway API seen by two handles of one account and by a third that connects later, bad
input, and kill -9 of janus during a burst of 10,000 MESSAGEs (every one that got a 200 is in
the journal after the restart, exactly once)."""
import asyncio
import os
import re
import signal
import socket
import sqlite3
import tempfile
import time
import uuid

import pytest

from conftest import BUILD, run
from harness.janus_api import Session
from harness.janus_process import JanusProcess, sanitizer_env
from harness.processes import spawn

SIP = "janus.plugin.sylk.sip"
SCENARIOS = os.path.join(os.path.dirname(__file__), "sip")
GATEWAY = ("127.0.0.1", 5060)
ACCOUNT = "sip:alice@sylk.test"
# SylkServer's offline delivery: the proxy (here: a raw client on a trusted address) forks
# MESSAGEs for an account's address to the server.
SIP_OPTIONS = {"offline_delivery": "trusted_peers"}


def journal_path(janus):
    return os.path.join(janus.run_dir, "state", "message-journal.sqlite")


async def web_user():
    """A handle registered as a guest of ACCOUNT: (session, handle, contact user)."""
    session = await Session.create("ws://127.0.0.1:8188/")
    handle = await session.attach(SIP)
    data, _ = await handle.send({"request": "register", "username": ACCOUNT, "type": "guest"})
    return session, handle, data["result"]["contact_user"]


async def result_event(handle, name, timeout=10):
    event = await handle.next_event(timeout=timeout, predicate=lambda e: e.get("plugindata", {}).get("data", {})
                                    .get("result", {}).get("event") == name)
    return event["plugindata"]["data"]["result"]


def sip_message(contact_user, body, content_type="text/plain", call_id=None, transport="UDP", port=0,
                request_uri=None):
    """Sends one MESSAGE from a raw socket to sip:contact_user@gateway (or request_uri); returns
    the status of the final answer."""
    call_id = call_id or uuid.uuid4().hex
    kind = socket.SOCK_DGRAM if transport == "UDP" else socket.SOCK_STREAM
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.settimeout(10)
        sock.bind(("127.0.0.1", port))
        if transport == "TCP":
            sock.connect(GATEWAY)
        local_port = sock.getsockname()[1]
        payload = body.encode() if isinstance(body, str) else body
        request = ("MESSAGE %s SIP/2.0\r\n"
                   "Via: SIP/2.0/%s 127.0.0.1:%d;rport;branch=z9hG4bK%s\r\n"
                   "From: <sip:bob@127.0.0.1:%d>;tag=%s\r\nTo: <sip:%s@127.0.0.1>\r\n"
                   "Call-ID: %s\r\nCSeq: 1 MESSAGE\r\nMax-Forwards: 70\r\nContent-Type: %s\r\n"
                   "Content-Length: %d\r\n\r\n" % (request_uri or "sip:%s@127.0.0.1:5060" % contact_user, transport, local_port, uuid.uuid4().hex, local_port,
                                                   uuid.uuid4().hex[:8], contact_user, call_id, content_type,
                                                   len(payload))).encode() + payload
        if transport == "UDP":
            sock.sendto(request, GATEWAY)
        else:
            sock.sendall(request)
        deadline = time.monotonic() + 10
        data = b""
        while time.monotonic() < deadline:
            data += sock.recv(65536)
            for status in re.findall(rb"^SIP/2\.0 (\d{3})", data, re.M):
                if int(status) >= 200:
                    return int(status)
        raise AssertionError("no final answer to the MESSAGE")


def cpim(message_id, text, sender="sip:bob@127.0.0.1"):
    return ("From: <%s>\r\nTo: <sip:alice@sylk.test>\r\nDateTime: 2026-12-05T01:00:00Z\r\n"
            "NS: imdn <urn:ietf:params:imdn>\r\nimdn.Message-ID: %s\r\n\r\n"
            "Content-Type: text/plain\r\n\r\n%s" % (sender, message_id, text))


def rows(janus, where="", params=()):
    with sqlite3.connect(journal_path(janus)) as db:
        return db.execute("SELECT kind, message_id, conversation, content, state, is_read FROM message_journal"
                          + where + " ORDER BY seq", params).fetchall()


def test_messages_are_journaled_and_synced_across_handles(janus):
    async def body():
        session1, one, contact1 = await web_user()
        session2, two, contact2 = await web_user()
        try:
            # A CPIM message with an imdn.Message-ID, to the first handle's contact: 200 only once stored.
            first = await asyncio.to_thread(sip_message, contact1, cpim("id-1", "hello one"), "message/cpim")
            assert first == 200
            assert ("message", "id-1") in [(r[0], r[1]) for r in rows(janus)]
            for handle in (one, two):  # both handles (devices) of the account see it
                event = await result_event(handle, "message")
                assert event["message_id"] == "id-1" and event["content"] == "hello one"
            # The same message again (a retransmission by another route, a fork): 200, stored and shown once.
            assert await asyncio.to_thread(sip_message, contact2, cpim("id-1", "hello one"), "message/cpim") == 200
            # Plain text: named by its Call-ID and CSeq.
            assert await asyncio.to_thread(sip_message, contact2, "plain two", "text/plain", "call-two") == 200
            plain = await result_event(one, "message")
            assert plain["message_id"] == "sip:call-two;cseq=1" and plain["content"] == "plain two"
            assert len([r for r in rows(janus) if r[0] == "message"]) == 2
            sender = plain["sender"]

            # An outgoing message: journaled, answered, and shown to the account's other handle.
            data, _ = await one.send({"request": "message", "uri": "sip:carol@127.0.0.1:5999", "content": "out"})
            sent = data["result"]
            assert sent["event"] == "messagesent" and sent["seq"] > 0
            copy = await result_event(two, "outgoing_message")
            assert copy["message_id"] == sent["message_id"] and copy["content"] == "out"

            # Read mark and removal from handle one: answered to it, forwarded to handle two, journaled.
            data, _ = await one.send({"request": "mark_read", "conversation": sender})
            assert data["result"]["event"] == "conversation_read"
            assert (await result_event(two, "conversation_read"))["conversation"] == sender
            data, _ = await one.send({"request": "remove_message", "message_id": "id-1"})
            assert data["result"]["event"] == "message_removed"
            assert (await result_event(two, "message_removed"))["message_id"] == "id-1"

            # Unknown ids are refused clearly and change nothing.
            data, _ = await two.send({"request": "remove_message", "message_id": "no-such-message"})
            assert data["error_code"] == 1008 and "no message no-such-message" in data["error"]
            data, _ = await two.send({"request": "mark_read", "conversation": "sip:nobody@example.test"})
            assert data["error_code"] == 1008 and "no conversation" in data["error"]
            data, _ = await two.send({"request": "sync_conversations", "since_id": "no-such-message"})
            assert data["error_code"] == 1008

            # A third handle that connects later sees the same state.
            session3, three, _ = await web_user()
            try:
                data, _ = await three.send({"request": "sync_conversations"})
                synced = data["result"]
                assert synced["event"] == "sync" and synced["more"] is False
                messages = {e["message_id"]: e for e in synced["entries"] if e["kind"] == "message"}
                assert "id-1" not in messages  # removed
                assert messages["sip:call-two;cseq=1"]["read"] is True
                assert messages[sent["message_id"]]["direction"] == "outgoing"
                kinds = [e["kind"] for e in synced["entries"]]
                assert "read" in kinds and "remove" in kinds
                # Paging: since the last sequence number there is nothing new; a limit pages.
                data, _ = await three.send({"request": "sync_conversations", "since_seq": synced["last_seq"]})
                assert data["result"]["entries"] == []
                data, _ = await three.send({"request": "sync_conversations", "limit": 1})
                assert len(data["result"]["entries"]) == 1 and data["result"]["more"] is True

                # Removing the conversation: gone for everyone, also for a later sync.
                data, _ = await three.send({"request": "remove_conversation", "conversation": sender})
                assert data["result"]["event"] == "conversation_removed"
                for handle in (one, two):
                    assert (await result_event(handle, "conversation_removed"))["conversation"] == sender
                data, _ = await one.send({"request": "sync_conversations", "conversation": sender})
                assert [e["kind"] for e in data["result"]["entries"]] == ["remove_conversation"]
            finally:
                await session3.close()
        finally:
            await session1.close()
            await session2.close()
    run(body())


def test_bad_messages_are_refused_and_not_journaled(janus):
    async def body():
        session, handle, contact = await web_user()
        try:
            before = len(rows(janus))
            trace_dir = tempfile.mkdtemp(prefix="sylk-sipp-")
            sipp = await spawn("sipp", "127.0.0.1:5060", "-sf", os.path.join(SCENARIOS, "message_refused.xml"),
                               "-s", contact, "-m", "1", "-i", "127.0.0.1", "-p", "0", "-nostdin",
                               "-timeout", "20s", cwd=trace_dir, stdout=asyncio.subprocess.DEVNULL,
                               stderr=asyncio.subprocess.PIPE)
            _, errors = await asyncio.wait_for(sipp.communicate(), 30)
            assert sipp.returncode == 0, "malformed CPIM was not answered 400: %s" % errors.decode(errors="replace")
            # Oversized (over 64 KiB, over TCP): 413, with nothing stored.
            status = await asyncio.to_thread(sip_message, contact, "x" * (70 * 1024), "text/plain", None, "TCP")
            assert status == 413
            # An IMDN whose XML is broken: 400.
            broken = cpim("imdn-1", "<imdn><oops").replace("Content-Type: text/plain", "Content-Type: message/imdn+xml")
            assert await asyncio.to_thread(sip_message, contact, broken, "message/cpim") == 400
            assert len(rows(janus)) == before
        finally:
            await session.close()
    run(body())


def test_imdn_states_are_journaled(janus):
    async def body():
        session, handle, contact = await web_user()
        try:
            data, _ = await handle.send({"request": "message", "uri": "sip:bob@127.0.0.1:5999", "content": "hi",
                                         "imdn": True})
            message_id = data["result"]["message_id"]
            notification = ('<?xml version="1.0" encoding="UTF-8"?>\n<imdn xmlns="urn:ietf:params:xml:ns:imdn">'
                            '<message-id>%s</message-id><datetime>2026-12-05T01:00:00Z</datetime>'
                            '<display-notification><status><displayed/></status></display-notification></imdn>'
                            % message_id)
            body = ("From: <sip:bob@127.0.0.1>\r\nTo: <sip:alice@sylk.test>\r\nDateTime: 2026-12-05T01:00:00Z\r\n"
                    "NS: imdn <urn:ietf:params:imdn>\r\nimdn.Message-ID: n-%s\r\n\r\n"
                    "Content-Type: message/imdn+xml\r\nContent-Disposition: notification\r\n\r\n%s"
                    % (message_id, notification))
            assert await asyncio.to_thread(sip_message, contact, body, "message/cpim") == 200
            event = await result_event(handle, "imdn")
            assert event["status"] == "displayed"
            states = [r for r in rows(janus) if r[1] == message_id]
            assert ("message", "displayed") in [(r[0], r[4]) for r in states]
            assert ("state", "displayed") in [(r[0], r[4]) for r in states]
        finally:
            await session.close()
    run(body())


def test_offline_account_gets_messages_forked_by_a_trusted_proxy(janus):
    """A MESSAGE to the account's address (as a forking proxy sends it) while no handle is
    connected is stored (200) and synced by the handle that connects later; an address the
    journal does not know is 404."""
    async def body():
        session, handle, contact = await web_user()  # the account is known: it has a journal
        assert await asyncio.to_thread(sip_message, contact, "while online") == 200
        await session.close()
        # Nobody is connected now.
        status = await asyncio.to_thread(sip_message, "", cpim("offline-1", "while you were away"), "message/cpim",
                                         request_uri=ACCOUNT)
        assert status == 200
        assert ("message", "offline-1") in [(r[0], r[1]) for r in rows(janus, " WHERE account = ?", (ACCOUNT,))]
        assert await asyncio.to_thread(sip_message, "", "hello?", request_uri="sip:nobody@sylk.test") == 404
        session, handle, _ = await web_user()
        try:
            data, _ = await handle.send({"request": "sync_conversations"})
            contents = [e.get("content") for e in data["result"]["entries"] if e.get("message_id") == "offline-1"]
            assert contents == ["while you were away"]
            # Connected now: a forked MESSAGE to the address is delivered live as well.
            assert await asyncio.to_thread(sip_message, "", cpim("online-2", "live"), "message/cpim",
                                           request_uri=ACCOUNT) == 200
            assert (await result_event(handle, "message"))["message_id"] == "online-2"
        finally:
            await session.close()
    run(body())


def test_history_over_http_with_an_api_token(janus):
    """GET /messages/history/<account> on the web app server, Authorization: Apikey <token>
    (a token from the gateway API's history_token), for apps that are not connected."""
    import json
    import urllib.error
    import urllib.request

    def get(path, token=None, method="GET"):
        request = urllib.request.Request(janus.http_url.rstrip("/") + path, method=method)
        if token is not None:
            request.add_header("Authorization", "Apikey " + token)
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                return answer.status, json.loads(answer.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"{}")

    async def body():
        session, handle, contact = await web_user()
        try:
            assert await asyncio.to_thread(sip_message, contact, cpim("http-1", "over http"), "message/cpim") == 200
            data, _ = await handle.send({"request": "history_token"})
            token = data["result"]["token"]
            assert data["result"]["account"] == ACCOUNT and len(token) == 64
        finally:
            await session.close()
        # The app is not connected: the token alone reads the history.
        status, page = await asyncio.to_thread(get, "/messages/history/" + ACCOUNT, token)
        assert status == 200, page
        assert "over http" in [e.get("content") for e in page["entries"]]
        status, page = await asyncio.to_thread(get, "/messages/history/%s?limit=1" % ACCOUNT, token)
        assert status == 200 and len(page["entries"]) == 1 and page["more"] is True
        status, rest = await asyncio.to_thread(get, "/messages/history/%s?since_seq=%d" % (ACCOUNT, page["last_seq"]),
                                               token)
        assert status == 200 and rest["entries"][0]["seq"] > page["last_seq"]
        # Wrong, missing or another account's token: 401; bad input: 400; not GET: 405.
        assert (await asyncio.to_thread(get, "/messages/history/" + ACCOUNT, "0" * 64))[0] == 401
        assert (await asyncio.to_thread(get, "/messages/history/" + ACCOUNT))[0] == 401
        assert (await asyncio.to_thread(get, "/messages/history/sip:bob@sylk.test", token))[0] == 401
        assert (await asyncio.to_thread(get, "/messages/history/%s?limit=0" % ACCOUNT, token))[0] == 400
        assert (await asyncio.to_thread(get, "/messages/history/%s?since_id=nope" % ACCOUNT, token))[0] == 404
        assert (await asyncio.to_thread(get, "/messages/history/" + ACCOUNT, token, "DELETE"))[0] == 405
    run(body())



def test_msrp_chat_is_journaled_before_its_200_and_reaches_every_handle(janus):
    """A SIP chat client's MSRP session to a web user (sipp for the INVITE, the Python MSRP peer
    for the session): the gateway answers the SEND with 200 only once the message is in the
    journal (the msrp plugin holds the answer, hold_answer), shows it to the account's other
    handle too, and a handle that connects later syncs it; the web user's answer over the chat
    is shown to the other handle as an outgoing_message."""
    from harness.msrp_peer import MsrpEndpoint, parse_path
    from harness.msrp_peer import cpim as msrp_cpim
    from test_sip_msrp_chat import answered, attribute, finish
    from test_sip_msrp_chat import sipp as chat_sipp
    trace_dir = tempfile.mkdtemp(prefix="sylk-store-msrp-")

    async def body():
        peer = MsrpEndpoint("127.0.0.1")
        chat = peer.session()
        session1, one, contact1 = await web_user()
        session2, two, _ = await web_user()
        try:
            call = await chat_sipp("chat_call.xml", trace_dir, ("room", contact1), ("msrpport", chat.uri.port),
                                   ("msrpsession", chat.session_id), ("setup", "active"), call_ms=3000)
            incoming = await result_event(one, "incomingcall", timeout=20)
            assert incoming["chat"] is True
            data, _ = await one.send({"request": "accept"})
            assert data["result"]["event"] == "accepted", data
            caller, sdp = await answered(trace_dir, timeout=20)
            await chat.connect(remote_path=parse_path(attribute(sdp, "path")))
            sent = await chat.send_message(
                msrp_cpim("stored first", sender="Chatter <%s>" % caller, recipients=[ACCOUNT],
                          namespaces={"imdn": "urn:ietf:params:imdn"}, headers=[("imdn.Message-ID", "msrp-1")]),
                "message/cpim")
            # The 200 came: the row is there already (it was committed before the answer left).
            assert sent.statuses == [200], sent.statuses
            assert ("message", "msrp-1", caller, b"stored first") in [r[:4] for r in rows(janus)]
            for handle in (one, two):  # the handle of the call and the account's other one
                event = await result_event(handle, "message")
                assert event["message_id"] == "msrp-1" and event["content"] == "stored first", event
            # A plain text SEND (no id of its own): stored, then answered, also to both.
            plain = await chat.send_message("plain chat", "text/plain")
            assert plain.statuses == [200], plain.statuses
            assert b"plain chat" in [r[3] for r in rows(janus)]
            assert (await result_event(two, "message"))["content"] == "plain chat"
            # The web user answers over the chat: the other handle sees what it sent.
            data, _ = await one.send({"request": "message", "content": "from the web"})
            assert data["result"]["event"] == "messagesent", data
            copy = await result_event(two, "outgoing_message")
            assert copy["message_id"] == data["result"]["message_id"] and copy["content"] == "from the web"
            await chat.wait_message(lambda m: b"from the web" in m.body, timeout=10)

            session3, three, _ = await web_user()  # connects later: syncs the same conversation
            try:
                data, _ = await three.send({"request": "sync_conversations", "conversation": caller})
                synced = {(e["direction"], e["content"]) for e in data["result"]["entries"] if e["kind"] == "message"}
                assert synced == {("incoming", "stored first"), ("incoming", "plain chat"),
                                  ("outgoing", "from the web")}, data
            finally:
                await session3.close()
            await finish(call, trace_dir)  # sipp's BYE
        finally:
            await peer.close()
            await session1.close()
            await session2.close()
    run(body(), timeout=60)
