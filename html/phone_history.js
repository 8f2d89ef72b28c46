// Conversations in phone.html (issue 13): the account's message journal as this tab sees it.
// Once registered the tab asks for it (sync_conversations) and then follows the live events the
// gateway forwards to every handle of the account (message, outgoing_message, conversation_read,
// message_removed, conversation_removed), so every tab (device) of one account shows the same
// messages with the same read state. The web user marks a conversation read or removes a message
// here; the other tabs learn of it from the gateway. state.history: {messageId: {conversation,
// direction, text, read}} in arrival order, for tests.
const $ = (id) => document.getElementById(id);

export function setupHistory(state, send) {
  state.history = {};
  state.markRead = (conversation) => send({ request: "mark_read", conversation });
  state.removeMessage = (messageId) => send({ request: "remove_message", message_id: messageId });

  const render = () => {
    const items = Object.entries(state.history).map(([messageId, message]) => {
      const item = document.createElement("li");
      item.dataset.messageId = messageId;
      item.dataset.read = message.read ? "yes" : "no";
      const who = message.direction === "outgoing" ? `to ${message.conversation}` : message.conversation;
      item.append(`${message.read ? "" : "● "}${who}: ${message.text} `);
      const read = document.createElement("button");
      read.textContent = "Mark read";
      read.disabled = message.read;
      read.onclick = () => state.markRead(message.conversation);
      const remove = document.createElement("button");
      remove.textContent = "Remove";
      remove.onclick = () => state.removeMessage(messageId);
      item.append(read, remove);
      return item;
    });
    $("history").replaceChildren(...items);
    $("history-section").hidden = items.length === 0;
  };
  const add = (messageId, conversation, direction, text, read) => {
    if (messageId && !state.history[messageId]) state.history[messageId] = { conversation, direction, text, read };
  };
  const readConversation = (conversation) => {
    for (const message of Object.values(state.history))
      if (message.conversation === conversation) message.read = true;
  };
  const removeConversation = (conversation) => {
    for (const [messageId, message] of Object.entries(state.history))
      if (message.conversation === conversation) delete state.history[messageId];
  };

  // Called with every result first: true for the answer to our own sync request, which is this
  // module's alone; the other events are phone.js's too (false).
  return (result) => {
    switch (result.event) {
      case "registered": send({ request: "sync_conversations" }); return false;
      case "sync":  // the journal's entries in order: apply each as if it came live
        for (const entry of result.entries) {
          if (entry.kind === "message")
            add(entry.message_id, entry.conversation, entry.direction, entry.content,
                entry.direction === "outgoing" || entry.read);
          else if (entry.kind === "read") readConversation(entry.conversation);
          else if (entry.kind === "remove") delete state.history[entry.message_id];
          else if (entry.kind === "remove_conversation") removeConversation(entry.conversation);
        }
        break;
      case "message": add(result.message_id, result.sender, "incoming", result.content, false); break;
      case "outgoing_message": add(result.message_id, result.recipient, "outgoing", result.content, true); break;
      case "conversation_read": readConversation(result.conversation); break;
      case "message_removed": delete state.history[result.message_id]; break;
      case "conversation_removed": removeConversation(result.conversation); break;
      default: return false;
    }
    render();
    return result.event === "sync";
  };
}
