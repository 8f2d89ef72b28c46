"""Keypad tones between two web users of one SIP gateway: Ann and Bob (aiortc) register at a real
registrar (Kamailio, harness/kamailio_registrar.py) through janus.plugin.sylk.sip, Ann calls Bob
through it, and both call legs live in the gateway's one Sofia-SIP stack. Ann's dtmf_info (SIP
INFO, application/dtmf-relay) reaches Bob's handle as "info" and "dtmf" events, and both calls stay
up afterwards (a second tone goes through too, and each side hangs up only on the other's BYE).
The caller's in-dialog requests go through its outbound proxy, the registrar, which relays them
to the callee's Contact (a 404 there ended the caller's leg: docs/decisions.md)."""
import asyncio
import tempfile

import pytest
from aiortc import RTCSessionDescription

from conftest import run
from harness.janus_api import Session
from harness.kamailio_registrar import KamailioRegistrar
from harness.peers import ToneTrack, accept, make_peer, offer
from harness.push_service import free_port

SIP = "janus.plugin.sylk.sip"


@pytest.fixture(scope="module")
def registrar():
    proxy = KamailioRegistrar(tempfile.mkdtemp(prefix="sylk-webdtmf-kamailio-"), port=free_port()).start()
    yield proxy
    alive = proxy.alive()
    proxy.stop()
    if not alive:
        pytest.fail("kamailio died during the tests:\n%s" % proxy.log_tail())


def result_of(event):
    return event.get("plugindata", {}).get("data", {}).get("result", {})


async def next_result(handle, wanted, timeout=10):
    event = await handle.next_event(timeout=timeout, predicate=lambda e: result_of(e).get("event") in wanted)
    return result_of(event), event.get("jsep")


def queued_events(handle):
    """The events already received for handle and not yet read (read now)."""
    queue = handle.session.connection.handle_events.get(handle.id)
    names = []
    while queue is not None and not queue.empty():
        names.append(result_of(queue.get_nowait()).get("event"))
    return names


class WebUser:
    def __init__(self, janus, registrar, name, frequency):
        self.janus, self.registrar, self.name, self.frequency = janus, registrar, name, frequency

    @property
    def uri(self):
        return "sip:%s@127.0.0.1" % self.name

    async def open(self):
        self.session = await Session.create(self.janus.ws_url)
        self.handle = await self.session.attach(SIP)
        self.pc, _ = await make_peer(data_channel=False)
        self.pc.addTrack(ToneTrack(self.frequency))
        # as the phone page does: the registrar is the proxy for our requests too
        data, _ = await self.handle.send({"request": "register", "username": self.uri, "proxy": self.registrar.uri,
                                          "outbound_proxy": self.registrar.uri})
        if data["result"]["event"] != "registered":
            registered, _ = await next_result(self.handle, ("registered", "registration_failed"))
            assert registered["event"] == "registered", registered
        return self

    async def close(self):
        await self.pc.close()
        await self.session.close()


async def web_to_web_call(janus, registrar):
    ann = await WebUser(janus, registrar, "ann", 440).open()
    bob = await WebUser(janus, registrar, "bob", 880).open()
    data, _ = await ann.handle.send({"request": "call", "uri": bob.uri}, jsep=await offer(ann.pc))
    assert data["result"]["event"] == "calling", data
    incoming, jsep = await next_result(bob.handle, ("incomingcall",))
    await bob.pc.setRemoteDescription(RTCSessionDescription(sdp=jsep["sdp"], type=jsep["type"]))
    await bob.pc.setLocalDescription(await bob.pc.createAnswer())
    await bob.handle.send({"request": "accept"}, jsep={"type": "answer", "sdp": bob.pc.localDescription.sdp,
                                                       "trickle": False})
    accepted, jsep = await next_result(ann.handle, ("accepted", "hangup"))
    assert accepted["event"] == "accepted" and jsep, accepted
    await accept(ann.pc, jsep)
    return ann, bob


def test_info_dtmf_reaches_the_other_web_user_and_both_calls_stay_up(janus, registrar):
    async def body():
        ann, bob = await web_to_web_call(janus, registrar)
        try:
            for digit, duration in (("5", 160), ("#", 250)):
                data, _ = await ann.handle.send({"request": "dtmf_info", "digit": digit, "duration": duration})
                assert data["result"]["event"] == "dtmfsent", data
                dtmf, _ = await next_result(bob.handle, ("dtmf", "hangup"))
                assert dtmf == {"event": "dtmf", "signal": digit, "duration": duration, "via": "info"}, dtmf
            # and the other way round
            data, _ = await bob.handle.send({"request": "dtmf_info", "digit": "7"})
            dtmf, _ = await next_result(ann.handle, ("dtmf", "hangup"))
            assert dtmf["event"] == "dtmf" and dtmf["signal"] == "7", dtmf
            # neither leg ended: no hangup waits on either handle, and Bob's ends with Ann's BYE
            for user in (ann, bob):
                assert "hangup" not in queued_events(user.handle), user.name
            await ann.handle.send({"request": "hangup"})
            await next_result(ann.handle, ("hangup",))
            bob_end, _ = await next_result(bob.handle, ("hangup",))
            assert bob_end["reason"] == "BYE", bob_end
        finally:
            await ann.close()
            await bob.close()

    run(body())
