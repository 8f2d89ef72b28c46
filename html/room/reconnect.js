// Network trouble on the conference page: media that stops (ICE disconnected or failed) and a
// WebSocket to janus that drops. The page says "Reconnecting…" (the status banner, tiles dimmed)
// while it repairs, and goes back to normal once media flows again:
//  - media: a PeerConnection whose ICE stays disconnected is restarted (publisher: an offer with
//    new ICE credentials; subscriber: the room's `configure {restart: true}` for a fresh offer);
//    if that does not bring media back in a few seconds the subscriber gets a new handle and
//    subscribes again (the publisher restarts again; it publishes on a new PeerConnection only
//    when ICE failed or janus hung it up); repeated with a growing pause.
//  - signalling: janus.js reconnects and claims the session (janus keeps it for
//    reclaim_session_timeout after its WebSocket went); a session that is gone (a restarted
//    server, a long outage) is replaced: the page joins the room again with the same name and
//    PIN, keeping the chat shown. After kAttempts failed tries, with a growing pause, the page
//    says the server cannot be reached and offers to try again.
import { $, params, serverUrl, state } from "./state.js";
import { attachSubscriber, connect, onGone, onPublishers, subscribeTo } from "./session.js";
import { publishOwnFeed } from "./media.js";

const kGraceMs = 2000;        // ICE "disconnected" often heals by itself: wait this before acting
const kRepairWaitMs = 4000;   // how long an ICE restart gets to bring media back
const kBackoffMs = [500, 1000, 2000, 4000, 8000, 15000];  // pauses between reconnection attempts
// How many times to reach the server before saying it is gone (?retries=N shortens it).
const kAttempts = Math.max(1, Number(params.get("retries")) || kBackoffMs.length);

state.connection = "ok";      // "ok" | "reconnecting" | "gone"
state.reconnections = [];     // what the page did and when (ms since load), for tests and the console

const repairs = { publisher: null, subscriber: null };  // per handle: {stage, timer}
let signalling = "ok";        // "ok" | "lost": the WebSocket to janus
let attempt = 0;
let retryTimer = null;

function note(action, detail = "") {
  state.reconnections.push({ at: Math.round(performance.now()), action, detail });
}

function handleOf(kind) {
  return kind === "publisher" ? state.publisher : state.subscriber;
}

function iceStateOf(kind) {
  return handleOf(kind)?.webrtcStuff?.pc?.iceConnectionState;
}

// ------------------------------------------------------------------ the banner

function show(mode, text) {
  state.connection = mode;
  $("connection-text").textContent = text;
  $("connection-retry").hidden = mode !== "gone";
  $("connection-status").classList.toggle("shown", mode !== "ok");
  $("connection-status").classList.toggle("gone", mode === "gone");
  $("conference").classList.toggle("reconnecting", mode !== "ok");
}

function troubled() {
  if (state.connection === "ok") note("reconnecting");
  if (state.connection !== "gone") show("reconnecting", "Reconnecting…");
}

// Back to normal once signalling is up, every PeerConnection is connected and, when others
// publish, their media arrives again (bytes received grow between two looks; after
// kQuietLooks looks without growth, connected ICE is taken as enough: they may send nothing).
const kQuietLooks = 10;
let healthCheck = null;
function checkHealthy(looks = 0) {
  clearTimeout(healthCheck);
  if (state.connection === "ok" || signalling !== "ok") return;
  const pending = ["publisher", "subscriber"].some((kind) => {
    const ice = iceStateOf(kind);
    return repairs[kind] || (ice !== undefined && ice !== "connected" && ice !== "completed");
  });
  const pc = state.subscriber?.webrtcStuff?.pc;
  if (pending || (state.participants.size > 0 && !pc)) return;  // an ICE change calls again
  const sample = async () => {
    let total = 0;
    // Firefox may never settle getStats() of a PeerConnection closed meanwhile: 1 s at most
    const stats = pc && await Promise.race([pc.getStats(), new Promise((resolve) => setTimeout(resolve, 1000, null))]);
    stats?.forEach((r) => { if (r.type === "inbound-rtp") total += r.bytesReceived || 0; });
    return total;
  };
  sample().then(async (before) => {
    await new Promise((resolve) => { healthCheck = setTimeout(resolve, 300); });
    const after = await sample();
    if (signalling !== "ok" || state.connection === "ok" || pc !== state.subscriber?.webrtcStuff?.pc) return;
    if (state.participants.size > 0 && after <= before && looks < kQuietLooks) {
      healthCheck = setTimeout(() => checkHealthy(looks + 1), 0);
      return;
    }
    note("recovered");
    show("ok", "");
  });
}

