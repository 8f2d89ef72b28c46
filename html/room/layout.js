// Where the tiles go: a grid that fits the stage (the tile size computed from the count and the
// stage's shape, so that 1-9 participants need no scrolling), or the speaker view (one tile
// large on stage, the others in a filmstrip below). On stage: the pinned tile, else a screen
// share, else the dominant speaker (the last one who was not us). A share switches to the
// speaker view by itself and back when it ends. Also the raised hands, in the order raised,
// and the tiles of members of other plugins (phones, XMPP users).
import { $, state } from "./state.js";
import { memberTile, refreshLabel, removeMemberTile } from "./tiles.js";

const kAspect = 4 / 3;      // camera tiles (the page captures 320x240)
const kGap = 8;             // px between tiles, as --gap
const kBottomMargin = 12;   // px kept free under the stage
const kMinStage = 220;      // px: the stage never shrinks below this height

state.layout = "grid";      // "grid" | "speaker"
state.pinned = null;        // id of the pinned tile element, or null
state.stageTile = null;     // id of the tile on stage in the speaker view (for tests)
state.handQueue = [];       // ids with a raised hand, first raised first
let autoSpeaker = false;    // the speaker view came from a screen share, not from the person
let lastRemoteSpeaker = null;

// The largest tiles of the given aspect that n of fit in width x height, as {columns, w, h}.
export function fitGrid(n, width, height, aspect = kAspect, gap = kGap) {
  let best = { columns: 1, w: 0, h: 0 };
  for (let columns = 1; columns <= n; columns++) {
    const rows = Math.ceil(n / columns);
    const w = Math.min((width - gap * (columns - 1)) / columns, ((height - gap * (rows - 1)) / rows) * aspect);
    if (w > best.w + 0.5) best = { columns, w: Math.floor(w), h: Math.floor(w / aspect) };
  }
  return best;
}

function place(element, x, y, w, h) {
  Object.assign(element.style, { left: `${Math.round(x)}px`, top: `${Math.round(y)}px`,
                                 width: `${Math.round(w)}px`, height: `${Math.round(h)}px` });
}

function layGrid(tiles, width, height) {
  const { columns, w, h } = fitGrid(tiles.length, width, height);
  const rows = Math.ceil(tiles.length / columns);
  const top = (height - (rows * h + (rows - 1) * kGap)) / 2;
  tiles.forEach((element, index) => {
    const row = Math.floor(index / columns);
    const inRow = row === rows - 1 ? tiles.length - row * columns : columns;  // the last row is centred
    const left = (width - (inRow * w + (inRow - 1) * kGap)) / 2;
    place(element, left + (index % columns) * (w + kGap), top + row * (h + kGap), w, h);
  });
}

function tileOf(feed) {
  return feed === undefined || feed === null ? null : document.getElementById(`tile-${feed}`);
}

// Who is on stage in the speaker view.
function stageTile(tiles) {
  const pinned = state.pinned && document.getElementById(state.pinned);
  if (pinned) return pinned;
  const share = tiles.filter((t) => t.id.endsWith("-screen")).at(-1);
  if (share) return share;
  if (state.dominant !== undefined && state.dominant !== state.myId) lastRemoteSpeaker = state.dominant;
  return tileOf(lastRemoteSpeaker) || tiles.find((t) => t.id !== "tile-local") || tiles[0];
}

function laySpeaker(tiles, width, height) {
  const stage = stageTile(tiles);
  state.stageTile = stage.id;
  const strip = tiles.filter((t) => t !== stage);
  let stripHeight = 0;
  if (strip.length) {
    const wanted = Math.max(64, Math.min(140, height * 0.2));
    const w = Math.min(wanted * kAspect, (width - kGap * (strip.length - 1)) / strip.length);
    stripHeight = w / kAspect;
    const left = (width - (strip.length * w + (strip.length - 1) * kGap)) / 2;
    strip.forEach((element, index) => {
      place(element, left + index * (w + kGap), height - stripHeight, w, stripHeight);
      element.dataset.place = "filmstrip";
    });
  }
  place(stage, 0, 0, width, height - (strip.length ? stripHeight + kGap : 0));
  stage.dataset.place = "stage";
}

