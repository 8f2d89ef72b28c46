"""Dual stack and DNS: a web user calls a phone whose host name resolves to an IPv6 address only
(dnsmasq serves an AAAA record and no A): the call goes out on the IPv6 stack and is answered."""
import asyncio
import os
import shutil
import tempfile

import pytest

from conftest import run
from harness.processes import spawn
from harness.rtp_peer import RtpPeer
from test_audiomixer import tone_db
from test_sip_focus import wait_for
from test_sip_gateway import WebUser, sip_event, sipp_uas

DNS_DIR = tempfile.mkdtemp(prefix="sylk-dns6-")
RESOLV_CONF = os.path.join(DNS_DIR, "resolv.conf")
with open(RESOLV_CONF, "w") as out:
    out.write("nameserver 127.0.0.1\n")
SIP_OPTIONS = {"dns_resolv_conf": RESOLV_CONF, "sip_ip6": "::1"}
PHONE_PORT = 5196


@pytest.fixture(scope="module", autouse=True)
def dns_server():
    """dnsmasq for *.test: v6phone.test has an AAAA record (::1) and no A record."""
    arguments = ["dnsmasq", "--keep-in-foreground", "--user=root", "--group=root", "--pid-file=", "--no-resolv",
                 "--no-hosts", "--listen-address=127.0.0.1", "--bind-interfaces", "--port=53", "--local=/test/",
                 "--host-record=v6phone.test,::1"]

    async def start():
        import dns.asyncresolver
        import dns.exception
        process = await spawn(*arguments, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
        resolver = dns.asyncresolver.Resolver(configure=False)
        resolver.nameservers = ["127.0.0.1"]
        for _ in range(100):  # until it answers
            try:
                await resolver.resolve("v6phone.test", "AAAA", lifetime=0.5)
                return process
            except dns.exception.DNSException:
                if process.returncode is not None:
                    break
                await asyncio.sleep(0.05)
        raise RuntimeError("dnsmasq did not start: %s" % (await process.stderr.read()).decode(errors="replace"))

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


def test_a_host_name_with_only_an_ipv6_address_is_reachable(janus):
    trace_dir = tempfile.mkdtemp(prefix="sylk-dns6-")

    async def body():
        phone = await RtpPeer("pcmu", 600).open(host="::1")
        callee = await sipp_uas("callee_codec.xml", PHONE_PORT, trace_dir, "callee", ("rtpport", phone.port), ("pt", 0),
                                ("rtpmap", "PCMU/8000"), host="::1")
        user = await WebUser(janus, 440).open()
        try:
            await user.register_guest()
            accepted = await user.call("sip:bob@v6phone.test:%d" % PHONE_PORT)
            if accepted["result"]["event"] != "accepted":
                return accepted, None, None, None
            invite = await wait_for(os.path.join(trace_dir, "callee.log"), r"INVITE sip:bob@v6phone\.test.*?c=IN IP6 ([0-9a-f:]+).*?m=audio (\d+)")
            await phone.stream((invite.group(1), int(invite.group(2))), 2)
            web_heard = user.heard()
            await user.handle.send({"request": "hangup"})
            await sip_event(user.handle, ("hangup",))
            _, errors = await asyncio.wait_for(callee.communicate(), 20)
            return accepted, web_heard, callee.returncode, errors
        finally:
            phone.close()
            await user.close()

    try:
        accepted, web_heard, code, errors = run(body(), timeout=60)
    finally:
        shutil.rmtree(trace_dir, ignore_errors=True)
    assert accepted["result"]["event"] == "accepted", accepted
    assert tone_db(*web_heard, 600) - tone_db(*web_heard, 440) >= 20
    assert code == 0, errors.decode(errors="replace")[-1000:]
    assert janus.alive()
