#include "chat_content.hpp"

#include <glib.h>

#include <algorithm>
#include <cctype>
#include <ctime>
#include <memory>

#include "sylkcore/cpim/cpim.hpp"

namespace sylk::msrp_plugin {
namespace {

constexpr char kIsComposing[] = "application/im-iscomposing+xml";
constexpr char kCpim[] = "message/cpim";

std::string lower(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
    return text;
}

std::string trim(const std::string& text) {
    size_t begin = text.find_first_not_of(" \t\r\n");
    if (begin == std::string::npos)
        return "";
    size_t end = text.find_last_not_of(" \t\r\n");
    return text.substr(begin, end - begin + 1);
}

bool startsWith(const std::string& text, const char* prefix) { return text.rfind(prefix, 0) == 0; }

IncomingChat refused(int status, std::string reason) {
    IncomingChat chat;
    chat.kind = IncomingChat::Kind::Refused;
    chat.status = status;
    chat.reason = std::move(reason);
    return chat;
}

// The content itself, once any CPIM wrapper is off.
IncomingChat readContent(const std::string& contentType, const std::string& body) {
    std::string type = mediaType(contentType);
    if (type == kIsComposing) {
        auto active = readIsComposing(body);
        if (!active)
            return refused(400, "not an isComposing document");
        IncomingChat chat;
        chat.kind = IncomingChat::Kind::Composing;
        chat.active = *active;
        return chat;
    }
    IncomingChat chat;
    chat.kind = IncomingChat::Kind::Message;
    chat.contentType = contentType.empty() ? "text/plain" : contentType;
    if (startsWith(type, "text/")) {
        // Hub chat is JSON text: bytes that are not UTF-8 would reach nobody while the sender
        // got a 200, so the sender is told instead.
        if (!g_utf8_validate(body.data(), static_cast<gssize>(body.size()), nullptr))
            return refused(400, "the text is not UTF-8");
        if (body.empty())
            return refused(400, "an empty message");
        chat.text = body;
        return chat;
    }
    if (startsWith(type, "image/")) {
        if (body.empty())
            return refused(400, "an empty image");
        std::unique_ptr<gchar, decltype(&g_free)> encoded(
            g_base64_encode(reinterpret_cast<const guchar*>(body.data()), body.size()), g_free);
        chat.text = encoded.get();
        chat.encoding = "base64";
        return chat;
    }
    return refused(415, "the room takes text/* and image/*, not " + (type.empty() ? std::string("(none)") : type));
}

}  // namespace

namespace address {

std::string identity(const std::string& uri) {
    std::string text = lower(trim(cpim::addressUri(uri)));
    if (!startsWith(text, "urn:")) {
        size_t colon = text.find(':');
        size_t at = text.find('@');
        if (colon != std::string::npos && (at == std::string::npos || colon < at))
            text = text.substr(colon + 1);  // sip:, sips:, im:
    }
    size_t parameters = text.find_first_of(";?");
    if (parameters != std::string::npos)
        text = text.substr(0, parameters);
    return text;
}

bool namesRoom(const std::string& uri, const std::string& room) {
    std::string who = identity(uri);
    std::string name = lower(room);
    if (who == name)
        return true;
    if (name.find('@') == std::string::npos) {
        size_t at = who.find('@');
        return at != std::string::npos && who.substr(0, at) == name;
    }
    return false;
}

std::string memberUri(const std::string& memberId) {
    std::string uri = "urn:sylk:";
    for (char c : memberId)
        uri += std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_' ? c : ':';
    return uri;
}

}  // namespace address

std::string mediaType(const std::string& contentType) {
    return lower(trim(contentType.substr(0, contentType.find(';'))));
}

int judgeFirstChunk(const std::string& contentType, const std::string& firstChunkBody, const IncomingContext& context) {
    if (mediaType(contentType) != kCpim)
        return 200;
    size_t end = firstChunkBody.find("\r\n\r\n");
    if (end == std::string::npos)
        return 200;  // the CPIM headers go on in the next chunk
    size_t at = 0;
    while (at < end) {
        size_t lineEnd = firstChunkBody.find("\r\n", at);
        std::string line = firstChunkBody.substr(at, lineEnd - at);
        at = lineEnd + 2;
        size_t colon = line.find(':');
        if (colon == std::string::npos || lower(trim(line.substr(0, colon))) != "from")
            continue;
        std::string from = trim(line.substr(colon + 1));
        if (!from.empty() && address::identity(from) != address::identity(context.sessionUri))
            return 403;
    }
    return 200;
}

IncomingChat readIncoming(const std::string& contentType, const std::string& body, const IncomingContext& context) {
    if (context.maxBytes && body.size() > context.maxBytes)
        return refused(413, "the message is larger than " + std::to_string(context.maxBytes) + " bytes");
    if (mediaType(contentType) != kCpim)
        return readContent(contentType, body);
    std::string reason;
    auto cpim = cpim::parseCpim(body, &reason, context.maxBytes ? context.maxBytes : 64 * 1024);
    if (!cpim)
        return refused(400, "malformed CPIM: " + reason);
    // SylkServer's rule: a message whose CPIM sender is not the session's identity is forged.
    if (!cpim->from.empty() && address::identity(cpim->from) != address::identity(context.sessionUri))
        return refused(403, "the CPIM From is not the session's identity");
    IncomingChat chat = readContent(cpim->contentType, cpim->body);
    if (chat.kind == IncomingChat::Kind::Refused)
        return chat;
    chat.dateTime = cpim->dateTime;
    // Private: exactly one recipient, and not the room itself.
    if (cpim->recipients.size() == 1 && !address::namesRoom(cpim->recipients[0], context.room))
        chat.recipient = cpim::addressUri(cpim->recipients[0]);
    return chat;
}

std::optional<bool> readIsComposing(const std::string& xml) {
    // A small document of known shape (RFC 3994 §4): only the <state> element matters here,
    // with or without a namespace prefix. No XML library: nothing else is read from it.
    if (xml.size() > 4096 || xml.find("isComposing") == std::string::npos)
        return std::nullopt;
    size_t at = 0;
    while ((at = xml.find("state>", at)) != std::string::npos) {
        size_t open = xml.rfind('<', at);
        at += 6;
        if (open == std::string::npos || xml[open + 1] == '/')
            continue;
        std::string name = xml.substr(open + 1, at - 1 - open - 1);
        if (name != "state" && (name.size() < 7 || name.compare(name.size() - 6, 6, ":state") != 0))
            continue;
        size_t end = xml.find('<', at);
        if (end == std::string::npos)
            return std::nullopt;
        std::string state = lower(trim(xml.substr(at, end - at)));
        if (state == "active")
            return true;
        if (state == "idle")
            return false;
        return std::nullopt;
    }
    return std::nullopt;
}

std::string isComposingXml(bool active, int refreshSeconds) {
    std::string xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                      "<isComposing xmlns=\"urn:ietf:params:xml:ns:im-iscomposing\">\n";
    xml += active ? "  <state>active</state>\n" : "  <state>idle</state>\n";
    xml += "  <contenttype>text/plain</contenttype>\n";
    if (active)
        xml += "  <refresh>" + std::to_string(refreshSeconds) + "</refresh>\n";
    xml += "</isComposing>\n";
    return xml;
}

std::string dateTimeOf(int64_t milliseconds) {
    std::time_t seconds = static_cast<std::time_t>(milliseconds / 1000);
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    char buffer[40];
    std::strftime(buffer, sizeof(buffer), "%Y-%m-%dT%H:%M:%S", &utc);
    char fraction[8];
    std::snprintf(fraction, sizeof(fraction), ".%03dZ", static_cast<int>(milliseconds % 1000));
    return std::string(buffer) + fraction;
}

std::string cpimDocument(const OutgoingCpim& message) {
    cpim::CpimMessage document;
    document.from = cpim::address(message.fromDisplay, message.fromUri);
    document.to = cpim::address("", message.toUri);
    document.dateTime = message.dateTime;
    if (message.status) {
        // SylkServer marks its notices so clients show them apart from what people wrote.
        document.headers.emplace_back("NS", "agp <urn:ag-projects:xml:ns:cpim>");
        document.headers.emplace_back("agp.Message-Type", "status");
    }
    document.contentType = message.contentType;
    document.body = message.body;
    return cpim::buildCpim(document);
}

std::optional<std::string> decodedBody(const std::string& text, const std::string& encoding) {
    if (encoding.empty())
        return text;
    if (encoding != "base64")
        return std::nullopt;
    // g_base64_decode accepts anything; check the alphabet first so broken input is refused.
    for (char c : text) {
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '/' && c != '=')
            return std::nullopt;
    }
    gsize length = 0;
    std::unique_ptr<guchar, decltype(&g_free)> bytes(g_base64_decode(text.c_str(), &length), g_free);
    return std::string(reinterpret_cast<const char*>(bytes.get()), length);
}

}  // namespace sylk::msrp_plugin
