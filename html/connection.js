// Where the pages find janus. The web app server answers /config.json with the Janus API's
// WebSocket ports and the STUN/TURN servers (from janus.jcfg's nat section, the one place they
// are set). A page loaded over https talks wss to the same host, one loaded over http ws.
// A ?server= in the page's address still wins (e.g. a page served from elsewhere).
export async function connectionSettings(override) {
  let config = null;
  try {
    const reply = await fetch("/config.json", { cache: "no-store" });
    if (reply.ok) config = await reply.json();
  } catch {
    // not served by our web app server: fall back to the stock ports below
  }
  const secure = location.protocol === "https:";
  const port = (secure ? config?.janus?.wss_port : config?.janus?.ws_port) || (secure ? 8989 : 8188);
  // location.hostname keeps an IPv6 address's brackets
  const server = override || `${secure ? "wss" : "ws"}://${location.hostname || "127.0.0.1"}:${port}/`;
  return { server, iceServers: config?.iceServers || [] };
}
