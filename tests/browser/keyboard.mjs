// Keyboard helpers for the web app's tests (playwright-core pages): what a Tab walk reaches, and
// Tab presses until a given control has the focus, as a keyboard-only person moves.

// Short description of the focused element: #id, or tag and text for elements without one.
const FOCUSED = () => {
  const element = document.activeElement;
  if (!element || element === document.body) return null;
  return element.id ? `#${element.id}` : `${element.tagName.toLowerCase()}:${element.textContent.trim()}`;
};

// Every control a keyboard should reach, in document order (visible, enabled, not tabindex=-1).
export async function focusableControls(page) {
  return page.evaluate(() => [...document.querySelectorAll(
    "a[href], button, input, select, textarea, [tabindex]")]
    .filter((e) => !e.disabled && e.getAttribute("tabindex") !== "-1" && e.getClientRects().length > 0)
    .map((e) => (e.id ? `#${e.id}` : `${e.tagName.toLowerCase()}:${e.textContent.trim()}`)));
}

// Tabs through one full cycle of the page (past its end, the focus leaves the page and comes
// back to its first control); returns what got the focus, in order, from the first control on.
export async function tabWalk(page) {
  const seen = [];
  for (let i = 0; i < 60; i++) {
    await page.keyboard.press("Tab");
    const focused = await page.evaluate(FOCUSED);
    if (focused === null) continue;  // the browser's own UI, between the page's end and its start
    if (seen.includes(focused)) break;
    seen.push(focused);
  }
  const first = (await focusableControls(page))[0];
  const at = Math.max(seen.indexOf(first), 0);
  return [...seen.slice(at), ...seen.slice(0, at)];
}

// Presses Tab (or Shift+Tab) until `target` (as FOCUSED describes it) has the focus.
export async function tabTo(page, target, { backwards = false } = {}) {
  for (let i = 0; i < 40; i++) {
    if (await page.evaluate(FOCUSED) === target) return;
    await page.keyboard.press(backwards ? "Shift+Tab" : "Tab");
  }
  throw new Error(`Tab never reached ${target}`);
}
