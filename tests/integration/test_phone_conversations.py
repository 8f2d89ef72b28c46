"""The phone page as people use it (issue 16): two accounts registered at a real registrar
(Kamailio, harness/kamailio_registrar.py), each signed in through html/phone.html's sign-in screen
in a headless browser page (tests/browser/phone_conversation_test.mjs). A message from Ann shows
in Bob's conversations list as unread; Bob opens it and Ann's message turns "read" (the gateway
sends Bob's display notification, RFC 5438, for a pager-mode MESSAGE); Ann calls Bob from the
conversation, Bob answers on the incoming-call screen (both pages in the call, audio both ways), Ann
presses keypad keys and Bob's page shows the tones, Ann hangs up, and both call histories lists the answered call. axe-core and screenshots at
each screen (ui_check.mjs). The sign-in and conversation part runs in Firefox ESR too."""
import asyncio
import json
import os
import tempfile

import pytest

from conftest import run
from harness.kamailio_registrar import KamailioRegistrar
from harness.processes import spawn
from harness.push_service import free_port

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(TOP, "tests", "browser", "phone_conversation_test.mjs")


@pytest.fixture(scope="module")
def registrar():
    proxy = KamailioRegistrar(tempfile.mkdtemp(prefix="sylk-phone-kamailio-"), port=free_port()).start()
    yield proxy
    alive = proxy.alive()
    proxy.stop()
    if not alive:
        pytest.fail("kamailio died during the tests:\n%s" % proxy.log_tail())


def run_script(janus, registrar, browser):
    log_path = os.path.join(tempfile.mkdtemp(prefix="sylk-phone-conv-"), "stderr.txt")

    async def body():
        with open(log_path, "wb") as log:
            process = await spawn("node", SCRIPT, janus.http_url + "phone.html", registrar.uri, browser,
                                  stdout=asyncio.subprocess.PIPE, stderr=log)
            try:
                output, _ = await asyncio.wait_for(process.communicate(), 100)
            except asyncio.TimeoutError:
                process.kill()
                await process.wait()
                with open(log_path, errors="replace") as errors:
                    raise AssertionError("the browser script hung:\n" + errors.read()[-3000:]) from None
        lines = [line for line in output.decode().splitlines() if line.startswith("{")]
        with open(log_path, errors="replace") as errors:
            assert lines, errors.read()[-2000:]
        return json.loads(lines[-1])

    result = run(body(), timeout=120)
    assert "error" not in result, json.dumps(result, indent=1)[-6000:]
    return result


def assert_conversation(result):
    # Bob's list: Ann's conversation, one unread message, the count in the title too.
    assert "ann@127.0.0.1" in result["bobList"] and "Hello Bob" in result["bobList"], result["bobList"]
    assert result["bobUnreadTitle"].startswith("(1)"), result["bobUnreadTitle"]
    # The message as Ann typed it, markup shown as text.
    assert result["bobShown"].startswith("Hello Bob <b>not bold</b>") and result["bobBold"] == 0, result
    assert "OpenPGP" in result["bobKeyState"], result["bobKeyState"]
    # Bob's display notification reached Ann's page.
    assert result["annReceipt"].endswith("read"), result["annReceipt"]


def test_sign_in_message_read_receipt_call_keypad_and_history(janus, registrar):
    result = run_script(janus, registrar, "chromium")
    assert_conversation(result)
    assert "ann@127.0.0.1" in result["incoming"], result["incoming"]
    for side in ("annAudio", "bobAudio"):
        assert result[side]["audioBytes"] > 500 and result[side]["audioEnergy"] > 0, result[side]
    assert result["keypadShown"] is True
    # Ann's keypad tones (RFC 4733 in the audio) reached Bob's page, and neither call ended on them.
    assert result["annDtmfSent"] == "Sent: 1#5" and result["annDtmfVia"] == "rtp", result
    assert result["bobDtmfReceived"] == "Received: 1#5", result["bobDtmfReceived"]
    assert result["callsAfterTones"] == ["talking", "talking"], result["callsAfterTones"]
    ann_call, bob_call = result["annCalls"][0], result["bobCalls"][0]
    assert ann_call.startswith("Outgoing call bob@127.0.0.1: answered"), ann_call
    assert bob_call.startswith("Incoming call ann@127.0.0.1: answered"), bob_call
    assert result["errors"] == [None, None], result["errors"]
    assert result["steps"] == ["signin", "signed-in", "conversation-unread", "conversation-open", "message-read",
                               "incoming-call", "in-call", "call-history"], result["steps"]


def test_sign_in_and_conversation_in_firefox(janus, registrar):
    result = run_script(janus, registrar, "firefox")
    assert_conversation(result)
    assert result["errors"] == [None, None], result["errors"]
