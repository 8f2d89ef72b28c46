// Responsive checks for the web app's tests (playwright-core pages).
import { WIDTHS } from "./ui_check.mjs";

// How far the page's content is wider than a phone's viewport (390 px): more than 0 means the
// person scrolls sideways. The viewport goes back to what it was.
export async function phoneOverflow(page) {
  const original = page.viewportSize();
  await page.setViewportSize(WIDTHS.phone);
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  if (original) await page.setViewportSize(original);
  return width - WIDTHS.phone.width;
}
