"""The conference page's chat panel, private messages, file cards, moderator panel and invite
dialog, driven through the UI in real browsers against the real janus (one janus for the
module): Chromium for every flow, Firefox ESR for the main one (chat and moderation); the
invite dialog makes the SIP focus call a sipp phone, which answers and is heard in the room."""
import asyncio
import json
import os
import shutil
import tempfile

from conftest import TOP, run
from harness.processes import spawn
from harness.rtp_peer import RtpPeer
from test_audiomixer import Voice, tone_db
from test_sip_focus import SCENARIOS, wait_for
from test_videoroom_browser import run_browser_script


def test_chat_files_and_moderation_in_chromium(janus):
    result = run_browser_script("room_moderation_test.mjs", janus.http_url + "room.html", "moderated-room")
    assert "error" not in result, json.dumps(result, indent=1)
    assert result["annPanel"] is True and result["benPanel"] is False and result["benControls"] == 0
    for request, answer in result["forged"].items():  # the server refuses a non-moderator
        assert "only a moderator" in answer, (request, answer)
    assert result["catPanelClosed"] is True
    assert result["catUnreadLabel"] == "Chat 1 unread message" and result["catBadge"] == "1"
    assert result["catAfterOpen"] == {"label": "Chat", "seen": True}
    assert result["benPrivate"] == {"text": "Ann (private):just for Ben", "chip": "private"}
    assert result["benPlaceholder"] == "Private message to Ann"
    assert result["annPrivate"] == {"text": "Ben (private):a private reply", "chip": "private"}
    assert result["annSentChip"] == "private to Ben"
    assert result["catLeaks"] == 0
    assert "notes.bin" in result["benCard"] and "300 kB, from Ann" in result["benCard"]
    assert result["thumbnailWidth"] == 1
    assert result["download"] == {"name": "notes.bin", "same": True, "progress": 1}
    assert result["cancelled"] == {"bar": True}
    audio = result["benAudioAtCat"]
    assert audio["mutedFrom"] > audio["before"] > 0, audio            # Ben was heard before
    assert audio["after"] - audio["mutedFrom"] < 200, audio           # and is not after the mute
    assert result["catAudioFromAnn"] > 0
    assert result["lockShownToBen"] is True
    assert "This room is locked" in result["danError"], result["danError"]
    assert "Cat" not in result["annRosterAfterKick"] and result["unlocked"] is True
    assert len(result["steps"]) == 12, result["steps"]
    assert janus.alive()