export function relayout() {
  const grid = $("grid");
  if (!grid || grid.offsetParent === null) return;  // hidden: before joining
  const tiles = [...grid.children].filter((element) => element.classList.contains("tile"));
  const top = grid.getBoundingClientRect().top + window.scrollY;
  const height = Math.max(kMinStage, window.innerHeight - top - kBottomMargin);
  grid.style.height = `${Math.floor(height)}px`;
  const width = grid.clientWidth;
  const speaker = state.layout === "speaker" && tiles.length > 1;
  grid.classList.toggle("speaker-view", speaker);
  state.stageTile = null;
  tiles.forEach((element) => delete element.dataset.place);
  if (tiles.length === 0) return;
  if (speaker) laySpeaker(tiles, width, height);
  else layGrid(tiles, width, height);
  for (const element of tiles) {
    // A toggle keeps its name ("Pin <name>"); aria-pressed says whether it is pinned.
    element.querySelector(".pin")?.setAttribute("aria-pressed", String(element.id === state.pinned));
  }
}

export function setLayout(layout) {
  state.layout = layout;
  autoSpeaker = false;
  const button = $("layout-switch");
  button.setAttribute("aria-pressed", String(layout === "speaker"));
  relayout();
}
state.setLayout = setLayout;

// Pins a tile (again: unpins it); a pinned tile is on stage whoever speaks.
state.pinTile = (id) => {
  state.pinned = state.pinned === id ? null : id;
  if (state.pinned) setLayout("speaker");
  else relayout();
};

// Tiles came or went, or a tile's classes changed (dominant, talking): re-place, relabel, and
// switch to the speaker view while a screen is shared (unless the person chose a layout since).
function onGridChanged(mutations) {
  let shares = 0;
  let relevant = false;
  for (const mutation of mutations) {
    if (mutation.type === "attributes") {
      if (!mutation.target.classList.contains("tile")) continue;  // a badge inside a tile
      refreshLabel(mutation.target);
    }
    relevant = true;
    for (const node of mutation.addedNodes) if (node.id?.endsWith("-screen")) shares++;
  }
  if (!relevant) return;
  if (state.pinned && !document.getElementById(state.pinned)) state.pinned = null;
  const sharing = document.querySelector("#grid .tile[id$='-screen']");
  if (shares && state.layout === "grid") {
    setLayout("speaker");
    autoSpeaker = true;
  } else if (!sharing && autoSpeaker) {
    setLayout("grid");
  } else {
    relayout();
  }
}

// ------------------------------------------------------------------ raised hands

function displayOf(id) {
  if (id === state.myId) return `${$("display").value} (you)`;
  return state.participants.get(id) ?? state.attendees.get(id) ?? `participant ${id}`;
}

function renderHands() {
  const queue = $("hand-queue");
  queue.replaceChildren(...state.handQueue.map((id) => {
    const item = document.createElement("li");
    item.textContent = displayOf(id);
    return item;
  }));
  queue.hidden = state.handQueue.length === 0;
  $("hand-queue-heading").hidden = queue.hidden;
  document.querySelectorAll("#grid .tile.hand").forEach((t) => t.classList.remove("hand"));
  for (const id of state.handQueue) tileOf(id === state.myId ? "local" : id)?.classList.add("hand");
}

function onHand(id, raised) {
  state.handQueue = state.handQueue.filter((queued) => queued !== id);
  if (raised) state.handQueue.push(id);
  renderHands();
}

// ------------------------------------------------------------------ the room's events

// Called by session.js with every event of the publisher handle, after its own handling.
export function onRoomEvent(msg) {
  if (msg.videoroom === "joined") {
    // Those who raised before we came: the server lists them (in its own order, not when raised).
    state.handQueue = [...(msg.raised_hands || [])];
    renderHands();
    requestAnimationFrame(relayout);
  }
  if (msg.hand) onHand(msg.hand.id, msg.hand.raised);
  if (msg.attendee) onAttendee(msg.attendee);
  if (msg.leaving !== undefined && msg.leaving !== "ok") onHand(msg.leaving, false);  // gone: out of the queue
  else if (msg.unpublished !== undefined) renderHands();  // still here: the hand stays, on no tile
}

// A member of another plugin came, changed or left.
export function onAttendee(attendee) {
  if (attendee.present) {
    const tile = memberTile(attendee.id, attendee.display, attendee.plugin);
    if (attendee.talking) tile?.classList.add("talking");  // talking when we joined
  }
  else removeMemberTile(attendee.id);
}

export function initLayout() {
  const grid = $("grid");
  // Tiles coming and going (not what changes inside them), and the tiles' classes.
  new MutationObserver(onGridChanged).observe(grid, { childList: true });
  new MutationObserver(onGridChanged).observe(grid, { attributes: true, subtree: true, attributeFilter: ["class"] });
  new ResizeObserver(() => relayout()).observe(grid);
  window.addEventListener("resize", relayout);
  $("layout-switch").addEventListener("click", () => setLayout(state.layout === "speaker" ? "grid" : "speaker"));
}