// ------------------------------------------------------------------ media (ICE)

// Callbacks for janus.js's attach(): ICE states and PeerConnection up/down of one handle.
export function mediaHooks(kind) {
  return {
    iceState: (ice) => onIceState(kind, ice),
    webrtcState: (up, reason) => onWebrtcState(kind, up, reason),
  };
}

function onIceState(kind, ice) {
  if (ice === "connected" || ice === "completed") {
    if (repairs[kind]) {
      clearTimeout(repairs[kind].timer);
      repairs[kind] = null;
      note(`${kind} ice back`);
    }
    checkHealthy();
  } else if (ice === "disconnected" || ice === "failed") {
    note(`${kind} ice ${ice}`);
    troubled();
    if (!repairs[kind]) repairs[kind] = { stage: 0, timer: null };
    if (ice === "failed") repair(kind);
    else if (!repairs[kind].timer) repairs[kind].timer = setTimeout(() => repair(kind), kGraceMs);
  }
}

// janus hung up a PeerConnection: the one we asked it to close (republish), or after its own
// ICE failure (a long outage): make a new one.
let awaitingHangup = null;
function onWebrtcState(kind, up, reason) {
  if (up || !state.room || signalling !== "ok") return;
  if (kind === "publisher" && awaitingHangup) {
    clearTimeout(awaitingHangup);
    awaitingHangup = null;
    setTimeout(publishOwnFeed, 0);  // janus.js cleans the handle up right after telling us
    return;
  }
  // Only a broken connection is repaired: the room closing a PeerConnection (a moderator's kick,
  // "Close PC") is not network trouble.
  if (!/ICE failed|DTLS/i.test(String(reason))) return;
  note(`${kind} hung up`, reason);
  troubled();
  clearTimeout(repairs[kind]?.timer);
  repairs[kind] = { stage: 1, timer: null };  // next step: a new PeerConnection, not a restart
  repairs[kind].timer = setTimeout(() => repair(kind), 500);
}

// One step of a repair, each waiting longer than the one before for ICE to come back. The
// subscriber alternates ICE restarts and new handles. The publisher restarts ICE again and
// renews its PeerConnection only when ICE failed outright: a new one makes everyone else
// renegotiate (the room unpublishes and publishes it again).
function repair(kind) {
  const current = repairs[kind];
  if (!current || signalling !== "ok") return;
  clearTimeout(current.timer);
  const ice = iceStateOf(kind);
  if (ice === "connected" || ice === "completed") return onIceState(kind, ice);
  const odd = current.stage % 2 === 1;
  const renew = !handleOf(kind)?.webrtcStuff?.pc || (odd && (kind === "subscriber" || ice === "failed"));
  if (renew) kind === "publisher" ? republish() : resubscribe();
  else kind === "publisher" ? restartPublisher() : restartSubscriber();
  const wait = kRepairWaitMs * Math.min(4, 1 + Math.floor(current.stage / 2));
  current.stage += 1;
  current.timer = setTimeout(() => repair(kind), wait);
}

function restartPublisher() {
  if (!state.publisher || state.status === "listening") return;
  note("publisher ice restart");
  state.publisher.createOffer({
    iceRestart: true,
    success: (jsep) => state.publisher.send({ message: { request: "configure" }, jsep }),
    error: (e) => note("publisher ice restart failed", String(e?.message || e)),
  });
}

function restartSubscriber() {
  if (!state.subscriber || !state.subscriberJoined) return;
  note("subscriber ice restart");
  // the room answers with a new offer (restart: true), which the subscriber answers as any other
  state.subscriber.send({ message: { request: "configure", restart: true } });
}

// A new PeerConnection for the publisher, once janus has closed the old one (its hangup event,
// or at the latest after a second): an offer sent earlier would meet the old one's cleanup.
function republish() {
  if (!state.publisher || state.status === "listening") return;
  note("publisher renewed");
  if (!state.publisher.webrtcStuff?.pc) return publishOwnFeed();
  state.publisher.hangup(true);
  clearTimeout(awaitingHangup);
  awaitingHangup = setTimeout(() => { awaitingHangup = null; publishOwnFeed(); }, 1000);
}

