"""ZRTP (RFC 6189) on the conference focus's room calls (issue 14): linphone-daemon
(media_encryption=zrtp) calls a room with a web (aiortc) participant. The exchange runs on the
audio mixer's plain RTP leg of the phone; both ends reach SECURE with the same SAS, the room's
chat carries the SAS notice (linphone receives it as the focus's MESSAGE, the web user gets the
mixer's zrtp event), and the tones cross both ways by FFT over SRTP keyed by ZRTP."""
import asyncio

from conftest import run
from harness.linphone import Linphone
from test_audiomixer import Voice, tone_db
from test_sip_linphone import LINPHONE_PORT, LINPHONE_RTP
from test_sip_zrtp import zrtp_sas


async def sas_notice(phone, sas, timeout=10):
    """The room chat notice with the SAS, as the MESSAGE linphone received from the focus (its
    log; liblinphone's CPIM parser then answers 488 to the focus's message/cpim, a limit of
    that parser: it refuses the room's other chat alike)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        for line in phone.log_text().splitlines():
            if "is ZRTP-secured, SAS: " in line and not line.startswith("20"):
                return line
        await asyncio.sleep(0.2)
    raise AssertionError("no SAS notice reached linphone:\n" + phone.log_tail())


def test_linphone_with_zrtp_calls_a_room(janus):
    async def body():
        ann = Voice(janus, "zrtp-room", "Ann", 440)
        phone = await Linphone(LINPHONE_PORT, LINPHONE_RTP, 600, "zrtp").start()
        try:
            await ann.join()
            call_id = await phone.call("sip:zrtp-room@127.0.0.1:5060")
            await phone.call_state("LinphoneCallStreamsRunning")
            await phone.play_tone(call_id)  # linphone sends no RTP without it (no capture device)
            secured = await ann.handle.next_event(
                timeout=15, predicate=lambda e: "zrtp" in e.get("plugindata", {}).get("data", {}))
            sas = await zrtp_sas(phone)
            notice = await sas_notice(phone, sas)
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 15
            while len(phone.heard(3)[0]) < 3 * 48000 and loop.time() < deadline:
                await asyncio.sleep(0.5)
            heard = ann.heard(1.5), phone.heard(1.5)
            await phone.terminate(call_id)
            await phone.call_state("LinphoneCallEnd", "LinphoneCallReleased")
            return secured["plugindata"]["data"]["zrtp"], sas, notice, heard, phone
        finally:
            await ann.close()
            await phone.stop()

    ours, sas, notice, (ann_heard, phone_heard), phone = run(body(), timeout=60)
    try:
        print("room's SAS %s, linphone's %s, notice %r" % (ours["sas"], sas, notice))
        assert ours["sas"].lower() == sas.lower(), (ours, sas)  # the same SAS both ends
        assert ours["uri"].startswith("sip:") and ours["verified"] is False, ours
        # the notice names the phone and gives the SAS
        assert notice == "%s <%s> is ZRTP-secured, SAS: %s" % (ours["display"], ours["uri"], ours["sas"]), notice
        assert "SAS is %s" % sas in phone.log_text()  # SRTP keyed on linphone's side too
        assert tone_db(*ann_heard, 600) - tone_db(*ann_heard, 1000) >= 20      # Ann hears linphone
        samples, rate = phone_heard
        assert tone_db(samples, rate, 440) - tone_db(samples, rate, 600) >= 20, phone.log_tail()  # and it hears Ann
    finally:
        phone.remove()
    assert janus.alive()
