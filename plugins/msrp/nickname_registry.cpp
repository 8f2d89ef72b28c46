#include "nickname_registry.hpp"

#include <glib.h>

#include <memory>

namespace sylk::msrp_plugin {

std::string NicknameRegistry::invalidReason(const std::string& nickname) {
    if (nickname.empty())
        return "the nickname is empty";
    if (nickname.size() > kMaxBytes)
        return "the nickname is longer than " + std::to_string(kMaxBytes) + " bytes";
    if (!g_utf8_validate(nickname.data(), static_cast<gssize>(nickname.size()), nullptr))
        return "the nickname is not UTF-8";
    for (unsigned char c : nickname) {
        if (c < 0x20 || c == 0x7f)
            return "the nickname has control characters";
    }
    return "";
}

std::string NicknameRegistry::fold(const std::string& nickname) {
    // Normalized first, so that composed and decomposed forms of one name are one nickname.
    std::unique_ptr<gchar, decltype(&g_free)> normal(
        g_utf8_normalize(nickname.data(), static_cast<gssize>(nickname.size()), G_NORMALIZE_DEFAULT), g_free);
    if (!normal)
        return nickname;  // not UTF-8: compared as bytes (invalidReason refuses such names anyway)
    std::unique_ptr<gchar, decltype(&g_free)> folded(g_utf8_casefold(normal.get(), -1), g_free);
    return folded ? std::string(folded.get()) : nickname;
}

bool NicknameRegistry::claim(const std::string& member, const std::string& nickname) {
    auto owner = holder(nickname);
    if (owner && *owner != member)
        return false;
    record(member, nickname);
    return true;
}

void NicknameRegistry::record(const std::string& member, const std::string& nickname) {
    forget(member);
    std::string folded = fold(nickname);
    auto previous = byFolded_.find(folded);
    if (previous != byFolded_.end())
        byMember_.erase(previous->second);  // announced elsewhere meanwhile: the newest holds it
    byFolded_[folded] = member;
    byMember_[member] = nickname;
}

void NicknameRegistry::forget(const std::string& member) {
    auto it = byMember_.find(member);
    if (it == byMember_.end())
        return;
    byFolded_.erase(fold(it->second));
    byMember_.erase(it);
}

std::string NicknameRegistry::of(const std::string& member) const {
    auto it = byMember_.find(member);
    return it == byMember_.end() ? "" : it->second;
}

std::optional<std::string> NicknameRegistry::holder(const std::string& nickname) const {
    auto it = byFolded_.find(fold(nickname));
    if (it == byFolded_.end())
        return std::nullopt;
    return it->second;
}

}  // namespace sylk::msrp_plugin
