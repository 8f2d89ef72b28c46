// Conference page on janus.plugin.sylk.videoroom: one publisher handle sends camera and
// microphone and carries the chat; one subscriber handle receives every other participant's
// streams over a single PeerConnection (multistream). Each part of the page is its own module;
// this one wires them up and applies the address's parameters (?room=&name=&pin=&autojoin=1).
import { initChat } from "./chat.js";
import { initFiles } from "./files.js";
import { initInvite } from "./invite.js";
import { initLayout } from "./layout.js";
import { initMedia } from "./media.js";
import { initModerator } from "./moderator.js";
import { initMutes } from "./mutes.js";
import { initPrejoin } from "./prejoin.js";
import { initReconnect } from "./reconnect.js";
import { initSession } from "./session.js";
import { $, params } from "./state.js";
import { initStats } from "./stats.js";

initPrejoin();  // first: its submit handler runs before the session's
initSession();
initChat();
initMedia();
initMutes();  // after media.js (its clicks first) and prejoin.js (its local-track hook)
initFiles();
initModerator();
initLayout();
initStats();
initReconnect();
initInvite();
for (const [field, key] of [["room", "room"], ["display", "name"], ["pin", "pin"]]) {
  if (params.has(key)) $(field).value = params.get(key);
}
if (params.has("autojoin")) $("join").click();
