// Room links and the pre-join screen, driven as a person would in Chromium (three fake cameras:
// Chromium's second fake camera is a Y16 depth camera that no encoder takes, the third sends
// MJPEG): Ann opens /r/<room>, sees her camera preview and microphone level, picks the third camera,
// types her name, switches her microphone off and joins; Ben opens room.html#<room> and joins;
// Ben decodes Ann's video and hears nothing from her until she unmutes; Ann switches camera in
// the call (replaceTracks, no renegotiation) and Ben's frames keep coming; Ann copies the
// room's link; a reload remembers her name and camera; Cat opens a private room with a PIN:
// asked for it, a wrong PIN is refused with a clear message, the right one lets her in.
// Prints one JSON line for pytest.
//   node prejoin_test.mjs http://127.0.0.1:8080/ main ROOM        (everything but the PIN)
//   node prejoin_test.mjs http://127.0.0.1:8080/ pin - PIN_ROOM PIN  (the PIN room)
import { launchChromium } from "./chromium.mjs";
import { checkStep as auditStep } from "./ui_check.mjs";

const [base = "http://127.0.0.1:8080/", mode = "main", room = "prejoin room ü", pinRoom = "pin-room", pin = "4321"] = process.argv.slice(2);
const result = { console: [], timeline: [] };
const started = Date.now();
const mark = (what) => result.timeline.push(`${what} ${Date.now() - started}`);
async function checkStep(page, step) {
  mark(`${step}:`);
  await auditStep(page, step);
  mark(`:${step}`);
}
// Three fake cameras for the main flow's pickers (a Chromium of its own: a switch); the PIN
// room's flow picks no camera and takes the shared Chromium.
const threeCameras = mode === "main" && !process.env.ONE_CAMERA;
const { context, close } = await launchChromium({ shared: !threeCameras, args: threeCameras ? ["--use-fake-device-for-media-stream=device-count=3"] : [] });
await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: new URL(base).origin });

async function open(url, who) {
  const page = await context.newPage();
  page.on("pageerror", (error) => result.console.push(`${who} pageerror: ${error.message}`));
  page.on("console", (m) => { if (m.type() === "error") result.console.push(`${who}: ${m.text()}`); });
  page.on("response", (r) => { if (r.status() >= 400) result.console.push(`${who}: ${r.status()} ${r.url()}`); });
  await page.goto(url);
  await page.waitForFunction(() => window.sylkRoom?.prejoin);  // the modules are in (state.js awaits /config.json)
  return page;
}

const previewFrames = (page) => page.evaluate(() => document.getElementById("preview").getVideoPlaybackQuality?.().totalVideoFrames ?? 0);

