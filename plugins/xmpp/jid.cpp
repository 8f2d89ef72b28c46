#include "jid.hpp"

#include <glib.h>

namespace sylk::xmpp {
namespace {

constexpr size_t kMaxPart = 1023;  // RFC 7622 §3.1: each part at most 1023 bytes

bool validLocal(std::string_view local) {
    return !local.empty() && local.size() <= kMaxPart && printableUtf8(local) &&
           local.find_first_of(" \"&'/:<>@") == std::string_view::npos;
}

}  // namespace

bool printableUtf8(std::string_view text) {
    if (!g_utf8_validate(text.data(), static_cast<gssize>(text.size()), nullptr))
        return false;
    for (const char* p = text.data(); p < text.data() + text.size(); p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);
        if (g_unichar_iscntrl(c) || c == 0)
            return false;
    }
    return true;
}

std::string Jid::bare() const { return local.empty() ? domain : local + "@" + domain; }

std::string Jid::full() const { return resource.empty() ? bare() : bare() + "/" + resource; }

std::optional<Jid> Jid::parse(std::string_view text) {
    Jid jid;
    // The resource is everything after the first '/' (it may hold '@' and '/'), RFC 7622 §3.1.
    size_t slash = text.find('/');
    std::string_view address = text.substr(0, slash);
    if (slash != std::string_view::npos) {
        std::string_view resource = text.substr(slash + 1);
        if (resource.empty() || resource.size() > kMaxPart || !printableUtf8(resource))
            return std::nullopt;
        jid.resource = std::string(resource);
    }
    size_t at = address.find('@');
    std::string_view domain = address;
    if (at != std::string_view::npos) {
        std::string_view local = address.substr(0, at);
        if (!validLocal(local))
            return std::nullopt;
        jid.local = std::string(local);
        domain = address.substr(at + 1);
    }
    if (!domain.empty() && domain.back() == '.')  // RFC 7622 §3.2: a trailing dot is stripped
        domain.remove_suffix(1);
    // Every label of a domain has something in it (no leading dot, no "..", one trailing dot at most).
    if (domain.empty() || domain.size() > kMaxPart || !printableUtf8(domain) || domain.front() == '.' ||
        domain.back() == '.' || domain.find("..") != std::string_view::npos ||
        domain.find_first_of(" @/\"&'<>:") != std::string_view::npos)
        return std::nullopt;
    jid.domain.reserve(domain.size());
    for (char c : domain)
        jid.domain += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    return jid;
}

}  // namespace sylk::xmpp
