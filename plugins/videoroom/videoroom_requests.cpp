#include "videoroom_requests.hpp"

#include "sylkcore/request_error.hpp"

namespace sylk::videoroom {

std::vector<FeedSelector> parseFeedSelectors(json_t* array) {
    if (!json_is_array(array))
        throw RequestError(ErrorCode::InvalidField, "'streams' must be an array of {\"feed\": id, \"mid\": ...}");
    if (json_array_size(array) > 256)
        throw RequestError(ErrorCode::InvalidField, "'streams' has more than 256 entries");
    std::vector<FeedSelector> selectors;
    size_t index;
    json_t* entry;
    json_array_foreach(array, index, entry) {
        if (!json_is_object(entry))
            throw RequestError(ErrorCode::InvalidField, "streams[" + std::to_string(index) + "] must be an object");
        RequestReader item(entry);
        FeedSelector selector;
        selector.feed = static_cast<uint64_t>(item.requireInt("feed", 1, kMaxId));
        selector.mid = item.optionalString("mid", 64).value_or("");
        selectors.push_back(std::move(selector));
    }
    return selectors;
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

}  // namespace sylk::videoroom
