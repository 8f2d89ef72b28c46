"""linphone-daemon as a second real SIP user agent (issue 14): it registers with a real registrar
(Kamailio, no authentication) as the gateway's web users do, calls a web user and is called by
one through it, calls a room on the focus, and exchanges MESSAGEs with a web user both ways.
Tones are checked both ways by FFT: linphone plays a WAV tone into the call and its decoded
audio is written by ALSA's file plugin (harness/linphone.py)."""
import asyncio
import tempfile

import pytest

from conftest import run
from harness.kamailio_registrar import KamailioRegistrar
from harness.linphone import Linphone
from harness.peers import accept, offer
from test_audiomixer import Voice, tone_db
from test_sip_gateway import WebUser, sip_event

PROXY_PORT, LINPHONE_PORT, LINPHONE_RTP = 5084, 5086, 7300
PROXY = "sip:127.0.0.1:%d" % PROXY_PORT
LINPHONE_AOR, WEB_AOR = "sip:lin@sylk.test", "sip:wendy@sylk.test"


@pytest.fixture(scope="module")
def registrar():
    proxy = KamailioRegistrar(tempfile.mkdtemp(prefix="sylk-kamailio-"), port=PROXY_PORT).start()
    yield proxy
    alive = proxy.alive()
    proxy.stop()
    if not alive:
        pytest.fail("kamailio died during the tests:\n%s" % proxy.log_tail())


async def registered_pair(janus, web_frequency, linphone_frequency, encryption="none"):
    """A web user and linphone, both registered with the registrar."""
    phone = await Linphone(LINPHONE_PORT, LINPHONE_RTP, linphone_frequency, encryption,
                           account=(LINPHONE_AOR, PROXY)).start()
    user = await WebUser(janus, web_frequency).open()
    registration = await phone.registered()
    assert registration == "LinphoneRegistrationOk", (registration, phone.log_tail())
    data, _ = await user.handle.send({"request": "register", "username": WEB_AOR, "display_name": "Wendy",
                                      "proxy": PROXY, "outbound_proxy": PROXY})
    assert data["result"]["event"] == "registering", data
    registered, _ = await sip_event(user.handle, ("registered", "registration_failed"))
    assert registered["result"]["event"] == "registered", registered
    return phone, user


async def tones_cross(user, phone, call_id, seconds=2.5):
    """Starts linphone's tone and waits until both sides have had it flowing for a while."""
    await phone.play_tone(call_id)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 15
    while loop.time() < deadline:
        await asyncio.sleep(0.5)
        if user.collector and len(user.collector.audio) * 0.02 >= seconds and len(phone.heard(seconds)[0]) > 0:
            break
    await asyncio.sleep(seconds)
    return user.heard(1.5), phone.heard(1.5)


def assert_tones(web_heard, phone_heard, web_frequency, phone_frequency, phone):
    samples, rate = web_heard
    assert tone_db(samples, rate, phone_frequency) - tone_db(samples, rate, web_frequency) >= 20  # web hears linphone
    samples, rate = phone_heard
    assert len(samples) > 0, phone.log_tail()
    assert tone_db(samples, rate, web_frequency) - tone_db(samples, rate, phone_frequency) >= 20, \
        (tone_db(samples, rate, web_frequency), tone_db(samples, rate, phone_frequency))  # linphone hears the web


def test_linphone_calls_a_web_user_through_the_registrar(janus, registrar):
    async def body():
        phone, user = await registered_pair(janus, 440, 600)
        try:
            call_id = await phone.call(WEB_AOR)
            incoming, jsep = await sip_event(user.handle, ("incomingcall",))
            data, _ = await user.handle.send({"request": "accept"}, jsep=await user.answer(jsep))
            await phone.call_state("LinphoneCallStreamsRunning")
            heard = await tones_cross(user, phone, call_id)
            await phone.terminate(call_id)
            hangup, _ = await sip_event(user.handle, ("hangup",))
            return incoming, data, heard, hangup, phone
        finally:
            await user.close()
            await phone.stop()

    incoming, accepted, (web_heard, phone_heard), hangup, phone = run(body(), timeout=60)
    try:
        assert incoming["result"]["username"].startswith("sip:lin@"), incoming
        assert accepted["result"]["event"] == "accepted", accepted
        assert_tones(web_heard, phone_heard, 440, 600, phone)
        assert hangup["result"]["event"] == "hangup"
    finally:
        phone.remove()
    assert janus.alive()


def test_a_web_user_calls_linphone_and_they_message_both_ways(janus, registrar):
    async def body():
        phone, user = await registered_pair(janus, 500, 700)
        try:
            await user.handle.send({"request": "call", "uri": LINPHONE_AOR}, jsep=await offer(user.pc))
            incoming = await phone.call_state("LinphoneCallIncomingReceived")
            call_id = int(incoming["Id"])
            await phone.answer(call_id)
            accepted, jsep = await sip_event(user.handle, ("accepted", "hangup"))
            await accept(user.pc, jsep)
            await phone.call_state("LinphoneCallStreamsRunning")
            heard = await tones_cross(user, phone, call_id)
            await user.handle.send({"request": "hangup"})
            ended = await phone.call_state("LinphoneCallEnd", "LinphoneCallReleased")
            await sip_event(user.handle, ("hangup",))
            # MESSAGE both ways, outside the call
            await phone.message(WEB_AOR, "hello from linphone")
            message, _ = await sip_event(user.handle, ("message",))
            sent, _ = await user.handle.send({"request": "message", "uri": LINPHONE_AOR, "content": "hello linphone"})
            received = await phone.message_received()
            return accepted, heard, ended, message, sent, received, phone
        finally:
            await user.close()
            await phone.stop()

    accepted, (web_heard, phone_heard), ended, message, sent, received, phone = run(body(), timeout=60)
    try:
        assert accepted["result"]["event"] == "accepted", accepted
        assert_tones(web_heard, phone_heard, 500, 700, phone)
        assert ended["Event"] in ("LinphoneCallEnd", "LinphoneCallReleased")
        assert message["result"]["content"] == "hello from linphone", message
        assert message["result"]["sender"].startswith("sip:lin@"), message
        assert sent["result"]["event"] == "messagesent", sent
        assert received.get("Content") == "hello linphone", received
        assert received.get("From", "").startswith("sip:wendy@"), received
    finally:
        phone.remove()
    assert janus.alive()


def test_linphone_calls_a_room(janus):
    async def body():
        ann = Voice(janus, "linphone-room", "Ann", 440)
        phone = await Linphone(LINPHONE_PORT, LINPHONE_RTP, 600).start()
        try:
            await ann.join()
            call_id = await phone.call("sip:linphone-room@127.0.0.1:5060")
            await phone.call_state("LinphoneCallStreamsRunning")
            await phone.play_tone(call_id)
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 15
            while len(phone.heard(3)[0]) < 3 * 48000 and loop.time() < deadline:
                await asyncio.sleep(0.5)
            await asyncio.sleep(1)
            heard = ann.heard(1.5), phone.heard(1.5)
            await phone.terminate(call_id)
            await phone.call_state("LinphoneCallEnd", "LinphoneCallReleased")
            return heard, phone
        finally:
            await ann.close()
            await phone.stop()

    (ann_heard, phone_heard), phone = run(body(), timeout=60)
    try:
        assert tone_db(*ann_heard, 600) - tone_db(*ann_heard, 1000) >= 20      # Ann hears linphone
        samples, rate = phone_heard
        assert tone_db(samples, rate, 440) - tone_db(samples, rate, 600) >= 20, phone.log_tail()  # mix-minus
    finally:
        phone.remove()
    assert janus.alive()


