// The schema of hub room events: every kind a plugin may post, the payload of each, a builder
// that makes the payload and a reader that validates one (throwing InvalidHubEvent with the
// kind, the poster and the field). Plugins post and read events only through these, so a new
// plugin (MSRP, XMPP, IRC) learns the whole vocabulary here. docs/hub-events.md describes it.
//
// Identities: the member an event is about or from is RoomEvent::member, a hub member id
// ("<plugin package>/<local id>", unique across plugins). Payloads name other members by
// member id too (a private message's recipient), never by a plugin's local number.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "../api.hpp"
#include "../json.hpp"
#include "invalid_hub_event.hpp"
#include "room_event.hpp"

namespace sylk::hub {

// Every event kind, in one place.
namespace kind {
inline constexpr char Joined[] = "joined";          // a member entered the room (Room::join)
inline constexpr char Updated[] = "updated";        // a member's roster fields changed (Room::join again)
inline constexpr char Left[] = "left";              // a member went (Room::leave)
inline constexpr char Chat[] = "chat";              // a message to the room, or to one member
inline constexpr char Composing[] = "composing";    // a member is typing (RFC 3994 is-composing)
inline constexpr char FileShared[] = "file";        // a file was uploaded to the room
inline constexpr char Talking[] = "talking";        // a member's audio became active
inline constexpr char StoppedTalking[] = "stopped-talking";
inline constexpr char Nickname[] = "nickname";      // a member took a nickname (RFC 7701 NICKNAME)
inline constexpr char Direct[] = "direct";          // one message of a 1:1 conversation, as its protocol carries it
inline constexpr char DirectAck[] = "direct-ack";   // the user's side stored a direct message: answer its sender
inline constexpr char MsrpPath[] = "msrp-path";     // an MSRP session now announces another path (relay refresh)
inline constexpr char Kick[] = "kick";              // a moderator removes a member from the room
inline constexpr char Mute[] = "mute";              // a moderator mutes (or unmutes) a member's microphone
}  // namespace kind

// What a builder gives Room::post: the kind and its payload.
struct EventPayload {
    const char* kind;
    Json data;
};

// ---- roster: joined, updated, left. The payload carries the Member's fields but its id,
// which is the event's member.
SYLK_API Json memberPayload(const Member& member);
SYLK_API Json leftPayload(const Member& member);
// A joined/updated/left event's member (id = event.member). A "left" payload has no media
// state: those fields stay false.
SYLK_API Member readMember(const RoomEvent& event);

// ---- chat
struct ChatMessage {
    std::string id;                          // unique (a UUID), chosen by the sender's plugin
    std::string display;                     // the sender's display name; may be empty
    std::string uri;                         // the sender's address in its protocol (sip:, xmpp:, msrp:...); may be empty
    std::string contentType = "text/plain";  // of text
    std::string text;
    int64_t timestamp = 0;                   // ms since the epoch, when the sender's server took it
    std::string to;                          // the one recipient's member id; empty: the whole room
    std::string encoding;                    // "base64": text is binary content (an MSRP image)
                                             // base64-encoded; empty: text is the content itself

    bool isPrivate() const { return !to.empty(); }
    // display, or the member id when the sender gave no name
    const std::string& senderName(const RoomEvent& event) const { return display.empty() ? event.member : display; }
};
SYLK_API EventPayload chat(const ChatMessage& message);
SYLK_API ChatMessage readChat(const RoomEvent& event);
// A fresh message id (a random UUID) and the time now in ms, for the plugin that takes a message.
SYLK_API std::string newMessageId();
SYLK_API int64_t nowMs();

// ---- composing
struct ComposingState {
    std::string display;
    bool active = true;  // false: stopped typing
    std::string to;      // the one member told; empty: the whole room

