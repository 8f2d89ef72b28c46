"""RFC 3263 through Sofia's resolver, against a real DNS server (dnsmasq, on 127.0.0.1:53 of the
test's own network namespace; the plugin's dns_resolv_conf points at it). A web user's account
in domain sip.test registers with the registrar that the domain's NAPTR -> SRV -> A records
name, then calls a phone in domain phones.test, found by SRV alone (no NAPTR), and they hear
each other; a domain with no records is reported as a failed registration. An account whose
domain does not resolve registers through its outbound proxy, with an HA1 secret. (The module
also sets user_agent, seen by the registrar.)"""
import asyncio
import hashlib
import os
import shutil
import tempfile

import pytest

from conftest import run
from harness.processes import spawn
from harness.rtp_peer import RtpPeer
from test_audiomixer import tone_db
from test_sip_focus import wait_for
from test_sip_gateway import CALLEE_PORT, REGISTRAR_PORT, WebUser, sip_event, sipp_uas

DNS_DIR = tempfile.mkdtemp(prefix="sylk-dns-")
RESOLV_CONF = os.path.join(DNS_DIR, "resolv.conf")
with open(RESOLV_CONF, "w") as out:
    out.write("nameserver 127.0.0.1\n")
SIP_OPTIONS = {"dns_resolv_conf": RESOLV_CONF, "user_agent": "Sylk DNS test/1"}
DNS_LOG = os.path.join(DNS_DIR, "dnsmasq.log")


