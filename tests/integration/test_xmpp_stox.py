"""1:1 chat between SIP and XMPP users (issue 12, RFC 7572 over RFC 7247 addresses): a sipp SIP
user and slixmpp XMPP users of a real Prosody, through janus.plugin.sylk.sip's XMPP
interworking (xmpp_domains = localhost) and janus.plugin.sylk.xmpp's SIP users' domain
sip.localhost. A SIP user sip:bob@127.0.0.1:5071 is bob\\40127.0.0.1\\3a5071@sip.localhost to
XMPP; alice@localhost is sip:alice@localhost to SIP. Replies to SIP go through
xmpp_outbound_proxy, here a sipp UAS on 127.0.0.1:5070. Every assertion is what sipp or an XMPP
client received."""
import asyncio
import os
import socket
import tempfile
import uuid

from conftest import run
from harness.janus_api import Admin
from harness.processes import spawn
from harness.xmpp_client import XmppClient

XMPP = True
UAS_PORT = 5070
UAC_PORT = 5071
SIP_OPTIONS = {"xmpp_domains": "localhost", "xmpp_outbound_proxy": "sip:127.0.0.1:%d" % UAS_PORT}
SCENARIOS = os.path.join(os.path.dirname(__file__), "sip")
SIP = "127.0.0.1:5060"
NS_RECEIPTS = "urn:xmpp:receipts"
NS_MARKERS = "urn:xmpp:chat-markers:0"
BOB_JID = "bob\\40127.0.0.1\\3a%d@sip.localhost" % UAC_PORT


async def sipp(scenario, trace_dir, *sets, port, calls=1, target=SIP):
    arguments = ["sipp", "-sf", os.path.join(SCENARIOS, scenario), "-m", str(calls), "-i", "127.0.0.1",
                 "-p", str(port), "-nostdin", "-timeout", "40s", "-trace_msg",
                 "-message_file", os.path.join(trace_dir, "messages.log")]
    if target:
        arguments.insert(1, target)
    for name, value in sets:
        arguments += ["-set", name, str(value)]
    return await spawn(*arguments, cwd=trace_dir, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)


async def listening(port, timeout=10):
    """Waits until something (sipp) has bound UDP 127.0.0.1:port, so nothing sent to it is lost."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return
        finally:
            probe.close()
        await asyncio.sleep(0.05)
    raise AssertionError("nothing listens on UDP port %d" % port)


async def roster_subscription(client, jid):
    """The subscription state of jid in client's roster (None: no item)."""
    roster = await client.iq(client.bare_jid, "<query xmlns='jabber:iq:roster'/>")
    items = [item for item in roster.xml.iter("{jabber:iq:roster}item") if item.get("jid") == jid]
    return items[0].get("subscription") if items else None


def trace(trace_dir):
    path = os.path.join(trace_dir, "messages.log")
    return open(path, errors="replace").read() if os.path.exists(path) else ""


async def finish(process, trace_dir, timeout=45):
    try:
        _, errors = await asyncio.wait_for(process.communicate(), timeout)
    except asyncio.TimeoutError:
        process.kill()
        raise AssertionError("sipp stuck:\n" + trace(trace_dir)[-4000:])
    assert process.returncode == 0, "sipp failed (%s): %s\n%s" % (
        process.returncode, errors.decode(errors="replace"), trace(trace_dir)[-4000:])


def received_requests(trace_dir, method="MESSAGE"):
    """The SIP requests of method sipp received, as text, in order."""
    requests = []
    for block in trace(trace_dir).split("----------------------------------------------- ")[1:]:
        lines = block.split("\n")
        if len(lines) > 3 and "message received" in lines[1]:
            text = "\n".join(lines[3:]).strip()
            if text.startswith(method + " "):
                requests.append(text)
    return requests