// A new subscriber handle for everyone we received (the old one is detached).
export function resubscribe() {
  const old = state.subscriber;
  note("subscriber renewed");
  state.subscriber = null;
  state.subscriberJoined = false;
  state.subscriberNegotiating = false;  // the old handle's offer dies with it; every feed is asked for below
  state.pendingSubscriptions = [];
  state.feedsByMid.clear();
  state.tracks.clear();
  old?.detach({ noRequest: signalling !== "ok" });
  const feeds = [...state.participants.keys()].map((feed) => ({ feed }));
  attachSubscriber(() => { if (feeds.length) subscribeTo(feeds); });
}

// ------------------------------------------------------------------ signalling (WebSocket)

// janus.js lost the WebSocket of the session we joined with (its `error` callback).
export function onServerLost(error) {
  if (signalling === "lost") return;
  signalling = "lost";
  note("server lost", String(error));
  for (const kind of Object.keys(repairs)) {
    clearTimeout(repairs[kind]?.timer);
    repairs[kind] = null;
  }
  troubled();
  attempt = 0;
  retryTimer = setTimeout(claim, kBackoffMs[0]);
}

// Takes the session back over a new WebSocket; a session janus no longer has is replaced.
function claim() {
  attempt += 1;
  note("claim", `attempt ${attempt}`);
  const janus = state.janus;
  janus.reconnect({
    success: () => {
      if (state.janus !== janus) return;
      note("claimed");
      signalling = "ok";
      refreshRoster();
      for (const kind of Object.keys(repairs)) {
        const ice = iceStateOf(kind);
        if (ice === "disconnected" || ice === "failed") onIceState(kind, ice);
      }
      checkHealthy();
    },
    error: (e) => {
      if (state.janus !== janus) return;
      // A page that moved to the room's node (cluster) asks again who owns the room rather than
      // waiting for a node that may be gone: the room moves to a live node within its lease.
      if (/no such session/i.test(String(e)) || state.redirected) rejoin();
      else retryOrGiveUp(claim, e);
    },
  });
}

// Events sent while we were away are lost: who publishes now, from the room's own list.
function refreshRoster() {
  state.publisher.send({
    message: { request: "listparticipants", room: state.room },
    success: (reply) => {
      const present = new Map((reply?.participants || []).map((p) => [p.id, p]));
      for (const feed of [...state.participants.keys()]) {
        if (!present.get(feed)?.publisher) onGone(feed);
      }
      const newcomers = [...present.values()].filter((p) => p.publisher && p.id !== state.myId && !state.participants.has(p.id));
      if (newcomers.length) onPublishers(newcomers);
    },
  });
}

// The session is gone: leave its remains and join the room again, as the same person.
function rejoin() {
  attempt += 1;
  note("rejoin", `attempt ${attempt}`);
  const old = state.janus;
  state.janus = null;
  old?.destroy({ cleanupHandles: true, notifyDestroyed: false });
  for (const feed of state.participants.keys()) {
    document.getElementById(`tile-${feed}`)?.remove();
    document.getElementById(`tile-${feed}-screen`)?.remove();
  }
  state.participants.clear();
  state.mixFeeds.clear();
  state.attendees.clear();
  state.hands.clear();
  state.feedsByMid.clear();
  state.tracks.clear();
  Object.assign(state, { publisher: null, subscriber: null, subscriberJoined: false, myId: null, privateId: null,
                         subscriberNegotiating: false, pendingSubscriptions: [], status: "rejoining" });
  // Through the node the page came from, which says again where the room is now (session.js).
  Object.assign(state, { server: serverUrl, redirected: false });
  connect((e) => retryOrGiveUp(rejoin, e));
}

// session.js tells us each time the room says "joined" (after a rejoin too).
export function onRoomJoined() {
  if (signalling !== "lost") return;
  note("rejoined", `as ${state.myId}`);
  if (state.handRaised) state.raiseHand(true);  // the new participant keeps the raised hand
  signalling = "ok";
  attempt = 0;
  checkHealthy();
}

// A chat message from the room's history is shown only if not already on the page (a rejoin
// gets the history again).
export function isNewMessage(message) {
  return !state.messages.some((seen) => seen.id === message.id && seen.text === message.text &&
                                        seen.timestamp === message.timestamp);
}

function retryOrGiveUp(next, error) {
  note("attempt failed", String(error));
  if (attempt >= kAttempts) return gone();
  retryTimer = setTimeout(next, kBackoffMs[Math.min(attempt, kBackoffMs.length - 1)]);
}

function gone() {
  note("gone");
  show("gone", "The server cannot be reached.");
}

export function initReconnect() {
  $("connection-retry").addEventListener("click", () => {
    clearTimeout(retryTimer);
    attempt = 0;
    note("try again");
    show("reconnecting", "Reconnecting…");
    state.janus ? claim() : rejoin();
  });
}
