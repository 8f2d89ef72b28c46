"""The call history of a web user's account, on every tab and device (issue 16): two tabs of
html/phone.html (headless Chromium, playwright-core) sign in as guests of one account; a sipp
phone calls the first tab's contact twice: the person answers the first call and hangs up, the
phone cancels the second while it rings. The gateway records each call in the account's message
journal and tells every handle of the account, so both tabs list an answered incoming call from
carol and a missed one from dave; the second tab, reloaded and signed in again, lists the same
from the journal."""
import asyncio
import json
import os
import tempfile

from conftest import run
from harness.processes import spawn
from test_gateway_msrp_chat import json_line

ACCOUNT = "sip:history@sylk.test"
SCENARIOS = os.path.join(os.path.dirname(__file__), "sip")
TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


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
        browser = await spawn("node", os.path.join(TOP, "tests", "browser", "phone_call_history_test.mjs"),
                              janus.http_url + "phone.html", ACCOUNT,
                              stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        try:
            first = await json_line(browser.stdout)
            assert "contact_user" in first, json.dumps(first, indent=1)
            contact_user = first["contact_user"]
            # answered by the person, who hangs up (the BYE comes to the phone)
            await sipp("call_web_user_hungup.xml", trace_dir, ("user", contact_user), ("rtpport", 9))
            await sipp("call_web_user_cancelled.xml", trace_dir, ("user", contact_user))
            output, errors = await asyncio.wait_for(browser.communicate(), 60)
        finally:
            if browser.returncode is None:
                browser.kill()
        lines = [line for line in output.decode().splitlines() if line.startswith("{")]
        assert lines, errors.decode(errors="replace")[-2000:]
        return json.loads(lines[-1])

    result = run(body(), timeout=120)
    assert "error" not in result, json.dumps(result, indent=1)
    first, second = result["before"]
    # Newest first: dave's cancelled call, then carol's answered one; the same on both tabs.
    assert first == second == result["reloaded"], json.dumps(result, indent=1)
    missed, answered = first
    assert missed["outcome"] == "call-missed" and missed["text"].startswith("Incoming call dave@"), missed
    assert answered["outcome"] == "call-answered" and answered["text"].startswith("Incoming call carol@"), answered
    assert result["errors"] == [None, None], result
    assert result["steps"] == ["incoming-call", "call-history"], result["steps"]
