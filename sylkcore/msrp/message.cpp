#include "message.hpp"

#include <glib.h>

#include <cstdio>

#include "parse_error.hpp"
#include "text.hpp"

namespace sylk::msrp {

namespace {

// Transaction and message ids: letters and digits only (RFC 4975 ident), from GLib's random
// source (unpredictable enough that a peer cannot guess another session's ids).
// Five characters from each 32-bit draw (62^5 < 2^32): one call into GLib's locked generator per
// five characters instead of one per character (a switch makes two ids for every delivery).
std::string randomIdent(size_t length) {
    static const char kAlphabet[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    constexpr uint32_t kBase = sizeof kAlphabet - 1;
    constexpr uint32_t kFiveDigits = kBase * kBase * kBase * kBase * kBase;
    std::string out(length, '0');
    uint32_t draw = 0;
    for (size_t i = 0; i < length; ++i) {
        if (i % 5 == 0)
            draw = static_cast<uint32_t>(g_random_int_range(0, static_cast<gint32>(kFiveDigits)));
        out[i] = kAlphabet[draw % kBase];
        draw /= kBase;
    }
    return out;
}

}  // namespace

std::optional<std::string> Message::header(std::string_view name) const {
    for (const auto& [key, value] : headers) {
        if (text::equalsIgnoringCase(key, name))
            return value;
    }
    return std::nullopt;
}

void Message::setHeader(std::string_view name, std::string value) {
    removeHeader(name);
    headers.emplace_back(std::string(name), std::move(value));
}

void Message::removeHeader(std::string_view name) {
    std::erase_if(headers, [&](const Header& header) { return text::equalsIgnoringCase(header.first, name); });
}

std::string Message::contentType() const {
    std::string value = header("Content-Type").value_or("");
    auto semicolon = value.find(';');
    return text::lowered(text::trimmed(std::string_view(value).substr(0, semicolon)));
}

ByteRange Message::byteRange() const {
    auto value = header("Byte-Range");
    if (!value) {
        ByteRange whole;
        whole.end = body.size();
        if (continuation == Continuation::End)
            whole.total = body.size();
        return whole;
    }
    return ByteRange::parse(*value);
}

bool Message::successReportWanted() const {
    return text::equalsIgnoringCase(text::trimmed(header("Success-Report").value_or("no")), "yes");
}

std::string Message::failureReport() const {
    std::string value = text::lowered(text::trimmed(header("Failure-Report").value_or("yes")));
    return value == "no" || value == "partial" ? value : "yes";
}

Message Message::makeRequest(std::string method, std::vector<Uri> toPath, std::vector<Uri> fromPath) {
    Message request;
    request.request = true;
    request.transactionId = newTransactionId();
    request.method = std::move(method);
    request.toPath = std::move(toPath);
    request.fromPath = std::move(fromPath);
    return request;
}

Message Message::makeResponse(int code, std::string reason) const {
    Message response;
    response.request = false;
    response.transactionId = transactionId;
    response.status = code;
    response.comment = std::move(reason);
    if (!fromPath.empty())
        response.toPath.push_back(fromPath.front());
    if (!toPath.empty())
        response.fromPath.push_back(toPath.front());
    return response;
}

std::string Message::serialize() const {
    std::string out;
    out.reserve(256 + body.size());
    out += "MSRP ";
    out += transactionId;
    if (request) {
        out += ' ';
        out += method;
    } else {
        out += ' ';
        // Three digits always (RFC 4975's Status-Code), also for an odd one like 020.
        char code[8];
        std::snprintf(code, sizeof code, "%03d", status % 1000);
        out += code;
        if (!comment.empty()) {
            out += ' ';
            out += comment;
        }
    }
    out += "\r\n";
    if (!toPath.empty())
        out += "To-Path: " + Uri::pathString(toPath) + "\r\n";
    if (!fromPath.empty())
        out += "From-Path: " + Uri::pathString(fromPath) + "\r\n";
    for (const auto& [name, value] : headers) {
        out += name;
        out += ": ";
        out += value;
        out += "\r\n";
    }
    // RFC 4975 §7.1: a body (any frame with a Content-Type) follows an empty line and ends with
    // a CRLF before the end-line.
    if (!body.empty() || header("Content-Type")) {
        out += "\r\n";
        out += body;
        out += "\r\n";
    }
    out += "-------";
    out += transactionId;
    out += request ? static_cast<char>(continuation) : '$';
    out += "\r\n";
    return out;
}

std::string Message::newTransactionId() { return randomIdent(15); }
std::string Message::newMessageId() { return randomIdent(20); }

}  // namespace sylk::msrp