def test_sip_and_xmpp_users_chat_both_ways(janus, prosody):
    """bob (sipp) writes to alice@localhost: plain text, CPIM asking for IMDN (a receipt request
    under the same id), is-composing (a chat state); alice answers bob's mapped JID with a chat
    state, a reply asking for a receipt and the receipt of bob's message: sipp receives the
    is-composing document, the reply in CPIM with an IMDN request and an IMDN 'delivered'."""
    async def body():
        uas_dir, uac_dir = tempfile.mkdtemp(prefix="sylk-sipp-"), tempfile.mkdtemp(prefix="sylk-sipp-")
        alice = await XmppClient.connect(prosody, "alice")
        uas = None
        try:
            uas = await sipp("stox_uas.xml", uas_dir, port=UAS_PORT, calls=3, target=None)
            await listening(UAS_PORT)
            imdn_id = "imdn-" + uuid.uuid4().hex
            uac = await sipp("stox_uac.xml", uac_dir, ("user", "alice"), ("domain", "localhost"),
                             ("imdnid", imdn_id), port=UAC_PORT)
            await finish(uac, uac_dir)

            plain = await alice.wait_message(lambda m: (m.body or "").strip() == "hello from sip", timeout=15)
            assert plain.sender == BOB_JID and plain.type == "chat", plain
            cpim = await alice.wait_message(lambda m: (m.body or "").strip() == "cpim with a receipt request", timeout=15)
            assert cpim.sender == BOB_JID and cpim.id == imdn_id, cpim
            assert cpim.child(NS_RECEIPTS, "request") is not None, cpim
            assert cpim.child(NS_MARKERS, "markable") is not None, cpim
            composing = await alice.wait_message(lambda m: m.sender == BOB_JID and m.chat_state == "composing"
                                                 and m.body is None, timeout=15)
            assert composing.type == "chat"

            alice.send_raw("<message type='chat' to='%s'><composing xmlns='http://jabber.org/protocol/chatstates'/>"
                           "</message>" % BOB_JID)
            alice.send_raw("<message type='chat' to='%s' id='reply-1'><body>hi bob &amp; welcome</body>"
                           "<request xmlns='%s'/></message>" % (BOB_JID, NS_RECEIPTS))
            alice.send_raw("<message type='chat' to='%s'><received xmlns='%s' id='%s'/></message>"
                           % (BOB_JID, NS_RECEIPTS, imdn_id))
            await finish(uas, uas_dir)
            requests = received_requests(uas_dir)
            assert len(requests) == 3, trace(uas_dir)[-4000:]
            for request in requests:
                assert "sip:alice@localhost" in request.split("\n\n")[0], request
            iscomposing = [r for r in requests if "application/im-iscomposing+xml" in r]
            assert len(iscomposing) == 1 and "<state>active</state>" in iscomposing[0], requests
            reply = [r for r in requests if "hi bob & welcome" in r]
            assert len(reply) == 1 and "message/cpim" in reply[0], requests
            assert "imdn.Message-ID: reply-1" in reply[0] and "positive-delivery" in reply[0], reply[0]
            notice = [r for r in requests if "message/imdn+xml" in r]
            assert len(notice) == 1 and imdn_id in notice[0] and "<delivered/>" in notice[0], requests
        finally:
            if uas and uas.returncode is None:
                uas.kill()
            await alice.disconnect()

    run(body(), timeout=120)


def test_errors_map_between_sip_and_xmpp(janus, prosody):
    """RFC 7247 §8 both ways, and bad input: Prosody's service-unavailable for an unknown XMPP
    user becomes 503 to SIP; malformed CPIM 400, an image 415, a user part that cannot be a JID
    404, a SUBSCRIBE for another event than presence 489. A SIP 404 to alice's message becomes item-not-found for alice; a JID in sip.localhost
    that is no SIP address gets jid-malformed, and an oversized body not-acceptable."""
    async def body():
        uas_dir, uac_dir = tempfile.mkdtemp(prefix="sylk-sipp-"), tempfile.mkdtemp(prefix="sylk-sipp-")
        alice = await XmppClient.connect(prosody, "alice")
        uas = None
        try:
            uac = await sipp("stox_uac_refused.xml", uac_dir, ("user", "alice"), ("domain", "localhost"), port=UAC_PORT)
            await finish(uac, uac_dir)
            log = trace(uac_dir)
            assert "service-unavailable" in log, log[-3000:]  # the Warning of the 503 says why
            assert "malformed CPIM" in log, log[-3000:]
            assert "XMPP users take Event: presence" in log, log[-3000:]  # the 489's Warning

            uas = await sipp("stox_uas_404.xml", uas_dir, port=UAS_PORT, calls=1, target=None)
            await listening(UAS_PORT)
            start = alice.mark()
            alice.send_raw("<message type='chat' to='%s' id='lost-1'><body>are you there</body></message>" % BOB_JID)
            error = await alice.wait_message(lambda m: m.id == "lost-1" and m.type == "error", timeout=15, start=start)
            assert error.error_condition == "item-not-found", error
            assert error.sender == BOB_JID, error
            await finish(uas, uas_dir)

            alice.send_raw("<message type='chat' to='nobody@sip.localhost' id='bad-1'><body>x</body></message>")
            error = await alice.wait_message(lambda m: m.id == "bad-1" and m.type == "error", timeout=15, start=start)
            assert error.error_condition == "jid-malformed", error
            alice.send_raw("<message type='chat' to='%s' id='big-1'><body>%s</body></message>"
                           % (BOB_JID, "x" * (65 * 1024)))
            error = await alice.wait_message(lambda m: m.id == "big-1" and m.type == "error", timeout=15, start=start)
            assert error.error_condition == "not-acceptable", error
        finally:
            if uas and uas.returncode is None:
                uas.kill()
            await alice.disconnect()

    run(body(), timeout=120)


