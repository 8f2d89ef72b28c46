// The pre-join screen: the room from the link (/r/<room>, room.html#<room> or ?room=), a camera
// preview and microphone level, device pickers, microphone and camera on or off, the name
// remembered, a PIN when the room has one, and clear errors. ?autojoin=1 skips all of it.
import { choice, constraints, initDevices, listDevices } from "./devices.js";
import { $, PLUGIN, explain, iceServers, params, serverUrl, state } from "./state.js";

const NAME_KEY = "sylk.room.name";
const preview = { stream: null, audio: null, frame: 0, generation: 0, pending: false };
state.prejoin = { shown: false, has: null, audioOn: true, videoOn: true, maxLevel: 0, pinRequired: false };

function decode(text) {
  try { return decodeURIComponent(text); } catch { return text; }
}

// ?room= wins (tests, embedding), then /r/<room>, then room.html#<room>.
export function roomFromAddress() {
  if (params.has("room")) return params.get("room");
  if (location.pathname.startsWith("/r/") && location.pathname.length > 3) return decode(location.pathname.slice(3));
  if (location.hash.length > 1) return decode(location.hash.slice(1));
  return null;
}

function status(text) {
  $("prejoin-status").textContent = text;
}

function stopPreview() {
  cancelAnimationFrame(preview.frame);
  preview.audio?.close().catch(() => {});
  preview.audio = null;
  preview.stream?.getTracks().forEach((track) => track.stop());
  preview.stream = null;
}

// Camera and microphone together, else whichever exists; a remembered device that is gone
// falls back to the default one.
async function capture() {
  const attempts = [{ audio: constraints("audio"), video: constraints("video") },
                    { audio: constraints("audio") }, { video: constraints("video") }];
  let lastError = null;
  for (const request of attempts) {
    try {
      return await navigator.mediaDevices.getUserMedia(request);
    } catch (e) {
      lastError = e;
      if (e.name === "OverconstrainedError" && (choice.videoinput || choice.audioinput)) {
        choice.videoinput = choice.audioinput = "";
        return capture();
      }
      if (e.name === "NotAllowedError") break;
    }
  }
  throw lastError || new Error("no media devices");
}

function meter(stream) {
  const [track] = stream.getAudioTracks();
  if (!track || !window.AudioContext) return;
  preview.audio = new AudioContext();
  const analyser = preview.audio.createAnalyser();
  analyser.fftSize = 512;
  preview.audio.createMediaStreamSource(new MediaStream([track])).connect(analyser);
  const samples = new Float32Array(analyser.fftSize);
  const tick = () => {
    analyser.getFloatTimeDomainData(samples);
    const rms = Math.sqrt(samples.reduce((sum, x) => sum + x * x, 0) / samples.length);
    const level = track.enabled ? Math.min(1, rms * 4) : 0;
    $("mic-level").value = level;
    state.prejoin.maxLevel = Math.max(state.prejoin.maxLevel, level);
    preview.frame = requestAnimationFrame(tick);
  };
  tick();
}

function applyToggles() {
  const { audioOn, videoOn } = state.prejoin;
  preview.stream?.getAudioTracks().forEach((track) => { track.enabled = audioOn; });
  preview.stream?.getVideoTracks().forEach((track) => { track.enabled = videoOn; });
  const hasAudio = Boolean(preview.stream?.getAudioTracks().length);
  const hasVideo = Boolean(preview.stream?.getVideoTracks().length);
  const mic = $("prejoin-mic"), camera = $("prejoin-camera");
  mic.setAttribute("aria-pressed", String(audioOn && hasAudio));
  mic.textContent = !hasAudio ? "No microphone" : audioOn ? "Microphone on" : "Microphone off";
  mic.disabled = !hasAudio;
  camera.setAttribute("aria-pressed", String(videoOn && hasVideo));
  camera.textContent = !hasVideo ? "No camera" : videoOn ? "Camera on" : "Camera off";
  camera.disabled = !hasVideo;
  $("preview-off").hidden = hasVideo && videoOn;
  $("preview-off").textContent = hasVideo ? "Camera off" : "No camera";
}

async function startPreview() {
  stopPreview();
  const generation = ++preview.generation;
  preview.pending = true;
  try {
    const stream = await capture();
    if (generation !== preview.generation) {  // joined (or restarted) while the browser asked
      stream.getTracks().forEach((track) => track.stop());
      return;
    }
    preview.pending = false;
    preview.stream = stream;
    $("preview").srcObject = preview.stream;
    meter(preview.stream);
    const missing = [!preview.stream.getVideoTracks().length && "camera", !preview.stream.getAudioTracks().length && "microphone"]
      .filter(Boolean);
    status(missing.length ? `No ${missing.join(" or ")} found: you can still join${missing.length === 2 ? " to listen and chat" : ""}.` : "");
  } catch (e) {
    if (generation !== preview.generation) return;
    preview.pending = false;
    $("preview").srcObject = null;
    status(e?.name === "NotAllowedError"
      ? "The browser did not allow the camera and microphone: you can still join to listen and chat."
      : "No camera or microphone found: you can still join to listen and chat.");
  }
  applyToggles();
  await listDevices().catch(() => {});
}

