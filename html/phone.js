// SIP phone page on janus.plugin.sylk.sip (the gateway role): register a SIP account, call and
// be called with the browser's microphone, DTMF, hold, and SIP MESSAGE; chat-only calls (MSRP)
// both ways open the chat view (messages, is-composing, delivery notifications). The requests
// and events are janus.plugin.sip's (chat calls are an extension), so this is also an example of
// what a stock janus.js SIP app sends.
// window.sylkPhone exposes the state for automated browser tests.
import { connectionSettings } from "./connection.js";
import { setupFiles } from "./phone_files.js";
import { setupHistory } from "./phone_history.js";
const PLUGIN = "janus.plugin.sylk.sip";
const query = new URLSearchParams(location.search);
const { server: serverUrl, iceServers } = await connectionSettings(query.get("server"));

const $ = (id) => document.getElementById(id);
const state = { status: "idle", error: null, registered: false, call: "idle", events: [], messages: [], handle: null };
// The chat of a chat-only call: messages [{direction: "in"|"out", from, text, messageId, status}],
// whether the peer is typing, and the IMDN statuses by message id.
state.chat = { active: false, peer: "", messages: [], peerComposing: false, receipts: {} };
state.chatPending = [];  // our chat messages waiting for their "messagesent" (and message id)
window.sylkPhone = state;

function show(text, isError = false) {
  state.status = text;
  $("status").textContent = text;
  $("status").className = isError ? "status error" : "status";
}

function fail(message) {
  state.error = String(message);
  show(`Error: ${message}`, true);
}

function setCall(callState) {
  state.call = callState;
  const inCall = callState !== "idle";
  $("call").disabled = !state.registered || inCall;
  $("chat-call").disabled = !state.registered || inCall;
  $("hangup").disabled = !inCall;
  $("hold").disabled = callState !== "talking" && callState !== "held";
  $("hold").textContent = callState === "held" ? "Resume" : "Hold";
  $("incoming").hidden = callState !== "ringing-in";
}

function renderChat() {
  const chat = state.chat;
  $("chat").hidden = !chat.active && chat.messages.length === 0;
  $("chat-peer").textContent = chat.peer;
  $("chat-send").disabled = !chat.active;
  $("chat-composing").hidden = !chat.peerComposing;
  $("chat-composing-who").textContent = chat.peer;
  $("chat-messages").replaceChildren(...chat.messages.map((message) => {
    const item = document.createElement("li");
    item.className = `chat-${message.direction}`;
    const receipt = message.messageId && chat.receipts[message.messageId];
    item.textContent = `${message.from}: ${message.text}${receipt ? ` (${receipt})` : ""}`;
    return item;
  }));
}

function openChat(peer) {
  Object.assign(state.chat, { active: true, peer, peerComposing: false });
  renderChat();
}

function send(message, jsep) {
  // Requests are answered at once (a synchronous plugin result): handle it like an event.
  state.handle.send({
    message,
    jsep,
    success: (data) => data && (data.result || data.error) && onEvent(data, null),
    error: (e) => fail(`${message.request}: ${e}`),
  });
}

// Receiver-side audio statistics: what arrived from the SIP side.
state.inboundStats = async () => {
  const pc = state.handle?.webrtcStuff?.pc;
  const result = { audioBytes: 0, audioEnergy: 0 };
  if (!pc) return result;
  (await pc.getStats()).forEach((report) => {
    if (report.type === "inbound-rtp" && report.kind === "audio") {
      result.audioBytes += report.bytesReceived || 0;
      result.audioEnergy += report.totalAudioEnergy || 0;
    }
  });
  return result;
};

const onFileEvent = setupFiles(state, send);  // files offered by SIP clients (phone_files.js)
const onHistoryEvent = setupHistory(state, send);  // the account's conversations (phone_history.js)