def test_sip_user_watches_xmpp_user_presence(janus, prosody):
    """RFC 7248, SIP to XMPP: bob's SUBSCRIBE (Event: presence) to sip:alice@localhost becomes a
    presence subscription from bob's JID to alice (slixmpp approves it); alice's presence, her
    status text included, arrives at sipp as PIDF NOTIFYs (open, with the note); bob's
    unsubscribe ends the SIP subscription (NOTIFY terminated) and the XMPP one (alice's roster).
    (An XMPP user watching a SIP user: the next test; either side ending it: the last two.)"""
    async def body():
        uac_dir = tempfile.mkdtemp(prefix="sylk-sipp-")
        alice = await XmppClient.connect(prosody, "alice")
        try:
            uac = await sipp("stox_subscribe.xml", uac_dir, ("user", "alice"), ("domain", "localhost"), port=UAC_PORT)
            try:
                asked = await alice.wait_presence(lambda p: p.sender == BOB_JID and p.type == "subscribe", timeout=15)
            except AssertionError:
                if uac.returncode is None:
                    uac.kill()
                await finish(uac, uac_dir, timeout=5)
                raise
            assert asked.to.split("/")[0] == "alice@localhost", asked
            await asyncio.sleep(1)
            alice.send_raw("<presence><show>dnd</show><status>in a meeting</status></presence>")
            await finish(uac, uac_dir)
            notifies = [r for r in received_requests(uac_dir, "NOTIFY")]
            assert any("<basic>open</basic>" in n and "<note>in a meeting</note>" in n for n in notifies), notifies
            assert all("application/pidf+xml" in n and 'entity="sip:alice@localhost"' in n for n in notifies), notifies
            assert "terminated" in notifies[-1].split("\n\n")[0], notifies[-1]
            # Prosody hands the unsubscribe only to resources that fetched the roster: the roster
            # shows it (bob no longer has alice's presence: no 'from' subscription left)
            assert await roster_subscription(alice, BOB_JID) == "none"
        finally:
            await alice.disconnect()

    run(body(), timeout=120)


async def watch_bob(alice, scenario, uas_dir):
    """The opening of alice's watch of bob (RFC 7248, XMPP to SIP): bob's presence server, sipp
    playing scenario, is up; alice subscribes to bob's JID and sees him available "on the phone"
    (the server's PIDF). Returns sipp and alice's mark from before the subscribe; sipp is killed
    if the opening fails."""
    uas = await sipp(scenario, uas_dir, port=UAS_PORT, target=None)
    try:
        await listening(UAS_PORT)
        start = alice.mark()
        alice.send_raw("<presence type='subscribe' to='%s'/>" % BOB_JID)
        available = await alice.wait_presence(lambda p: p.sender.split("/")[0] == BOB_JID and p.type == "available",
                                              timeout=15, start=start)
        assert available.status == "on the phone", available
    except BaseException:
        if uas.returncode is None:
            uas.kill()
        raise
    return uas, start


