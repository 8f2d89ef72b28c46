"""ZRTP (RFC 6189) on the SIP gateway's calls (issue 14), with linphone-daemon
(media_encryption=zrtp) as the real ZRTP peer (harness/linphone.py): both ends reach SECURE with
the same SAS, and the tones cross both ways by FFT over SRTP keyed by ZRTP."""
import asyncio

from conftest import run
from harness.peers import accept, offer
from test_sip_gateway import WebUser, sip_event
from test_sip_linphone import (LINPHONE_AOR, PROXY, WEB_AOR, assert_tones, registered_pair,  # noqa: F401
                               registrar, tones_cross)


async def zrtp_sas(phone, timeout=15):
    """linphone's SAS once its ZRTP exchange has ended (from its log)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        secure, sas = phone.zrtp()
        if secure and sas:
            return sas
        await asyncio.sleep(0.2)
    raise AssertionError("linphone never reached SECURE:\n" + phone.log_tail())


def test_zrtp_both_ways_with_linphone(janus, registrar):
    """media_encryption=zrtp on linphone: a call each way between it and a web user. Both ends
    reach SECURE with the same SAS (the web user's zrtp event, linphone's log), and the tones
    still cross both ways, now SRTP-protected with ZRTP's keys. The second call finds the
    first's retained secret in both caches (no cache mismatch)."""
    async def body():
        phone, user = await registered_pair(janus, 440, 600, encryption="zrtp")
        results = []
        try:
            # linphone calls the web user: ZRTP answers its a=zrtp-hash
            call_id = await phone.call(WEB_AOR)
            _, jsep = await sip_event(user.handle, ("incomingcall",))
            accepted, _ = await user.handle.send({"request": "accept"}, jsep=await user.answer(jsep))
            await phone.call_state("LinphoneCallStreamsRunning")
            secured, _ = await sip_event(user.handle, ("zrtp",))
            sas = await zrtp_sas(phone)
            heard = await tones_cross(user, phone, call_id)
            results.append((accepted, secured, sas, heard))
            await phone.terminate(call_id)
            await sip_event(user.handle, ("hangup",))
            await phone.call_state("LinphoneCallReleased")
            phone.mark_log()
            # the web user calls linphone: our offer carries a=zrtp-hash
            await user.close()
            user = await WebUser(janus, 440).open()
            data, _ = await user.handle.send({"request": "register", "username": WEB_AOR, "proxy": PROXY,
                                              "outbound_proxy": PROXY})
            await sip_event(user.handle, ("registered",))
            await user.handle.send({"request": "call", "uri": LINPHONE_AOR}, jsep=await offer(user.pc))
            incoming = await phone.call_state("LinphoneCallIncomingReceived")
            call_id = int(incoming["Id"])
            await phone.answer(call_id)
            accepted, jsep = await sip_event(user.handle, ("accepted", "hangup"))
            await accept(user.pc, jsep)
            secured, _ = await sip_event(user.handle, ("zrtp",))
            sas = await zrtp_sas(phone)
            heard = await tones_cross(user, phone, call_id)
            results.append((accepted, secured, sas, heard))
            await user.handle.send({"request": "hangup"})
            await phone.call_state("LinphoneCallEnd", "LinphoneCallReleased")
            return results, phone
        finally:
            await user.close()
            await phone.stop()

    results, phone = run(body(), timeout=90)
    try:
        for number, (accepted, secured, sas, (web_heard, phone_heard)) in enumerate(results):
            print("call %d: web user's SAS %s (%s), linphone's %s" % (number, secured["result"]["sas"],
                                                                   secured["result"]["suite"], sas))
            assert accepted["result"]["event"] == "accepted", accepted
            assert secured["result"]["secure"] is True, secured
            assert secured["result"]["sas"].lower() == sas.lower(), (secured, sas)   # the same SAS both ends
            assert secured["result"]["cache_mismatch"] is False, secured
            assert_tones(web_heard, phone_heard, 440, 600, phone)
        assert results[0][0]["result"].get("zrtp") is True, results[0][0]
    finally:
        phone.remove()
    assert janus.alive()
