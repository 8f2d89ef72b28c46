// The nicknames of one room's occupants as XMPP sees them: every hub member of the room (web
// users, phones, MSRP clients, XMPP users) has exactly one, unique in the room (XEP-0045 names
// occupants by room@service/nick, so two members with the same display need two names).
// - A member of another plugin gets its display, or "display (2)", "(3)"... when taken; a
//   member without a display its member id.
// - An XMPP user asks for an exact nickname: refused (409) when any member holds it.
// - A member of another plugin whose display changes is released and assigned again (the room
//   shows it as a nickname change).
// Nicknames compare exactly, as the server compares JID resources (after its own preparation).
#pragma once

#include <map>
#include <optional>
#include <string>

namespace sylk::xmpp {

class OccupantNicks {
public:
    // The member's nickname, made from display (unique); the one it has if it is known.
    const std::string& assign(const std::string& memberId, const std::string& display);
    // The exact nickname for the member; false when another member holds it.
    bool claim(const std::string& memberId, const std::string& nick);
    // Forgets the member; its nickname is free again.
    void release(const std::string& memberId);

    // "" if the member is unknown.
    std::string nickOf(const std::string& memberId) const;
    // The display the member's nickname was made from (its nickname for an XMPP user); "" if unknown.
    std::string displayOf(const std::string& memberId) const;
    std::optional<std::string> memberOf(const std::string& nick) const;
    bool taken(const std::string& nick) const { return byNick_.count(nick) != 0; }
    size_t size() const { return byMember_.size(); }
    const std::map<std::string, std::string>& byMember() const { return byMember_; }

private:
    std::map<std::string, std::string> byMember_;  // member id -> nick
    std::map<std::string, std::string> byNick_;    // nick -> member id
    std::map<std::string, std::string> displays_;  // member id -> the display its nick was made from
};

}  // namespace sylk::xmpp
