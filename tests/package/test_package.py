"""The Debian package end to end: build sylk-janus from a copy of the tree, check it with lintian,
install it with dpkg -i, run janus exactly as the installed sylk-janus.service does (nothing from
the source or build tree), check the echo plugin, a video room with two aiortc peers and every file
of the web app, then purge it and check that nothing of it is left.

Runs as root inside the private network namespace of tests/integration/netns.sh (`./sylk test`
runs it once, as its own suite). The package is purged at the end whether the tests pass or not.
"""
import asyncio
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tarfile
import time
import urllib.error
import urllib.request

import numpy
import pytest
import websockets

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(TOP, "tests", "integration"))
from harness.janus_api import Session  # noqa: E402
from harness.peers import ColourTrack, Collector, ToneTrack, accept, dominant_frequency, make_peer, offer  # noqa: E402

PACKAGE = "sylk-janus"
UNIT = "/lib/systemd/system/sylk-janus.service"
WEBSOCKETS_CONFIG = "/etc/janus/janus.transport.websockets.jcfg"
HTTP_URL = "http://127.0.0.1:8080/"  # janus.transport.sylk.http's default address
OUR_PLUGINS = ["janus.plugin.sylk.echo", "janus.plugin.sylk.videoroom", "janus.plugin.sylk.audiomixer",
               "janus.plugin.sylk.sip"]
BUILD_TIMEOUT_S = 2400  # the whole tree, compiled on a shared 2-core machine


def run(coroutine, timeout=60):
    return asyncio.run(asyncio.wait_for(coroutine, timeout))


def multiarch():
    return subprocess.run(["dpkg-architecture", "-qDEB_HOST_MULTIARCH"], check=True, capture_output=True,
                          text=True).stdout.strip()


SKIPPED_FOLDERS = {".git", ".run", "node_modules", "__pycache__", "autom4te.cache"}


def walked_files(under):
    """Without git (a tree from a tarball): every file but build folders and caches."""
    names = []
    for folder, subfolders, files in os.walk(os.path.join(TOP, under or "")):
        subfolders[:] = [name for name in subfolders if name not in SKIPPED_FOLDERS
                         and not (folder == TOP and name.startswith("build"))]
        names += [os.path.relpath(os.path.join(folder, name), TOP) for name in files if name != ".git"]
    return sorted(names)


def source_files(under=None):
    """The tree as the developer has it: tracked files plus new ones git does not ignore."""
    if not os.path.isdir(os.path.join(TOP, ".git")) and not os.path.isfile(os.path.join(TOP, ".git")):
        return walked_files(under)
    command = ["git", "-C", TOP, "ls-files", "-z", "--cached", "--others", "--exclude-standard"]
    if under:
        command += ["--", under]
    names = subprocess.run(command, check=True, capture_output=True).stdout.decode().split("\0")
    return sorted(name for name in names
                  if name and "node_modules" not in name.split("/") and os.path.lexists(os.path.join(TOP, name)))


