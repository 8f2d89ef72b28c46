// The nicknames of one room's chat (RFC 7701): who holds which, unique in the room without
// regard to case (Unicode case folding, so "Ali" and "ALI" are one nickname). The msrp switch
// checks a NICKNAME against it and fills it from every plugin's hub `nickname` events. Pure.
#pragma once

#include <map>
#include <optional>
#include <string>

namespace sylk::msrp_plugin {

class NicknameRegistry {
public:
    static constexpr size_t kMaxBytes = 256;

    // Why a nickname is not acceptable as such (empty, too long, not UTF-8, control
    // characters), or "" when it is.
    static std::string invalidReason(const std::string& nickname);

    // Gives member this nickname unless another member holds it: false then (425). A member
    // taking a new nickname frees its old one.
    bool claim(const std::string& member, const std::string& nickname);
    // Records what another plugin announced (its own check was made there): the hub's word wins.
    void record(const std::string& member, const std::string& nickname);
    void forget(const std::string& member);

    // member's nickname, or "".
    std::string of(const std::string& member) const;
    // Who holds nickname (any case), or nullopt.
    std::optional<std::string> holder(const std::string& nickname) const;
    size_t size() const { return byMember_.size(); }

private:
    static std::string fold(const std::string& nickname);

    std::map<std::string, std::string> byMember_;  // member id -> nickname as given
    std::map<std::string, std::string> byFolded_;  // folded nickname -> member id
};

}  // namespace sylk::msrp_plugin
