"""OpenPGP public keys (issue 13, docs/message-store.md) against a real janus: keys made with gpg
in a throw-away GNUPGHOME are sent in text/pgp-public-key MESSAGEs (plain and inside CPIM) from a
raw SIP client and through the gateway's message request; lookup_public_key returns the stored
key and its fingerprint. A key whose user ID was altered after signing, a secret key, garbage and
an oversized body are refused and nothing of them is stored."""
import asyncio
import base64
import contextlib
import shutil
import sqlite3
import subprocess
import tempfile

import pytest

from conftest import run
from test_message_store import cpim, journal_path, result_event, sip_message, web_user

ACCOUNT = "sip:alice@sylk.test"
# Offline delivery from a forking proxy (a raw client on a trusted address), as test_message_store.
SIP_OPTIONS = {"offline_delivery": "trusted_peers"}


@contextlib.contextmanager
def gpg_home():
    """A fresh gpg home, its agent (gpg starts one per home and leaves it running) ended and the
    folder removed afterwards."""
    home = tempfile.mkdtemp(prefix="sylk-gpg-")
    try:
        yield home
    finally:
        subprocess.run(["gpgconf", "--homedir", home, "--kill", "all"], capture_output=True, timeout=30)
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture
def home():
    with gpg_home() as folder:
        yield folder


