// room.html's own controls for a private message: a web participant picks a member of the room
// from the roster ("Message privately" next to its name, which sets the "To" select), types and
// sends with the form, and sees its message and the private answer marked as private.
// Prints {"joined": true, "myId": N}, then {"sent": {to, placeholder, options}} once sent, then
// {"received": {text, html classes}} when a message with the text WANTED is shown, with the
// list's text; {"error": ...} on failure.
//   node room_private_picker.mjs http://127.0.0.1:8080/room.html ROOM NAME RECIPIENT_DISPLAY TEXT WANTED
import { launchChromium } from "./chromium.mjs";

const [base, room, name, recipient, text, wanted] = process.argv.slice(2);
const { context, close } = await launchChromium();
const page = await context.newPage();
try {
  await page.goto(`${base}?room=${encodeURIComponent(room)}&name=${encodeURIComponent(name)}&autojoin=1&listen=1`);
  await page.waitForFunction(() => window.sylkRoom?.myId || window.sylkRoom?.error, null, { timeout: 30000 });
  console.log(JSON.stringify({ joined: true, myId: await page.evaluate(() => window.sylkRoom.myId) }));
  // The recipient appears in the roster (an attendee through another plugin).
  const entry = page.locator("#participants li", { hasText: recipient });
  await entry.locator(".message-privately").click({ timeout: 30000 });
  await page.fill("#chat-text", text);
  await page.click("#chat-form button[type=submit]");
  const sent = {
    to: await page.evaluate(() => window.sylkRoom.chatTo),
    selected: await page.$eval("#chat-to", (select) => select.selectedOptions[0].textContent),
    placeholder: await page.getAttribute("#chat-text", "placeholder"),
    options: await page.$$eval("#chat-to option", (options) => options.map((o) => o.textContent)),
  };
  console.log(JSON.stringify({ sent }));
  const shown = page.locator("#messages li", { hasText: wanted });
  await shown.waitFor({ timeout: 30000 });
  const mine = page.locator("#messages li", { hasText: text });
  await mine.waitFor({ timeout: 10000 });
  console.log(JSON.stringify({
    received: { text: await shown.textContent(), classes: await shown.getAttribute("class") },
    mine: { text: await mine.textContent(), classes: await mine.getAttribute("class") },
    error: await page.evaluate(() => window.sylkRoom.error),
  }));
} catch (error) {
  const seen = await page.evaluate(() => ({ status: window.sylkRoom?.status, error: window.sylkRoom?.error,
                                            attendees: [...(window.sylkRoom?.attendees || [])],
                                            roster: document.querySelector("#participants")?.textContent,
                                            messages: window.sylkRoom?.messages })).catch(() => null);
  console.log(JSON.stringify({ error: String(error), seen }));
} finally {
  await close();
}
