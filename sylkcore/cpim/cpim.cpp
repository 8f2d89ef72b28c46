#include "cpim.hpp"

#include <cctype>
#include <cstring>
#include <ctime>

namespace sylk::cpim {
namespace {

constexpr size_t kMaxHeaders = 64;

bool sameName(const std::string& a, const std::string& b) {
    if (a.size() != b.size())
        return false;
    for (size_t i = 0; i < a.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
            return false;
    }
    return true;
}

std::string trim(const std::string& text) {
    size_t begin = text.find_first_not_of(" \t");
    if (begin == std::string::npos)
        return "";
    size_t end = text.find_last_not_of(" \t");
    return text.substr(begin, end - begin + 1);
}

// Reads header lines up to a blank line from at; false on a malformed line or too many.
bool readHeaders(const std::string& text, size_t& at, std::vector<std::pair<std::string, std::string>>& out,
                 std::string* reason) {
    for (;;) {
        if (at >= text.size()) {
            if (reason)
                *reason = "no blank line after the headers";
            return false;
        }
        size_t end = text.find('\n', at);
        if (end == std::string::npos)
            end = text.size();
        std::string line = text.substr(at, end - at);
        at = end + 1;
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        if (line.empty())
            return true;
        size_t colon = line.find(':');
        if (colon == std::string::npos || colon == 0 || out.size() >= kMaxHeaders) {
            if (reason)
                *reason = out.size() >= kMaxHeaders ? "too many headers" : "a header line without a name";
            return false;
        }
        for (unsigned char c : line) {
            if (c < 0x20 && c != '\t') {
                if (reason)
                    *reason = "control characters in a header";
                return false;
            }
        }
        std::string name = trim(line.substr(0, colon));
        if (name.empty()) {
            if (reason)
                *reason = "a header line without a name";
            return false;
        }
        // RFC 3862 §3.4: a name is a token, with an optional "prefix." of the same kind.
        for (unsigned char c : name) {
            if (!std::isalnum(c) && !std::strchr("-._!%*+`'~", c)) {
                if (reason)
                    *reason = "a header name that is not a token";
                return false;
            }
        }
        out.emplace_back(std::move(name), trim(line.substr(colon + 1)));
    }
}

}  // namespace

std::string CpimMessage::header(const std::string& name) const {
    for (const auto& [key, value] : headers) {
        if (sameName(key, name))
            return value;
    }
    return "";
}

std::string buildCpim(const CpimMessage& message) {
    std::string text;
    if (!message.from.empty())
        text += "From: " + message.from + "\r\n";
    if (!message.to.empty())
        text += "To: " + message.to + "\r\n";
    if (!message.dateTime.empty())
        text += "DateTime: " + message.dateTime + "\r\n";
    for (const auto& [name, value] : message.headers)
        text += name + ": " + value + "\r\n";
    text += "\r\nContent-Type: " + message.contentType + "\r\n";
    if (!message.contentDisposition.empty())
        text += "Content-Disposition: " + message.contentDisposition + "\r\n";
    text += "\r\n" + message.body;
    return text;
}

std::optional<CpimMessage> parseCpim(const std::string& text, std::string* reason, size_t maxBytes) {
    if (text.size() > maxBytes) {
        if (reason)
            *reason = "CPIM larger than " + std::to_string(maxBytes) + " bytes";
        return std::nullopt;
    }
    size_t at = 0;
    std::vector<std::pair<std::string, std::string>> envelope;
    std::vector<std::pair<std::string, std::string>> mime;
    if (!readHeaders(text, at, envelope, reason) || !readHeaders(text, at, mime, reason))
        return std::nullopt;
    CpimMessage message;
    for (auto& [name, value] : envelope) {
        if (sameName(name, "From"))
            message.from = value;
        else if (sameName(name, "To")) {
            message.to = value;
            message.recipients.push_back(value);
        }
        else if (sameName(name, "DateTime"))
            message.dateTime = value;
        else
            message.headers.emplace_back(std::move(name), std::move(value));
    }
    for (const auto& [name, value] : mime) {
        if (sameName(name, "Content-Type"))
            message.contentType = value;
        else if (sameName(name, "Content-Disposition"))
            message.contentDisposition = value;
    }
    message.body = at < text.size() ? text.substr(at) : "";
    return message;
}

std::string addressUri(const std::string& value) {
    // A quoted display name may itself hold '<': look for the URI after it.
    size_t from = 0;
    size_t quote = value.find_first_not_of(" \t");
    if (quote != std::string::npos && value[quote] == '"') {
        for (from = quote + 1; from < value.size() && value[from] != '"'; ++from) {
            if (value[from] == '\\')
                ++from;
        }
        if (from >= value.size())
            return "";
    }
    size_t open = value.find('<', from);
    if (open == std::string::npos)
        return trim(value);
    size_t close = value.find('>', open);
    if (close == std::string::npos)
        return "";
    return trim(value.substr(open + 1, close - open - 1));
}

std::string address(const std::string& display, const std::string& uri) {
    std::string name;
    for (char c : display) {
        if (c != '"' && c != '\\' && static_cast<unsigned char>(c) >= 0x20)
            name += c;
    }
    if (name.empty())
        return "<" + uri + ">";
    return "\"" + name + "\" <" + uri + ">";
}

std::string cpimNow() {
    std::time_t now = std::time(nullptr);
    std::tm utc{};
    gmtime_r(&now, &utc);
    char buffer[32];
    std::strftime(buffer, sizeof(buffer), "%Y-%m-%dT%H:%M:%SZ", &utc);
    return buffer;
}

}  // namespace sylk::cpim