def dpkg(*args):
    """dpkg with retries while another process (apt of a concurrent job) holds its lock."""
    deadline = time.monotonic() + 600
    while True:
        result = subprocess.run(["dpkg"] + list(args), capture_output=True, text=True,
                                env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
        if result.returncode == 0 or "lock" not in result.stderr or time.monotonic() > deadline:
            return result
        time.sleep(2)  # waiting for the other process's lock, nothing to poll


def installed_status():
    result = subprocess.run(["dpkg-query", "-W", "-f=${Status}", PACKAGE], capture_output=True, text=True)
    return result.stdout if result.returncode == 0 else ""


def purge():
    if installed_status() and "not-installed" not in installed_status():
        result = dpkg("--purge", PACKAGE)
        assert result.returncode == 0, result.stdout + result.stderr
        return result
    return None


@pytest.fixture(scope="module", autouse=True)
def private_network():
    if not os.environ.get("SYLK_NETNS"):
        pytest.exit("run the package tests through tests/integration/netns.sh (./sylk test does)", 2)
    if os.geteuid() != 0:
        pytest.exit("the package tests install a package: run them as root", 2)


def build_package(work, dist_tarball=None):
    """Builds the .deb in the folder work, from the release tarball (`make dist`) when there is
    one, as Debian builds a package: a file the tarball misses fails the build here (this took
    the place of make distcheck in ./sylk test, docs/decisions.md). Without one, from a copy of
    the tree: dpkg-buildpackage configures in place, which would break the out-of-tree build/
    folders of the source tree. Returns the deb, the changes and the folder; raises
    AssertionError with the log's end when it fails."""
    source = os.path.join(work, PACKAGE)
    if dist_tarball:
        unpacked = os.path.join(work, "dist")
        with tarfile.open(dist_tarball) as archive:
            archive.extractall(unpacked)
        (top,) = os.listdir(unpacked)  # sylk-janus-VERSION
        os.rename(os.path.join(unpacked, top), source)
        os.rmdir(unpacked)
    else:
        tree = os.path.join(work, "tree.tar")
        with tarfile.open(tree, "w") as archive:
            for name in source_files():
                archive.add(os.path.join(TOP, name), arcname=name, recursive=False)
        with tarfile.open(tree) as archive:
            archive.extractall(source)
        os.unlink(tree)
    env = dict(os.environ, DEB_BUILD_OPTIONS="nocheck parallel=%d" % min(os.cpu_count() or 1, 2))
    log = os.path.join(work, "dpkg-buildpackage.log")
    with open(log, "w") as out:
        result = subprocess.run(["dpkg-buildpackage", "-us", "-uc", "-b"], cwd=source, stdout=out,
                                stderr=subprocess.STDOUT, env=env, timeout=BUILD_TIMEOUT_S)
    text = open(log).read()
    assert result.returncode == 0, "dpkg-buildpackage failed:\n" + text[-6000:]
    version = subprocess.run(["dpkg-parsechangelog", "-S", "Version"], cwd=source, check=True,
                             capture_output=True, text=True).stdout.strip()
    architecture = subprocess.run(["dpkg-architecture", "-qDEB_HOST_ARCH"], check=True, capture_output=True,
                                  text=True).stdout.strip()
    deb = os.path.join(work, "%s_%s_%s.deb" % (PACKAGE, version, architecture))
    changes = os.path.join(work, "%s_%s_%s.changes" % (PACKAGE, version, architecture))
    assert os.path.exists(deb) and os.path.exists(changes), sorted(os.listdir(work))
    shutil.rmtree(source)  # the compiled copy (170 MB); the packages and the log stay
    return {"deb": deb, "changes": changes, "work": work}


def prebuilt():
    """The package `./sylk test` built beforehand (SYLK_PACKAGE_PREBUILT: the folder of
    `python3 tests/package/test_package.py build FOLDER`), if that build succeeded."""
    folder = os.environ.get("SYLK_PACKAGE_PREBUILT")
    try:
        with open(os.path.join(folder, "built.json")) as f:
            built = json.load(f)
    except (TypeError, OSError, ValueError):
        return None
    if all(os.path.exists(built.get(key, "")) for key in ("deb", "changes", "work")):
        return built
    return None


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return prebuilt() or build_package(str(tmp_path_factory.mktemp("package")))


@pytest.fixture(scope="module")
def installed(built):
    """Installs the package; purges it afterwards, whatever happened."""
    purge()  # a run that was killed may have left it
    try:
        result = dpkg("-i", built["deb"])
        assert result.returncode == 0, "dpkg -i failed:\n" + result.stdout + result.stderr
        listing = subprocess.run(["dpkg-query", "-L", PACKAGE], check=True, capture_output=True,
                                 text=True).stdout.split("\n")
        conffiles = subprocess.run(["dpkg-query", "-W", "-f=${Conffiles}", PACKAGE], check=True,
                                   capture_output=True, text=True).stdout
        yield {"files": [path for path in listing if path and os.path.isfile(path)],
               "conffiles": [line.split()[0] for line in conffiles.strip().split("\n") if line.strip()]}
    finally:
        purge()


class InstalledJanus:
    """janus started with the installed unit's own ExecStart command line."""

    def __init__(self, work):
        unit = open(UNIT).read()
        self.command = shlex.split(re.search(r"^ExecStart=(.*)$", unit, re.M).group(1))
        ws_port = re.search(r"^\s*ws_port\s*=\s*(\d+)", open(WEBSOCKETS_CONFIG).read(), re.M)
        self.ws_url = "ws://127.0.0.1:%s/" % (ws_port.group(1) if ws_port else "8188")
        self.log_path = os.path.join(work, "janus.log")
        self.process = None

    def start(self, timeout=30.0):
        self.log = open(self.log_path, "w")
        # cwd / and no inherited library path: only what the package installed can load
        env = {key: value for key, value in os.environ.items() if key not in ("LD_LIBRARY_PATH", "LD_PRELOAD")}
        self.process = subprocess.Popen(self.command, cwd="/", stdout=self.log, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("janus exited with %s during start:\n%s" % (self.process.returncode, self.log_tail()))
            self.info = asyncio.run(self._info())
            if self.info and all(plugin in self.info.get("plugins", {}) for plugin in OUR_PLUGINS):
                return self
            time.sleep(0.1)  # polling interval, not a wait for readiness
        raise RuntimeError("janus did not list our plugins within %.0f s:\n%s" % (timeout, self.log_tail()))

    async def _info(self):
        try:
            async with websockets.connect(self.ws_url, subprotocols=["janus-protocol"], open_timeout=1) as ws:
                await ws.send(json.dumps({"janus": "info", "transaction": "ready"}))
                return json.loads(await asyncio.wait_for(ws.recv(), 2))
        except (OSError, asyncio.TimeoutError, websockets.exceptions.WebSocketException):
            return None

    def mapped_files(self):
        with open("/proc/%d/maps" % self.process.pid) as maps:
            return {line.split()[-1] for line in maps if len(line.split()) >= 6}

    def log_tail(self, lines=60):
        try:
            with open(self.log_path) as f:
                return "".join(f.readlines()[-lines:])
        except OSError:
            return ""

    def stop(self, timeout=10.0):
        """Ends the janus we started, by its PID only."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process:
            self.log.close()
            return self.process.returncode
        return None


@pytest.fixture(scope="module")
def janus(installed, built):
    process = InstalledJanus(built["work"])
    try:
        yield process.start()
    finally:
        process.stop()  # also when it never answered: it must not outlive the package


def test_lintian_reports_no_errors(built):
    result = subprocess.run(["lintian", "--tag-display-limit", "0", built["changes"]], capture_output=True, text=True)
    errors = [line for line in result.stdout.split("\n") if line.startswith("E:")]
    assert not errors, "\n".join(errors)
    assert result.returncode == 0, result.stdout + result.stderr


def test_files_go_where_janus_looks(installed):
    lib = "/usr/lib/%s" % multiarch()
    files = set(installed["files"])
    for plugin in ("echo", "videoroom", "audiomixer", "sip", "msrp", "cluster"):
        assert "%s/janus/plugins/libjanus_sylk_%s.so" % (lib, plugin) in files
    assert "%s/janus/transports/libjanus_sylk_http.so" % lib in files
    assert "%s/janus/transports/libjanus_sylk_loopback.so" % lib in files  # Jingle calls' Janus API
    assert "/etc/janus/janus.transport.sylk.loopback.jcfg" in installed["conffiles"]
    assert "%s/sylk-janus/libsylkcore.so" % lib in files
    assert UNIT in files
    # configs are conffiles; janus's own janus.jcfg stays the janus package's
    for name in ["sylk-janus.jcfg", "janus.transport.sylk.http.jcfg"] + [
            "janus.plugin.sylk.%s.jcfg" % plugin for plugin in ("echo", "videoroom", "audiomixer", "sip", "msrp")]:
        assert "/etc/janus/" + name in installed["conffiles"], installed["conffiles"]
    assert "/etc/janus/janus.jcfg" not in files
    # the video room benchmarks' setting is live in the installed janus configuration
    assert re.search(r"^\s*event_loops\s*=\s*2\b", open("/etc/janus/sylk-janus.jcfg").read(), re.M)


def test_janus_runs_from_the_installed_files_only(janus):
    assert janus.command[0] == "/usr/bin/janus"
    mapped = janus.mapped_files()
    lib = "/usr/lib/%s" % multiarch()
    assert "%s/sylk-janus/libsylkcore.so" % lib in mapped
    assert "%s/janus/transports/libjanus_sylk_http.so" % lib in mapped
    assert not [path for path in mapped if path.startswith(TOP)], "loaded from the source tree"
    # our configuration's choices took effect: no stock plugins, no REST transport
    assert "janus.plugin.videoroom" not in janus.info["plugins"]
    assert "janus.transport.http" not in janus.info["transports"]
    assert "janus.transport.sylk.http" in janus.info["transports"]


def test_echo_ping(janus):
    async def body():
        session = await Session.create(janus.ws_url)
        try:
            handle = await session.attach("janus.plugin.sylk.echo")
            data, _ = await handle.send({"request": "ping"})
            return data
        finally:
            await session.close()
    data = run(body())
    assert data["echo"] == "pong" and data["sessions"] >= 1, data


def test_video_room_publisher_and_subscriber(janus):
    room = "janus.plugin.sylk.videoroom"

    async def body():
        publisher_session = await Session.create(janus.ws_url)
        subscriber_session = await Session.create(janus.ws_url)
        pcs, collectors = [], []
        try:
            publisher = await publisher_session.attach(room)
            joined, _ = await publisher.send({"request": "join", "ptype": "publisher", "room": "package-room",
                                              "display": "Alice"})
            pc, _ = await make_peer(data_channel=False)
            pcs.append(pc)
            pc.addTrack(ToneTrack(440))
            pc.addTrack(ColourTrack((0, 0, 220)))
            configured, jsep = await publisher.send({"request": "publish"}, jsep=await offer(pc))
            assert configured.get("configured") == "ok", configured
            await accept(pc, jsep)
            await publisher.next_event(timeout=15, predicate=lambda e: e.get("janus") == "webrtcup")

            subscriber = await subscriber_session.attach(room)
            attached, jsep = await subscriber.send({"request": "join", "ptype": "subscriber", "room": "package-room",
                                                    "streams": [{"feed": joined["id"]}]})
            assert attached["videoroom"] == "attached", attached
            pc, _ = await make_peer(data_channel=False)
            pcs.append(pc)
            pc.on("track", lambda track: collectors.append(Collector(track)))
            await accept(pc, jsep)
            await pc.setLocalDescription(await pc.createAnswer())
            started, _ = await subscriber.send({"request": "start"},
                                               jsep={"type": "answer", "sdp": pc.localDescription.sdp})
            assert started.get("started") == "ok", started
            await asyncio.sleep(4)  # media flows for a while before we look at it
            audio = next(c for c in collectors if c.track.kind == "audio")
            video = next(c for c in collectors if c.track.kind == "video")
            return joined, audio, video
        finally:
            for collector in collectors:
                collector.stop()
            for pc in pcs:
                await pc.close()
            await subscriber_session.close()
            await publisher_session.close()
    joined, audio, video = run(body())
    assert joined["videoroom"] == "joined", joined
    assert audio.frames > 100
    assert abs(dominant_frequency(numpy.concatenate(audio.audio[-100:]), audio.rate) - 440) < 10
    assert video.frames > 20
    r, g, b = video.last_rgb
    assert b > 150 and r < 60 and g < 60, video.last_rgb


def fetch(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, b""


def test_every_web_app_file_is_served(janus):
    """Every file of html/ in the source tree, byte for byte, and every local script and style
    sheet the pages load (janus.js and adapter.js come from Debian's packages)."""
    pages = source_files("html")
    assert "html/phone.html" in pages and "html/room.html" in pages, pages
    missing, referenced = [], set()
    for name in pages:
        path = name[len("html/"):]
        status, body = fetch(HTTP_URL + path)
        if status != 200 or body != open(os.path.join(TOP, name), "rb").read():
            missing.append("%s (HTTP %s)" % (path, status))
        if name.endswith(".html"):  # the pages sit at the top, so relative links resolve from /
            referenced.update(link for link in re.findall(r'(?:src|href)="([^"#:]+)"', body.decode()))
    assert not missing, "not served as in the source tree: %s" % missing
    assert "/javascript/janus-gateway/janus.js" in referenced, referenced
    statuses = {link: fetch(HTTP_URL + link.lstrip("/").removeprefix("./"))[0] for link in sorted(referenced)}
    failed = ["%s (HTTP %s)" % (link, status) for link, status in statuses.items() if status != 200]
    assert not failed, "pages refer to files that are not served: %s" % failed


def test_purge_removes_the_package(installed, janus):
    janus.stop()
    result = purge()
    assert result is not None, "the package was not installed"
    left = [path for path in installed["files"] if os.path.lexists(path)]
    assert not left, "left after purge: %s" % left
    assert not os.path.exists("/etc/janus/sylk-janus.jcfg")
    assert not os.path.exists("/var/lib/sylk-janus"), "run-time files left after purge"
    assert "installed" not in installed_status() or "not-installed" in installed_status()
    # janus's own package is untouched
    assert os.path.exists("/etc/janus/janus.jcfg") and os.path.exists("/usr/bin/janus")


if __name__ == "__main__":
    # `test_package.py build FOLDER`: the package alone, for ./sylk test to build it at nice 19
    # beside other suites; the tests then take it from SYLK_PACKAGE_PREBUILT=FOLDER.
    # With a third argument, from that release tarball (./sylk test makes it with make dist).
    if len(sys.argv) not in (3, 4) or sys.argv[1] != "build":
        sys.exit("usage: test_package.py build FOLDER [DIST-TARBALL]")
    target = os.path.abspath(sys.argv[2])
    shutil.rmtree(target, ignore_errors=True)
    os.makedirs(target)
    result = build_package(target, os.path.abspath(sys.argv[3]) if len(sys.argv) == 4 else None)
    with open(os.path.join(target, "built.json"), "w") as f:
        json.dump(result, f)
    print("built", result["deb"])
