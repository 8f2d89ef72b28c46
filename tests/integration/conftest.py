"""Fixtures: one real janus per test module, with our plugins from the build tree, inside the
private network namespace that netns.sh made (./sylk test runs pytest through it)."""
import asyncio
import atexit
import os
import shutil
import sys
import tempfile

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from harness.event_collector import EventCollector  # noqa: E402
from harness.janus_process import JanusProcess, sanitizer_env  # noqa: E402
from harness.processes import end_leftovers  # noqa: E402
from harness.prosody import Prosody  # noqa: E402

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("SYLK_BUILD_DIR", os.path.join(TOP, "build"))


# Every temporary folder of the session (a janus, sipp, Kamailio, browser profile... each make
# one) goes under one folder of the session's own, removed when the session ends: tempfile's for
# the tests and the harness, TMPDIR for the programs they start. SYLK_KEEP_TMP=1 keeps it, to
# look at a failed run's logs (its path is printed at the end).
SESSION_TMP = tempfile.mkdtemp(prefix="sylk-tests-")
os.chmod(SESSION_TMP, 0o711)  # searchable as /tmp is: PostgreSQL runs as `postgres` under a folder of ours
tempfile.tempdir = SESSION_TMP
os.environ["TMPDIR"] = SESSION_TMP


def _remove_session_tmp():
    if os.environ.get("SYLK_KEEP_TMP"):
        print("the session's temporary folders are kept in %s" % SESSION_TMP)
    else:
        shutil.rmtree(SESSION_TMP, ignore_errors=True)


atexit.register(_remove_session_tmp)  # at exit: pytest's own tmp_path clean-up runs after its hooks


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed test's report carries the last warnings and errors of every janus still running
    (CI shows only what the report prints, and the session's folder goes at exit)."""
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" or not report.failed:
        return
    for process in JanusProcess.running:
        problems = process.log_problems()
        if problems:
            report.sections.append(("janus %s: its last warnings and errors" % os.path.basename(process.run_dir),
                                    problems))


def run(coroutine, timeout=60):
    """Runs one async test body with an overall deadline."""
    return asyncio.run(asyncio.wait_for(coroutine, timeout))


@pytest.fixture(scope="session", autouse=True)
def private_network():
    if not os.environ.get("SYLK_NETNS"):
        pytest.exit("run the integration tests through tests/integration/netns.sh (./sylk test does)", 2)


@pytest.fixture(autouse=True)
def no_leftover_peers():
    """A test that fails midway leaves its sipp, baresip or browser running: end them by PID."""
    yield
    end_leftovers()


@pytest.fixture(scope="module")
def janus(request):
    run_dir = tempfile.mkdtemp(prefix="sylk-janus-")
    env = sanitizer_env()  # the ASan+UBSan pass: plugins load only with the runtimes preloaded
    # A module may set EVENT_COLLECTOR = True (or sampleevh options, e.g. {"grouping": False}):
    # Janus's stock sample event handler then POSTs every event to a collector, janus.events.
    collector = None
    event_options = getattr(request.module, "EVENT_COLLECTOR", None)
    if event_options:
        collector = EventCollector().start()
        event_options = collector.handler_options(**(event_options if isinstance(event_options, dict) else {}))
    # A module may set XMPP = True (or {"option": value} for janus.plugin.sylk.xmpp's config):
    # the module's Prosody (fixture `prosody`) starts first, so the component connects at once.
    run_options = {}
    xmpp = getattr(request.module, "XMPP", None)
    if xmpp:
        server = request.getfixturevalue("prosody")
        options = {"server_host": server.host, "server_port": server.component_port, "domain": server.domain,
                   "component_secret": server.secret}
        options.update(xmpp if isinstance(xmpp, dict) else {})
        run_options["xmpp_options"] = options
    # A module may set IRC_CONFIG = {category: {option: value}}: janus.plugin.sylk.irc.jcfg.
    if getattr(request.module, "IRC_CONFIG", None):
        run_options["irc_config"] = request.module.IRC_CONFIG
    # A module may set SIP_OPTIONS = {"option": value} for janus.plugin.sylk.sip's config.
    process = JanusProcess(BUILD, run_dir, env=env, sip_options=getattr(request.module, "SIP_OPTIONS", None),
                           event_handler=event_options, run_options=run_options)
    process.events = collector
    try:
        process.start()
    except BaseException:
        if collector:
            collector.stop()
        raise
    yield process
    alive = process.alive()
    code = process.stop()
    if collector:
        collector.stop()
    if not alive:
        pytest.fail("janus died during the tests (exit %s):\n%s" % (code, process.log_tail()))


# XMPP users of the module's Prosody (fixture `prosody`): name -> password.
XMPP_USERS = {"alice": "alice-pw", "bob": "bob-pw", "carol": "carol-pw", "dave": "dave-pw"}


@pytest.fixture(scope="module")
def prosody(request):
    """Prosody 0.12 on 127.0.0.1 (c2s 5222, components 5347, http 5280) with VirtualHost
    localhost, our two component domains and Prosody's own MUC (muc.localhost), and the users
    of XMPP_USERS (a module may set its own XMPP_USERS). Stopped by PID; fails the module if it
    died during the tests."""
    users = getattr(request.module, "XMPP_USERS", XMPP_USERS)
    # PROSODY_MULTICAST = False: a Prosody without mod_sylk_multicast (the per-copy fallback)
    # PROSODY_MODULES = ("smacks", ...): more of Prosody's modules enabled
    server = Prosody(users=users, multicast=getattr(request.module, "PROSODY_MULTICAST", True),
                     modules=getattr(request.module, "PROSODY_MODULES", ()))
    server.start()
    yield server
    alive = server.alive()
    server.stop()
    if not alive:
        pytest.fail("prosody died during the tests:\n%s" % server.log_tail())
    server.remove()


@pytest.fixture(scope="session")
def shared_browsers():
    """One Chromium and one Firefox for the session's browser scripts (tests/browser/browser_host.mjs):
    a module asks for them with pytestmark = pytest.mark.usefixtures("shared_browsers"), and its
    scripts that call launchChromium/launchFirefox with { shared: true } get a browser context
    of their own in them instead of starting a browser each (seconds of CPU each, Firefox most).
    Started by the first module that asks, in the session's network namespace; ended at the end."""
    import json
    import select
    import subprocess
    host = subprocess.Popen(["node", os.path.join(TOP, "tests", "browser", "browser_host.mjs")],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    ready, _, _ = select.select([host.stdout], [], [], 90)  # the endpoints, once both browsers are up
    line = host.stdout.readline() if ready else ""
    endpoints = json.loads(line) if line.startswith("{") else {}  # none: each script starts its own
    saved = {name: os.environ.get(name) for name in ("SYLK_SHARED_CHROMIUM", "SYLK_SHARED_FIREFOX")}
    if endpoints:
        os.environ["SYLK_SHARED_CHROMIUM"] = endpoints["chromium"]
        os.environ["SYLK_SHARED_FIREFOX"] = endpoints["firefox"]
    yield endpoints
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    host.stdin.close()
    try:
        host.wait(30)
    except subprocess.TimeoutExpired:
        host.kill()
        host.wait()
