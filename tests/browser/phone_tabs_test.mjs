// Three tabs of html/phone.html for one account (issue 13): two register as guests of it and print
// the first one's contact user; the pytest side then has a sipp phone send MESSAGEs to it. Both
// tabs must show them; tab one marks the conversation read, tab two removes the first message,
// and both show both changes; then a third tab opens, registers and must show the same from
// sync_conversations. Prints each tab's conversation list (from the page, as rendered) as JSON.
//   node phone_tabs_test.mjs http://127.0.0.1:8080/phone.html sip:alice@sylk.test 2
import { launchChromium } from "./chromium.mjs";

const [url, account, count] = [process.argv[2], process.argv[3], Number(process.argv[4] || 2)];
const result = { console: [] };
const { context, close } = await launchChromium();
const waitFor = async (page, predicate, arg, timeout = 20000) => {
  const deadline = Date.now() + timeout;
  while (Date.now() < deadline) {
    if (await page.evaluate(predicate, arg)) return;
    await page.waitForTimeout(50);
  }
  throw new Error(`timed out waiting for ${predicate} (${arg})`);
};
// What a tab shows: each rendered conversation line's message id, read mark and text.
const shown = (page) => page.$$eval("#history li", (items) => items.map((item) => ({
  id: item.dataset.messageId, read: item.dataset.read === "yes", text: item.firstChild.textContent.trim() })));
const openTab = async () => {
  const page = await context.newPage();
  page.on("pageerror", (error) => result.console.push(`pageerror: ${error.message}`));
  await page.goto(url);
  await waitFor(page, () => window.sylkPhone?.handle || window.sylkPhone?.error);
  await page.evaluate((who) => window.sylkPhone.register(who, "", "", true), account);
  await waitFor(page, () => window.sylkPhone.contactUser || window.sylkPhone.error);
  return page;
};
const sameOnAll = (pages, predicate, arg) => Promise.all(pages.map((page) => waitFor(page, predicate, arg)));
try {
  const tabs = [await openTab(), await openTab()];
  console.log(JSON.stringify({ contact_user: await tabs[0].evaluate(() => window.sylkPhone.contactUser) }));
  await sameOnAll(tabs, (n) => document.querySelectorAll("#history li").length === n, count);
  const ids = await tabs[0].$$eval("#history li", (items) => items.map((item) => item.dataset.messageId));
  // Read in tab one (its button), a removal in tab two (its button): both tabs show both.
  await tabs[0].click(`#history li[data-message-id="${ids[0]}"] button:text("Mark read")`);
  await tabs[1].click(`#history li[data-message-id="${ids[0]}"] button:text("Remove")`);
  await sameOnAll(tabs, (n) => document.querySelectorAll("#history li").length === n - 1
    && [...document.querySelectorAll("#history li")].every((item) => item.dataset.read === "yes"), count);
  tabs.push(await openTab());  // a third tab (device) connects later: the same from the journal
  await waitFor(tabs[2], (n) => document.querySelectorAll("#history li").length === n - 1, count);
  result.removed = ids[0];
  result.tabs = await Promise.all(tabs.map(shown));
  result.errors = await Promise.all(tabs.map((page) => page.evaluate(() => window.sylkPhone.error)));
} catch (error) {
  result.error = String(error);
  result.tabs = await Promise.all(context.pages().map((page) => shown(page).catch(() => null)));
} finally {
  await close();
}
console.log(JSON.stringify(result));
