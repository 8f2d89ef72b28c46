// One row of an account's message journal (docs/message-store.md). The journal is append-only
// as seen by a syncing device: a message, and every later change to it or its conversation
// (an IMDN state, a read mark, a removal), is an entry with the next sequence number, so a
// device that asks "everything after N" learns what happened while it was away.
#pragma once

#include <cstdint>
#include <string>

namespace sylk::store {

namespace kind {
inline constexpr char kMessage[] = "message";                         // a message to or from the account
inline constexpr char kState[] = "state";                             // an IMDN: message_id now `state`
inline constexpr char kRead[] = "read";                               // the conversation was read
inline constexpr char kRemove[] = "remove";                           // message_id was removed
inline constexpr char kRemoveConversation[] = "remove_conversation";  // the conversation was removed
// A call of the account (issue 16: call history on every device): message_id names the call,
// conversation is the peer, direction "incoming"/"outgoing", state "answered", "missed",
// "declined" or "unanswered", the time its start; content (application/vnd.sylk.call+json)
// holds its duration, end code and reason.
inline constexpr char kCall[] = "call";
}  // namespace kind

struct JournalEntry {
    int64_t seq = 0;             // given by the store, increasing per journal
    std::string account;         // the gateway account's address, sip:alice@example.com
    std::string kind;            // one of kind::
    std::string messageId;       // message, state, remove: the message; read, remove_conversation: ""
    std::string conversation;    // the peer's address
    std::string direction;       // message: "incoming" or "outgoing"
    std::string contentType;
    std::string content;
    std::string state;           // message: its current state ("received", "sent", "delivered",
                                 // "displayed"); state: the new one
    bool read = false;           // message: the conversation was marked read after it
    int64_t timestampUs = 0;     // when it happened (microseconds since 1970)
};

// What append() did with one entry.
struct AppendResult {
    int64_t seq = 0;             // the entry's sequence number (the existing one for a duplicate)
    bool duplicate = false;      // the same message (or the same state of it) was already stored
};

}  // namespace sylk::store
