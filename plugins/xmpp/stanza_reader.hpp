// What the MUC service reads from a stanza the server routed to us: pure functions over a
// gloox::Tag, so the unit tests and the fuzz target run exactly what the plugin runs. Nothing
// here throws; what cannot be read is reported as such (an absent or malformed address, an
// unknown chat state) and the service answers it with a stanza error.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "jid.hpp"

namespace gloox {
class Tag;
}

namespace sylk::xmpp {

// XEP-0085 chat states.
enum class ChatState { None, Active, Composing, Paused, Inactive, Gone };
const char* chatStateName(ChatState state);  // "" for None

struct StanzaHeader {
    std::string name;  // presence, message, iq (anything else is not a stanza)
    std::string type;
    std::string id;
    std::optional<Jid> from;  // nullopt: absent or malformed
    std::optional<Jid> to;
    bool fromPresent = false;  // there was a from attribute (malformed if from is nullopt)
    bool toPresent = false;
};
StanzaHeader readHeader(const gloox::Tag& stanza);

// A presence to a room JID.
struct PresenceRead {
    bool mucJoin = false;                 // has <x xmlns='http://jabber.org/protocol/muc'/>
    std::optional<size_t> maxStanzas;     // <history maxstanzas='N'/>, when given and a number
    std::optional<size_t> maxChars;       // maxchars='N': 0 asks for no history (XEP-0045 §7.2.15)
    std::optional<size_t> seconds;        // seconds='N': only what was said in the last N seconds
    bool badHistory = false;              // a history attribute we cannot read ('since' is not read)
    std::string password;                 // <password/> (XEP-0045 §7.2.6): the room's PIN
};
PresenceRead readPresence(const gloox::Tag& presence);

struct MessageRead {
    std::optional<std::string> body;  // the first <body/> without xml:lang or in any language
    bool subject = false;             // sets a subject
    ChatState state = ChatState::None;
    bool invite = false;              // a mediated invitation (<x muc#user><invite/>)
    std::vector<std::string> inviteTo;  // each <invite to=.../> (XEP-0045 §7.8.2), as written
    std::string inviteReason;           // the first invite's <reason/>
};
MessageRead readMessage(const gloox::Tag& message);

// An iq get/set: its one payload element.
struct IqRead {
    std::string payload;    // element name of the payload ("query", "ping", ...); "" if none
    std::string xmlns;      // its namespace
    std::string node;       // a disco query's node attribute
    size_t payloads = 0;    // an iq get/set has exactly one (RFC 6120 §8.2.3)
};
IqRead readIq(const gloox::Tag& iq);

// A muc#admin query (XEP-0045 §8-§10): the first <item/>'s attributes and reason, and how many
// items there were (we act on one at a time).
struct AdminRead {
    size_t items = 0;
    std::string nick;         // the occupant it is about (role changes)
    std::string role;         // "none" is a kick (§8.2)
    std::string affiliation;  // bans and affiliation changes (§9-§10)
    std::string jid;
    std::string reason;       // <reason/>'s text
};
AdminRead readAdmin(const gloox::Tag& iq);

// A disco#info result (XEP-0030): whether its <query/> lists <feature var='feature'/>.
bool discoInfoHasFeature(const gloox::Tag& iq, const std::string& feature);

// The decimal number text is, if it is one of at most 9 digits.
std::optional<size_t> readCount(const std::string& text);

}  // namespace sylk::xmpp
