// How XMPP room addresses and nicknames map to hub rooms and back.
//
// A room JID's local part names the hub room. Room names that hold characters a JID local part
// cannot (a SIP-style "team@example.com", spaces) are written with XEP-0106 escapes
// (team\40example.com), so every hub room can be reached from XMPP and listed by disco#items.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace sylk::xmpp {

// The hub room a room JID's local part names (XEP-0106 unescaped), or nullopt when it names
// none: empty, or longer than a room name may be (256 bytes, as the other plugins' requests).
std::optional<std::string> roomFromLocal(std::string_view local);
// The local part of the room JID for a hub room (XEP-0106 escaped); "" when the room's name
// cannot be one (control characters, over 1023 bytes escaped).
std::string localFromRoom(std::string_view room);
inline constexpr size_t kMaxNickBytes = 256;

// Why a nickname (a room JID's resource) cannot be used, or "" if it can: empty, over 256
// bytes, control characters, not UTF-8, or only white space.
std::string nickInvalidReason(std::string_view nick);

}  // namespace sylk::xmpp
