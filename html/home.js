// Home page: start a meeting under a generated name, or join one from a link or a name. Both
// go to the room's link, room.html#<room>; the conference page takes it from there.

const $ = (id) => document.getElementById(id);

// Three short words are easy to read out and to type, and 40³ names make a clash between two
// people starting a meeting unlikely; the room has a PIN when it must be private.
const WORDS = [
  ["amber", "brave", "calm", "clever", "crisp", "daring", "eager", "fair", "gentle", "golden",
   "happy", "jolly", "keen", "kind", "lively", "lucky", "merry", "mild", "noble", "polite",
   "proud", "quick", "quiet", "rapid", "rosy", "shiny", "silver", "smart", "snowy", "solar",
   "steady", "sunny", "swift", "tidy", "vivid", "warm", "wise", "witty", "young", "zesty"],
  ["apple", "badger", "cedar", "comet", "coral", "dolphin", "falcon", "fern", "finch", "fox",
   "harbor", "heron", "island", "lagoon", "lark", "lemon", "maple", "meadow", "moon", "otter",
   "panda", "pepper", "pine", "planet", "quartz", "raven", "river", "robin", "sparrow", "spruce",
   "stone", "tiger", "tulip", "valley", "violet", "walnut", "willow", "wolf", "zebra", "canyon"],
  ["bakes", "builds", "chats", "dances", "dreams", "drifts", "flies", "glows", "hikes", "hums",
   "jumps", "laughs", "learns", "listens", "meets", "naps", "paints", "plays", "reads", "rests",
   "rides", "roams", "rows", "runs", "sails", "sings", "skates", "sleeps", "smiles", "swims",
   "talks", "thinks", "travels", "waits", "walks", "waves", "wins", "wonders", "writes", "yawns"],
];

export function generateRoomName() {
  const picks = crypto.getRandomValues(new Uint32Array(WORDS.length));
  return WORDS.map((list, i) => list[picks[i] % list.length]).join("-");
}

export function roomLink(room) {
  return new URL(`room.html#${encodeURIComponent(room)}`, location.href).href;
}

// A pasted link (…/r/<room>, …/room.html#<room>, …?room=<room>) or a plain room name.
export function roomFromInput(text) {
  const value = text.trim();
  if (!value) return null;
  if (!/[/#?]/.test(value)) return value;
  let url;
  try {
    url = new URL(value, location.href);
  } catch {
    return null;
  }
  const path = url.pathname.match(/\/r\/([^/]+)\/?$/);
  const room = path?.[1] || url.hash.slice(1) || url.searchParams.get("room");
  if (!room) return null;
  try {
    return decodeURIComponent(room);
  } catch {
    return null;
  }
}

function showLink() {
  const room = $("new-room").value.trim();
  $("new-room-url").textContent = room ? roomLink(room) : "(give the meeting a name)";
}

function suggest() {
  $("new-room").value = generateRoomName();
  showLink();
}

$("new-room").addEventListener("input", showLink);
$("another-name").addEventListener("click", suggest);
$("start-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const room = $("new-room").value.trim();
  if (room) location.assign(roomLink(room));
});
$("join-link-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const room = roomFromInput($("join-target").value);
  if (!room) {
    $("join-target").setAttribute("aria-invalid", "true");
    $("join-error").textContent = "Paste a meeting link or type the meeting's name.";
    $("join-target").focus();
    return;
  }
  $("join-target").removeAttribute("aria-invalid");
  $("join-error").textContent = "";
  location.assign(roomLink(room));
});
suggest();
window.sylkHome = { generateRoomName, roomFromInput, roomLink };
