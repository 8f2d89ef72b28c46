// The conference page's chat panel, private messages, file cards and moderator panel, driven as
// people would (roles, labels, clicks, keys) in one Chromium with a page per participant:
// Ann makes the room (so she moderates it), Ben and Cat join; Cat's chat is closed and counts
// Ann's message; Ann and Ben message privately through the roster and "Reply privately"; Ann
// shares files (a card with a thumbnail; Ben downloads through the card); Cat cancels an upload;
// Ben's forged moderator requests are refused; Ann mutes Ben (Ben is told, Cat's stats stop
// growing), locks the room (Dan cannot join) and removes Cat (who is told). Prints one JSON line.
//   node room_moderation_test.mjs http://127.0.0.1:8080/room.html ROOM
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { launchChromium } from "./chromium.mjs";
import { checkStep } from "./ui_check.mjs";

const base = process.argv[2] || "http://127.0.0.1:8080/room.html";
const room = process.argv[3] || "moderated-room";
const result = { console: [], steps: [] };
const { context, close } = await launchChromium({ shared: true });
const folder = mkdtempSync(join(tmpdir(), "sylk-room-files-"));
const sha = (bytes) => createHash("sha256").update(bytes).digest("hex");

async function open(name) {
  const page = await context.newPage();
  page.on("pageerror", (error) => result.console.push(`${name} pageerror: ${error.message}`));
  await page.goto(`${base}?room=${encodeURIComponent(room)}&name=${name}&autojoin=1`);
  return page;
}

async function joinAs(name) {
  const page = await open(name);
  await page.waitForFunction(() => window.sylkRoom?.status === "publishing" || window.sylkRoom?.error, null, { timeout: 20000 });
  const error = await page.evaluate(() => window.sylkRoom.error);
  if (error) throw new Error(`${name}: ${error}`);
  return page;
}

const started = Date.now();
async function step(page, name) {
  const at = Date.now();
  await checkStep(page, name);
  result.steps.push(name);
  result.timing = result.timing || [];
  result.timing.push(`${name}: at ${at - started} ms, check ${Date.now() - at} ms`);
}

const audioFrom = async (page, display) => {
  const stats = await page.evaluate(() => window.sylkRoom.feedStats());
  return Object.values(stats).find((s) => s.display === display)?.audioBytes ?? 0;
};

async function send(page, text) {
  await page.getByPlaceholder(/Message to everyone|Private message to/).fill(text);
  await page.keyboard.press("Enter");
}