async function waitFor(what, check, timeoutMs = 15000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

// Ben's view of one publisher: video frames decoded and audio energy received.
async function received(page, display) {
  return page.evaluate(async (name) => {
    const state = window.sylkRoom;
    const pc = state.subscriber?.webrtcStuff?.pc;
    const feed = [...state.participants].find(([, d]) => d === name)?.[0];
    const out = { framesDecoded: 0, audioEnergy: 0, audioBytes: 0 };
    if (!pc || feed === undefined) return out;
    (await pc.getStats()).forEach((report) => {
      if (report.type !== "inbound-rtp" || state.tracks.get(report.trackIdentifier)?.feed !== feed) return;
      if (report.kind === "video") out.framesDecoded += report.framesDecoded || 0;
      if (report.kind === "audio") { out.audioEnergy += report.totalAudioEnergy || 0; out.audioBytes += report.bytesReceived || 0; }
    });
    return out;
  }, display);
}

const joined = (page) => page.waitForFunction(() => ["publishing", "listening"].includes(window.sylkRoom?.status) || window.sylkRoom?.error,
                                              null, { timeout: 20000 });

async function main() {
  // Ann: the room's link
  const link = `${base}r/${encodeURIComponent(room)}`;
  const ann = await open(link, "Ann");
  result.title = await ann.getByRole("heading", { level: 1 }).textContent();
  result.roomField = await ann.getByLabel("Room", { exact: true }).inputValue();
  await waitFor("the preview's frames", async () => (await previewFrames(ann)) > 5);
  result.pickers = await ann.evaluate(async () => {
    const devices = await navigator.mediaDevices.enumerateDevices();
    const options = (id) => [...document.getElementById(id).options].map((o) => o.value);
    return {
      enumerated: { camera: devices.filter((d) => d.kind === "videoinput").map((d) => d.deviceId),
                    microphone: devices.filter((d) => d.kind === "audioinput").map((d) => d.deviceId),
                    speaker: devices.filter((d) => d.kind === "audiooutput").map((d) => d.deviceId) },
      listed: { camera: options("camera-select"), microphone: options("microphone-select"), speaker: options("speaker-select") },
    };
  });
  await checkStep(ann, "prejoin");
  // the second camera
  const cameras = await ann.getByLabel("Camera", { exact: true }).locator("option").allTextContents();
  await ann.getByLabel("Camera", { exact: true }).selectOption({ label: cameras.at(-1) });
  await waitFor("the preview from the second camera", () => ann.evaluate((label) =>
    document.getElementById("preview").srcObject?.getVideoTracks()[0]?.label === label, cameras.at(-1)));
  await waitFor("the preview's frames", async () => (await previewFrames(ann)) > 5);
  result.previewCamera = cameras.at(-1);
  result.cameras = cameras;
  // her name (a click wakes the level meter, as any click does), then the microphone off
  await ann.getByLabel("Your name", { exact: true }).click();
  await ann.getByLabel("Your name", { exact: true }).fill("Ann");
  result.micLevel = await waitFor("the microphone level", () => ann.evaluate(() => window.sylkRoom.prejoin.maxLevel > 0.01 && window.sylkRoom.prejoin.maxLevel));
  await ann.getByRole("button", { name: "Microphone on" }).click();
  result.micPressed = await ann.getByRole("button", { name: "Microphone off" }).getAttribute("aria-pressed");
  await ann.getByRole("button", { name: "Join" }).click();
  await joined(ann);
  result.annError = await ann.evaluate(() => window.sylkRoom.error);
  result.annMuted = await ann.evaluate(() => window.sylkRoom.publisher.isAudioMuted());
  result.annSendingCamera = await ann.evaluate(() => window.sylkRoom.publisher.webrtcStuff.pc.getSenders().find((s) => s.track?.kind === "video")?.track.label);
  await checkStep(ann, "in-room");
  // the room's link again, in a new tab: her name and camera remembered
  const again = await open(link, "Ann again");
  await waitFor("the preview's frames", async () => (await previewFrames(again)) > 2);
  result.rememberedName = await again.getByLabel("Your name", { exact: true }).inputValue();
  result.rememberedCamera = await again.getByLabel("Camera", { exact: true }).evaluate((select) => select.selectedOptions[0]?.textContent);
  await again.close();

  // Ben: the room.html#<room> link, microphone and camera on
  const ben = await open(`${base}room.html#${encodeURIComponent(room)}`, "Ben");
  result.benRoomField = await ben.getByLabel("Room", { exact: true }).inputValue();
  await waitFor("Ben's preview", async () => (await previewFrames(ben)) > 2);
  await ben.getByLabel("Your name", { exact: true }).fill("Ben");
  await ben.getByRole("button", { name: "Join" }).click();
  await joined(ben);
  result.benError = await ben.evaluate(() => window.sylkRoom.error);
  await waitFor("Ben decoding Ann", async () => (await received(ben, "Ann")).framesDecoded > 10, 20000);
  // muted: the room relays no audio from Ann, and Ben's tile of her says so
  await ben.getByRole("group", { name: /^Ann, microphone muted$/ }).waitFor({ timeout: 10000 });
  const mutedStart = await received(ben, "Ann");
  await ben.waitForTimeout(1500);
  const mutedEnd = await received(ben, "Ann");
  result.muted = { energy: mutedEnd.audioEnergy - mutedStart.audioEnergy, bytes: mutedEnd.audioBytes - mutedStart.audioBytes };
  await ann.getByRole("button", { name: "Unmute microphone" }).click();
  const unmuted = await waitFor("Ann's voice at Ben", async () => {
    const now = await received(ben, "Ann");
    return now.audioEnergy - mutedEnd.audioEnergy > 0.001 && now;
  });
  result.unmutedEnergy = unmuted.audioEnergy - mutedEnd.audioEnergy;

  // Ann switches back to the first camera in the call
  await ann.getByRole("button", { name: "Devices" }).click();
  await checkStep(ann, "devices-dialog");
  const offersBefore = await ann.evaluate(() => window.sylkRoom.publisher.webrtcStuff.pc.localDescription.sdp);
  await ann.getByRole("dialog").getByLabel("Camera", { exact: true }).selectOption({ label: cameras[0] });
  await waitFor("the switched camera", () => ann.evaluate(() => window.sylkRoom.devices.switched >= 1));
  result.annSendingCameraAfter = await ann.evaluate(() => window.sylkRoom.publisher.webrtcStuff.pc.getSenders().find((s) => s.track?.kind === "video")?.track.label);
  result.renegotiated = offersBefore !== await ann.evaluate(() => window.sylkRoom.publisher.webrtcStuff.pc.localDescription.sdp);
  const switchedAt = await received(ben, "Ann");
  const after = await waitFor("frames after the switch", async () => {
    const now = await received(ben, "Ann");
    return now.framesDecoded > switchedAt.framesDecoded + 15 && now;
  });
  result.framesAfterSwitch = after.framesDecoded - switchedAt.framesDecoded;
  await ann.getByRole("button", { name: "Close" }).click();

  // the link to share: the Invite dialog is the one place to copy it
  await ann.getByRole("button", { name: "Invite" }).click();
  const invite = ann.getByRole("dialog", { name: "Invite people" });
  await invite.getByRole("button", { name: "Copy room link" }).click();
  await waitFor("the copied link", () => ann.evaluate(() => document.getElementById("invite-copied").textContent));
  result.copyStatus = await ann.evaluate(() => document.getElementById("invite-copied").textContent);
  result.clipboard = await ann.evaluate(() => navigator.clipboard.readText());
  result.linkField = await invite.getByLabel("Room link").inputValue();
  result.expectedLink = link;
  await invite.getByRole("button", { name: "Close" }).click();

  // the camera picked in the call is the one kept for the next pre-join screen
  result.rememberedCameraAfterSwitch = await ann.evaluate(() => {
    const kept = JSON.parse(localStorage.getItem("sylk.room.devices")).videoinput;
    return [...document.getElementById("camera-select").options].find((o) => o.value === kept)?.textContent;
  });
}

async function pinRoomFlow() {
  // a public room with a PIN: the screen asks for it before joining (the room's "list" entry)
  const publicRoom = await open(`${base}r/${encodeURIComponent(`${pinRoom}-public`)}`, "Cat (public room)");
  result.publicPinShown = await waitFor("the PIN field of a public room", () => publicRoom.getByLabel("PIN", { exact: true }).isVisible());
  result.publicPinHelp = await publicRoom.locator("#pin-help").textContent();
  await publicRoom.close();
  // Cat: a private room with a PIN
  const cat = await open(`${base}r/${encodeURIComponent(pinRoom)}`, "Cat");
  await waitFor("Cat's preview", async () => (await previewFrames(cat)) > 2);
  result.pinFieldAtFirst = await cat.getByLabel("PIN", { exact: true }).isVisible();
  await cat.getByLabel("Your name", { exact: true }).fill("Cat");
  await cat.getByRole("button", { name: "Join" }).click();
  await cat.waitForFunction(() => window.sylkRoom.error, null, { timeout: 10000 });
  result.noPinError = await cat.getByRole("alert").textContent();
  result.pinFieldAfter = await cat.getByLabel("PIN", { exact: true }).isVisible();
  await checkStep(cat, "pin-needed");
  await cat.getByLabel("PIN", { exact: true }).fill("0000");
  await cat.getByLabel("PIN", { exact: true }).press("Enter");
  await cat.waitForFunction(() => /Wrong PIN/.test(window.sylkRoom.error || ""), null, { timeout: 10000 });
  result.wrongPinError = await cat.getByRole("alert").textContent();
  await cat.getByLabel("PIN", { exact: true }).fill(pin);
  await cat.getByRole("button", { name: "Join" }).click();
  await cat.waitForFunction(() => window.sylkRoom.status === "publishing", null, { timeout: 20000 });
  result.catRoom = await cat.evaluate(() => String(window.sylkRoom.room));
  result.catError = await cat.getByRole("alert").textContent();
}

try {
  await (mode === "pin" ? pinRoomFlow() : main());
} catch (error) {
  result.error = String(error?.stack || error);
  result.pagesAtError = await Promise.all(context.pages().map((page) => page.evaluate(async () => ({
    url: location.href, status: window.sylkRoom?.status, error: window.sylkRoom?.error,
    participants: [...(window.sylkRoom?.participants || [])], stats: await window.sylkRoom?.feedStats?.(),
    out: [...((await window.sylkRoom?.publisher?.webrtcStuff?.pc?.getStats()) || new Map()).values()].filter((r) => r.type === "outbound-rtp")
      .map((r) => `${r.kind} ${r.bytesSent} ${r.frameWidth}x${r.frameHeight} ${r.qualityLimitationReason}`),
    senders: window.sylkRoom?.publisher?.webrtcStuff?.pc?.getTransceivers().map((t) => `${t.mid} ${t.direction} ${t.currentDirection} ${t.sender.track?.kind} ${t.sender.track?.readyState} ${t.sender.track?.enabled}`),
  })).catch((e) => String(e))));
} finally {
  await close();
}
console.log(JSON.stringify(result));
