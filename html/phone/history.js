// The account's message journal as this tab sees it (issue 13). Once registered the tab asks for
// it (sync_conversations) and then follows the live events the gateway forwards to every handle
// of the account (message, outgoing_message, conversation_read, message_removed,
// conversation_removed, imdn), so every tab (device) of one account shows the same messages with
// the same read state. The "All messages" list (#history) shows it flat, with "Mark read" and
// "Remove"; conversations.js groups it by peer. state.history: {messageId: {conversation,
// direction, text, read, time, receipt, contentType}} in arrival order, for tests.
import { $, button, element, send, shortAddress } from "./state.js";

export function setupHistory(state, onChange) {
  state.history = {};
  state.markRead = (conversation) => send({ request: "mark_read", conversation });
  state.removeMessage = (messageId) => send({ request: "remove_message", message_id: messageId });

  const render = () => {
    const items = Object.entries(state.history).map(([messageId, message]) => {
      const item = element("li");
      item.dataset.messageId = messageId;
      item.dataset.read = message.read ? "yes" : "no";
      const who = message.direction === "outgoing" ? `to ${shortAddress(message.conversation)}`
                                                   : shortAddress(message.conversation);
      item.append(`${message.read ? "" : "● "}${who}: ${message.text} `);
      const read = button("Mark read", () => state.markRead(message.conversation));
      read.disabled = message.read;
      item.append(read, button("Remove", () => state.removeMessage(messageId)));
      return item;
    });
    $("history").replaceChildren(...items);
    $("history-section").hidden = items.length === 0;
    onChange();
  };
  const add = (messageId, conversation, direction, text, read, extra = {}) => {
    if (messageId && !state.history[messageId])
      state.history[messageId] = { conversation, direction, text, read, time: Date.now() / 1000, receipt: "", ...extra };
  };
  const readConversation = (conversation) => {
    for (const message of Object.values(state.history))
      if (message.conversation === conversation) message.read = true;
  };
  const removeConversation = (conversation) => {
    for (const [messageId, message] of Object.entries(state.history))
      if (message.conversation === conversation) delete state.history[messageId];
  };
  const receipt = (messageId, status) => {
    const message = state.history[messageId];
    // displayed outranks delivered: they may arrive in either order
    if (message && message.receipt !== "displayed") message.receipt = status;
  };
  // Our own message, once the gateway stored it ("messagesent" names its id): other tabs learn
  // of it from "outgoing_message".
  state.addSent = (messageId, conversation, text) => {
    add(messageId, conversation, "outgoing", text, true, { receipt: "sent" });
    render();
  };

  // Called with every result first: true for the answer to our own sync request, which is this
  // module's alone; the other events are the other modules' too (false).
  return (result) => {
    switch (result.event) {
      case "registered": send({ request: "sync_conversations" }); return false;
      case "sync":  // the journal's entries in order: apply each as if it came live
        for (const entry of result.entries) {
          if (entry.kind === "message") {
            add(entry.message_id, entry.conversation, entry.direction, entry.content,
                entry.direction === "outgoing" || entry.read,
                { time: entry.timestamp, contentType: entry.content_type,
                  receipt: entry.direction === "outgoing" ? (entry.state === "sent" ? "sent" : entry.state) : "" });
          } else if (entry.kind === "state") receipt(entry.message_id, entry.state);
          else if (entry.kind === "read") readConversation(entry.conversation);
          else if (entry.kind === "remove") delete state.history[entry.message_id];
          else if (entry.kind === "remove_conversation") removeConversation(entry.conversation);
          else if (entry.kind === "call") state.addCall?.(entry);  // the call history (calls.js)
        }
        break;
      case "message":
        add(result.message_id, result.sender, "incoming", result.content, false,
            { contentType: result.content_type, displayName: result.displayname,
              askedDisplay: (result.cpim?.disposition_notification || "").includes("display") });
        break;
      case "outgoing_message":
        add(result.message_id, result.recipient, "outgoing", result.content, true,
            { contentType: result.content_type, receipt: "sent" });
        break;
      case "imdn": receipt(result.message_id, result.status); break;
      case "conversation_read": readConversation(result.conversation); break;
      case "message_removed": delete state.history[result.message_id]; break;
      case "conversation_removed": removeConversation(result.conversation); break;
      default: return false;
    }
    render();
    return result.event === "sync";
  };
}
