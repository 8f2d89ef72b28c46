// What every web-app browser test does at each step a person would see: an axe-core audit
// (violations of "serious" or "critical" impact fail the step) and screenshots at a phone and a
// desktop width, kept with the test's results. Works with playwright-core pages (Chromium) and
// puppeteer-core pages (Firefox ESR over WebDriver BiDi).
//
//   import { checkStep } from "./ui_check.mjs";
//   await checkStep(page, "room-prejoin");            // throws on serious/critical violations
//   const report = await checkStep(page, "x", { throwOnViolation: false });
//
// Screenshots go to $SYLK_SCREENSHOTS (default: <repo>/build/test-results/screenshots), one
// folder per test script, named <step>-<phone|desktop>-<browser>.png.
import { mkdirSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const HERE = dirname(fileURLToPath(import.meta.url));
const AXE = join(HERE, "node_modules", "axe-core", "axe.min.js");
export const WIDTHS = { phone: { width: 390, height: 844 }, desktop: { width: 1280, height: 800 } };

function screenshotDir() {
  const root = process.env.SYLK_SCREENSHOTS || resolve(HERE, "..", "..", "build", "test-results", "screenshots");
  const script = basename(process.argv[1] || "browser", ".mjs");
  const dir = join(root, script);
  mkdirSync(dir, { recursive: true });
  return dir;
}

function isPlaywright(page) {
  return typeof page.setViewportSize === "function";
}

async function viewport(page) {
  return isPlaywright(page) ? page.viewportSize() : page.viewport();
}

async function setViewport(page, size) {
  if (isPlaywright(page)) await page.setViewportSize(size);
  else await page.setViewport(size);
}

function browserName(page) {
  return isPlaywright(page) ? "chromium" : "firefox";
}

// After a resize: the page's resize handlers and ResizeObserver callbacks have run, and its
// layout with them, once two animation frames have passed (a frame runs resize events, then
// rAF callbacks, then layout and the observers). Bounded by the 150 ms this used to wait
// outright, for a page whose frames do not come (a hidden tab).
async function layoutSettled(page) {
  await page.evaluate(() => Promise.race([
    new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))),
    new Promise((r) => setTimeout(r, 150)),
  ]));
}

// Runs axe-core in the page; returns the violations of serious or critical impact, each as
// {id, impact, help, targets}.
export async function auditPage(page) {
  const loaded = await page.evaluate(() => typeof window.axe !== "undefined");
  if (!loaded) await page.addScriptTag({ path: AXE });
  const results = await page.evaluate(async () => {
    const report = await window.axe.run(document, { resultTypes: ["violations"] });
    return report.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help,
                                           targets: v.nodes.slice(0, 5).map((n) => n.target.join(" ")) }));
  });
  return results.filter((v) => v.impact === "serious" || v.impact === "critical");
}

// One step: audit at the page's current width, then screenshots at phone and desktop widths
// (audited at each width too: a layout that hides a label on phones is a violation there).
// Returns {violations, screenshots}; throws when violations are found unless told not to.
export async function checkStep(page, step, { throwOnViolation = true, widths = ["phone", "desktop"] } = {}) {
  // The ASan pass of ./sylk test runs the same pages again for our C++'s sake: audits and
  // screenshots are the plain pass's.
  if (process.env.SYLK_UI_AUDIT === "0") return { violations: [], screenshots: [] };
  const dir = screenshotDir();
  const original = await viewport(page);
  const violations = [];
  const screenshots = [];
  for (const name of widths) {
    await setViewport(page, WIDTHS[name]);
    await layoutSettled(page);
    for (const v of await auditPage(page)) violations.push({ width: name, ...v });
    const path = join(dir, `${step}-${name}-${browserName(page)}.png`);
    await page.screenshot({ path });
    screenshots.push(path);
  }
  if (original) await setViewport(page, original);
  if (violations.length && throwOnViolation)
    throw new Error(`${step}: accessibility violations: ${JSON.stringify(violations)}`);
  return { violations, screenshots };
}
