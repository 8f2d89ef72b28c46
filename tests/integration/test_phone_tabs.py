"""Two browser tabs of one account and a third that connects later (issue 13): html/phone.html
in three headless Chromium pages (playwright-core), guests of one account on the SIP gateway; a
sipp phone sends MESSAGEs to the first tab's contact; a read (tab one) and a removal (tab two)
made with the page's buttons show the same in both tabs, and the third tab, opened afterwards,
shows the same state from the message journal (sync_conversations)."""
import asyncio
import json
import os
import tempfile

from conftest import run
from harness.processes import script_result, spawn
from test_gateway_msrp_chat import json_line

ACCOUNT = "sip:tabs@sylk.test"
SCENARIOS = os.path.join(os.path.dirname(__file__), "sip")
TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_three_tabs_show_the_same_messages_reads_and_removals(janus):
    trace_dir = tempfile.mkdtemp(prefix="sylk-tabs-")

    async def body():
        browser = await spawn("node", os.path.join(TOP, "tests", "browser", "phone_tabs_test.mjs"),
                              janus.http_url + "phone.html", ACCOUNT, "2",
                              stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        try:
            contact_user = (await json_line(browser.stdout))["contact_user"]
            phone = await spawn("sipp", "127.0.0.1:5060", "-sf", os.path.join(SCENARIOS, "message_burst.xml"),
                                "-s", contact_user, "-m", "2", "-i", "127.0.0.1", "-p", "0", "-nostdin",
                                "-timeout", "20s", cwd=trace_dir, stdout=asyncio.subprocess.DEVNULL,
                                stderr=asyncio.subprocess.PIPE)
            _, errors = await asyncio.wait_for(phone.communicate(), 30)
            assert phone.returncode == 0, errors.decode(errors="replace")  # both MESSAGEs got their 200
            output, errors = await asyncio.wait_for(browser.communicate(), 60)
        finally:
            if browser.returncode is None:
                browser.kill()
        return script_result(output, errors)

    result = run(body(), timeout=90)
    assert "error" not in result, json.dumps(result, indent=1)
    tabs = result["tabs"]
    assert len(tabs) == 3 and tabs[0] == tabs[1] == tabs[2], json.dumps(tabs, indent=1)
    # One of the phone's two messages is left, read; the removed one is on no tab.
    [left] = tabs[0]
    assert left["read"] is True and "burst message" in left["text"] and left["id"] != result["removed"], left
    assert result["errors"] == [None, None, None], result
