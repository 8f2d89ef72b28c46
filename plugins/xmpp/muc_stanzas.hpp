// The stanzas the MUC service sends, built as gloox::Tag trees (what Component::send takes):
// occupant presence (XEP-0045 §7.2), room and private messages, history with XEP-0203 delay,
// the subject, chat states (XEP-0085), stanza errors (RFC 6120 §8.3) and disco answers.
// Pure: the unit tests check exactly what goes on the wire.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "stanza_reader.hpp"

namespace gloox {
class Tag;
}

namespace sylk::xmpp {

using TagPtr = std::unique_ptr<gloox::Tag>;

struct OccupantPresence {
    std::string from;  // room@service/nick
    std::string to;    // the receiving occupant's full JID
    bool available = true;
    std::string affiliation = "none";
    std::string role = "participant";  // "none" when unavailable
    std::vector<int> statusCodes;      // 110 (self), 307 (kicked), 303 (new nickname), ...
    std::string newNick;               // unavailable with 303: the nickname taken (the role stays)
    std::string actorNick;             // a kick's moderator (<actor nick/>)
    std::string reason;                // a kick's reason
};
TagPtr occupantPresence(const OccupantPresence& presence);

// A message of type groupchat (to the room) or chat (private, with an empty muc#user <x/> as
// XEP-0045 §7.5 asks), with body and, when state is not None, a chat state.
struct RoomMessage {
    std::string type = "groupchat";
    std::string from;
    std::string to;
    std::string id;
    std::string body;  // none when empty and a state is given (a bare chat state)
    ChatState state = ChatState::None;
};
TagPtr roomMessage(const RoomMessage& message);
// A message of the room's history: a groupchat with <delay stamp from=room/> (XEP-0045 §7.2.15).
TagPtr historyMessage(const RoomMessage& message, int64_t stampMs, const std::string& roomJid);
// A mediated invitation from the room to the invitee (XEP-0045 §7.8.2): <x muc#user><invite
// from=inviter><reason/></invite></x>.
TagPtr invitationMessage(const std::string& roomJid, const std::string& to, const std::string& inviter,
                         const std::string& reason);
// The subject, which ends the join (XEP-0045 §7.2.16); empty: the room has none.
TagPtr subjectMessage(const std::string& roomJid, const std::string& to, const std::string& subject);

// The error reply to stanza: to and from swapped, same id, type error, <error type=...> with
// the defined condition (RFC 6120 §8.3.3) and an optional text. A presence error carries the
// MUC <x/> back, as XEP-0045's join errors do.
TagPtr errorReply(const gloox::Tag& stanza, const std::string& errorType, const std::string& condition,
                  const std::string& text = "");
// An empty iq result to iq.
TagPtr iqResult(const gloox::Tag& iq);

struct DiscoIdentity {
    std::string category, type, name;
};
TagPtr discoInfoResult(const gloox::Tag& iq, const std::vector<DiscoIdentity>& identities,
                       const std::vector<std::string>& features);
// items: (jid, name)
TagPtr discoItemsResult(const gloox::Tag& iq, const std::vector<std::pair<std::string, std::string>>& items);

// One stanza for many recipients as wire text (a room's fan-out): the stanza is serialised once,
// without `to`, and each copy is that text with the recipient's escaped `to` spliced in after
// the element name, so N copies cost one serialisation plus N short appends, and they can go
// to the server in one write. stanza must have no `to` (build it with an empty one).
std::string unaddressedText(const gloox::Tag& stanza);
// Appends unaddressed (from unaddressedText) addressed to `to` (escaped here) to out.
void appendAddressed(std::string& out, const std::string& unaddressed, const std::string& to);
// How a multicast stanza lists its recipients: XEP-0033 bcc <address/> elements, or
// mod_sylk_multicast's recipients' list (xmpp_namespaces.hpp kRecipientList), when offered.
enum class MulticastFormat { Addresses, RecipientList };

// Appends unaddressed as one multicast stanza to out: addressed to the server's multicast
// service, the recipients (escaped here) in an element that ends its children, for the server
// to make the copies (mod_sylk_multicast strips it): XEP-0033 bcc addresses in <addresses/>,
// or their JIDs one a line in <recipients xmlns='urn:sylk:multicast:0'/>.
void appendMulticast(std::string& out, const std::string& unaddressed, const std::string& service,
                     const std::vector<const std::string*>& recipients,
                     MulticastFormat format = MulticastFormat::Addresses);

// XEP-0082 date-time, UTC with milliseconds: 2026-12-04T21:53:37.123Z.
std::string xmppTimestamp(int64_t ms);

}  // namespace sylk::xmpp