    bool isPrivate() const { return !to.empty(); }
};
SYLK_API EventPayload composing(const ComposingState& state);
SYLK_API ComposingState readComposing(const RoomEvent& event);

// ---- file shared. The payload is also what web clients get (sylkcore/files SharedFile).
struct FileNotice {
    std::string id;       // the file's id in the room's store
    std::string name;
    uint64_t size = 0;    // bytes
    std::string from;     // the uploader's member id
    std::string display;  // the uploader's display name
    int64_t created = 0;  // ms since the epoch
    std::string sha1;     // 40 lower-case hex digits; empty when unknown. SIP clients pull by it (RFC 5547)
    std::string type;     // media type as the sender gave it; empty when unknown
};
SYLK_API Json fileNoticeJson(const FileNotice& file);
SYLK_API EventPayload fileShared(const FileNotice& file);
SYLK_API FileNotice readFileShared(const RoomEvent& event);

// ---- nickname: the member's chosen name in the room's chat (RFC 7701), unique in the room
// among nicknames (the plugin that takes it checks). The event's member is whose it is.
struct NicknameChange {
    std::string nickname;  // not empty
};
SYLK_API EventPayload nickname(const NicknameChange& change);
SYLK_API NicknameChange readNickname(const RoomEvent& event);

// ---- voice activity: no payload (the event's member is the speaker)
SYLK_API EventPayload talking(bool talking);

// ---- direct: a 1:1 conversation's message, unparsed (e.g. the CPIM document of an MSRP SEND),
// in a private room (direct/...) between the plugin that holds the connection and the one that
// serves the user; each takes what the other posted and leaves IM semantics to the user's side.
struct DirectMessage {
    std::string contentType;  // not empty
    std::string body;
    // Not empty: the sender's answer waits (msrp hold_answer) until the user's side posts a
    // direct-ack with this id, once it has stored the message (or could not).
    std::string ackId;
};
SYLK_API EventPayload direct(const DirectMessage& message);
SYLK_API DirectMessage readDirect(const RoomEvent& event);

// ---- direct-ack: the answer to a DirectMessage with an ackId: 200 stored (the sender gets its
// 200), another status (400 unreadable, 500 not stored) refuses it.
struct DirectAck {
    std::string ackId;  // not empty
    int status = 200;   // 200-699
};
SYLK_API EventPayload directAck(const DirectAck& ack);
SYLK_API DirectAck readDirectAck(const RoomEvent& event);

// ---- msrp-path: the msrp plugin moved one of its sessions to a new local path (the relay named
// a new Use-Path at an AUTH refresh; the old one dies with its grant). Posted to the session's
// room; the plugin that negotiated the session (the SIP focus or gateway) tells the peer.
struct MsrpPathChange {
    std::string session;            // the msrp plugin's session id, not empty
    std::vector<std::string> path;  // the path the peer must send to now, relays first; not empty
};
SYLK_API EventPayload msrpPath(const MsrpPathChange& change);
SYLK_API MsrpPathChange readMsrpPath(const RoomEvent& event);

// ---- kick: a moderator (the event's member, a Member with moderator set) removes another
// member from the room. The plugin that serves the target removes it (telling its client why)
// after checking the kicker is a moderator of the room (Room::isModerator); others ignore it.
struct KickOrder {
    std::string target;   // the member to remove (member id), not empty
    std::string display;  // the kicker's display name; may be empty
    std::string reason;   // why, shown to the kicked member; may be empty
};
SYLK_API EventPayload kick(const KickOrder& order);
SYLK_API KickOrder readKick(const RoomEvent& event);

// ---- mute: a moderator (the event's member) mutes or unmutes another member's microphone.
// The plugin that serves the target (the audio mixer for phones) applies it as its own
// moderator mute, after checking Room::isModerator, and republishes the member with
// mutedByModerator so every roster shows it; others ignore it.
struct MuteOrder {
    std::string target;   // the member (member id), not empty
    bool muted = true;    // false: the moderator lifts the mute
    std::string display;  // the moderator's display name; may be empty
};
SYLK_API EventPayload mute(const MuteOrder& order);
SYLK_API MuteOrder readMute(const RoomEvent& event);

}  // namespace sylk::hub
