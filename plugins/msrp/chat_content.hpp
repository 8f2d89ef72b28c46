// What the conference MSRP switch reads from and writes to a chat session, as pure functions
// (unit tested and fuzzed; no stack, no hub state): an incoming SEND's content (CPIM or plain,
// is-composing, text, images) turned into what goes on the hub, and the CPIM documents the
// switch sends (room messages, private messages, is-composing, status notices).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sylk::msrp_plugin {

// CPIM and SIP address helpers.
namespace address {
// "sip:alice@example.com;transport=tcp" -> "alice@example.com" (scheme, parameters and
// brackets gone, lower-cased), for comparing identities the way phones write them.
std::string identity(const std::string& uri);
// True when uri names the room: its identity is the room's name, or its user part is the
// room's name when the name has no '@'.
bool namesRoom(const std::string& uri, const std::string& room);
// The URI by which phones see a hub member without a SIP URI of its own (a web user):
// "urn:sylk:janus.plugin.sylk.videoroom:42", the form of the SIP focus's conference-info.
std::string memberUri(const std::string& memberId);
}  // namespace address

// What an incoming SEND is for the switch.
struct IncomingChat {
    enum class Kind { Message, Composing, Refused };
    Kind kind = Kind::Refused;
    // Refused: the MSRP status for the message (400 malformed, 403 a forged sender, 415 a type
    // the room does not take) and why, for the log and the REPORT's comment.
    int status = 0;
    std::string reason;
    // Message: the body for the hub (text as is; an image base64, encoding "base64").
    std::string contentType;
    std::string text;
    std::string encoding;
    // The one recipient of a private message (a URI as the CPIM To wrote it), "" for the room.
    std::string recipient;
    std::string dateTime;  // CPIM DateTime, "" when absent
    // Composing: typing (true) or idle (false).
    bool active = false;
};

struct IncomingContext {
    std::string sessionUri;  // who the session is (SIP From of the INVITE): CPIM From must match
    std::string room;        // the hub room's name, to tell the room from a private recipient
    size_t maxBytes = 0;     // biggest body taken
};

// Reads one complete SEND. text/* (UTF-8) and image/* are messages, either bare or wrapped in
// message/cpim; application/im-iscomposing+xml (RFC 3994) is a composing state.
IncomingChat readIncoming(const std::string& contentType, const std::string& body, const IncomingContext& context);

// The first chunk of a message sent in several chunks (RFC 4975 chunking): its CPIM header
// block comes first, so a forged sender can be refused on this chunk (403) before the rest
// arrives. 200 when the sender is right, or when the chunk is not CPIM or ends before the
// header block does (the whole message is judged by readIncoming then).
int judgeFirstChunk(const std::string& contentType, const std::string& firstChunkBody, const IncomingContext& context);

// The media type without parameters, lower-cased: "Text/Plain; charset=utf-8" -> "text/plain".
std::string mediaType(const std::string& contentType);

// RFC 3994: the state of an isComposing document (true: active), or nullopt if it is none.
std::optional<bool> readIsComposing(const std::string& xml);
std::string isComposingXml(bool active, int refreshSeconds = 60);

// Milliseconds since the epoch as an RFC 3339 UTC time with milliseconds.
std::string dateTimeOf(int64_t milliseconds);

// The CPIM documents the switch sends.
struct OutgoingCpim {
    std::string fromDisplay;
    std::string fromUri;
    std::string toUri;
    std::string dateTime;
    std::string contentType = "text/plain";
    std::string body;  // decoded (an image's bytes)
    bool status = false;  // a server notice: Message-Type: status in the ag-projects namespace
};
std::string cpimDocument(const OutgoingCpim& message);

// The body of a hub chat message as bytes: base64 decoded when its encoding says so; nullopt
// when the encoding is unknown or the base64 is broken.
std::optional<std::string> decodedBody(const std::string& text, const std::string& encoding);

}  // namespace sylk::msrp_plugin