@pytest.fixture(scope="module", autouse=True)
def dns_server():
    """dnsmasq answering for *.test only: sip.test has NAPTR (UDP) -> SRV -> A; phones.test has
    SRV records only; everything else under .test does not exist."""
    arguments = [
        "dnsmasq", "--keep-in-foreground", "--user=root", "--group=root", "--pid-file=", "--no-resolv",
        "--no-hosts", "--listen-address=127.0.0.1", "--bind-interfaces", "--port=53", "--local=/test/",
        "--log-queries", "--log-facility=" + DNS_LOG,
        "--naptr-record=sip.test,10,10,S,SIP+D2U,,_sip._udp.sip.test",
        "--srv-host=_sip._udp.sip.test,registrar.sip.test,%d,0,0" % REGISTRAR_PORT,
        "--host-record=registrar.sip.test,127.0.0.1",
        "--srv-host=_sip._udp.phones.test,bob-phone.phones.test,%d,0,0" % CALLEE_PORT,
        "--host-record=bob-phone.phones.test,127.0.0.1",
    ]

    async def start():
        process = await spawn(*arguments, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
        for _ in range(100):  # until it answers
            if await answers():
                open(DNS_LOG, "w").close()  # the probe's query is not the plugin's
                return process
            if process.returncode is not None:
                break
            await asyncio.sleep(0.05)
        raise RuntimeError("dnsmasq did not start: %s" % (await process.stderr.read()).decode(errors="replace"))

    async def answers():
        import dns.asyncresolver
        import dns.exception
        resolver = dns.asyncresolver.Resolver(configure=False)
        resolver.nameservers = ["127.0.0.1"]
        try:
            await resolver.resolve("registrar.sip.test", "A", lifetime=0.5)
            return True
        except dns.exception.DNSException:
            return False

    async def stop(process):
        process.terminate()
        await process.wait()

    loop = asyncio.new_event_loop()
    process = loop.run_until_complete(start())
    try:
        yield
    finally:
        loop.run_until_complete(stop(process))
        loop.close()
        shutil.rmtree(DNS_DIR, ignore_errors=True)


def queries():
    with open(DNS_LOG) as log:
        return [line.split("query", 1)[1].split(" from ")[0].strip() for line in log if " query[" in line]


def test_a_domain_account_registers_and_calls_through_naptr_and_srv(janus):
    trace_dir = tempfile.mkdtemp(prefix="sylk-sipdns-")

    async def body():
        phone = await RtpPeer("pcmu", 600).open()
        registrar = await sipp_uas("registrar.xml", REGISTRAR_PORT, trace_dir, "registrar")
        callee = await sipp_uas("callee_codec.xml", CALLEE_PORT, trace_dir, "callee", ("rtpport", phone.port),
                                ("pt", 0), ("rtpmap", "PCMU/8000"))
        user = await WebUser(janus, 440).open()
        try:
            await asyncio.sleep(0.5)
            # no proxy: the registrar is the domain's, found through DNS
            await user.handle.send({"request": "register", "username": "sip:alice@sip.test", "secret": "secret"})
            registered, _ = await sip_event(user.handle, ("registered", "registration_failed"))
            accepted = await user.call("sip:bob@phones.test")
            invite = await wait_for(os.path.join(trace_dir, "callee.log"), r"INVITE sip:bob@phones.test.*?m=audio (\d+) RTP/AVP")
            await phone.stream(("127.0.0.1", int(invite.group(1))), 3)
            web_heard, phone_heard = user.heard(), phone.heard()
            await user.handle.send({"request": "hangup"})
            await sip_event(user.handle, ("hangup",))
            _, callee_errors = await asyncio.wait_for(callee.communicate(), 20)
            # a domain with no records at all
            stranger = await WebUser(janus, 440).open()
            try:
                await stranger.handle.send({"request": "register", "username": "sip:carol@nowhere.test", "secret": "x"})
                unknown, _ = await sip_event(stranger.handle, ("registered", "registration_failed"), timeout=40)
            finally:
                await stranger.close()
            registrar.kill()
            await registrar.wait()
            return registered, accepted, web_heard, phone_heard, callee.returncode, callee_errors, unknown
        finally:
            phone.close()
            await user.close()

    try:
        registered, accepted, web_heard, phone_heard, callee_status, callee_errors, unknown = run(body(), timeout=150)
        asked = queries()
    finally:
        shutil.rmtree(trace_dir, ignore_errors=True)
    assert registered["result"]["event"] == "registered", registered
    # RFC 3263 in order: the domain's NAPTR, then the SRV it names
    for query in ("[NAPTR] sip.test", "[SRV] _sip._udp.sip.test"):
        assert query in asked, (query, asked)
    assert asked.index("[NAPTR] sip.test") < asked.index("[SRV] _sip._udp.sip.test")
    assert accepted["result"]["event"] == "accepted", accepted
    assert "[SRV] _sip._udp.phones.test" in asked, asked
    samples, rate = web_heard
    assert tone_db(samples, rate, 600) - tone_db(samples, rate, 440) >= 20    # the browser hears the phone
    samples, rate = phone_heard
    assert tone_db(samples, rate, 440) - tone_db(samples, rate, 600) >= 20    # the phone hears the browser
    assert callee_status == 0, callee_errors.decode(errors="replace")[-1000:]
    assert unknown["result"]["event"] == "registration_failed", unknown
    assert unknown["result"]["code"] >= 400, unknown
    assert janus.alive()


def test_an_outbound_proxy_and_an_ha1_secret(janus):
    trace_dir = tempfile.mkdtemp(prefix="sylk-sipproxy-")
    ha1 = hashlib.md5(b"alice:sylk.test:secret").hexdigest()  # the registrar's realm

    async def body():
        registrar = await sipp_uas("registrar.xml", REGISTRAR_PORT, trace_dir, "registrar")
        user = await WebUser(janus, 440).open()
        try:
            await asyncio.sleep(0.5)
            open(DNS_LOG, "w").close()
            await user.handle.send({"request": "register", "username": "sip:alice@elsewhere.test", "ha1_secret": ha1,
                                    "outbound_proxy": "sip:127.0.0.1:%d" % REGISTRAR_PORT})
            registered, _ = await sip_event(user.handle, ("registered", "registration_failed"))
            await user.handle.send({"request": "unregister"})
            unregistered, _ = await sip_event(user.handle, ("unregistered", "unregistration_failed"))
            _, errors = await asyncio.wait_for(registrar.communicate(), 20)
            with open(os.path.join(trace_dir, "registrar.log")) as trace:
                return registered, unregistered, registrar.returncode, errors, trace.read()
        finally:
            await user.close()

    try:
        registered, unregistered, status, errors, trace = run(body(), timeout=90)
        asked = queries()
    finally:
        shutil.rmtree(trace_dir, ignore_errors=True)
    assert registered["result"]["event"] == "registered", registered
    assert unregistered["result"]["event"] == "unregistered", unregistered
    assert status == 0, errors.decode(errors="replace")[-1000:]  # the HA1 digests verified with the password
    assert "REGISTER sip:elsewhere.test SIP/2.0" in trace     # the domain's request, sent to the proxy
    assert "User-Agent: Sylk DNS test/1" in trace
    assert not [q for q in asked if "elsewhere.test" in q], asked  # the proxy's address needed no lookup
    assert janus.alive()