def test_xmpp_user_watches_sip_user_presence(janus, prosody):
    """RFC 7248, XMPP to SIP: alice's subscription to bob's JID becomes a SUBSCRIBE (Event:
    presence) through xmpp_outbound_proxy to bob's presence server (sipp); its NOTIFY approves
    the subscription ('subscribed': alice's roster says 'to') and its PIDF (open, "on the phone") is bob's presence to
    alice; alice's unsubscribe ends the SIP subscription (SUBSCRIBE Expires: 0, sipp's
    terminated NOTIFY answered)."""
    async def body():
        uas_dir = tempfile.mkdtemp(prefix="sylk-sipp-")
        alice = await XmppClient.connect(prosody, "alice")
        uas = None
        try:
            uas, _ = await watch_bob(alice, "stox_presence_server.xml", uas_dir)
            # the approval ('subscribed') went to alice's server, which delivers it only to
            # resources that fetched the roster: the roster shows it
            assert await roster_subscription(alice, BOB_JID) == "to"
            alice.send_raw("<presence type='unsubscribe' to='%s'/>" % BOB_JID)
            await finish(uas, uas_dir)
            assert await roster_subscription(alice, BOB_JID) == "none"
            subscribes = received_requests(uas_dir, "SUBSCRIBE")
            assert len(subscribes) == 2, subscribes
            assert "sip:alice@localhost" in subscribes[0].split("\n\n")[0] and "Event: presence" in subscribes[0]
            assert "Expires: 0" in subscribes[1], subscribes[1]
        finally:
            if uas and uas.returncode is None:
                uas.kill()
            await alice.disconnect()

    run(body(), timeout=120)


def test_imdn_and_markers_cross_in_page_mode(janus, prosody):
    """RFC 7572 page mode with RFC 5438: alice's markable message reaches bob (sipp) as CPIM with
    an IMDN request; bob's 'delivered' and 'displayed' IMDNs for it reach alice as a XEP-0184
    receipt and a XEP-0333 displayed marker; alice's displayed marker for one of bob's messages
    reaches bob as one 'displayed' IMDN (page mode keeps no state of what was acknowledged, so
    unlike a session it sends no 'delivered' before it: docs/xmpp-api.md)."""
    async def body():
        uas_dir, uac_dir = tempfile.mkdtemp(prefix="sylk-sipp-"), tempfile.mkdtemp(prefix="sylk-sipp-")
        alice = await XmppClient.connect(prosody, "alice")
        uas = None
        try:
            uas = await sipp("stox_uas.xml", uas_dir, port=UAS_PORT, calls=2, target=None)
            await listening(UAS_PORT)
            start = alice.mark()
            alice.send_raw("<message type='chat' to='%s' id='page-1'><body>did you read it?</body>"
                           "<request xmlns='%s'/><markable xmlns='%s'/></message>" % (BOB_JID, NS_RECEIPTS, NS_MARKERS))
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 15
            while not [r for r in received_requests(uas_dir) if "did you read it?" in r]:
                assert loop.time() < deadline, trace(uas_dir)[-3000:]
                await asyncio.sleep(0.1)
            [asked] = [r for r in received_requests(uas_dir) if "did you read it?" in r]
            assert "imdn.Message-ID: page-1" in asked and "display" in asked, asked
            uac = await sipp("stox_uac_imdn.xml", uac_dir, ("user", "alice"), ("domain", "localhost"),
                             ("imdnid", "page-1"), port=UAC_PORT)
            await finish(uac, uac_dir)
            receipt = await alice.wait_message(lambda m: m.child(NS_RECEIPTS, "received") is not None, 15, start)
            assert receipt.sender == BOB_JID and receipt.child(NS_RECEIPTS, "received").get("id") == "page-1", receipt
            marker = await alice.wait_message(lambda m: m.child(NS_MARKERS, "displayed") is not None, 15, start)
            assert marker.sender == BOB_JID and marker.child(NS_MARKERS, "displayed").get("id") == "page-1", marker

            alice.send_raw("<message type='chat' to='%s'><displayed xmlns='%s' id='bob-msg-7'/></message>"
                           % (BOB_JID, NS_MARKERS))
            await finish(uas, uas_dir)  # its other MESSAGE: the IMDN for bob-msg-7
            [notice] = [r for r in received_requests(uas_dir) if "message/imdn+xml" in r]
            assert "<message-id>bob-msg-7</message-id>" in notice and "<displayed/>" in notice, notice
            assert "sip:alice@localhost" in notice.split("\n\n")[0], notice
        finally:
            if uas and uas.returncode is None:
                uas.kill()
            await alice.disconnect()

    run(body(), timeout=120)
    assert janus.alive()


