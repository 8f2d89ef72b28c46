#include "occupant_nicks.hpp"

#include "muc_naming.hpp"

namespace sylk::xmpp {

const std::string& OccupantNicks::assign(const std::string& memberId, const std::string& display) {
    if (auto it = byMember_.find(memberId); it != byMember_.end())
        return it->second;
    // A display that cannot be a nickname (empty, control characters) is replaced by the
    // member id, which is printable by construction.
    std::string base = nickInvalidReason(display).empty() ? display : memberId;
    std::string nick = base;
    for (int n = 2; taken(nick); ++n)
        nick = base + " (" + std::to_string(n) + ")";
    byNick_[nick] = memberId;
    return byMember_[memberId] = nick;
}

bool OccupantNicks::claim(const std::string& memberId, const std::string& nick) {
    if (auto holder = byNick_.find(nick); holder != byNick_.end())
        return holder->second == memberId;
    release(memberId);
    byNick_[nick] = memberId;
    byMember_[memberId] = nick;
    return true;
}

void OccupantNicks::release(const std::string& memberId) {
    auto it = byMember_.find(memberId);
    if (it == byMember_.end())
        return;
    byNick_.erase(it->second);
    byMember_.erase(it);
}

std::string OccupantNicks::nickOf(const std::string& memberId) const {
    auto it = byMember_.find(memberId);
    return it == byMember_.end() ? "" : it->second;
}

std::optional<std::string> OccupantNicks::memberOf(const std::string& nick) const {
    auto it = byNick_.find(nick);
    if (it == byNick_.end())
        return std::nullopt;
    return it->second;
}

}  // namespace sylk::xmpp
