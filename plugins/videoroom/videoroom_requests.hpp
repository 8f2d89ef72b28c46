// Parsers for the parts of videoroom requests that are more than one field. Pure functions over
// JSON, so unit tests and the fuzz target run exactly what the plugin runs.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sylkcore/request_reader.hpp"

namespace sylk::videoroom {

constexpr int64_t kMaxId = (int64_t(1) << 53) - 1;  // ids stay exact in JavaScript

// One entry of a "streams" list: {"feed": id, "mid": "..."?}
struct FeedSelector {
    uint64_t feed;
    std::string mid;  // empty: every stream of the feed
};

// Reads an array of selectors (at most 256). Throws RequestError naming the bad entry.
std::vector<FeedSelector> parseFeedSelectors(json_t* array);

// A publisher's own "configure {"streams": [{"mid", "send": bool}]}" (the stock form): which of
// its streams it stops (a muted microphone, a stopped camera) or resumes sending to the room.
struct StreamSend {
    std::string mid;
    bool send;
};

// Reads an array of {mid, send} (at most 64). Throws RequestError naming the bad entry.
std::vector<StreamSend> parseStreamSends(json_t* array);

// {"text": "...", "to": id?}; text over maxBytes throws VideoRoomMessageTooLong.
struct ChatRequest {
    std::string text;
    std::optional<uint64_t> to;  // one of our participants, by number
    std::string toMember;        // or a member of another plugin (an MSRP or XMPP user), by hub member id
};
ChatRequest parseChat(RequestReader& reader, size_t maxBytes);

// Whom a "dial" request calls into the room, as a SIP URI for the focus: a SIP URI of a user
// (sip:/sips:, with "@"), a bare user@host, or a phone number (+, digits and the separators
// " -.()", 3 to 20 digits) made sip:<number>@<phoneDomain>. Throws InvalidField for anything
// else, and for a number when no phoneDomain is configured.
std::string parseDialTarget(const std::string& input, const std::string& phoneDomain);

// One stream of a publisher of another node, as its node describes it in
// `videoroom.remote.feed` (docs/cluster.md "Video across nodes").
struct RemoteStream {
    int mindex;  // 0-63: also the payload type of its relayed packets
    std::string mid;
    std::string type;  // "audio", "video" or "data"
    std::string codec;
    int pt;
    std::string description;
};

// Reads an array of remote streams (at most 64; m-line indexes unique). Throws RequestError
// naming the bad entry.
std::vector<RemoteStream> parseRemoteStreams(json_t* array);

}  // namespace sylk::videoroom
