#include "digest_challenge.hpp"

#include <glib.h>

#include <cstdio>

#include "parse_error.hpp"
#include "text.hpp"

namespace sylk::msrp {

namespace {

std::string md5Hex(const std::string& input) {
    gchar* digest = g_compute_checksum_for_string(G_CHECKSUM_MD5, input.data(), static_cast<gssize>(input.size()));
    std::string hex(digest);
    g_free(digest);
    return hex;
}

bool isTokenChar(char c) {
    return text::isAlnum(c) || c == '-' || c == '_' || c == '.' || c == '!' || c == '%' || c == '*' || c == '+' ||
           c == '`' || c == '\'' || c == '~';
}

// One auth-param value: a quoted-string (backslash escapes undone) or a token.
std::string readValue(std::string_view& rest) {
    if (!rest.empty() && rest.front() == '"') {
        std::string value;
        size_t i = 1;
        for (; i < rest.size() && rest[i] != '"'; ++i) {
            if (rest[i] == '\\' && i + 1 < rest.size())
                ++i;
            value += rest[i];
        }
        if (i >= rest.size())
            throw ParseError("digest challenge: unterminated quoted string");
        rest.remove_prefix(i + 1);
        return value;
    }
    size_t i = 0;
    while (i < rest.size() && isTokenChar(rest[i]))
        ++i;
    if (i == 0)
        throw ParseError("digest challenge: a parameter without a value");
    std::string value(rest.substr(0, i));
    rest.remove_prefix(i);
    return value;
}

std::vector<std::string> splitQop(const std::string& value) {
    std::vector<std::string> values;
    std::string current;
    for (char c : value + ",") {
        if (c == ',') {
            auto trimmed = text::trimmed(current);
            if (!trimmed.empty())
                values.push_back(text::lowered(trimmed));
            current.clear();
        } else {
            current += c;
        }
    }
    return values;
}

// A quoted-string for a header we write: the values come from the relay or our configuration.
std::string quoted(const std::string& value) {
    std::string out = "\"";
    for (char c : value) {
        if (c == '"' || c == '\\')
            out += '\\';
        out += c;
    }
    return out + "\"";
}

}  // namespace

DigestChallenge DigestChallenge::parse(std::string_view header) {
    std::string_view rest = text::trimmed(header);
    constexpr std::string_view scheme = "digest";
    if (rest.size() <= scheme.size() || !text::equalsIgnoringCase(rest.substr(0, scheme.size()), scheme) ||
        (rest[scheme.size()] != ' ' && rest[scheme.size()] != '\t'))
        throw ParseError("not a Digest challenge");
    rest.remove_prefix(scheme.size());
    DigestChallenge challenge;
    bool haveRealm = false;
    bool haveNonce = false;
    while (true) {
        rest = text::trimmed(rest);
        while (!rest.empty() && rest.front() == ',')
            rest = text::trimmed(rest.substr(1));
        if (rest.empty())
            break;
        size_t nameEnd = 0;
        while (nameEnd < rest.size() && isTokenChar(rest[nameEnd]))
            ++nameEnd;
        if (nameEnd == 0)
            throw ParseError("digest challenge: a parameter without a name");
        std::string name = text::lowered(rest.substr(0, nameEnd));
        rest = text::trimmed(rest.substr(nameEnd));
        if (rest.empty() || rest.front() != '=')
            throw ParseError("digest challenge: parameter " + name + " without '='");
        rest = text::trimmed(rest.substr(1));
        std::string value = readValue(rest);
        if (name == "realm") {
            challenge.realm = value;
            haveRealm = true;
        } else if (name == "nonce") {
            challenge.nonce = value;
            haveNonce = true;
        } else if (name == "opaque") {
            challenge.opaque = value;
        } else if (name == "algorithm") {
            challenge.algorithm = value;
        } else if (name == "qop") {
            challenge.qop = splitQop(value);
        } else if (name == "stale") {
            challenge.stale = text::equalsIgnoringCase(value, "true");
        }  // domain and extension parameters do not change our answer
        rest = text::trimmed(rest);
        if (!rest.empty() && rest.front() != ',')
            throw ParseError("digest challenge: parameters not separated by ','");
    }
    if (!haveRealm || !haveNonce || challenge.nonce.empty())
        throw ParseError("digest challenge without realm or nonce");
    return challenge;
}

bool DigestChallenge::supported() const {
    if (!algorithm.empty() && !text::equalsIgnoringCase(algorithm, "MD5"))
        return false;
    if (qop.empty())
        return true;
    for (const auto& value : qop) {
        if (value == "auth")
            return true;
    }
    return false;
}

std::string DigestChallenge::response(const std::string& username, const std::string& realm,
                                      const std::string& password, const std::string& method, const std::string& uri,
                                      const std::string& nonce, const std::string& qop, const std::string& nonceCount,
                                      const std::string& cnonce) {
    std::string ha1 = md5Hex(username + ":" + realm + ":" + password);
    std::string ha2 = md5Hex(method + ":" + uri);
    if (qop.empty())
        return md5Hex(ha1 + ":" + nonce + ":" + ha2);
    return md5Hex(ha1 + ":" + nonce + ":" + nonceCount + ":" + cnonce + ":" + qop + ":" + ha2);
}

std::string DigestChallenge::authorization(const std::string& username, const std::string& password,
                                           const std::string& method, const std::string& uri,
                                           const std::string& cnonce, unsigned nonceCount) const {
    bool withQop = !qop.empty();
    char count[9];
    std::snprintf(count, sizeof count, "%08x", nonceCount);
    std::string digest =
        response(username, realm, password, method, uri, nonce, withQop ? "auth" : "", count, cnonce);
    std::string value = "Digest username=" + quoted(username) + ", realm=" + quoted(realm) +
                        ", nonce=" + quoted(nonce) + ", uri=" + quoted(uri) + ", response=" + quoted(digest) +
                        ", algorithm=MD5";
    if (withQop)
        value += ", qop=auth, nc=" + std::string(count) + ", cnonce=" + quoted(cnonce);
    if (!opaque.empty())
        value += ", opaque=" + quoted(opaque);
    return value;
}

}  // namespace sylk::msrp
