// SIP phone page on janus.plugin.sylk.sip (the gateway role): register a SIP account, call and
// be called with the browser's microphone, DTMF, hold, and SIP MESSAGE. The requests and events
// are janus.plugin.sip's, so this is also an example of what a stock janus.js SIP app sends.
// window.sylkPhone exposes the state for automated browser tests.
import { connectionSettings } from "./connection.js";
const PLUGIN = "janus.plugin.sylk.sip";
const query = new URLSearchParams(location.search);
const { server: serverUrl, iceServers } = await connectionSettings(query.get("server"));

const $ = (id) => document.getElementById(id);
const state = { status: "idle", error: null, registered: false, call: "idle", events: [], messages: [], handle: null };
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
  $("hangup").disabled = !inCall;
  $("hold").disabled = callState !== "talking" && callState !== "held";
  $("hold").textContent = callState === "held" ? "Resume" : "Hold";
  $("incoming").hidden = callState !== "ringing-in";
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

function onEvent(msg, jsep) {
  if (msg.error) {
    fail(`${msg.error} (code ${msg.error_code})`);
    return;
  }
  const result = msg.result || {};
  state.events.push(result.event);
  switch (result.event) {
    case "registered":
      state.registered = true;
      $("unregister").disabled = false;
      $("register").disabled = true;
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
      if (result.event === "accepted") {
        setCall("talking");
        show(`in a call (${result.codec || "opus"}${result.transcoding ? ", transcoded" : ""})`);
      }
      break;
    case "incomingcall":
      state.incomingJsep = jsep;
      $("caller").textContent = `${result.displayname || ""} ${result.username} is calling`;
      setCall("ringing-in");
      show("incoming call");
      break;
    case "missed_call": show(`missed call from ${result.caller}`); break;
    case "holding": setCall("held"); show("on hold"); break;
    case "resuming": setCall("talking"); show("in a call"); break;
    case "hangup":
      setCall("idle");
      state.handle.hangup();
      show(`call ended: ${result.code} ${result.reason}`);
      break;
    case "message":
    case "messagedelivery": {
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

state.accept = () => {
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
$("hangup").onclick = () => send({ request: state.call === "ringing-in" ? "decline" : "hangup" });
$("hold").onclick = () => send({ request: state.call === "held" ? "unhold" : "hold" });
$("accept").onclick = state.accept;
$("decline").onclick = () => send({ request: "decline" });
for (const key of $("keypad").querySelectorAll("button"))
  key.onclick = () => state.call === "talking" && send({ request: "dtmf_info", digit: key.textContent });
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