// Asks the server about the room while the person looks at the preview: whether it needs a
// PIN, and how many are in it. Only public rooms are listed; a private room with a PIN says
// so when joining (error 433), and the PIN field appears then.
function lookUpRoom(room) {
  if (!room || !window.Janus) return;
  Janus.init({ debug: false, dependencies: Janus.useDefaultDependencies({ adapter: window.adapter }), callback: () => {
    const janus = new Janus({
      server: serverUrl, iceServers,
      success: () => janus.attach({
        plugin: PLUGIN,
        success: (handle) => handle.send({
          message: { request: "list" },
          success: (reply) => {
            const info = (reply?.list || []).find((entry) => String(entry.room) === room);
            janus.destroy();
            state.prejoin.roomInfo = info || null;
            if (!info || state.status !== "idle") return;
            if (info.pin_required) showPin("This room needs a PIN.");
            const count = info.num_participants;
            if (count && !$("prejoin-status").textContent) status(`${count} ${count === 1 ? "person is" : "people are"} in the room.`);
          },
          error: () => janus.destroy(),
        }),
        error: () => janus.destroy(),
      }),
      error: () => {},  // the join says it clearly if the server is gone
    });
  } });
}

function showPin(message) {
  state.prejoin.pinRequired = true;
  $("pin-field").hidden = false;
  $("pin-help").hidden = false;
  if (message) $("pin-help").textContent = message;
}

// A refused join: say why, and for a PIN ask again (same screen, the PIN field focused).
function onJoinError(msg) {
  state.janus?.destroy();  // the next try starts a new session
  state.janus = state.publisher = null;
  state.status = "idle";
  if (state.prejoin.shown) startPreview();  // still on this screen: the preview comes back
  if (msg.error_code === 433 && /pin/i.test(msg.error || "")) {
    const hadPin = Boolean($("pin").value);
    const text = hadPin ? "Wrong PIN: please try again." : "This room needs a PIN.";
    showPin(text);
    $("error").textContent = state.error = text;
    $("pin").select();
    $("pin").focus();
  } else if (msg.error_code === 433 && /locked/i.test(msg.error || "")) {
    $("error").textContent = state.error = explain(msg);
  }
  $("join").disabled = false;
}

// Before session.js's own submit handler: the name is remembered, the preview's devices are
// let go (the publisher captures the chosen ones again, so janus.js owns every track it
// sends), and with no device at all we join to listen. A microphone or camera
// switched off here is published muted (the track is sent switched off and mutes.js tells the
// room, which relays nothing of it and shows it muted; unmuting later needs no renegotiation).
function beforeJoin() {
  const name = $("display").value.trim();
  try { localStorage.setItem(NAME_KEY, name); } catch { /* not kept */ }
  if (!state.prejoin.shown) return;
  const stream = preview.stream;
  // Join pressed before the preview had its devices: we do not know what there is, so the
  // publisher asks for both as if there were no pre-join screen (not "no devices": that
  // would join to listen only).
  const known = !preview.pending;
  state.prejoin.has = known ? { audio: Boolean(stream?.getAudioTracks().length), video: Boolean(stream?.getVideoTracks().length) }
                            : { audio: true, video: true };
  preview.generation++;  // a capture still under way is let go when it ends
  preview.pending = false;
  stopPreview();
  $("preview").srcObject = null;
  state.listenOnly = !state.prejoin.has.audio && !state.prejoin.has.video;
  $("mute-audio").textContent = state.prejoin.has.audio && !state.prejoin.audioOn ? "Unmute microphone" : "Mute microphone";
  $("mute-video").textContent = state.prejoin.has.video && !state.prejoin.videoOn ? "Start camera" : "Stop camera";
}

// session.js calls this for each local track the publisher captures: switched off before
// joining means published muted.
function onLocalTrack(track, on) {
  if (!on || !state.prejoin.has) return;
  if (track.kind === "audio" && !state.prejoin.audioOn) track.enabled = false;
  if (track.kind === "video" && !state.prejoin.videoOn && track.id !== state.screenTrackId) track.enabled = false;
}

// What media.js captures when publishing: the chosen device (constraints), or nothing for a
// kind the pre-join screen found no device of.
export function captureFor(kind, fallback) {
  if (state.prejoin.has && !state.prejoin.has[kind]) return null;
  const chosen = constraints(kind);
  return typeof chosen === "object" && chosen.deviceId
    ? { ...(typeof fallback === "object" ? fallback : {}), deviceId: chosen.deviceId } : fallback;
}

export function initPrejoin() {
  state.onJoinError = onJoinError;  // called by session.js on a refused join
  state.onLocalTrack = onLocalTrack;  // and for each track it captures
  $("join-form").addEventListener("submit", beforeJoin);
  initDevices(startPreview);
  const room = roomFromAddress();
  if (room !== null) $("room").value = room;
  try { $("display").value = localStorage.getItem(NAME_KEY) || ""; } catch { /* not kept */ }
  if (params.has("pin")) showPin();
  if (params.has("autojoin")) return;  // tests and embedding: straight in, no preview
  state.prejoin.shown = true;
  $("prejoin-title").textContent = room ? `Join “${room}”` : "Join a conference";
  document.title = room ? `${room} · Sylk conference` : document.title;
  $("prejoin-mic").addEventListener("click", () => { state.prejoin.audioOn = !state.prejoin.audioOn; applyToggles(); });
  $("prejoin-camera").addEventListener("click", () => { state.prejoin.videoOn = !state.prejoin.videoOn; applyToggles(); });
  // Browsers start audio only after a gesture: any click here wakes the level meter.
  $("join-form").addEventListener("click", () => preview.audio?.resume().catch(() => {}));
  $("room").addEventListener("change", () => lookUpRoom($("room").value.trim()));
  startPreview();
  lookUpRoom($("room").value.trim());
  ($("display").value ? $("join") : $("display")).focus();
}
