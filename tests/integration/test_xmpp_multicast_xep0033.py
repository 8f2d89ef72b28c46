"""`multicast = "on"` against a Prosody with mod_sylk_multicast: the rooms do not ask, so they
use the standard form, XEP-0033 bcc addresses (what "on" assumes of any server), not the module's
recipients' list; the module still makes the copies: every occupant gets every message once, in
each sender's order, without <addresses/>, and the link carries one stanza a message."""
from conftest import run

import test_xmpp_multicast as multicast
from harness.xmpp_status import xmpp_status

XMPP = {"multicast": "on"}


def test_forced_multicast_uses_xep0033_addresses_and_the_module_makes_the_copies(janus, prosody):
    async def body():
        status = await multicast.wait_status(janus, lambda s: s["muc"]["link"]["connected"], "the rooms' link")
        assert status["muc"]["multicast"]["mode"] == "on" and status["muc"]["multicast"]["available"] is True
        assert status["muc"]["multicast"]["format"] == "addresses", status["muc"]["multicast"]
        sent, left = await multicast.exchange(janus, prosody, "multicast-xep0033")
        assert sent == multicast.PER_SENDER * len(multicast.USERS), sent
        assert left == 2, left
        status = await xmpp_status(janus.ws_url)
        assert status["muc"]["multicast"]["bounces"] == 0 and status["muc"]["multicast"]["available"] is True
        assert "Traceback" not in prosody.log(), prosody.log_tail()
    run(body())
