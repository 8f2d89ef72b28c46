"""The MSRP test peer's own behaviours that the relay tests do not reach, between two peers
directly (RFC 4975 without relays): passive/active setup, chunked transfer with reports out of a
listening peer, abort, a 413 stopping the sender, NICKNAME answers, the failure-report rules, the
TLS fingerprint pin, and a malformed frame closing the connection. The janus MSRP tests rely on
each of these when they judge our server."""
import asyncio
import os
import tempfile

import pytest

from conftest import run
from harness.msrp_peer import (AG_CPIM_NS, MsrpEndpoint, MsrpError, cpim, is_composing, make_certificate,
                               parse_cpim, parse_is_composing)


async def connected_pair(tls=False, **options):
    directory = tempfile.mkdtemp(prefix="sylk-msrp-peer-")
    certfile, keyfile, fingerprint = make_certificate(directory)
    listener = MsrpEndpoint("10.77.0.1", tls=tls, certfile=certfile, keyfile=keyfile, **options)
    await listener.listen()
    passive = listener.session()
    caller = MsrpEndpoint("10.77.0.2", tls=tls)
    active = caller.session(remote_path=[passive.uri])
    passive.remote_path = [active.uri]
    await active.connect(fingerprint=fingerprint if tls else None)
    await passive.wait_bound()
    return listener, caller, passive, active, fingerprint


@pytest.mark.parametrize("tls", [False, True])
def test_chunks_reports_and_replies(tls):
    async def body():
        listener, caller, passive, active, _ = await connected_pair(tls)
        try:
            assert len(passive.empty_sends) == 1   # the binding SEND
            data = os.urandom(100000)
            sent = await active.send_message(data, "application/octet-stream", chunk_size=3000, success_report="yes")
            assert sent.statuses == [200] * 34
            received = await passive.wait_message()
            assert received.body == data and received.chunks == 34
            report = await active.wait_report(sent.message_id)
            assert report.status_header == (200, "OK") and report.header("Byte-Range") == "1-100000/100000"
            await passive.send_message("hello back")
            assert (await active.next_message()).text() == "hello back"
        finally:
            await caller.close()
            await listener.close()
    run(body())


def test_abort_413_nickname_and_failure_reports():
    async def body():
        listener, caller, passive, active, _ = await connected_pair()
        try:
            aborted = await active.send_message(b"x" * 5000, chunk_size=1000, abort_after_chunks=2)
            await passive.wait_request("SEND")
            message = await passive.endpoint.wait_for(lambda: passive.messages.get(aborted.message_id))
            assert message.aborted and not message.complete and len(message.body) == 2000

            passive.responder = lambda frame: 413 if frame.method == "SEND" else None
            refused = await active.send_message(os.urandom(20000), chunk_size=1000, window=1)
            assert refused.statuses == [413] and len(refused.tids) == 1   # stopped at the first answer

            passive.responder = lambda frame: 425 if frame.method == "NICKNAME" else None
            assert (await active.send_nickname("bob")).status == 425
            passive.responder = None
            assert (await active.send_nickname("bob")).status == 200
            assert passive.requests[-1].header("Use-Nickname") == '"bob"'
            assert (await active.request("FROBNICATE")).status == 501

            quiet = await active.send_message("no answers wanted", failure_report="no")
            assert (await passive.wait_message(lambda m: m.message_id == quiet.message_id)).text() == "no answers wanted"
            assert not [r for r in caller.responses if r.tid in quiet.tids]
        finally:
            await caller.close()
            await listener.close()
    run(body())


def test_paused_reader_pushes_back_on_the_sender():
    async def body():
        listener, caller, passive, active, _ = await connected_pair(rcvbuf=16384)
        try:
            passive.pause_reading()
            read_before = passive.connection.bytes_read
            big = os.urandom(4 * 1024 * 1024)
            sending = asyncio.ensure_future(active.send_message(big, "application/octet-stream", chunk_size=65536,
                                                                failure_report="no"))
            await asyncio.sleep(1.5)
            assert not sending.done()   # the sender is blocked on a full TCP window
            assert passive.connection.bytes_read - read_before < 1024 * 1024
            passive.resume_reading()
            await asyncio.wait_for(sending, 20)
            received = await passive.wait_message(timeout=20)
            assert received.body == big
        finally:
            await caller.close()
            await listener.close()
    run(body())


def test_fingerprint_mismatch_refused():
    async def body():
        listener, caller, passive, active, fingerprint = await connected_pair(tls=True)
        stranger = MsrpEndpoint("10.77.0.2", tls=True)
        try:
            session = stranger.session(remote_path=[passive.uri])
            with pytest.raises(MsrpError, match="fingerprint"):
                await session.connect(fingerprint="sha-256 " + ":".join(["AB"] * 32))
        finally:
            await stranger.close()
            await caller.close()
            await listener.close()
    run(body())


def test_malformed_frame_closes_the_connection():
    async def body():
        listener, caller, passive, active, _ = await connected_pair()
        try:
            await active.send_raw(b"MSRP abc SEND\r\nTo-Path msrp://no-colon\r\n\r\n")
            error = await passive.connection.wait_closed()
            assert "header" in str(error)
            assert await active.connection.wait_closed() is None   # the sender sees its peer hang up
        finally:
            await caller.close()
            await listener.close()
    run(body())


def test_bodies():
    message = cpim("hi there", sender="Alice <sip:alice@example.com>", recipients=["sip:room@example.com"],
                   message_type="status")
    parsed = parse_cpim(message)
    assert parsed.header("From") == "Alice <sip:alice@example.com>"
    assert parsed.header("To") == "<sip:room@example.com>"
    assert parsed.header("DateTime")
    assert parsed.namespaced(AG_CPIM_NS, "Message-Type") == "status"
    assert parsed.content_type == "text/plain" and parsed.text() == "hi there"
    assert parse_is_composing(is_composing("idle", refresh=60)) == {"state": "idle", "contenttype": "text/plain",
                                                                    "refresh": "60"}
