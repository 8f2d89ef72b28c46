// The conference page's Invite dialog, driven through the UI in Chromium: Ann (the room's
// moderator) copies the room link and calls TARGET (a SIP URI) into the room; the dialog lists
// the call as it rings and is answered, and the phone shows in the roster. Ben (no moderator)
// sees the link but no "Call" form, and his forged "dial" is refused. Prints one JSON line.
//   node room_invite_test.mjs http://127.0.0.1:8080/room.html ROOM TARGET PHONE_NAME
import { launchChromium } from "./chromium.mjs";
import { checkStep } from "./ui_check.mjs";

const [base, room, target, phoneName] = process.argv.slice(2);
const result = { console: [], steps: [] };
const { context, close } = await launchChromium({ shared: true });

async function joinAs(name) {
  const page = await context.newPage();
  page.on("pageerror", (error) => result.console.push(`${name} pageerror: ${error.message}`));
  await page.goto(`${base}?room=${encodeURIComponent(room)}&name=${name}&autojoin=1`);
  await page.waitForFunction(() => window.sylkRoom?.myId || window.sylkRoom?.error, null, { timeout: 20000 });
  const error = await page.evaluate(() => window.sylkRoom.error);
  if (error) throw new Error(`${name}: ${error}`);
  return page;
}

async function step(page, name) {
  await checkStep(page, name);
  result.steps.push(name);
}

try {
  await context.grantPermissions(["clipboard-read", "clipboard-write"]);
  const ann = await joinAs("Ann");
  const ben = await joinAs("Ben");
  await ann.getByRole("button", { name: "Invite" }).click();
  const dialog = ann.getByRole("dialog", { name: "Invite people" });
  await dialog.waitFor({ timeout: 5000 });
  result.link = await dialog.getByLabel("Room link").inputValue();
  await dialog.getByRole("button", { name: "Copy room link" }).click();
  await dialog.getByText("Link copied.").waitFor({ timeout: 5000 });
  result.clipboard = await ann.evaluate(() => navigator.clipboard.readText());
  await step(ann, "invite-dialog");
  await dialog.getByLabel("Call a phone into the room").fill(target);
  await dialog.getByRole("button", { name: "Call", exact: true }).click();
  const call = dialog.locator(".dial-calls li");
  await call.waitFor({ timeout: 10000 });
  const seen = (text) => ann.waitForFunction((wanted) => document.querySelector(".dial-calls li")?.textContent.includes(wanted),
                                             text, { timeout: 20000, polling: 50 });
  await seen("answered");
  result.states = [await call.textContent()];
  result.seen = await ann.evaluate(() => [...window.sylkRoom.dials.values()][0].seen);
  await step(ann, "invite-answered");
  // The rosters, while the phone is surely in the call: the failing call below can take Sofia's
  // 32 s INVITE timeout, and the phone's scenario ends its call 60 s after answering.
  await ann.locator("#participants li", { hasText: phoneName }).waitFor({ timeout: 10000 });
  result.annRoster = await ann.locator("#participants").textContent();
  await ben.locator("#participants li", { hasText: phoneName }).waitFor({ timeout: 10000 });
  // A phone that is not there: the dialog says the call failed, with the SIP status.
  await dialog.getByLabel("Call a phone into the room").fill("sip:nobody@127.0.0.1:5081");
  await dialog.getByRole("button", { name: "Call", exact: true }).click();
  const failed = dialog.locator(".dial-calls li", { hasText: "nobody" });
  await ann.waitForFunction(() => [...document.querySelectorAll(".dial-calls li")].some((li) => li.className.includes("failed")),
                            null, { timeout: 40000, polling: 100 });
  result.failed = await failed.textContent();
  await dialog.getByRole("button", { name: "Close" }).click();
  // Ben: the link, but no call form; the server refuses his forged request.
  await ben.getByRole("button", { name: "Invite" }).click();
  const benDialog = ben.getByRole("dialog", { name: "Invite people" });
  await benDialog.waitFor({ timeout: 5000 });
  result.benForm = await ben.locator("#dial-form").isVisible();
  result.benNote = await benDialog.getByText("Only the room's moderators can call phones in.").isVisible();
  await step(ben, "invite-non-moderator");
  result.benDial = await ben.evaluate((uri) => window.sylkRoom.dial(uri).then(() => "accepted", (e) => String(e.message || e)), target);
  result.refused = await ann.evaluate(() => window.sylkRoom.dial("tel:12").then(() => "accepted", (e) => String(e.message || e)));
} catch (error) {
  result.error = String(error.stack || error);
} finally {
  await close();
  console.log(JSON.stringify(result));
}
