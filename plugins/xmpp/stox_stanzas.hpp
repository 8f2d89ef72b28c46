// What the SIP users' domain reads from and writes into 1:1 chat stanzas (RFC 7572): the body,
// a chat state (XEP-0085), delivery receipts (XEP-0184) and chat markers (XEP-0333), and the
// defined condition of an error the server bounced. Pure, fuzzed with the stanza target.
#pragma once

#include <memory>
#include <string>

#include "stanza_reader.hpp"

namespace gloox {
class Tag;
}

namespace sylk::xmpp {

namespace ns {
inline constexpr char kReceipts[] = "urn:xmpp:receipts";          // XEP-0184
inline constexpr char kMarkers[] = "urn:xmpp:chat-markers:0";     // XEP-0333
}  // namespace ns

struct ChatRead {
    MessageRead message;          // body, chat state
    bool receiptRequest = false;  // <request xmlns='urn:xmpp:receipts'/>
    bool markable = false;        // <markable xmlns='urn:xmpp:chat-markers:0'/>
    std::string receivedId;       // <received id=.../> (XEP-0184) or <received/> marker
    std::string displayedId;      // <displayed id=.../> (XEP-0333)
};
ChatRead readChat(const gloox::Tag& message);

// The defined condition of an error stanza's <error/>, or "" if it names none.
std::string errorCondition(const gloox::Tag& stanza);

// A type='chat' message from a SIP user. Empty body and a state: a bare chat state; a
// receipt/displayed id: a bare receipt or marker.
struct ChatMessage {
    std::string from, to, id;
    std::string body;
    ChatState state = ChatState::None;
    bool requestReceipt = false;  // asks for XEP-0184 receipts and is XEP-0333 markable
    std::string receivedId;
    std::string displayedId;
};
std::unique_ptr<gloox::Tag> chatMessage(const ChatMessage& message);

}  // namespace sylk::xmpp
