"""`./sylk run` with its loopback Prosody (issue 12, docs/xmpp.md "With ./sylk run"): the script
itself, as a person runs it, in the test's namespace: it starts Prosody (tests/tools/run_prosody.py)
before janus and prints the demo users' fresh passwords; an XMPP client (slixmpp) logs in with a
printed password, joins demo@conference.localhost at once and chats with a web user of the video
room's room "demo" both ways; Ctrl-C (SIGINT to the process group this test started, as a terminal
sends it) ends janus and Prosody, and nothing is left listening on Prosody's ports."""
import asyncio
import os
import re
import signal
import socket
import subprocess
import time

from conftest import run
from harness.room_members import ApiWebUser
from harness.xmpp_client import XmppClient, XmppTimeout

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DELIVERY_S = 15


def listening(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def test_sylk_run_lets_an_xmpp_client_join_a_room_at_once():
    log_path = os.path.join(TOP, ".run", "sylk-run-test.log")
    os.makedirs(os.path.dirname(log_path), exist_ok=True)
    log = open(log_path, "w")
    process = subprocess.Popen([os.path.join(TOP, "sylk"), "run"], cwd=TOP, stdin=subprocess.DEVNULL, stdout=log,
                               stderr=subprocess.STDOUT, start_new_session=True)

    def output():
        with open(log_path, errors="replace") as f:
            return f.read()

    try:
        # deps (dpkg-query only), an up-to-date build, Prosody, then janus: the demo users are printed
        deadline = time.monotonic() + 600
        while not (re.search(r"demo user alice@localhost\s+password (\S+)", output()) and listening(8188)):
            assert process.poll() is None, "./sylk run ended:\n" + output()[-4000:]
            assert time.monotonic() < deadline, output()[-4000:]
            time.sleep(0.2)
        password = re.search(r"demo user alice@localhost\s+password (\S+)", output()).group(1)

        async def body():
            wendy = await ApiWebUser.join("ws://127.0.0.1:8188", "demo", "Wendy")
            alice = await XmppClient.connect(("127.0.0.1", 5222), "alice", password, domain="localhost")
            try:
                loop = asyncio.get_running_loop()
                limit = loop.time() + 30
                while True:  # janus's component link comes up as janus starts
                    try:
                        if (await alice.disco_info("conference.localhost", timeout=5)).type == "result":
                            break
                    except XmppTimeout:
                        pass
                    assert loop.time() < limit, output()[-3000:]
                    await asyncio.sleep(0.2)
                joined = await alice.join("demo@conference.localhost", "Alice")
                assert joined.error is None and joined.occupants == ["Wendy"], joined.order
                alice.groupchat("demo@conference.localhost", "hello from xmpp")
                got = await wendy.wait_message(lambda m: m["text"] == "hello from xmpp", DELIVERY_S)
                assert got["display"] == "Alice"
                await wendy.say("hello from the web")
                echo = await alice.wait_message(lambda m: m.body == "hello from the web", DELIVERY_S)
                assert echo.sender == "demo@conference.localhost/Wendy"
            finally:
                await alice.disconnect()
                await wendy.close()

        run(body(), timeout=120)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGINT)  # Ctrl-C: janus ends, the EXIT trap stops Prosody
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        log.close()
    # Prosody went with it: nothing listens on its ports any more
    deadline = time.monotonic() + 10
    while listening(5222) or listening(5347):
        assert time.monotonic() < deadline, "Prosody still runs after ./sylk run ended:\n" + output()[-2000:]
        time.sleep(0.1)
    assert "Sylk for Janus is starting" in output()
