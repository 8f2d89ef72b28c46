"""A SIP phone calls web users of html/phone.html (issue 16), headless Chromium through
playwright-core, the phone sipp.

The call history of a web user's account, on every tab and device: two pages of
html/phone.html (one in Chromium, one in Firefox ESR) sign in as guests of one account; a sipp
phone calls the first tab's contact three times: the person answers the first call and hangs up,
declines the second, and the phone cancels the third while it rings. The gateway records each
call in the account's message journal and tells every handle of the account, so both tabs list
an answered incoming call from carol, a declined one from erin and a missed one from dave. Then
each tab dials a sipp phone as a person does (address typed, Call pressed), both at once:
Chromium's call bob answers and the person hangs up, frank declines Firefox's (603); both tabs list them as outgoing
calls, answered and declined. The second tab, reloaded and signed in again, lists the same five
from the journal.

Keypad tones in band: the phone (G.722 with RFC 4733 telephone-event) calls a web user, the
person accepts and presses keys; the phone's RTP port receives the digits as telephone-events."""
import asyncio
import json
import os
import struct
import tempfile

import pytest

from conftest import run
from harness.processes import script_result, spawn
from harness.push_service import free_port
from test_gateway_msrp_chat import json_line

ACCOUNT = "sip:history@sylk.test"
SCENARIOS = os.path.join(os.path.dirname(__file__), "sip")
TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
pytestmark = pytest.mark.usefixtures("shared_browsers")  # the call history script's Chromium and Firefox


class TelephoneEvents(asyncio.DatagramProtocol):
    """The phone's RTP port: the RFC 4733 events (payload type 101) that arrive, as digits."""

    def __init__(self):
        self.events = {}  # RTP timestamp (one per event) -> digit, in arrival order

    def datagram_received(self, data, addr):
        if len(data) < 16 or (data[1] & 0x7F) != 101:
            return
        timestamp = struct.unpack("!I", data[4:8])[0]
        self.events.setdefault(timestamp, "0123456789*#ABCD"[data[12]] if data[12] < 16 else "?")

    def digits(self):
        return "".join(self.events.values())