def gpg(home, *args, data=None):
    done = subprocess.run(["gpg", "--homedir", home, "--batch", "--passphrase", "", "--pinentry-mode", "loopback",
                           *args], input=data, capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    return done.stdout


def make_key(home, name, email):
    """A new ed25519 key with an encryption subkey and a second user ID: (fingerprint, gpg home)."""
    gpg(home, "--quick-gen-key", "%s <%s>" % (name, email), "ed25519", "sign", "1d")
    fingerprint = [line.split(":")[9] for line in gpg(home, "--with-colons", "--list-keys", email).decode()
                   .splitlines() if line.startswith("fpr:")][0]
    gpg(home, "--quick-add-key", fingerprint, "cv25519", "encr", "1d")
    gpg(home, "--quick-add-uid", fingerprint, "%s Work <work.%s>" % (name, email))
    return fingerprint


def armor(binary):
    """ASCII armor (RFC 4880 section 6) with its CRC-24, for a key gpg did not write."""
    crc = 0xB704CE
    for byte in binary:
        crc ^= byte << 16
        for _ in range(8):
            crc <<= 1
            if crc & 0x1000000:
                crc ^= 0x1864CFB
    text = base64.b64encode(binary).decode()
    lines = "\n".join(text[i:i + 64] for i in range(0, len(text), 64))
    checksum = base64.b64encode((crc & 0xFFFFFF).to_bytes(3, "big")).decode()
    return "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n%s\n=%s\n-----END PGP PUBLIC KEY BLOCK-----\n" % (lines, checksum)


def fingerprint_of(armored):
    """What gpg itself reads in a key (a fresh home: nothing else to confuse it)."""
    with gpg_home() as home:
        out = gpg(home, "--with-colons", "--import-options", "show-only", "--import", data=armored.encode()).decode()
    return [line.split(":")[9] for line in out.splitlines() if line.startswith("fpr:")][0]


def stored_keys(janus):
    with sqlite3.connect(journal_path(janus)) as db:
        return db.execute("SELECT account, address, fingerprint, armored FROM public_keys").fetchall()


def test_public_keys_are_checked_stored_and_looked_up(janus, home):
    bob = make_key(home, "Bob", "bob@example.test")
    carol = make_key(home, "Carol", "carol@example.test")
    bob_key = gpg(home, "--armor", "--export", bob).decode()
    carol_key = gpg(home, "--armor", "--export", carol).decode()
    # Carol's second user ID altered after gpg signed it: the packets stay well formed.
    binary = gpg(home, "--export", carol)
    assert b"Carol Work" in binary
    tampered = armor(binary.replace(b"Carol Work", b"Mallory!!!"))
    secret = gpg(home, "--armor", "--export-secret-keys", bob).decode()

    async def body():
        session, handle, contact = await web_user()
        try:
            # A plain text/pgp-public-key MESSAGE: 200, shown, stored under the sender's address.
            assert await asyncio.to_thread(sip_message, contact, bob_key, "text/pgp-public-key") == 200
            event = await result_event(handle, "message")
            assert event["content_type"] == "text/pgp-public-key"
            bob_uri = event["sender"]
            data, _ = await handle.send({"request": "lookup_public_key", "uri": bob_uri})
            found = data["result"]
            assert found["event"] == "public_key" and found["uri"] == bob_uri
            assert found["fingerprint"] == bob
            assert fingerprint_of(found["key"]) == bob and "PRIVATE" not in found["key"]

            # Inside CPIM: the same.
            wrapped = cpim("key-carol", carol_key).replace("Content-Type: text/plain", "Content-Type: text/pgp-public-key")
            assert await asyncio.to_thread(sip_message, contact, wrapped, "message/cpim") == 200
            carol_uri = (await result_event(handle, "message"))["sender"]
            data, _ = await handle.send({"request": "lookup_public_key", "uri": carol_uri})
            assert data["result"]["fingerprint"] == carol

            before = stored_keys(janus)
            assert len(before) == 2
            # Refused with 400 and not stored: a tampered user ID (plain and in CPIM), a secret key, garbage.
            for bad, kind in ((tampered, "text/pgp-public-key"),
                              (cpim("key-bad", tampered).replace("Content-Type: text/plain",
                                                                 "Content-Type: text/pgp-public-key"), "message/cpim"),
                              (secret, "text/pgp-public-key"), ("not a key at all", "text/pgp-public-key")):
                assert await asyncio.to_thread(sip_message, contact, bad, kind) == 400
            # Oversized (over 64 KiB, over TCP): 413.
            big = bob_key + "\n" * (70 * 1024)
            assert await asyncio.to_thread(sip_message, contact, big, "text/pgp-public-key", None, "TCP") == 413
            assert stored_keys(janus) == before

            # The web user sends its own key through the gateway: stored under the account.
            data, _ = await handle.send({"request": "message", "uri": "sip:bob@127.0.0.1:5999",
                                         "content_type": "text/pgp-public-key", "content": carol_key})
            assert data["result"]["event"] == "messagesent"
            data, _ = await handle.send({"request": "lookup_public_key", "uri": ACCOUNT})
            assert data["result"]["fingerprint"] == carol
            for bad in (tampered, secret):
                data, _ = await handle.send({"request": "message", "uri": "sip:bob@127.0.0.1:5999",
                                             "content_type": "text/pgp-public-key", "content": bad})
                assert data["error_code"] == 1003 and "public key refused" in data["error"], data

            # None stored for an address: a clear error.
            data, _ = await handle.send({"request": "lookup_public_key", "uri": "sip:nobody@example.test"})
            assert data["error_code"] == 1008 and "no public key of sip:nobody@example.test" in data["error"]
            keys = stored_keys(janus)
            assert len(keys) == 3 and all("PRIVATE" not in row[3] for row in keys)
            assert all(row[0] == ACCOUNT for row in keys)
        finally:
            await session.close()
    run(body())


def test_offline_account_keeps_keys_and_unknown_accounts_do_not(janus, home):
    """A key forked to a known account's address while no handle is connected is stored with its
    message; one to an address the journal does not know is 404 and stored nowhere; a tampered
    one is 400."""
    dave = make_key(home, "Dave", "dave@example.test")
    dave_key = gpg(home, "--armor", "--export", dave).decode()
    tampered = armor(gpg(home, "--export", dave).replace(b"Dave Work", b"Eve!!Work"))

    async def body():
        session, _, contact = await web_user()  # the account is known: it has a journal
        assert await asyncio.to_thread(sip_message, contact, "hello") == 200
        await session.close()
        # Nobody is connected now.
        assert await asyncio.to_thread(sip_message, "", dave_key, "text/pgp-public-key",
                                       request_uri="sip:nobody@sylk.test") == 404
        assert await asyncio.to_thread(sip_message, "", tampered, "text/pgp-public-key", request_uri=ACCOUNT) == 400
        assert [row for row in stored_keys(janus) if row[2] == dave] == []
        assert await asyncio.to_thread(sip_message, "", dave_key, "text/pgp-public-key", request_uri=ACCOUNT) == 200
        rows = [row for row in stored_keys(janus) if row[2] == dave]
        assert len(rows) == 1 and rows[0][0] == ACCOUNT and rows[0][1].startswith("sip:bob@127.0.0.1")
        assert fingerprint_of(rows[0][3]) == dave
    run(body())
