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

std::vector<StreamSend> parseStreamSends(json_t* array) {
    if (!json_is_array(array))
        throw RequestError(ErrorCode::InvalidField, "'streams' must be an array of {\"mid\": ..., \"send\": bool}");
    if (json_array_size(array) > 64)
        throw RequestError(ErrorCode::InvalidField, "'streams' has more than 64 entries");
    std::vector<StreamSend> sends;
    size_t index;
    json_t* entry;
    json_array_foreach(array, index, entry) {
        if (!json_is_object(entry))
            throw RequestError(ErrorCode::InvalidField, "streams[" + std::to_string(index) + "] must be an object");
        RequestReader item(entry);
        StreamSend send{item.requireString("mid", 64), item.requireBool("send")};
        sends.push_back(std::move(send));
    }
    return sends;
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

}  // namespace sylk::videoroom