async def sipp(scenario, trace_dir, *variables):
    args = ["127.0.0.1:5060", "-sf", os.path.join(SCENARIOS, scenario), "-m", "1", "-i", "127.0.0.1", "-p", "0",
            "-nostdin", "-timeout", "30s"]
    for name, value in variables:
        args += ["-set", name, str(value)]
    phone = await spawn("sipp", *args, cwd=trace_dir, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
    _, errors = await asyncio.wait_for(phone.communicate(), 40)
    assert phone.returncode == 0, "%s: %s" % (scenario, errors.decode(errors="replace"))


def test_two_tabs_list_the_accounts_calls_live_and_after_a_reload(janus):
    trace_dir = tempfile.mkdtemp(prefix="sylk-call-history-")

    async def body():
        # The phones the pages call: each takes one call and ends with it.
        phones = []
        for scenario, port, extra in (("callee_web_hangup.xml", free_port(), ["-set", "rtpport", "9"]),
                                      ("callee_declines.xml", free_port(), [])):
            phones.append((port, await spawn("sipp", "-sf", os.path.join(SCENARIOS, scenario), "-m", "1", "-i", "127.0.0.1",
                                             "-p", str(port), "-nostdin", "-timeout", "60s", *extra, cwd=trace_dir,
                                             stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)))
        browser = await spawn("node", os.path.join(TOP, "tests", "browser", "phone_call_history_test.mjs"),
                              janus.http_url + "phone.html", ACCOUNT, "sip:bob@127.0.0.1:%d" % phones[0][0],
                              "sip:frank@127.0.0.1:%d" % phones[1][0],
                              stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        try:
            first = await json_line(browser.stdout)
            assert "contact_user" in first, json.dumps(first, indent=1)
            contact_user = first["contact_user"]
            try:
                # answered by the person, who hangs up (the BYE comes to the phone)
                await sipp("call_web_user_hungup.xml", trace_dir, ("user", contact_user), ("rtpport", 9))
                await sipp("call_web_user_declined.xml", trace_dir, ("user", contact_user))  # the person declines
                await sipp("call_web_user_cancelled.xml", trace_dir, ("user", contact_user))
            except AssertionError as failed:
                # A page that gave up (its script ended) hangs its ringing call up (480): what it saw says why.
                output, errors = await asyncio.wait_for(browser.communicate(), 30)
                raise AssertionError("%s\nthe pages: %s\n%s" % (failed, output.decode(errors="replace")[-3000:],
                                                                 errors.decode(errors="replace")[-2000:])) from None
            output, errors = await asyncio.wait_for(browser.communicate(), 60)
            printed = script_result(output, errors)
            for _, phone in phones if "error" not in printed else []:  # each had its call, as its scenario says
                _, phone_errors = await asyncio.wait_for(phone.communicate(), 10)
                assert phone.returncode == 0, phone_errors.decode(errors="replace")[-2000:]
        finally:
            for process in [browser] + [phone for _, phone in phones]:
                if process.returncode is None:
                    process.kill()
        return printed

    result = run(body(), timeout=120)
    assert "error" not in result, json.dumps(result, indent=1)
    first, second = result["before"]
    # Newest first: the two outgoing calls (placed at once, in either order), dave's cancelled call,
    # erin's declined one, carol's answered one; the same on both tabs.
    assert first == second == result["reloaded"], json.dumps(result, indent=1)
    taken, refused = sorted(first[:2], key=lambda call: call["text"])  # bob's, frank's
    missed, declined, answered = first[2:]
    assert taken["outcome"] == "call-answered" and taken["text"].startswith("Outgoing call bob@"), taken
    assert refused["outcome"] == "call-declined" and refused["text"].startswith("Outgoing call frank@"), refused
    assert missed["outcome"] == "call-missed" and missed["text"].startswith("Incoming call dave@"), missed
    assert declined["outcome"] == "call-declined" and declined["text"].startswith("Incoming call erin@"), declined
    assert answered["outcome"] == "call-answered" and answered["text"].startswith("Incoming call carol@"), answered
    assert result["errors"] == [None, None], result
    assert result["steps"] == ["incoming-call", "call-history", "outgoing-call", "outgoing-call-history"], result["steps"]


def test_keypad_tones_reach_the_phone_that_called_as_telephone_events(janus):
    trace_dir = tempfile.mkdtemp(prefix="sylk-sip-dtmf-")

    async def body():
        loop = asyncio.get_running_loop()
        transport, rtp = await loop.create_datagram_endpoint(TelephoneEvents, local_addr=("127.0.0.1", 0))
        port = transport.get_extra_info("sockname")[1]
        browser = await spawn("node", os.path.join(TOP, "tests", "browser", "phone_sip_dtmf_test.mjs"),
                              janus.http_url + "phone.html", "sip:keys@sylk.test", stdin=asyncio.subprocess.PIPE,
                              stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        phone = None
        try:
            first = await json_line(browser.stdout)
            assert "contact_user" in first, json.dumps(first, indent=1)
            phone = asyncio.ensure_future(sipp("call_web_user_hungup.xml", trace_dir,
                                               ("user", first["contact_user"]), ("rtpport", port)))
            pressed = await json_line(browser.stdout)
            assert "pressed" in pressed, json.dumps(pressed, indent=1)
            deadline = loop.time() + 10
            while rtp.digits() != "1#5" and loop.time() < deadline:
                await asyncio.sleep(0.05)
            received = rtp.digits()
            # the phone's RTP port got each digit, once, in order
            assert received == "1#5", (received, pressed)
            browser.stdin.write(b"hangup\n")  # the person hangs up; the phone takes the BYE
            await browser.stdin.drain()
            await asyncio.wait_for(phone, 30)
            output, errors = await asyncio.wait_for(browser.communicate(), 30)
        finally:
            transport.close()
            if phone is not None and not phone.done():
                phone.cancel()
            if browser.returncode is None:
                browser.kill()
        return script_result(output, errors)

    result = run(body(), timeout=90)
    assert "error" not in result, json.dumps(result, indent=1)
    assert result["sent"] == {"digits": "1#5", "via": "rtp"}, result["sent"]
    assert result["steps"] == ["keypad"], result["steps"]
