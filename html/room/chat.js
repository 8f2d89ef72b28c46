// Room chat: everyone and private recipients, the participants list, is-composing both ways,
// the message list.
import { moderatorControls, onAttendeeModeration } from "./moderator.js";
import { $, fail, state } from "./state.js";

state.sendChat = (text, to) => new Promise((resolve, reject) => {
  const message = { request: "message", text };
  if (to) message.to = to;
  state.publisher.send({ message, success: resolve, error: reject });
});

// Everyone the chat can go to privately: our participants (by number) and other plugins'
// members (by member id), as the video room's message and composing take them.
function recipients() {
  return [...[...state.participants].map(([id, display]) => ({ to: id, display })),
          ...[...state.attendees].map(([id, display]) => ({ to: id, display }))];
}

export function displayOf(ref) {
  return state.participants.get(ref) ?? state.attendees.get(ref) ?? String(ref);
}

// Picks the private recipient ("" for everyone): the select, the input's placeholder, state.chatTo.
state.chooseRecipient = (to) => {
  const known = to === "" || recipients().some((r) => r.to === to);
  state.chatTo = known ? to : "";
  $("chat-to").value = String(state.chatTo);
  $("chat-text").placeholder = state.chatTo === "" ? "Message to everyone"
                                                   : `Private message to ${displayOf(state.chatTo)}`;
  $("chat-form").classList.toggle("private", state.chatTo !== "");
};

function renderRecipients() {
  const select = $("chat-to");
  const everyone = document.createElement("option");
  everyone.value = "";
  everyone.textContent = "Everyone";
  select.replaceChildren(everyone, ...recipients().map(({ to, display }) => {
    const option = document.createElement("option");
    option.value = String(to);
    option.textContent = `${display} (private)`;
    return option;
  }));
  state.chooseRecipient(state.chatTo);  // a recipient who left falls back to everyone
}

export function renderParticipants() {
  const list = $("participants");
  list.replaceChildren();
  const me = document.createElement("li");
  me.textContent = `${$("display").value} (you)`;
  list.appendChild(me);
  if (state.handRaised) me.textContent += " ✋";
  for (const { to, display } of recipients()) {
    const item = document.createElement("li");
    item.textContent = display + (state.hands.has(to) ? " ✋" : "");
    const pick = document.createElement("button");
    pick.type = "button";
    pick.className = "message-privately";
    pick.textContent = "Message privately";
    pick.dataset.to = String(to);
    pick.onclick = () => { state.chooseRecipient(to); setChatOpen(true); $("chat-text").focus(); };
    item.append(" ", pick, ...moderatorControls(to, display));
    list.appendChild(item);
  }
  renderRecipients();
}

export function onAttendee(attendee) {
  onAttendeeModeration(attendee);
  if (attendee.present) state.attendees.set(attendee.id, attendee.display || attendee.id);
  else state.attendees.delete(attendee.id);
  if (!attendee.present) stopTyping(attendee.id);
  renderParticipants();
}

// Who is typing (a web user's composing, a SIP client's RFC 3994 is-composing, an XMPP chat
// state: the video room relays them all as "composing"), by member ref. Shown under the chat
// until they say idle, send a message or leave, or 120 s after their last refresh (RFC 3994's
// receiver timeout for an active state; a sender says idle itself after 15 s without typing).
const kTypingQuietMs = 120000;
state.typing = new Map();  // ref -> { display, private, timer }

function renderTyping() {
  const names = [...state.typing.values()].map((t) => (t.private ? `${t.display} (privately)` : t.display));
  $("typing").textContent = names.length === 0 ? ""
    : names.length === 1 ? `${names[0]} is typing…`
    : `${names.slice(0, -1).join(", ")} and ${names.at(-1)} are typing…`;
}

export function stopTyping(ref) {
  const typing = state.typing.get(ref);
  if (!typing) return;
  clearTimeout(typing.timer);
  state.typing.delete(ref);
  renderTyping();
}

export function onComposing(composing) {
  if (composing.id === state.myId) return;
  stopTyping(composing.id);
  if (!composing.active) return;
  const timer = setTimeout(() => stopTyping(composing.id), kTypingQuietMs);
  state.typing.set(composing.id, { display: composing.display || displayOf(composing.id),
                                   private: Boolean(composing.private), timer });
  renderTyping();
}

// Our own typing, told to the room (or to the private recipient), as an RFC 3994 sender: "active"
// when typing starts and again every 30 s while it goes on (SIP receivers hear a 60 s refresh),
// "idle" when the input is emptied or after 15 s without a key; a sent message ends it at the
// receivers by itself.
const kTypingRefreshMs = 30000;
const kTypingIdleMs = 15000;
let typingSentAt = 0;
let typingSentTo = null;
let typingIdleTimer = null;

