// Calls (issue 16): audio calls with the browser's microphone, chat-only calls (MSRP) and their
// chat view (#chat: messages, is-composing, delivery notifications), the incoming-call screen
// (a dialog: accept or decline), hold, ZRTP's SAS, and the call history: the gateway records
// each call of the account in its journal, so every tab and device shows the same list (the
// "call" entries of sync_conversations, then the live "call" events). The requests and events
// are janus.plugin.sip's (chat calls are an extension).
import { $, button, element, fail, send, shortAddress, show, state } from "./state.js";

export function initCalls() {
  // The chat of a chat-only call: messages [{direction: "in"|"out", from, text, messageId}],
  // whether the peer is typing, and the IMDN statuses by message id.
  state.chat = { active: false, peer: "", messages: [], peerComposing: false, receipts: {} };
  state.sendQueue = [];  // our messages waiting for their "messagesent" (and message id), in order
  state.callHistory = [];  // the server's: newest first, {id, peer, direction, result, start, duration, chat, reason}
  let current = null;  // the call being made or taken: {peer, media: an audio offer (ours or the caller's)}

  const renderHistory = () => {
    $("call-history").replaceChildren(...state.callHistory.map((call) => {
      const item = element("li", "", `call-${call.result}`);
      item.dataset.callId = call.id;
      const arrow = call.direction === "out" ? "Outgoing" : "Incoming";
      const length = call.duration ? `, ${Math.round(call.duration)} s` : "";
      const when = new Date(call.start).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
      item.append(element("span", `${arrow} ${call.chat ? "chat" : "call"} ${shortAddress(call.peer)}: ${call.result}${length}, ${when}`));
      const again = button("Call", () => state.dial(call.peer), "call-again");
      again.setAttribute("aria-label", `Call ${shortAddress(call.peer)}`);
      again.disabled = state.call !== "idle";
      item.append(" ", again);
      return item;
    }));
    $("call-history-empty").hidden = state.callHistory.length > 0;
  };
  // A "call" entry of the account's journal (sync) or a "call" event: each call once, newest first.
  state.addCall = (entry) => {
    if (state.callHistory.some((call) => call.id === entry.message_id)) return;
    state.callHistory.push({ id: entry.message_id, peer: entry.conversation, direction: entry.direction === "outgoing" ? "out" : "in",
                             result: entry.state, start: entry.timestamp * 1000, duration: entry.duration || 0,
                             chat: entry.media === "chat", reason: entry.reason, seq: entry.seq || 0 });
    // by start (whole seconds), then by the journal's order (two calls in one second)
    state.callHistory.sort((a, b) => b.start - a.start || b.seq - a.seq);
    renderHistory();
  };
  const begin = (peer, media) => {
    current = { peer, media };
  };
  const endCall = () => {
    current = null;
  };

  const setCall = (callState) => {
    state.call = callState;
    const inCall = callState !== "idle";
    for (const id of ["call", "chat-call", "conv-call", "conv-chat"]) $(id).disabled = !state.registered || inCall;
    $("call-panel").hidden = !inCall || callState === "ringing-in";
    $("hangup").disabled = !inCall;
    $("hold").disabled = callState !== "talking" && callState !== "held";
    $("hold").textContent = callState === "held" ? "Resume" : "Hold";
    $("hold").setAttribute("aria-pressed", callState === "held" ? "true" : "false");
    $("call-peer").textContent = current ? shortAddress(current.peer) : "";
    const wasOpen = !$("incoming").hidden;
    $("incoming").hidden = callState !== "ringing-in";
    $("app").inert = callState === "ringing-in";  // a modal dialog: the rest waits for the answer
    if (callState === "ringing-in" && !wasOpen) $("accept").focus();
    $("keypad").hidden = callState !== "talking";
    for (const again of document.querySelectorAll(".call-again")) again.disabled = inCall;
  };
  state.setCall = setCall;

  const renderChat = () => {
    const chat = state.chat;
    $("chat").hidden = !chat.active && chat.messages.length === 0;
    $("chat-peer").textContent = shortAddress(chat.peer);
    $("chat-send").disabled = !chat.active;
    $("chat-composing").hidden = !chat.peerComposing;
    $("chat-composing-who").textContent = shortAddress(chat.peer);
    $("chat-messages").replaceChildren(...chat.messages.map((message) => {
      const receipt = message.messageId && chat.receipts[message.messageId];
      return element("li", `${message.from}: ${message.text}${receipt ? ` (${receipt})` : ""}`, `chat-${message.direction}`);
    }));
  };
  const openChat = (peer) => {
    Object.assign(state.chat, { active: true, peer, peerComposing: false });
    renderChat();
  };

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

  state.dial = (uri) => {
    if (!uri) return;
    begin(uri, true);
    state.handle.createOffer({
      tracks: [{ type: "audio", capture: true, recv: true }],
      success: (jsep) => send({ request: "call", uri }, jsep),
      error: (e) => {
        endCall();
        fail(`cannot use the microphone: ${e?.message || e}`);
      },
    });
  };
  // A chat-only call (MSRP, no microphone) to uri.
  state.dialChat = (uri) => {
    if (!uri) return;
    begin(uri, false);
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
  state.decline = () => {
    send({ request: "decline" });
  };
  // Chat: a message to the peer of the chat call, with delivery/display notifications asked.
  state.chatSend = (text) => {
    const entry = { direction: "out", from: "me", text, messageId: null };
    state.chat.messages.push(entry);
    renderChat();
    state.chatTyping = false;
    state.sendQueue.push({ chat: entry });  // its message id comes with the "messagesent" answer
    send({ request: "message", content: text, imdn: true });
  };
  state.chatComposing = (active) => {
    state.chatTyping = active;
    send({ request: "composing", active });
  };

  $("hangup").onclick = () => send({ request: state.call === "ringing-in" ? "decline" : "hangup" });
  $("hold").onclick = () => send({ request: state.call === "held" ? "unhold" : "hold" });
  $("accept").onclick = state.accept;
  $("decline").onclick = state.decline;
  $("incoming").addEventListener("keydown", (event) => {
    if (event.key === "Escape") state.decline();
  });
  $("chat-text").oninput = () => {
    const typing = $("chat-text").value !== "";
    if (state.chat.active && typing !== !!state.chatTyping) state.chatComposing(typing);
  };
  $("chat-form").onsubmit = (event) => {
    event.preventDefault();
    const text = $("chat-text").value;
    if (!text || !state.chat.active) return;
    $("chat-text").value = "";
    state.chatSend(text);
  };

  return {
    signedIn: () => {
      state.callHistory = [];  // the journal's list comes with the sync that follows
      renderHistory();
      setCall(state.call);
    },
    onEvent: (result, jsep) => {
      switch (result.event) {
        case "registered":
        case "unregistered": setCall(state.call); break;
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
          if (result.event !== "accepted") break;
          setCall("talking");
          if (result.chat) {
            openChat(result.username || state.chat.peer);
            show(jsep || result.codec ? `in a call with chat (${result.codec || "opus"})` : `chatting with ${state.chat.peer}`);
          } else {
            show(`in a call (${result.codec || "opus"}${result.transcoding ? ", transcoded" : ""})`);
          }
          break;
        case "incomingcall":
          state.incomingJsep = jsep;
          state.incomingChat = !!result.chat && !jsep;  // chat only; audio + chat comes with a JSEP offer
          if (result.chat) state.chat.peer = result.username;
          begin(result.username, !!jsep);
          $("caller").textContent = `${result.displayname || ""} ${result.username} ${result.chat ? (jsep ? "is calling with chat" : "wants to chat") : "is calling"}`;
          setCall("ringing-in");
          show("incoming call");
          break;
        case "missed_call": show(`missed call from ${result.caller}`); break;  // busy: the "call" event lists it
        case "call": state.addCall(result); break;
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
          // Janus made an ICE agent for an audio call's offer (ours or the caller's) and refuses
          // the next call's offer while it is left (a call nobody answered leaves it): the hangup
          // request ends it before any next offer. Not for chat: no agent to end.
          const media = current?.media === true;
          endCall();
          setCall("idle");
          state.handle.hangup(media);
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
          const pending = result.message_id && state.sendQueue.shift();
          if (pending?.chat) {
            pending.chat.messageId = result.message_id;
            renderChat();
          } else if (pending?.uri) {
            state.addSent(result.message_id, pending.uri, pending.text);
          }
          break;
        }
        case "imdn":
          state.chat.receipts[result.message_id] = result.status;
          renderChat();
          break;
        case "message":
          if (state.chat.active) {
            state.chat.peerComposing = false;  // RFC 3994: a message ends the composing state
            state.chat.messages.push({ direction: "in", from: result.displayname || result.sender, text: result.content,
                                       messageId: result.cpim?.message_id });
            renderChat();
            // Shown in the chat view: a display notification (RFC 5438) when the sender asked.
            if (result.cpim?.message_id && (result.cpim.disposition_notification || "").includes("display"))
              send({ request: "displayed", message_id: result.cpim.message_id });
          }
          state.messages.push(`${result.displayname || result.sender}: ${result.content}`);
          break;
        case "messagedelivery":
          state.messages.push(`delivery: ${result.code} ${result.reason}`);
          break;
        default: break;
      }
    },
    // janus.js cleans the handle's WebRTC up when the page hangs up and again when the core's
    // own "hangup" for that PeerConnection arrives, which can come after the plugin's next
    // "incomingcall": a call ringing in has no PeerConnection yet, so a cleanup is not its end.
    oncleanup: () => {
      if (state.call !== "ringing-in") setCall("idle");
    },
  };
}
