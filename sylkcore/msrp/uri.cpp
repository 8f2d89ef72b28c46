#include "uri.hpp"

#include <cctype>

#include "parse_error.hpp"
#include "text.hpp"

namespace sylk::msrp {

namespace {

bool isUnreserved(char c) { return text::isAlnum(c) || c == '-' || c == '.' || c == '_' || c == '~'; }
bool isSubDelim(char c) {
    return c == '!' || c == '$' || c == '&' || c == '\'' || c == '(' || c == ')' || c == '*' || c == '+' || c == ',' ||
           c == ';' || c == '=';
}
// RFC 3261's token, what URI parameters are made of.
bool isTokenChar(char c) {
    return text::isAlnum(c) || c == '-' || c == '.' || c == '!' || c == '%' || c == '*' || c == '_' || c == '+' ||
           c == '`' || c == '\'' || c == '~';
}

[[noreturn]] void bad(std::string_view uri, const char* why) {
    throw ParseError("not an MSRP URI (" + std::string(why) + "): " + std::string(uri.substr(0, 200)));
}

}  // namespace

Uri Uri::parse(std::string_view input) {
    Uri uri;
    std::string_view rest = input;
    auto schemeEnd = rest.find("://");
    if (schemeEnd == std::string_view::npos)
        bad(input, "no scheme");
    std::string_view scheme = rest.substr(0, schemeEnd);
    if (text::equalsIgnoringCase(scheme, "msrps"))
        uri.secure = true;
    else if (!text::equalsIgnoringCase(scheme, "msrp"))
        bad(input, "scheme");
    rest.remove_prefix(schemeEnd + 3);

    size_t authorityEnd = rest.find_first_of("/;");
    if (authorityEnd == std::string_view::npos)
        bad(input, "no transport");
    std::string_view authority = rest.substr(0, authorityEnd);
    rest.remove_prefix(authorityEnd);
    auto at = authority.rfind('@');
    if (at != std::string_view::npos) {
        std::string_view user = authority.substr(0, at);
        for (char c : user) {
            if (!isUnreserved(c) && !isSubDelim(c) && c != '%' && c != ':')
                bad(input, "userinfo");
        }
        uri.user = std::string(user);
        authority.remove_prefix(at + 1);
    }
    std::string_view port;
    if (!authority.empty() && authority.front() == '[') {
        auto close = authority.find(']');
        if (close == std::string_view::npos || close < 3)
            bad(input, "IPv6 literal");
        std::string_view literal = authority.substr(1, close - 1);
        for (char c : literal) {
            if (!std::isxdigit(static_cast<unsigned char>(c)) && c != ':' && c != '.')
                bad(input, "IPv6 literal");
        }
        uri.host = std::string(literal);
        authority.remove_prefix(close + 1);
        if (!authority.empty()) {
            if (authority.front() != ':')
                bad(input, "after the IPv6 literal");
            port = authority.substr(1);
            if (port.empty())
                bad(input, "empty port");
        }
    } else {
        auto colon = authority.find(':');
        std::string_view host = authority.substr(0, colon);
        if (host.empty())
            bad(input, "no host");
        for (char c : host) {
            if (!isUnreserved(c) && c != '%')
                bad(input, "host");
        }
        uri.host = std::string(host);
        if (colon != std::string_view::npos) {
            port = authority.substr(colon + 1);
            if (port.empty())
                bad(input, "empty port");
        }
    }
    if (!port.empty()) {
        auto number = text::decimal(port);
        if (!number || *number == 0 || *number > 65535 || port.size() > 5)
            bad(input, "port");
        uri.port = static_cast<uint16_t>(*number);
    }

    if (!rest.empty() && rest.front() == '/') {
        rest.remove_prefix(1);
        size_t end = rest.find(';');
        if (end == std::string_view::npos)
            bad(input, "no transport");
        std::string_view id = rest.substr(0, end);
        if (id.empty())
            bad(input, "empty session id");
        for (char c : id) {
            if (!isUnreserved(c) && c != '+' && c != '=' && c != '/' && c != '%')
                bad(input, "session id");
        }
        uri.sessionId = std::string(id);
        rest.remove_prefix(end);
    }
    // ";" transport *( ";" URI-parameter )
    if (rest.empty() || rest.front() != ';')
        bad(input, "no transport");
    rest.remove_prefix(1);
    size_t end = rest.find(';');
    std::string_view transport = rest.substr(0, end);
    if (transport.empty())
        bad(input, "empty transport");
    for (char c : transport) {
        if (!text::isAlnum(c))
            bad(input, "transport");
    }
    uri.transport = text::lowered(transport);
    rest.remove_prefix(end == std::string_view::npos ? rest.size() : end);
    if (!rest.empty()) {
        // Each ";name[=value]" of tokens.
        std::string_view params = rest;
        while (!params.empty()) {
            params.remove_prefix(1);  // ';'
            size_t next = params.find(';');
            std::string_view param = params.substr(0, next);
            auto equals = param.find('=');
            std::string_view name = param.substr(0, equals);
            if (name.empty())
                bad(input, "empty parameter");
            for (char c : name) {
                if (!isTokenChar(c))
                    bad(input, "parameter");
            }
            if (equals != std::string_view::npos) {
                std::string_view value = param.substr(equals + 1);
                if (value.empty())
                    bad(input, "empty parameter value");
                for (char c : value) {
                    if (!isTokenChar(c))
                        bad(input, "parameter value");
                }
            }
            params.remove_prefix(next == std::string_view::npos ? params.size() : next);
        }
        uri.parameters = std::string(rest);
    }
    return uri;
}

std::vector<Uri> Uri::parsePath(std::string_view input) {
    std::vector<Uri> path;
    std::string_view rest = input;
    while (true) {
        while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t'))
            rest.remove_prefix(1);
        if (rest.empty())
            break;
        size_t end = rest.find_first_of(" \t");
        path.push_back(parse(rest.substr(0, end)));
        rest.remove_prefix(end == std::string_view::npos ? rest.size() : end);
    }
    if (path.empty())
        throw ParseError("an empty MSRP path");
    return path;
}

std::string Uri::pathString(const std::vector<Uri>& path) {
    std::string out;
    for (const auto& uri : path) {
        if (!out.empty())
            out += ' ';
        out += uri.str();
    }
    return out;
}

std::string Uri::str() const {
    std::string out = secure ? "msrps://" : "msrp://";
    if (!user.empty())
        out += user + "@";
    out += host.find(':') != std::string::npos ? "[" + host + "]" : host;
    if (port)
        out += ":" + std::to_string(port);
    if (!sessionId.empty())
        out += "/" + sessionId;
    out += ";" + transport + parameters;
    return out;
}

std::string Uri::hostPort() const {
    std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
    return h + ":" + std::to_string(portOrDefault());
}

bool Uri::operator==(const Uri& other) const {
    return secure == other.secure && text::equalsIgnoringCase(host, other.host) && port == other.port &&
           sessionId == other.sessionId && text::equalsIgnoringCase(transport, other.transport);
}

}  // namespace sylk::msrp
