// Conversations (issue 16): the account's messages from the message store (history.js keeps
// them, synced across tabs) grouped by peer, newest first, with unread counts; a conversation
// view with its messages, our messages' receipts (sent, delivered, read: the IMDN states), the
// peer's is-composing, the peer's OpenPGP key as the gateway knows it (lookup_public_key), and
// buttons to call or chat from it. Opening a conversation marks it read on every tab
// (mark_read) and tells the senders that asked (a "displayed" IMDN). On a phone the list and the
// conversation stack (#app[data-view]); on a desktop they sit side by side.
import { $, button, element, send, shortAddress, state } from "./state.js";

const RECEIPT = { sent: "sent", delivered: "delivered", displayed: "read" };

// sip:bob@example.com;transport=tcp and <sip:bob@example.com> name one conversation
const samePeer = (a, b) => shortAddress(a).split(";")[0] === shortAddress(b).split(";")[0];

export function initConversations() {
  state.composing = {};   // peer -> true while the peer is typing to us
  state.keys = {};        // peer -> {fingerprint} or null (none known)
  state.displayedSent = new Set();
  state.peer = "";
  let typing = false;

  const conversations = () => {
    const byPeer = new Map();
    for (const [messageId, message] of Object.entries(state.history)) {
      let key = [...byPeer.keys()].find((peer) => samePeer(peer, message.conversation));
      if (!key) {
        key = message.conversation;
        byPeer.set(key, { peer: key, messages: [], unread: 0, last: 0, name: "" });
      }
      const conversation = byPeer.get(key);
      conversation.messages.push({ messageId, ...message });
      if (message.direction === "incoming" && !message.read) conversation.unread += 1;
      if (message.displayName) conversation.name = message.displayName;
      conversation.last = Math.max(conversation.last, message.time || 0);
    }
    return [...byPeer.values()].sort((a, b) => b.last - a.last);
  };
  state.conversationList = () => conversations().map(({ peer, unread, messages }) => ({ peer, unread, count: messages.length }));

  const renderList = () => {
    const list = conversations();
    $("conversations").replaceChildren(...list.map((conversation) => {
      const item = element("li");
      item.dataset.peer = conversation.peer;
      const open = button("", () => state.openConversation(conversation.peer, { focus: true }), "conversation");
      if (state.peer && samePeer(state.peer, conversation.peer)) open.setAttribute("aria-current", "true");
      const last = conversation.messages[conversation.messages.length - 1];
      const address = shortAddress(conversation.peer);
      const name = conversation.name && !address.startsWith(`${conversation.name}@`) ? `${conversation.name} (${address})` : address;
      open.append(element("span", name, "conversation-name"),
                  element("span", last ? `${last.direction === "outgoing" ? "You: " : ""}${last.text}` : "", "conversation-last"));
      if (conversation.unread) {
        const badge = element("span", String(conversation.unread), "badge");
        badge.setAttribute("aria-label", `${conversation.unread} unread`);
        open.append(badge);
      }
      item.append(open);
      return item;
    }));
    $("conversations-empty").hidden = list.length > 0;
    const unread = list.reduce((sum, conversation) => sum + conversation.unread, 0);
    state.unread = unread;
    document.title = unread ? `(${unread}) Sylk phone` : "Sylk phone";
  };

  const renderKey = () => {
    const key = state.keys[state.peer];
    $("conv-key").textContent = key === undefined ? "OpenPGP key: looking up…"
      : key ? `OpenPGP key known: ${key.fingerprint.replace(/(.{4})/g, "$1 ").trim()}` : "No OpenPGP key known for this contact";
    $("conv-key").dataset.state = key === undefined ? "unknown" : key ? "known" : "none";
  };

  const renderConversation = () => {
    $("conversation").hidden = !state.peer;
    $("conversation-empty").hidden = !!state.peer;
    if (!state.peer) return;
    const conversation = conversations().find((c) => samePeer(c.peer, state.peer));
    $("conv-title").textContent = conversation?.name ? `${conversation.name} (${shortAddress(state.peer)})` : shortAddress(state.peer);
    const messages = conversation?.messages || [];
    $("conv-messages").replaceChildren(...messages.map((message) => {
      const item = element("li", "", `message message-${message.direction}`);
      item.dataset.messageId = message.messageId;
      item.append(element("span", message.text, "message-text"));
      const meta = element("span", "", "message-meta");
      const time = message.time ? new Date(message.time * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }) : "";
      meta.textContent = message.direction === "outgoing" ? `${time} · ${RECEIPT[message.receipt] || "sending"}` : time;
      if (message.direction === "outgoing") item.dataset.receipt = message.receipt || "";
      item.append(meta);
      return item;
    }));
    $("conv-messages").lastElementChild?.scrollIntoView?.({ block: "end" });
    const who = conversation?.name || shortAddress(state.peer);
    $("conv-composing").textContent = state.composing[state.peer] ? `${who} is typing…` : "";
    renderKey();
  };

  // The open conversation is read: mark it read (every tab) and send the display notifications asked.
  const readOpen = () => {
    if (!state.peer || document.hidden) return;
    const conversation = conversations().find((c) => samePeer(c.peer, state.peer));
    if (!conversation) return;
    for (const message of conversation.messages) {
      if (message.direction !== "incoming" || !message.askedDisplay || state.displayedSent.has(message.messageId)) continue;
      if (state.chat?.active) continue;  // a chat call's messages are answered by its own view
      state.displayedSent.add(message.messageId);
      send({ request: "displayed", message_id: message.messageId });
    }
    if (conversation.unread) send({ request: "mark_read", conversation: conversation.peer });
  };

  state.openConversation = (peer, { focus = false } = {}) => {
    if (!peer) return;
    const known = conversations().find((c) => samePeer(c.peer, peer));
    state.peer = known ? known.peer : peer;
    $("app").dataset.view = "conversation";
    if (!(state.peer in state.keys)) send({ request: "lookup_public_key", uri: state.peer });
    renderList();
    renderConversation();
    readOpen();
    if (focus) $("text").focus();
  };
  state.sendMessage = (text) => {
    if (!text || !state.peer) return;
    state.sendQueue.push({ uri: state.peer, text });  // added to the history once "messagesent" names it
    send({ request: "message", content: text, uri: state.peer, imdn: true });
    typing = false;
  };

  $("open-form").onsubmit = (event) => {
    event.preventDefault();
    const uri = $("uri").value.trim();
    if (uri) state.openConversation(uri, { focus: true });
  };
  $("call").onclick = () => state.dial($("uri").value.trim());
  $("chat-call").onclick = () => state.dialChat($("uri").value.trim());
  $("conv-call").onclick = () => state.dial(state.peer);
  $("conv-chat").onclick = () => state.dialChat(state.peer);
  $("back").onclick = () => {
    $("app").dataset.view = "list";
    $("conversations").querySelector(`[aria-current="true"]`)?.focus();
  };
  $("text").oninput = () => {
    const now = $("text").value !== "";
    if (state.peer && now !== typing) {
      typing = now;
      send({ request: "composing", active: now, uri: state.peer });
    }
  };
  $("message-form").onsubmit = (event) => {
    event.preventDefault();
    const text = $("text").value;
    if (!text) return;
    $("text").value = "";
    state.sendMessage(text);
  };
  document.addEventListener("visibilitychange", readOpen);

  return {
    render: () => {
      renderList();
      renderConversation();
      readOpen();
    },
    // Errors that are answers, not failures: no key known for a contact.
    onError: (msg) => {
      const missing = /^no public key of (.*)$/.exec(msg.error || "");
      if (!missing && !/message journal is off/.test(msg.error || "")) return false;
      if (state.peer) state.keys[missing ? missing[1] : state.peer] = null;
      renderKey();
      return true;
    },
    onEvent: (result) => {
      switch (result.event) {
        case "public_key":
          state.keys[result.uri] = { fingerprint: result.fingerprint, updated: result.updated };
          if (result.uri === state.peer) renderKey();
          break;
        case "composing":
          if (!result.sender) break;
          for (const peer of [result.sender, state.peer]) {
            if (peer && samePeer(peer, result.sender)) state.composing[peer] = result.state === "active";
          }
          renderConversation();
          break;
        case "message":
          if (result.sender) {
            for (const peer of Object.keys(state.composing)) if (samePeer(peer, result.sender)) state.composing[peer] = false;
            renderConversation();
          }
          break;
        case "unregistered":
          state.peer = "";
          renderConversation();
          break;
        default: break;
      }
    },
  };
}