function sendComposing(active) {
  if (!state.publisher || !state.myId) return;
  const message = { request: "composing", active };
  if (state.chatTo !== "" && state.chatTo !== undefined) message.to = state.chatTo;
  state.publisher.send({ message, error: () => {} });  // best effort: a lost typing notice harms nothing
}

function typingEnded(tell) {
  clearTimeout(typingIdleTimer);
  if (tell && typingSentAt) sendComposing(false);
  typingSentAt = 0;
}

function onChatInput() {
  const text = $("chat-text").value;
  const now = Date.now();
  if (text.trim() === "") {
    typingEnded(true);
    return;
  }
  clearTimeout(typingIdleTimer);
  typingIdleTimer = setTimeout(() => typingEnded(true), kTypingIdleMs);
  if (typingSentAt && now - typingSentAt < kTypingRefreshMs && typingSentTo === state.chatTo) return;
  typingSentAt = now;
  typingSentTo = state.chatTo;
  sendComposing(true);
}

// A label part shown as a chip, whose parentheses stay in the text (screen readers and the
// message's plain text read "Ann (private):") but not on screen.
function chip(text, className) {
  const span = document.createElement("span");
  span.className = className;
  const open = document.createElement("span");
  open.className = "visually-hidden";
  open.textContent = " (";
  const close = document.createElement("span");
  close.className = "visually-hidden";
  close.textContent = ")";
  const body = document.createElement("span");
  body.className = "chip";
  body.textContent = text;
  span.append(open, body, close);
  return span;
}

export function addMessage(message) {
  state.messages.push(message);
  if (message.from !== undefined) stopTyping(message.from);
  const item = document.createElement("li");
  const from = document.createElement("span");
  from.className = "from";
  from.textContent = message.display;
  const mine = message.from === state.myId;
  if (message.private) {
    // Ours (sent to someone) or to us: who it went to is said, not only that it was private.
    from.append(chip(mine ? `private to ${displayOf(message.to)}` : "private", "private-chip"));
    item.classList.add("private");
  }
  from.append(":");
  item.append(from, document.createTextNode(message.text));
  if (message.private && !mine && message.from !== undefined) {
    // Its name is in aria-label only: the message's text stays what was said.
    const reply = document.createElement("button");
    reply.type = "button";
    reply.className = "reply-privately";
    reply.setAttribute("aria-label", `Reply privately to ${message.display}`);
    reply.onclick = () => { state.chooseRecipient(message.from); setChatOpen(true); $("chat-text").focus(); };
    item.append(reply);
  }
  $("messages").appendChild(item);
  $("messages").scrollTop = $("messages").scrollHeight;
  if (!mine) countUnread();
}

// The chat panel: open or closed (on phone widths a sheet over the room), and while closed a
// count of messages from others on its toggle.
state.unread = 0;

function showUnread() {
  const badge = $("chat-unread");
  badge.hidden = state.unread === 0;
  badge.textContent = String(state.unread);
  // The visible "Chat 3" begins the name (WCAG 2.5.3).
  $("chat-toggle").setAttribute("aria-label", state.unread === 0 ? "Chat"
    : `Chat ${state.unread} unread message${state.unread === 1 ? "" : "s"}`);
}

function countUnread() {
  if (!$("chat-panel").hidden || !state.myId) return;
  state.unread += 1;
  showUnread();
}

export function setChatOpen(open) {
  $("chat-panel").hidden = !open;
  $("chat-toggle").setAttribute("aria-expanded", String(open));
  $("chat-toggle").setAttribute("aria-pressed", String(open));
  if (open) {
    state.unread = 0;
    showUnread();
    $("messages").scrollTop = $("messages").scrollHeight;
  }
}

export function initChat() {
  $("chat-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = $("chat-text").value.trim();
    if (text) state.sendChat(text, state.chatTo === "" ? undefined : state.chatTo).catch((e) => fail(`chat: ${e}`));
    $("chat-text").value = "";
    typingEnded(false);  // the message ended our typing at the receivers
  });
  $("chat-text").addEventListener("input", onChatInput);
  $("chat-toggle").addEventListener("click", () => {
    setChatOpen($("chat-panel").hidden);
    if (!$("chat-panel").hidden) $("chat-text").focus();
  });
  $("chat-close").addEventListener("click", () => { setChatOpen(false); $("chat-toggle").focus(); });
  // Phones start with the chat closed: the room's video gets the screen.
  if (matchMedia("(max-width: 700px)").matches) setChatOpen(false);
  $("chat-to").addEventListener("change", () => {
    const value = $("chat-to").value;
    state.chooseRecipient(/^\d+$/.test(value) ? Number(value) : value);
  });
}
