// The home page and the echo page with the keyboard only (Chromium): a Tab walk reaches every
// control in document order, and Enter and Space do what a click does. Prints one JSON line.
//   node keyboard_test.mjs http://127.0.0.1:8080/
import { launchChromium } from "./chromium.mjs";
import { focusableControls, tabTo, tabWalk } from "./keyboard.mjs";
import { phoneOverflow } from "./layout_check.mjs";
import { checkStep } from "./ui_check.mjs";
import { until } from "./wait.mjs";

const base = process.argv[2] || "http://127.0.0.1:8080/";
const result = { home: {}, echo: {}, console: [] };
const { context, close } = await launchChromium({ shared: true });
const value = (page, id) => page.evaluate((id) => document.getElementById(id).value, id);

try {
  const page = await context.newPage();
  page.on("pageerror", (error) => result.console.push(`pageerror: ${error.message}`));

  // Home page
  await page.goto(base);
  await page.getByLabel("Meeting name").waitFor();
  // (the home page as it opens is home_test.mjs's "home" step: not audited twice)
  const home = result.home;
  home.controls = await focusableControls(page);
  home.walk = await tabWalk(page);
  home.suggested = await value(page, "new-room");
  await tabTo(page, "#another-name");
  await page.keyboard.press("Space");
  home.afterSpace = await value(page, "new-room");
  await page.keyboard.press("Enter");
  home.afterEnter = await value(page, "new-room");
  await tabTo(page, "#join-link");
  await page.keyboard.press("Enter");  // nothing typed: an error, and the focus goes to the field
  home.emptyError = await page.evaluate(() => document.getElementById("join-error").textContent);
  home.focusAfterError = await page.evaluate(() => document.activeElement.id);
  await checkStep(page, "home-keyboard-error");
  await page.keyboard.type("kb-room");
  await page.keyboard.press("Enter");
  await page.waitForURL(/room\.html#/);
  home.joined = page.url();
  await page.goto(base);
  await page.getByLabel("Meeting name").waitFor();
  const started = await value(page, "new-room");
  await tabTo(page, "#start");
  await page.keyboard.press("Enter");
  await page.waitForURL(/room\.html#/);
  home.started = { suggested: started, url: page.url() };

  // Echo page
  const echo = result.echo;
  await page.goto(new URL("echo.html", base).href);
  await page.getByRole("button", { name: "Start" }).waitFor();
  await checkStep(page, "echo-keyboard-idle");
  echo.idleControls = await focusableControls(page);
  echo.idleWalk = await tabWalk(page);
  await tabTo(page, "#start");
  await page.keyboard.press("Enter");
  await page.waitForFunction(() => window.sylkEcho.dataOpen || window.sylkEcho.error, null, { timeout: 20000 });
  await page.waitForFunction(() => window.sylkEcho.status.startsWith("echo running") || window.sylkEcho.error,
                             null, { timeout: 20000 });
  echo.focusAfterStart = await page.evaluate(() => document.activeElement.id);
  echo.runningControls = await focusableControls(page);
  echo.runningWalk = await tabWalk(page);
  await tabTo(page, "#text");
  await page.keyboard.type("typed and Enter");
  await page.keyboard.press("Enter");
  await page.keyboard.type("typed and Space on Send");
  await tabTo(page, "#send");
  await page.keyboard.press("Space");
  await page.waitForFunction(() => document.querySelectorAll("#replies li").length >= 2 || window.sylkEcho.error,
                             null, { timeout: 10000 });
  echo.replies = await page.evaluate(() => [...document.querySelectorAll("#replies li")].map((li) => li.textContent));
  await until(page, async () => (await window.sylkEcho.inboundStats()).framesDecoded > 0,
              { timeout: 15000, what: "echoed video decoded" });
  echo.framesDecoded = (await page.evaluate(() => window.sylkEcho.inboundStats())).framesDecoded;
  echo.phoneOverflow = await phoneOverflow(page);  // videos and replies showing
  await checkStep(page, "echo-keyboard-replies");
  await tabTo(page, "#stop", { backwards: true });
  await page.keyboard.press("Enter");
  await page.waitForFunction(() => !document.getElementById("start").disabled);
  echo.focusAfterStop = await page.evaluate(() => document.activeElement.id);
  echo.error = await page.evaluate(() => window.sylkEcho.error);
} catch (error) {
  result.error = String(error);
} finally {
  await close();
}
console.log(JSON.stringify(result));
