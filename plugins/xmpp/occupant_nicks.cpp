#include "occupant_nicks.hpp"

#include "muc_naming.hpp"

namespace sylk::xmpp {

namespace {

// base with " (n)" (n >= 2) after it, base cut (at a character boundary) so that the whole
// stays a valid nickname's length.
std::string numbered(const std::string& base, int n) {
    std::string suffix = n < 2 ? "" : " (" + std::to_string(n) + ")";
    size_t room = kMaxNickBytes - suffix.size();
    if (base.size() <= room)
        return base + suffix;
    size_t cut = room;
    while (cut > 0 && (static_cast<unsigned char>(base[cut]) & 0xC0) == 0x80)
        --cut;
    return base.substr(0, cut) + suffix;
}

}  // namespace

const std::string& OccupantNicks::assign(const std::string& memberId, const std::string& display) {
    if (auto it = byMember_.find(memberId); it != byMember_.end())
        return it->second;
    // A display that cannot be a nickname (empty, control characters) is replaced by the
    // member id, which is printable by construction; a long one is cut to fit its number.
    std::string base = nickInvalidReason(display).empty() ? display : memberId;
    std::string nick = numbered(base, 1);
    for (int n = 2; taken(nick) || !nickInvalidReason(nick).empty(); ++n) {
        nick = numbered(base, n);
        if (!nickInvalidReason(nick).empty())  // a cut left only white space: the member id then
            nick = numbered(memberId, n);
    }
    byNick_[nick] = memberId;
    displays_[memberId] = display;
    return byMember_[memberId] = nick;
}

bool OccupantNicks::claim(const std::string& memberId, const std::string& nick) {
    if (auto holder = byNick_.find(nick); holder != byNick_.end())
        return holder->second == memberId;
    release(memberId);
    byNick_[nick] = memberId;
    byMember_[memberId] = nick;
    displays_[memberId] = nick;
    return true;
}

void OccupantNicks::release(const std::string& memberId) {
    auto it = byMember_.find(memberId);
    if (it == byMember_.end())
        return;
    byNick_.erase(it->second);
    byMember_.erase(it);
    displays_.erase(memberId);
}

std::string OccupantNicks::nickOf(const std::string& memberId) const {
    auto it = byMember_.find(memberId);
    return it == byMember_.end() ? "" : it->second;
}

std::string OccupantNicks::displayOf(const std::string& memberId) const {
    auto it = displays_.find(memberId);
    return it == displays_.end() ? "" : it->second;
}

std::optional<std::string> OccupantNicks::memberOf(const std::string& nick) const {
    auto it = byNick_.find(nick);
    if (it == byNick_.end())
        return std::nullopt;
    return it->second;
}

}  // namespace sylk::xmpp
