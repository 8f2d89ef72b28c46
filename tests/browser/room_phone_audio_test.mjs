// The room audio bridge in Chromium: Ann (the room's moderator) calls TARGET (a sipp phone
// whose RTP peer sends a tone) from the Invite dialog, and the page hears the phone through the
// room's phones mix feed ("audio_mix"): played by a hidden <audio> element, no tile of its own.
// What the page hears is measured twice: the receiver's totalAudioEnergy (getStats) and a
// WebAudio AnalyserNode on the played stream (the level at the phone's tone and at others).
// Meanwhile the phone hears the page's fake microphone (the test measures that at the phone).
// Prints one JSON line.
//   node room_phone_audio_test.mjs http://127.0.0.1:8080/room.html ROOM TARGET TONE_HZ
import { launchChromium } from "./chromium.mjs";
import { checkStep } from "./ui_check.mjs";

const [base, room, target, toneHz] = process.argv.slice(2);
const result = { console: [] };
const { context, close } = await launchChromium({ shared: true });

try {
  const ann = await context.newPage();
  ann.on("pageerror", (error) => result.console.push(`pageerror: ${error.message}`));
  await ann.goto(`${base}?room=${encodeURIComponent(room)}&name=Ann&autojoin=1`);
  await ann.waitForFunction(() => window.sylkRoom?.status === "publishing" || window.sylkRoom?.error, null, { timeout: 20000 });
  const error = await ann.evaluate(() => window.sylkRoom.error);
  if (error) throw new Error(`Ann: ${error}`);
  await ann.getByRole("button", { name: "Invite" }).click();
  const dialog = ann.getByRole("dialog", { name: "Invite people" });
  await dialog.waitFor({ timeout: 5000 });
  await dialog.getByLabel("Call a phone into the room").fill(target);
  await dialog.getByRole("button", { name: "Call", exact: true }).click();
  await ann.waitForFunction(() => document.querySelector(".dial-calls li")?.textContent.includes("answered"), null,
                            { timeout: 30000, polling: 50 });
  await dialog.getByRole("button", { name: "Close" }).click();
  // The phones' mix: subscribed and played, without a tile.
  await ann.waitForFunction(() => window.sylkRoom.mixFeeds.size > 0 && document.getElementById("phones-audio")?.srcObject,
                            null, { timeout: 20000, polling: 100 });
  await checkStep(ann, "phones-audio");
  result.mixFeeds = await ann.evaluate(() => [...window.sylkRoom.mixFeeds]);
  result.tiles = await ann.evaluate(() => [...document.querySelectorAll("#grid > .tile")].map((t) => t.id));
  result.participants = await ann.evaluate(() => [...window.sylkRoom.participants.values()]);
  // Energy received on the mix feed's receiver, over 2 s once the phone talks (it streams its
  // tone for a while after the call is answered; wait for the energy to start growing).
  const energy = () => ann.evaluate(async () => {
    const stats = await window.sylkRoom.feedStats();
    const mix = Object.values(stats).find((entry) => entry.mix);
    return mix ? mix.audioEnergy : -1;
  });
  const deadline = Date.now() + 20000;
  let first = await energy();
  while (Date.now() < deadline) {
    await ann.waitForTimeout(250);
    const now = await energy();
    if (now > first) { first = now; break; }
  }
  await ann.waitForTimeout(2000);
  result.energyPerSecond = ((await energy()) - first) / 2;
  // The played stream through an AnalyserNode: dB at the phone's tone and at two others.
  result.analyser = await ann.evaluate(async (tone) => {
    const element = document.getElementById("phones-audio");
    const context = new AudioContext();
    await context.resume();
    const source = context.createMediaStreamSource(element.srcObject);
    const analyser = context.createAnalyser();
    analyser.fftSize = 8192;
    analyser.smoothingTimeConstant = 0;
    source.connect(analyser);
    const bins = new Float32Array(analyser.frequencyBinCount);
    const levelAt = (hz) => {
      const index = Math.round(hz / (context.sampleRate / analyser.fftSize));
      return Math.max(...bins.slice(index - 2, index + 3));
    };
    const taken = { tone: [], off: [], state: context.state };
    for (let i = 0; i < 10; i++) {
      await new Promise((resolve) => setTimeout(resolve, 150));
      analyser.getFloatFrequencyData(bins);
      taken.tone.push(levelAt(tone));
      taken.off.push(Math.max(levelAt(tone * 1.5), levelAt(tone * 0.7)));
    }
    await context.close();
    return taken;
  }, Number(toneHz));
} catch (error) {
  result.error = String(error.stack || error);
} finally {
  await close();
  console.log(JSON.stringify(result));
}
