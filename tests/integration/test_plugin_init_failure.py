"""A plugin whose init fails (here the SIP plugin, told to read a resolv.conf that does not exist)
is left out, and janus goes on serving the other plugins.

Janus dlcloses such a plugin. Before our plugins were linked with -z nodelete, that unloaded
Sofia-SIP, whose ELF destructor deletes pthread key 0 when it never made its own key: key 0 is
GLib's (plain run: GLib aborts on its next pthread_setspecific) or ASan's (ASan aborts in the next
thread it starts). The requests below start threads and use GLib's thread-local state."""
import asyncio

from conftest import run
from harness.janus_api import Session

SIP_OPTIONS = {"dns_resolv_conf": "/nonexistent/sylk-test/resolv.conf"}
ECHO = "janus.plugin.sylk.echo"
VIDEOROOM = "janus.plugin.sylk.videoroom"


def test_janus_serves_the_other_plugins_when_the_sip_plugin_fails_to_start(janus):
    async def body():
        sessions = [await Session.create(janus.ws_url) for _ in range(4)]
        try:
            info = await sessions[0].connection.call({"janus": "info"})
            answers = []
            for session in sessions:
                echo = await session.attach(ECHO)
                room = await session.attach(VIDEOROOM)
                pong, _ = await echo.send({"request": "ping"})
                listed, _ = await room.send({"request": "list"})
                answers.append((pong.get("echo"), "list" in listed))
            await asyncio.sleep(0.5)  # janus's own timers and watchdog run meanwhile
            return info, answers
        finally:
            for session in sessions:
                await session.close()

    info, answers = run(body(), timeout=60)
    assert "janus.plugin.sylk.sip" not in info["plugins"], sorted(info["plugins"])
    assert VIDEOROOM in info["plugins"] and ECHO in info["plugins"]
    assert answers == [("pong", True)] * 4, answers
    assert janus.alive(), janus.log_tail()
    assert "dns_resolv_conf: no such file" in janus.log_tail(400)
