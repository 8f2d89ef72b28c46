// Cameras, microphones and speakers: the pickers (on the pre-join screen, and in the call's
// "Devices" dialog), the remembered choice (localStorage), what to capture when publishing, and
// switching a device during the call with replaceTracks on the publisher handle, without
// renegotiating the room.
import { $, fail, state } from "./state.js";

const STORAGE = "sylk.room.devices";
const PICKERS = { videoinput: "camera-select", audioinput: "microphone-select", audiooutput: "speaker-select" };
const DEFAULT_LABEL = { videoinput: "Camera", audioinput: "Microphone", audiooutput: "Speaker" };
export const VIDEO_SIZE = { width: 320, height: 240 };

function load() {
  try { return JSON.parse(localStorage.getItem(STORAGE)) || {}; } catch { return {}; }
}

// The chosen device id per kind (videoinput, audioinput, audiooutput); "" is the default.
export const choice = { videoinput: "", audioinput: "", audiooutput: "", ...load() };
state.devices = { choice, available: [] };

function remember() {
  try { localStorage.setItem(STORAGE, JSON.stringify(choice)); } catch { /* private mode: not kept */ }
}

export function hasDevice(kind) {
  return state.devices.available.some((device) => device.kind === kind);
}

// Fills the pickers from enumerateDevices (labels appear once the page may capture), keeping
// the remembered choice when that device is still there.
export async function listDevices() {
  const devices = navigator.mediaDevices?.enumerateDevices ? await navigator.mediaDevices.enumerateDevices() : [];
  state.devices.available = devices.map(({ kind, deviceId, label }) => ({ kind, deviceId, label }));
  for (const [kind, id] of Object.entries(PICKERS)) {
    const select = $(id);
    const ofKind = devices.filter((device) => device.kind === kind);
    select.replaceChildren(...ofKind.map((device, index) => {
      const option = document.createElement("option");
      option.value = device.deviceId;
      option.textContent = device.label || `${DEFAULT_LABEL[kind]} ${index + 1}`;
      return option;
    }));
    // A remembered device that is gone: the picker shows the default, the choice stays (it
    // comes back when the device does).
    if (ofKind.some((device) => device.deviceId === choice[kind])) select.value = choice[kind];
    select.disabled = ofKind.length === 0;
    // Browsers that cannot route audio to a chosen output (no setSinkId) get no speaker picker.
    if (kind === "audiooutput")
      select.closest(".field").hidden = ofKind.length === 0 || !("setSinkId" in HTMLMediaElement.prototype);
    else select.closest(".field").hidden = ofKind.length === 0;
  }
  return state.devices.available;
}

// getUserMedia constraints for one kind, on the chosen device.
export function constraints(kind) {
  const id = choice[kind === "audio" ? "audioinput" : "videoinput"];
  const base = kind === "video" ? { ...VIDEO_SIZE } : {};
  return id ? { ...base, deviceId: { exact: id } } : (kind === "video" ? base : true);
}

// Plays remote audio (every video element in the grid, the phones' audio) on the chosen speaker.
export async function routeAudio(element) {
  const wanted = choice.audiooutput === "default" ? "" : choice.audiooutput;
  if (typeof element.setSinkId !== "function" || element.sinkId === wanted) return;
  try {
    await element.setSinkId(wanted);
  } catch (e) {
    $("devices-status").textContent = `Cannot play on that speaker (${e?.message || e}): using the default one.`;
  }
}

// During the call: capture from the newly chosen device and put its track in place of the
// publisher's, keeping the microphone or camera muted if it was. No new offer: the room sees
// the same stream, now from the other device.
export async function switchDevice(kind) {
  const publisher = state.publisher;
  const pc = publisher?.webrtcStuff?.pc;
  // The camera's or microphone's m-line (a shared screen is another video m-line).
  const transceiver = pc?.getTransceivers().find((t) => t.sender.track?.kind === kind && t.mid !== state.screenMid);
  if (!transceiver) return;  // not publishing this kind: the choice applies next time
  const sender = transceiver.sender;
  const wasMuted = !sender.track.enabled;
  const stream = await navigator.mediaDevices.getUserMedia({ [kind]: constraints(kind) });
  const track = stream.getTracks()[0];
  track.enabled = !wasMuted;
  const old = sender.track;
  await new Promise((resolve, reject) => publisher.replaceTracks({
    tracks: [{ type: kind, mid: transceiver.mid, capture: track, recv: false }],
    success: resolve, error: reject,
  }));
  if (old && old !== track) old.stop();  // let the old device go (its light goes off)
  state.devices.switched = (state.devices.switched || 0) + 1;
}

// onPick(kind): what to do when a picker changes (the pre-join screen restarts its preview);
// during the call the publisher's track is replaced.
export function initDevices(onPick) {
  for (const [kind, id] of Object.entries(PICKERS)) {
    $(id).addEventListener("change", async (event) => {
      choice[kind] = event.target.value;
      remember();
      try {
        if (kind === "audiooutput") document.querySelectorAll("#grid video, #preview, audio.remote-audio").forEach(routeAudio);
        else if (state.publisher?.webrtcStuff?.pc) await switchDevice(kind === "videoinput" ? "video" : "audio");
        else await onPick?.(kind);
        $("devices-status").textContent = `Now using ${event.target.selectedOptions[0]?.textContent || "the default device"}.`;
      } catch (e) {
        fail(`cannot switch to that device: ${e?.message || e}`);
      }
    });
  }
  // New tiles play on the chosen speaker too.
  new MutationObserver(() => document.querySelectorAll("#grid video").forEach(routeAudio))
    .observe($("grid"), { childList: true, subtree: true });
  navigator.mediaDevices?.addEventListener?.("devicechange", () => listDevices().catch(() => {}));
  const dialog = $("devices-dialog");
  $("devices-button").addEventListener("click", () => {
    $("devices-dialog-body").append($("device-pickers"));  // the same pickers as before joining
    listDevices().catch(() => {});
    dialog.showModal();
  });
  $("devices-close").addEventListener("click", () => dialog.close());
  dialog.addEventListener("close", () => $("devices-button").focus());
}