function onEvent(msg, jsep) {
  if (msg.error) {
    fail(`${msg.error} (code ${msg.error_code})`);
    return;
  }
  const result = msg.result || {};
  if (onHistoryEvent(result)) return;  // the answer to its own sync request
  state.events.push(result.event);
  if (onFileEvent(result)) return;
  switch (result.event) {
    case "registered":
      state.registered = true;
      $("unregister").disabled = false;
      $("register").disabled = true;
      state.contactUser = result.contact_user;
      setCall(state.call);
      show(`registered as ${result.username}`);
      break;
    case "registration_failed":
      fail(`registration failed: ${result.code} ${result.reason}`);
      break;
    case "unregistered":
      state.registered = false;
      $("register").disabled = false;
      $("unregister").disabled = true;
      setCall(state.call);
      show("not registered");
      break;
    case "calling":
      // The answer to our call request; a fast callee's "accepted" can arrive before it.
      if (state.call === "idle") {
        setCall("calling");
        show("calling");
      }
      break;
    case "ringing": show("ringing"); break;
    case "progress":
    case "accepted":
      if (jsep) state.handle.handleRemoteJsep({ jsep, error: (e) => fail(`remote SDP: ${e}`) });
      if (result.event === "accepted" && result.chat) {
        setCall("talking");
        openChat(result.username || state.chat.peer);
        show(jsep || result.codec ? `in a call with chat (${result.codec || "opus"})` : `chatting with ${state.chat.peer}`);
      } else if (result.event === "accepted") {
        setCall("talking");
        show(`in a call (${result.codec || "opus"}${result.transcoding ? ", transcoded" : ""})`);
      }
      break;
    case "incomingcall":
      state.incomingJsep = jsep;
      state.incomingChat = !!result.chat && !jsep;  // chat only; audio + chat comes with a JSEP offer
      if (result.chat) state.chat.peer = result.username;
      $("caller").textContent = `${result.displayname || ""} ${result.username} ${result.chat ? (jsep ? "is calling with chat" : "wants to chat") : "is calling"}`;
      setCall("ringing-in");
      show("incoming call");
      break;
    case "missed_call": show(`missed call from ${result.caller}`); break;
    case "chatclosed":  // the chat of an audio call ended (the peer dropped it, or refused its new MSRP path); the audio goes on
      state.chat.active = false;
      state.chat.peerComposing = false;
      renderChat();
      show(result.reason ? `the chat ended (${result.reason}); the call goes on` : "the chat ended; the call goes on");
      break;
    case "zrtp":  // ZRTP (RFC 6189) keyed the phone leg: read the SAS to the other side to check it
      $("sas").textContent = `secured with ZRTP, SAS: ${result.sas}` +
        (result.verified ? " (verified before)" : "") + (result.cache_mismatch ? " (WARNING: the secret from earlier calls did not match)" : "");
      $("sas").hidden = false;
      break;
    case "holding": setCall("held"); show("on hold"); break;
    case "resuming": setCall("talking"); show("in a call"); break;
    case "hangup":
      $("sas").hidden = true;
      setCall("idle");
      state.handle.hangup();
      state.chat.active = false;
      state.chat.peerComposing = false;
      renderChat();
      show(`call ended: ${result.code} ${result.reason}`);
      break;
    case "composing":
      if (state.chat.active) {
        state.chat.peerComposing = result.state === "active";
        renderChat();
      }
      break;
    case "messagesent": {
      const entry = result.message_id && state.chatPending.shift();
      if (entry) {
        entry.messageId = result.message_id;
        renderChat();
      }
      break;
    }
    case "imdn":
      state.chat.receipts[result.message_id] = result.status;
      renderChat();
      break;
    case "message":
    case "messagedelivery": {
      if (result.event === "message" && state.chat.active) {
        state.chat.peerComposing = false;  // RFC 3994: a message ends the composing state
        state.chat.messages.push({ direction: "in", from: result.displayname || result.sender, text: result.content,
                                   messageId: result.cpim?.message_id });
        renderChat();
        // Shown in the chat view: a display notification (RFC 5438) when the sender asked.
        if (result.cpim?.message_id && (result.cpim.disposition_notification || "").includes("display"))
          send({ request: "displayed", message_id: result.cpim.message_id });
      }
      const line = result.event === "message" ? `${result.displayname || result.sender}: ${result.content}`
                                                : `delivery: ${result.code} ${result.reason}`;
      state.messages.push(line);
      const item = document.createElement("li");
      item.textContent = line;
      $("messages").append(item);
      break;
    }
    default: break;
  }
}

