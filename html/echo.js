// Echo test page: publishes camera and microphone to janus.plugin.sylk.echo and plays back
// what the server returns; data-channel text comes back too. window.sylkEcho exposes the
// state for automated browser tests.
import { connectionSettings } from "./connection.js";
const PLUGIN = "janus.plugin.sylk.echo";
const { server: serverUrl, iceServers } = await connectionSettings(new URLSearchParams(location.search).get("server"));

const $ = (id) => document.getElementById(id);
const state = { status: "idle", error: null, replies: [], dataOpen: false, handle: null, janus: null };
window.sylkEcho = state;

function show(text, isError = false) {
  state.status = text;
  $("status").textContent = text;
  $("status").className = isError ? "status error" : "status";
}

function fail(message) {
  state.error = String(message);
  show(`Error: ${message}`, true);
}

state.sendData = (text) => state.handle.data({ text, error: (e) => fail(`data channel: ${e}`) });

// Receiver-side statistics: what actually arrived from the server.
state.inboundStats = async () => {
  const pc = state.handle?.webrtcStuff?.pc;
  const result = { audioBytes: 0, videoBytes: 0, framesDecoded: 0 };
  if (!pc) return result;
  (await pc.getStats()).forEach((report) => {
    if (report.type !== "inbound-rtp") return;
    if (report.kind === "audio") result.audioBytes += report.bytesReceived || 0;
    if (report.kind === "video") {
      result.videoBytes += report.bytesReceived || 0;
      result.framesDecoded += report.framesDecoded || 0;
    }
  });
  return result;
};

function attachEcho() {
  state.janus.attach({
    plugin: PLUGIN,
    success: (handle) => {
      state.handle = handle;
      show("attached, creating offer");
      handle.createOffer({
        tracks: [
          { type: "audio", capture: true, recv: true },
          { type: "video", capture: true, recv: true },
          { type: "data" },
        ],
        success: (jsep) => handle.send({ message: { request: "configure", audio: true, video: true, data: true }, jsep }),
        error: (e) => fail(`cannot use camera or microphone: ${e?.message || e}`),
      });
    },
    error: (e) => fail(`cannot attach to ${PLUGIN}: ${e}`),
    onmessage: (msg, jsep) => {
      if (msg.error) fail(`${msg.error} (code ${msg.error_code})`);
      else if (msg.result === "ok") show(`echo running (audio ${msg.audio_codec || "-"}, video ${msg.video_codec || "-"})`);
      if (jsep) state.handle.handleRemoteJsep({ jsep });
    },
    onlocaltrack: (track, on) => {
      if (track.kind !== "video" || !on) return;
      $("local").srcObject = new MediaStream([track]);
    },
    onremotetrack: (track, mid, on) => {
      if (!on) return;
      const video = $("remote");
      const stream = video.srcObject || new MediaStream();
      stream.addTrack(track);
      video.srcObject = stream;
    },
    ondataopen: () => {
      state.dataOpen = true;
      $("text").disabled = false;
      $("send").disabled = false;
    },
    ondata: (data) => {
      state.replies.push(data);
      const item = document.createElement("li");
      item.textContent = data;
      $("replies").appendChild(item);
    },
    oncleanup: () => show("stopped"),
  });
}

function start() {
  $("start").disabled = true;
  $("stop").disabled = false;
  $("stop").focus();  // the focused Start button is now disabled: keep keyboard users in place
  show("connecting");
  Janus.init({
    debug: false,
    dependencies: Janus.useDefaultDependencies({ adapter: window.adapter }),
    callback: () => {
      if (!Janus.isWebrtcSupported()) return fail("this browser has no WebRTC");
      state.janus = new Janus({
        server: serverUrl,
        iceServers,
        success: attachEcho,
        error: (e) => fail(`cannot reach the server at ${serverUrl}: ${e}`),
        destroyed: () => show("disconnected"),
      });
    },
  });
}

$("start").addEventListener("click", start);
$("stop").addEventListener("click", () => {
  state.janus?.destroy();
  state.dataOpen = false;
  $("text").disabled = true;
  $("send").disabled = true;
  $("start").disabled = false;
  $("stop").disabled = true;
  $("start").focus();  // the focused Stop button is now disabled: keep keyboard users in place
});
$("data-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const text = $("text").value;
  if (text) state.sendData(text);
  $("text").value = "";
});
if (new URLSearchParams(location.search).has("autostart")) start();