async def presence_counts(admin, probe, timeout=15):
    """The xmpp plugin's (presence_watched, sip_presence_watched) once probe(them)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        sip = (await admin.message_plugin("janus.plugin.sylk.xmpp", {"request": "status"}))["status"]["sip"]
        counts = (sip["presence_watched"], sip["sip_presence_watched"])
        if probe(counts):
            return counts
        assert loop.time() < deadline, counts
        await asyncio.sleep(0.1)


def test_an_xmpp_user_revokes_a_sip_watcher(janus, prosody):
    """RFC 7248, the watched side ends it: alice approved bob's SIP subscription; her
    'unsubscribed' to bob's JID ends it on the SIP side (a NOTIFY with Subscription-State:
    terminated, after the PIDF ones), and the plugin forgets the watch."""
    async def body():
        uac_dir = tempfile.mkdtemp(prefix="sylk-sipp-")
        admin = await Admin.open(janus.admin_url, janus.admin_secret)
        alice = await XmppClient.connect(prosody, "alice")
        uac = None
        try:
            uac = await sipp("stox_subscribe_revoked.xml", uac_dir, ("user", "alice"), ("domain", "localhost"),
                             port=UAC_PORT)
            await alice.wait_presence(lambda p: p.sender == BOB_JID and p.type == "subscribe", timeout=15)
            await presence_counts(admin, lambda c: c[0] == 1)
            alice.send_raw("<presence><status>about to go</status></presence>")
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 15
            while "<note>about to go</note>" not in trace(uac_dir):  # bob has her presence
                assert loop.time() < deadline, trace(uac_dir)[-3000:]
                await asyncio.sleep(0.1)
            alice.send_raw("<presence type='unsubscribed' to='%s'/>" % BOB_JID)
            await finish(uac, uac_dir)  # sipp had its terminated NOTIFY
            notifies = received_requests(uac_dir, "NOTIFY")
            assert "terminated" in notifies[-1].split("\n\n")[0], notifies[-1]
            assert not any("terminated" in n.split("\n\n")[0] for n in notifies[:-1]), notifies
            assert any("<basic>open</basic>" in n and "<note>about to go</note>" in n for n in notifies), notifies
            await presence_counts(admin, lambda c: c[0] == 0)
        finally:
            if uac and uac.returncode is None:
                uac.kill()
            await alice.disconnect()
            await admin.close()

    run(body(), timeout=120)
    assert janus.alive()


def test_a_sip_presence_server_ends_an_xmpp_users_watch(janus, prosody):
    """RFC 7248, the SIP side ends it: bob's presence server sends a terminated NOTIFY
    (reason=rejected) after an open one; alice, who saw bob available, gets 'unsubscribed' (and
    'unavailable') from bob's JID, her roster no longer says 'to', and the plugin forgets the
    watch."""
    async def body():
        uas_dir = tempfile.mkdtemp(prefix="sylk-sipp-")
        admin = await Admin.open(janus.admin_url, janus.admin_secret)
        alice = await XmppClient.connect(prosody, "alice")
        uas = None
        try:
            uas, start = await watch_bob(alice, "stox_presence_server_ends.xml", uas_dir)
            await finish(uas, uas_dir)  # the terminated NOTIFY was answered
            await alice.wait_presence(lambda p: p.sender.split("/")[0] == BOB_JID and p.type == "unavailable",
                                      timeout=15, start=start)
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 15
            while await roster_subscription(alice, BOB_JID) not in ("none", None):
                assert loop.time() < deadline, await roster_subscription(alice, BOB_JID)
                await asyncio.sleep(0.1)
            await presence_counts(admin, lambda c: c[1] == 0)
            assert len(received_requests(uas_dir, "SUBSCRIBE")) == 1  # no new SUBSCRIBE after a rejection
        finally:
            if uas and uas.returncode is None:
                uas.kill()
            await alice.disconnect()
            await admin.close()

    run(body(), timeout=120)
    assert janus.alive()