function start() {
  Janus.init({
    debug: false,
    callback: () => {
      state.janus = new Janus({
        server: serverUrl,
        iceServers,
        success: () => state.janus.attach({
          plugin: PLUGIN,
          success: (handle) => { state.handle = handle; show("ready"); },
          error: (e) => fail(`cannot attach to ${PLUGIN}: ${e}`),
          onmessage: onEvent,
          onremotetrack: (track, mid, on) => {
            if (track.kind === "audio" && on) $("remote").srcObject = new MediaStream([track]);
          },
          oncleanup: () => setCall("idle"),
        }),
        error: (e) => fail(`cannot reach the server at ${serverUrl}: ${e}`),
      });
    },
  });
}

state.register = (username, secret, proxy, guest) => {
  const message = { request: "register", username };
  if (guest) message.type = "guest";
  if (secret) message.secret = secret;
  if (proxy) message.proxy = proxy;
  send(message);
};

state.dial = (uri) => {
  state.handle.createOffer({
    tracks: [{ type: "audio", capture: true, recv: true }],
    success: (jsep) => send({ request: "call", uri }, jsep),
    error: (e) => fail(`cannot use the microphone: ${e?.message || e}`),
  });
};

// Chat: a message to the peer of the chat call, with delivery/display notifications asked.
state.chatSend = (text) => {
  const entry = { direction: "out", from: "me", text, messageId: null };
  state.chat.messages.push(entry);
  renderChat();
  state.chatTyping = false;
  // Its message id comes with the "messagesent" answer (an event, in request order).
  state.chatPending.push(entry);
  send({ request: "message", content: text, imdn: true });
};

state.chatComposing = (active) => {
  state.chatTyping = active;
  send({ request: "composing", active });
};

// A chat-only call (MSRP, no microphone) to uri.
state.dialChat = (uri) => {
  state.chat.peer = uri;
  send({ request: "call", uri, chat: true });
};

state.accept = () => {
  if (state.incomingChat) {  // chat only: no PeerConnection, no JSEP
    send({ request: "accept" });
    return;
  }
  state.handle.createAnswer({
    jsep: state.incomingJsep,
    tracks: [{ type: "audio", capture: true, recv: true }],
    success: (jsep) => send({ request: "accept" }, jsep),
    error: (e) => fail(`cannot answer: ${e?.message || e}`),
  });
};

$("register").onclick = () => state.register($("username").value.trim(), $("secret").value, $("proxy").value.trim(),
                                             $("guest").checked);
$("unregister").onclick = () => send({ request: "unregister" });
$("call").onclick = () => state.dial($("uri").value.trim());
$("chat-call").onclick = () => state.dialChat($("uri").value.trim());
$("hangup").onclick = () => send({ request: state.call === "ringing-in" ? "decline" : "hangup" });
$("hold").onclick = () => send({ request: state.call === "held" ? "unhold" : "hold" });
$("accept").onclick = state.accept;
$("decline").onclick = () => send({ request: "decline" });
for (const key of $("keypad").querySelectorAll("button"))
  key.onclick = () => state.call === "talking" && send({ request: "dtmf_info", digit: key.textContent });
$("chat-text").oninput = () => {
  const typing = $("chat-text").value !== "";
  if (state.chat.active && typing !== !!state.chatTyping) state.chatComposing(typing);
};
$("chat-send").onclick = () => {
  const text = $("chat-text").value;
  if (!text || !state.chat.active) return;
  $("chat-text").value = "";
  state.chatSend(text);
};
$("chat-text").onkeydown = (event) => {
  if (event.key === "Enter") $("chat-send").onclick();  // (returning false would swallow every key)
};
$("send").disabled = false;
$("send").onclick = () => {
  const text = $("text").value;
  if (!text) return;
  const message = { request: "message", content: text };
  if (state.call !== "talking") message.uri = $("uri").value.trim();
  send(message);
  $("text").value = "";
};

start();
