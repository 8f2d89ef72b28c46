#include "videoroom_requests.hpp"

#include "sylkcore/request_error.hpp"

namespace sylk::videoroom {

namespace {

// A request's 'streams' array: at most `max` objects, each read by `read` (a subscriber's feed
// selectors, a publisher's send switches). `shape` says what an entry looks like.
template <typename Entry, typename Read>
std::vector<Entry> readStreamsArray(json_t* array, size_t max, const char* shape, Read read) {
    if (!json_is_array(array))
        throw RequestError(ErrorCode::InvalidField, std::string("'streams' must be an array of ") + shape);
    if (json_array_size(array) > max)
        throw RequestError(ErrorCode::InvalidField, "'streams' has more than " + std::to_string(max) + " entries");
    std::vector<Entry> entries;
    size_t index;
    json_t* entry;
    json_array_foreach(array, index, entry) {
        if (!json_is_object(entry))
            throw RequestError(ErrorCode::InvalidField, "streams[" + std::to_string(index) + "] must be an object");
        RequestReader item(entry);
        entries.push_back(read(item));
    }
    return entries;
}

}  // namespace

std::vector<FeedSelector> parseFeedSelectors(json_t* array) {
    return readStreamsArray<FeedSelector>(array, 256, "{\"feed\": id, \"mid\": ...}", [](RequestReader& item) {
        FeedSelector selector;
        selector.feed = static_cast<uint64_t>(item.requireInt("feed", 1, kMaxId));
        selector.mid = item.optionalString("mid", 64).value_or("");
        return selector;
    });
}

std::vector<StreamSend> parseStreamSends(json_t* array) {
    return readStreamsArray<StreamSend>(array, 64, "{\"mid\": ..., \"send\": bool}", [](RequestReader& item) {
        return StreamSend{item.requireString("mid", 64), item.requireBool("send")};
    });
}

ChatRequest parseChat(RequestReader& reader, size_t maxBytes) {
    ChatRequest chat;
    chat.text = reader.requireString("text", 1024 * 1024);
    if (chat.text.empty())
        throw RequestError(ErrorCode::InvalidField, "field 'text' is empty");
    if (chat.text.size() > maxBytes)
        throw RequestError(ErrorCode::VideoRoomMessageTooLong,
                           "message is " + std::to_string(chat.text.size()) + " bytes, the limit is " + std::to_string(maxBytes));
    // Web clients name our participants by number and other plugins' members by member id
    // (the form attendees and their messages carry).
    if (json_is_string(reader.optionalRaw("to")))
        chat.toMember = reader.requireString("to", 256);
    else if (auto to = reader.optionalInt("to", 1, kMaxId))
        chat.to = static_cast<uint64_t>(*to);
    reader.rejectUnknownFields();
    return chat;
}

std::string parseDialTarget(const std::string& input, const std::string& phoneDomain) {
    size_t first = input.find_first_not_of(" \t");
    size_t last = input.find_last_not_of(" \t");
    std::string target = first == std::string::npos ? "" : input.substr(first, last - first + 1);
    if (target.empty())
        throw RequestError(ErrorCode::InvalidField, "field 'uri' is empty: give a SIP URI or a phone number");
    std::string number;
    bool phone = true;
    for (size_t i = 0; i < target.size() && phone; ++i) {
        char c = target[i];
        if ((c >= '0' && c <= '9') || (c == '+' && i == 0))
            number += c;
        else if (c != ' ' && c != '-' && c != '.' && c != '(' && c != ')')
            phone = false;
    }
    size_t digits = number.size() - (number.rfind('+', 0) == 0 ? 1 : 0);
    if (phone && digits >= 3 && digits <= 20) {
        if (phoneDomain.empty())
            throw RequestError(ErrorCode::InvalidField,
                               "this server dials no phone numbers (no 'dial_domain' configured): give a SIP URI (sip:user@host)");
        return "sip:" + number + "@" + phoneDomain;
    }
    bool hasScheme = target.rfind("sip:", 0) == 0 || target.rfind("sips:", 0) == 0;
    // user@host gets "sip:"; another scheme (tel:, http:) is no SIP URI and is refused below.
    bool otherScheme = !hasScheme && target.find(':') < target.find('@');
    if (!hasScheme)
        target = "sip:" + target;
    size_t at = target.find('@');
    bool usable = !otherScheme && at != std::string::npos && at > target.find(':') + 1 && at + 1 < target.size() &&
                  target.find_first_of(" <>\"\r\n\t,") == std::string::npos && target.size() <= 512;
    if (!usable)
        throw RequestError(ErrorCode::InvalidField, "field 'uri' must be a SIP URI (sip:user@host) or a phone number");
    return target;
}

std::vector<RemoteStream> parseRemoteStreams(json_t* array) {
    auto streams = readStreamsArray<RemoteStream>(array, 64, "{\"mindex\", \"mid\", \"type\", \"codec\", \"pt\"}",
                                                  [](RequestReader& item) {
        RemoteStream stream{static_cast<int>(item.requireInt("mindex", 0, 63)), item.requireString("mid", 64),
                            item.requireString("type", 16), item.requireString("codec", 32),
                            static_cast<int>(item.requireInt("pt", 0, 127)),
                            item.optionalString("description", 256).value_or("")};
        if (stream.type != "audio" && stream.type != "video" && stream.type != "data")
            throw RequestError(ErrorCode::InvalidField, "stream type '" + stream.type + "' is not audio, video or data");
        return stream;
    });
    uint64_t seen = 0;
    for (const auto& stream : streams) {
        if (seen & (uint64_t(1) << stream.mindex))
            throw RequestError(ErrorCode::InvalidField, "m-line " + std::to_string(stream.mindex) + " given twice");
        seen |= uint64_t(1) << stream.mindex;
    }
    return streams;
}

}  // namespace sylk::videoroom
