// The home page as a person with a mouse uses it (Chromium): start a meeting under the suggested
// name, ask for another name, join by a pasted link and by a typed name, and get an error for an
// empty field; no horizontal scrolling at phone width. Prints one JSON line for pytest.
//   node home_test.mjs http://127.0.0.1:8080/
import { launchChromium } from "./chromium.mjs";
import { phoneOverflow } from "./layout_check.mjs";
import { checkStep } from "./ui_check.mjs";

const base = process.argv[2] || "http://127.0.0.1:8080/";
const result = { console: [] };
const { context, close } = await launchChromium({ shared: true });

try {
  const page = await context.newPage();
  page.on("pageerror", (error) => result.console.push(`pageerror: ${error.message}`));
  await page.goto(base);
  const name = page.getByLabel("Meeting name");
  await name.waitFor();
  result.suggested = await name.inputValue();
  result.shownLink = await page.locator("#new-room-url").textContent();
  await checkStep(page, "home");
  result.homeOverflow = await phoneOverflow(page);

  await page.getByRole("button", { name: "Another name" }).click();
  result.second = await name.inputValue();

  await page.getByRole("button", { name: "Start meeting" }).click();
  await page.waitForURL(/room\.html#/);
  result.startedAt = page.url();
  await page.getByRole("button", { name: /join/i }).first().waitFor();
  await checkStep(page, "room-from-home");

  await page.goto(base);
  await page.getByRole("button", { name: "Join meeting" }).click();
  result.emptyError = await page.getByRole("alert").textContent();
  result.emptyStayed = page.url();
  await checkStep(page, "home-join-error");

  const target = page.getByLabel("Meeting link or name");
  await target.fill(new URL("/r/team-standup", base).href);
  await page.getByRole("button", { name: "Join meeting" }).click();
  await page.waitForURL(/room\.html#/);
  result.joinedByLink = page.url();

  await page.goto(base);
  await target.fill("Board Room");
  await target.press("Enter");
  await page.waitForURL(/room\.html#/);
  result.joinedByName = page.url();

  await page.goto(base);
  await page.getByRole("link", { name: "Echo test" }).click();
  await page.waitForURL(/echo\.html/);
  result.echoLink = page.url();
  await page.goBack();
  await page.getByRole("link", { name: "Phone" }).click();
  await page.waitForURL(/phone\.html/);
  result.phoneLink = page.url();
} catch (error) {
  result.error = String(error);
} finally {
  await close();
}
console.log(JSON.stringify(result));
