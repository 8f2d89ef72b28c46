#include "stox_address.hpp"
#include "xep0106.hpp"

#include <cctype>
#include <utility>

namespace sylk::xmpp {
namespace {

constexpr size_t kMaxUserBytes = 256;
constexpr size_t kMaxLocalBytes = 1023;
constexpr std::string_view kLocalForbidden = " \"&'/:<>@";

using xep0106::hexValue;
using xep0106::kEscapes;

std::string lower(std::string_view text) {
    std::string out(text);
    for (char& c : out)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

// RFC 3261 user part: unreserved, user-unreserved; everything else is %-escaped.
bool userSafe(unsigned char c) {
    return std::isalnum(c) || std::string_view("-_.!~*'()&=+$,;?/").find(static_cast<char>(c)) != std::string_view::npos;
}

std::optional<std::string> percentDecode(std::string_view text) {
    std::string out;
    for (size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '%') {
            out += text[i];
            continue;
        }
        if (i + 2 >= text.size())
            return std::nullopt;
        int high = hexValue(text[i + 1]);
        int low = hexValue(text[i + 2]);
        if (high < 0 || low < 0)
            return std::nullopt;
        out += static_cast<char>(high * 16 + low);
        i += 2;
    }
    return out;
}

// host [":" port]: a hostname (letters, digits, '-', '.'), an IPv4 address or [IPv6].
std::optional<std::string> readHostPort(std::string_view text) {
    if (text.empty() || text.size() > 255)
        return std::nullopt;
    size_t hostEnd;
    if (text.front() == '[') {
        hostEnd = text.find(']');
        if (hostEnd == std::string_view::npos || hostEnd < 3)
            return std::nullopt;
        for (char c : text.substr(1, hostEnd - 1)) {
            if (!std::isxdigit(static_cast<unsigned char>(c)) && c != ':' && c != '.')
                return std::nullopt;
        }
        ++hostEnd;
    } else {
        hostEnd = text.find(':');
        if (hostEnd == std::string_view::npos)
            hostEnd = text.size();
        if (hostEnd == 0)
            return std::nullopt;
        for (char c : text.substr(0, hostEnd)) {
            if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.')
                return std::nullopt;
        }
        if (text.front() == '.' || text.front() == '-')
            return std::nullopt;
    }
    std::string_view rest = text.substr(hostEnd);
    if (!rest.empty()) {
        if (rest.front() != ':' || rest.size() < 2 || rest.size() > 6)
            return std::nullopt;
        long port = 0;
        for (char c : rest.substr(1)) {
            if (!std::isdigit(static_cast<unsigned char>(c)))
                return std::nullopt;
            port = port * 10 + (c - '0');
        }
        if (port < 1 || port > 65535)
            return std::nullopt;
    }
    return lower(text);
}

std::string escapeLocal(std::string_view text) {
    std::string out;
    for (char c : text) {
        const char* escape = nullptr;
        for (const auto& [plain, code] : kEscapes)
            escape = plain == c ? code : escape;
        if (escape)
            out += escape;
        else
            out += c;
    }
    return out;
}

std::string unescapeLocal(std::string_view local) {
    std::string out;
    for (size_t i = 0; i < local.size(); ++i) {
        if (local[i] == '\\' && i + 2 < local.size()) {
            int high = hexValue(local[i + 1]);
            int low = hexValue(local[i + 2]);
            char decoded = high < 0 || low < 0 ? 0 : static_cast<char>(high * 16 + low);
            bool known = false;
            for (const auto& [plain, escape] : kEscapes)
                known = known || plain == decoded;
            if (known) {  // only the ten escapes decode; any other backslash is itself
                out += decoded;
                i += 2;
                continue;
            }
        }
        out += local[i];
    }
    return out;
}

std::optional<SipAddress> makeAddress(std::string_view user, std::string_view hostPort) {
    auto host = readHostPort(hostPort);
    if (user.empty() || user.size() > kMaxUserBytes || !printableUtf8(user) || !host)
        return std::nullopt;
    return SipAddress{std::string(user), *host};
}

}  // namespace

std::optional<SipAddress> parseSipAddress(std::string_view uri) {
    size_t open = uri.find('<');
    if (open != std::string_view::npos) {
        size_t close = uri.find('>', open);
        if (close == std::string_view::npos)
            return std::nullopt;
        uri = uri.substr(open + 1, close - open - 1);
    }
    while (!uri.empty() && (uri.front() == ' ' || uri.front() == '\t'))
        uri.remove_prefix(1);
    while (!uri.empty() && (uri.back() == ' ' || uri.back() == '\t'))
        uri.remove_suffix(1);
    std::string scheme = lower(uri.substr(0, 5));
    if (scheme.rfind("sip:", 0) == 0)
        uri.remove_prefix(4);
    else if (scheme == "sips:")
        uri.remove_prefix(5);
    else
        return std::nullopt;
    // A user part has no raw '@' (RFC 3261 escapes it) but may have ';' and '?': the first '@'
    // ends it, and parameters or headers start after the host.
    size_t at = uri.find('@');
    if (at == std::string_view::npos)
        return std::nullopt;
    std::string_view userPart = uri.substr(0, at);
    std::string_view hostPart = uri.substr(at + 1);
    size_t end = hostPart.find_first_of(";?");
    if (end != std::string_view::npos)
        hostPart = hostPart.substr(0, end);
    if (userPart.find(':') != std::string_view::npos)
        userPart = userPart.substr(0, userPart.find(':'));  // user:password: the password is dropped
    auto user = percentDecode(userPart);
    if (!user)
        return std::nullopt;
    return makeAddress(*user, hostPart);
}

std::string sipUri(const SipAddress& address) {
    static const char kHex[] = "0123456789ABCDEF";
    std::string uri = "sip:";
    for (char c : address.user) {
        auto byte = static_cast<unsigned char>(c);
        if (userSafe(byte)) {
            uri += c;
        } else {
            uri += '%';
            uri += kHex[byte >> 4];
            uri += kHex[byte & 15];
        }
    }
    return uri + "@" + address.hostPort;
}

std::string jidLocalOfSip(const SipAddress& address) {
    std::string local = escapeLocal(address.user + "@" + address.hostPort);
    return local.size() > kMaxLocalBytes ? "" : local;
}

std::optional<SipAddress> sipOfJidLocal(std::string_view local) {
    if (local.empty() || local.size() > kMaxLocalBytes)
        return std::nullopt;
    std::string text = unescapeLocal(local);
    size_t at = text.rfind('@');
    if (at == std::string::npos)
        return std::nullopt;
    return makeAddress(std::string_view(text).substr(0, at), std::string_view(text).substr(at + 1));
}

std::optional<SipAddress> sipOfXmppUser(const Jid& jid) {
    if (jid.local.empty())
        return std::nullopt;
    return makeAddress(jid.local, jid.domain);
}

std::optional<Jid> xmppUserOfSip(const SipAddress& address) {
    if (address.user.find_first_of(kLocalForbidden) != std::string::npos || address.user.size() > kMaxLocalBytes)
        return std::nullopt;
    std::string host = address.hostPort;
    if (host.front() != '[' && host.find(':') != std::string::npos)
        host = host.substr(0, host.find(':'));
    else if (host.front() == '[')
        host = host.substr(0, host.find(']') + 1);
    auto jid = Jid::parse(address.user + "@" + host);
    if (!jid || !jid->resource.empty())
        return std::nullopt;
    return jid;
}

}  // namespace sylk::xmpp
