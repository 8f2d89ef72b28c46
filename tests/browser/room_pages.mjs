// A person joining a room through the conference page: the cluster scripts open pages of one
// room on different nodes, so the page's base URL is an argument.
// Page errors (and console errors) are appended to `errors`, named after the person.

export async function joinRoom(context, base, room, name, errors) {
  const page = await context.newPage();
  page.on("pageerror", (error) => errors.push(`${name} pageerror: ${error.message}`));
  page.on("console", (m) => { if (m.type() === "error") errors.push(`${name}: ${m.text()}`); });
  await page.goto(`${base}?room=${encodeURIComponent(room)}&name=${name}&autojoin=1`);
  await page.waitForFunction(() => window.sylkRoom?.status === "publishing" || window.sylkRoom?.error, null, { timeout: 20000 });
  const error = await page.evaluate(() => window.sylkRoom.error);
  if (error) throw new Error(`${name}: ${error}`);
  return page;
}
