// Waiting on a condition in a page, the same way for playwright-core and puppeteer-core pages.
// playwright's waitForFunction takes a returned Promise as a truthy value at once, so a condition
// that reads getStats() (async) has to be polled from here.

// Evaluates fn(arg) in the page every `every` ms until it returns something truthy; returns it.
export async function until(page, fn, { arg, timeout = 10000, every = 100, what = "a condition" } = {}) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = await page.evaluate(fn, arg);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, every));
  }
}