try {
  const ann = await joinAs("Ann");  // first: she makes the room, so she moderates it
  const [ben, cat] = await Promise.all([joinAs("Ben"), joinAs("Cat")]);
  const roster = (page, name) => page.locator("#participants li", { hasText: name });
  await roster(ann, "Cat").waitFor({ timeout: 10000 });
  await roster(ben, "Cat").waitFor({ timeout: 10000 });
  result.annPanel = await ann.getByRole("heading", { name: "Moderation" }).isVisible();
  await ann.getByRole("button", { name: "Remove Ben from the room" }).waitFor({ timeout: 5000 });
  await step(ann, "moderator-joined");
  // Ben does not moderate: no panel, no per-participant controls, and the server refuses what he forges.
  result.benPanel = await ben.locator("#moderator-panel").isVisible();
  result.benControls = await ben.locator("#participants button.moderate").count();
  await step(ben, "non-moderator");
  const annId = await ann.evaluate(() => window.sylkRoom.myId);
  result.forged = await ben.evaluate(async (id) => {
    const outcome = async (promise) => promise.then(() => "accepted", (e) => String(e.message || e));
    return {
      kick: await outcome(window.sylkRoom.kick(id)),
      lock: await outcome(window.sylkRoom.lockRoom(true)),
      moderate: await outcome(window.sylkRoom.moderate(id, "audio", true)),
      muteAll: await outcome(window.sylkRoom.muteAll()),
    };
  }, annId);

  // Chat with Cat's panel closed: the toggle counts Ann's message, opening it clears the count.
  await cat.getByRole("button", { name: "Chat", exact: true }).click();
  result.catPanelClosed = await cat.locator("#chat-panel").isHidden();
  await send(ann, "hello from Ann");
  const unread = cat.getByRole("button", { name: "Chat 1 unread message" });
  await unread.waitFor({ timeout: 10000 });
  result.catUnreadLabel = await unread.getAttribute("aria-label");
  result.catBadge = await cat.locator("#chat-unread").textContent();
  await step(cat, "chat-closed-unread");
  await unread.click();
  result.catAfterOpen = { label: await cat.locator("#chat-toggle").getAttribute("aria-label"),
                          seen: await cat.locator("#messages li", { hasText: "hello from Ann" }).isVisible() };

  // Private messages: Ann picks Ben in the roster; Ben answers with "Reply privately".
  await roster(ann, "Ben").getByRole("button", { name: "Message privately" }).click();
  await send(ann, "just for Ben");
  const atBen = ben.locator("#messages li", { hasText: "just for Ben" });
  await atBen.waitFor({ timeout: 10000 });
  result.benPrivate = { text: await atBen.textContent(), chip: await atBen.locator(".chip").textContent() };
  await step(ben, "private-received");
  await atBen.getByRole("button", { name: "Reply privately to Ann" }).click();
  result.benPlaceholder = await ben.locator("#chat-text").getAttribute("placeholder");
  await ben.keyboard.type("a private reply");
  await ben.keyboard.press("Enter");
  const atAnn = ann.locator("#messages li", { hasText: "a private reply" });
  await atAnn.waitFor({ timeout: 10000 });
  result.annPrivate = { text: await atAnn.textContent(), chip: await atAnn.locator(".chip").textContent() };
  const annSent = ann.locator("#messages li", { hasText: "just for Ben" });
  result.annSentChip = await annSent.locator(".chip").textContent();
  await step(ann, "private-sent-and-received");
  await ann.waitForTimeout(300);  // a private message that leaked would have reached Cat by now
  result.catLeaks = await cat.locator("#messages li", { hasText: /just for Ben|a private reply/ }).count();

  // File cards: Ann shares a file and a small image; Ben downloads through the card.
  const bytes = Buffer.alloc(300 * 1024);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7919) % 251;
  writeFileSync(join(folder, "notes.bin"), bytes);
  const png = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==", "base64");
  writeFileSync(join(folder, "dot.png"), png);
  await ann.getByLabel("Share a file").setInputFiles(join(folder, "notes.bin"));
  await ann.getByRole("status").filter({ hasText: "Shared notes.bin." }).waitFor({ timeout: 10000 });
  await ann.getByLabel("Share a file").setInputFiles(join(folder, "dot.png"));
  const card = ben.locator(".file-card", { hasText: "notes.bin" });
  await card.waitFor({ timeout: 10000 });
  result.benCard = await card.textContent();
  const thumbnail = ben.getByRole("img", { name: "Preview of dot.png" });
  await thumbnail.waitFor({ timeout: 10000 });
  result.thumbnailWidth = await thumbnail.evaluate((img) => img.complete && img.naturalWidth);
  await step(ben, "file-cards");
  const [download] = await Promise.all([ben.waitForEvent("download", { timeout: 10000 }),
                                        card.getByRole("button", { name: "Download notes.bin" }).click()]);
  const saved = join(folder, "downloaded.bin");
  await download.saveAs(saved);
  result.download = { name: download.suggestedFilename(), same: sha(readFileSync(saved)) === sha(bytes),
                      progress: await card.locator("progress").evaluate((bar) => bar.value) };
  // Cat starts a large upload on a slow link and cancels it.
  const cdp = await context.newCDPSession(cat);
  await cdp.send("Network.enable");
  await cdp.send("Network.emulateNetworkConditions", { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 256 * 1024 });
  writeFileSync(join(folder, "big.bin"), Buffer.alloc(4 * 1024 * 1024, 1));
  await cat.getByLabel("Share a file").setInputFiles(join(folder, "big.bin"));
  const cancel = cat.getByRole("button", { name: "Cancel upload" });
  await cancel.waitFor({ timeout: 5000 });
  await step(cat, "uploading");
  await cancel.click();
  await cat.getByRole("status").filter({ hasText: "big.bin: upload cancelled." }).waitFor({ timeout: 5000 });
  await cdp.send("Network.emulateNetworkConditions", { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
  result.cancelled = { bar: await cat.locator("#upload-progress").isHidden() };

  // Ann mutes Ben's microphone: Ben is told; Cat stops receiving Ben's audio.
  const before = await audioFrom(cat, "Ben");
  await cat.waitForFunction(async (was) => {
    const stats = await window.sylkRoom.feedStats();
    return (Object.values(stats).find((s) => s.display === "Ben")?.audioBytes ?? 0) > was;
  }, before, { timeout: 10000, polling: 200 });
  await ann.getByRole("button", { name: "Mute microphone of Ben" }).click();
  await ben.getByText("A moderator muted your microphone.").waitFor({ timeout: 10000 });
  await step(ben, "muted-by-moderator");
  await ann.getByRole("button", { name: "Unmute microphone of Ben" }).waitFor({ timeout: 10000 });
  await cat.waitForTimeout(500);  // what was in flight when the room stopped forwarding
  const mutedFrom = await audioFrom(cat, "Ben");
  await cat.waitForTimeout(1500);
  result.benAudioAtCat = { before, mutedFrom, after: await audioFrom(cat, "Ben") };
  result.catAudioFromAnn = await audioFrom(ben, "Ann");

  // Tiles show who is muted: Ben by the moderator (at Cat); Cat mutes herself and stops her
  // camera (at Ann: the icon, the avatar instead of a frozen frame); Eve, joining late, sees
  // both; Cat starts again and Ann decodes her picture again.
  await cat.getByRole("group", { name: /^Ben(, talking)?, microphone muted$/ }).waitFor({ timeout: 10000 });
  await cat.locator("#mute-audio").click();
  await cat.locator("#mute-video").click();
  const catTile = ann.getByRole("group", { name: /^Cat(, talking)?, microphone muted, camera off$/ });
  await catTile.waitFor({ timeout: 10000 });
  result.catTileAtAnn = {
    icon: await catTile.getByRole("img", { name: "microphone muted" }).isVisible(),
    avatar: await catTile.locator(".avatar").isVisible(),
    video: await catTile.locator("video").isVisible(),
  };
  await step(ann, "others-muted");
  const eve = await joinAs("Eve");
  await eve.getByRole("group", { name: /^Cat(, talking)?, microphone muted, camera off$/ }).waitFor({ timeout: 10000 });
  await eve.getByRole("group", { name: /^Ben(, talking)?, microphone muted$/ }).waitFor({ timeout: 10000 });
  result.eveSees = await eve.evaluate(() => [...document.querySelectorAll("#grid > .tile")].map((t) => t.getAttribute("aria-label")).sort());
  await eve.close();
  const framesFrom = async (page, display) => Object.values(await page.evaluate(() => window.sylkRoom.feedStats()))
    .find((s) => s.display === display)?.framesDecoded ?? 0;
  const stoppedAt = await framesFrom(ann, "Cat");
  await cat.locator("#mute-video").click();
  await cat.locator("#mute-audio").click();
  await ann.getByRole("group", { name: /^Cat(, talking)?$/ }).waitFor({ timeout: 10000 });
  await ann.waitForFunction(async (was) => {
    const stats = await window.sylkRoom.feedStats();
    return (Object.values(stats).find((s) => s.display === "Cat")?.framesDecoded ?? 0) > was + 5;
  }, stoppedAt, { timeout: 10000, polling: 200 });
  result.catBackAtAnn = { icon: await ann.locator(`#tile-${await cat.evaluate(() => window.sylkRoom.myId)} .mic-off`).isVisible() };

  // Ann locks the room: everyone sees it, Dan cannot join.
  await ann.getByRole("button", { name: "Lock the room" }).click();
  await ben.getByText("Room locked: nobody else can join").waitFor({ timeout: 10000 });
  result.lockShownToBen = true;
  await step(ann, "room-locked");
  const dan = await open("Dan");
  await dan.waitForFunction(() => window.sylkRoom?.error, null, { timeout: 20000 });
  result.danError = await dan.locator("#error").textContent();
  await step(dan, "locked-out");
  await dan.close();

  // Ann removes Cat, confirming in the dialog; Cat is told.
  await ann.getByRole("button", { name: "Remove Cat from the room" }).click();
  const dialog = ann.getByRole("dialog", { name: "Remove Cat from the room?" });
  await dialog.waitFor({ timeout: 5000 });
  await step(ann, "kick-confirm");
  await dialog.getByRole("button", { name: "Remove", exact: true }).click();
  await cat.getByText("A moderator removed you from the room.").waitFor({ timeout: 10000 });
  await step(cat, "kicked");
  await roster(ann, "Cat").waitFor({ state: "detached", timeout: 10000 });
  result.annRosterAfterKick = await ann.locator("#participants").textContent();
  await ann.getByRole("button", { name: "Unlock the room" }).click();
  await ben.locator("#room-lock:empty").waitFor({ state: "attached", timeout: 10000 });
  result.unlocked = true;
} catch (error) {
  result.error = String(error.stack || error);
} finally {
  await close();
  console.log(JSON.stringify(result));
}
