// The phone page (issue 16: calls and conversations) on janus.plugin.sylk.sip (the gateway
// role): sign in with a SIP account or as a guest, conversations from the message store, calls
// with the browser's microphone, DTMF, hold, chat-only calls (MSRP), files. One module per part;
// this one connects to janus and hands every event to the parts. window.sylkPhone (state.js)
// exposes the state for automated browser tests.
import { connectionSettings } from "../connection.js";
import { initCalls } from "./calls.js";
import { initConversations } from "./conversations.js";
import { initDialpad } from "./dialpad.js";
import { setupFiles } from "./files.js";
import { setupHistory } from "./history.js";
import { initSession } from "./session.js";
import { $, fail, send, setDispatcher, show, state } from "./state.js";

const PLUGIN = "janus.plugin.sylk.sip";
const query = new URLSearchParams(location.search);
const { server: serverUrl, iceServers } = await connectionSettings(query.get("server"));

const session = initSession();
const calls = initCalls();
const dialpad = initDialpad();
const conversations = initConversations();
const onFileEvent = setupFiles(state, send);  // files offered by SIP clients and sent to them
const onHistoryEvent = setupHistory(state, () => conversations.render());  // the account's messages

function onEvent(msg, jsep) {
  if (msg.error) {
    if (!conversations.onError(msg)) fail(`${msg.error} (code ${msg.error_code})`);
    return;
  }
  const result = msg.result || {};
  if (onHistoryEvent(result)) return;  // the answer to its own sync request
  state.events.push(result.event);
  if (onFileEvent(result)) return;
  session.onEvent(result);
  if (result.event === "registered") calls.signedIn();
  calls.onEvent(result, jsep);
  dialpad.onEvent(result);
  conversations.onEvent(result);
}
setDispatcher(onEvent);

Janus.init({
  debug: false,
  callback: () => {
    state.janus = new Janus({
      server: serverUrl,
      iceServers,
      success: () => state.janus.attach({
        plugin: PLUGIN,
        success: (handle) => {
          state.handle = handle;
          session.ready();
        },
        error: (e) => fail(`cannot attach to ${PLUGIN}: ${e}`),
        onmessage: onEvent,
        onremotetrack: (track, mid, on) => {
          if (track.kind === "audio" && on) $("remote").srcObject = new MediaStream([track]);
        },
        oncleanup: calls.oncleanup,
      }),
      error: (e) => fail(`cannot reach the server at ${serverUrl}: ${e}`),
    });
  },
});
show("connecting…");
