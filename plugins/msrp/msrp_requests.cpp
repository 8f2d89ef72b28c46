#include "msrp_requests.hpp"

#include "sylkcore/request_error.hpp"

namespace sylk::msrp_plugin {
namespace {

constexpr size_t kMaxPath = 8;     // our relay, theirs, the peer: a few hops at most
constexpr size_t kMaxTypes = 32;
constexpr size_t kMaxUri = 1024;

std::vector<std::string> readStrings(RequestReader& reader, const char* key, size_t maxItems, size_t maxLength,
                                     bool required) {
    json_t* array = reader.optionalArray(key, maxItems);
    if (!array) {
        if (required)
            throw RequestError(ErrorCode::MissingField, std::string("missing field '") + key + "'");
        return {};
    }
    std::vector<std::string> items;
    size_t index;
    json_t* item;
    json_array_foreach(array, index, item) {
        if (!json_is_string(item) || json_string_length(item) == 0 || json_string_length(item) > maxLength)
            throw RequestError(ErrorCode::InvalidField, std::string("field '") + key + "' must list non-empty strings of at most " +
                                                            std::to_string(maxLength) + " characters");
        items.emplace_back(json_string_value(item), json_string_length(item));
    }
    if (required && items.empty())
        throw RequestError(ErrorCode::InvalidField, std::string("field '") + key + "' must not be empty");
    return items;
}

}  // namespace

OpenSessionRequest parseOpenSession(RequestReader& reader) {
    OpenSessionRequest request;
    request.room = reader.requireString("room", 256);
    if (request.room.empty())
        throw RequestError(ErrorCode::InvalidField, "field 'room' must not be empty");
    request.uri = reader.requireString("uri", kMaxUri);
    if (request.uri.empty())
        throw RequestError(ErrorCode::InvalidField, "field 'uri' must not be empty");
    request.display = reader.optionalString("display", 256).value_or("");
    request.member = reader.optionalString("member", 256).value_or("");
    std::string role = reader.optionalString("role", 16).value_or("active");
    if (role != "active" && role != "passive")
        throw RequestError(ErrorCode::InvalidField, "field 'role' must be \"active\" or \"passive\"");
    request.active = role == "active";
    std::string mode = reader.optionalString("mode", 16).value_or("conference");
    if (mode != "conference" && mode != "direct")
        throw RequestError(ErrorCode::InvalidField, "field 'mode' must be \"conference\" or \"direct\"");
    request.direct = mode == "direct";
    request.holdAnswer = reader.optionalBool("hold_answer").value_or(false);
    if (request.holdAnswer && !request.direct)
        throw RequestError(ErrorCode::InvalidField, "field 'hold_answer' is for \"mode\": \"direct\" only");
    if (json_t* file = reader.optionalObject("file")) {
        RequestReader fileReader(file);
        FileOffer offer;
        offer.selector = fileReader.requireString("selector", 4096);
        offer.transferId = fileReader.optionalString("transfer_id", 256).value_or("");
        offer.direction = fileReader.requireString("direction", 16);
        if (offer.direction != "sendonly" && offer.direction != "recvonly")
            throw RequestError(ErrorCode::InvalidField, "field 'direction' must be \"sendonly\" or \"recvonly\"");
        request.file = std::move(offer);
    }
    json_t* remote = reader.optionalObject("remote");
    if (!remote && request.direct)  // we make the offer: the peer's path comes with its answer (msrp.set_remote)
        return request;
    if (!remote)
        throw RequestError(ErrorCode::MissingField, "missing field 'remote'");
    RequestReader remoteReader(remote);
    request.remotePath = readStrings(remoteReader, "path", kMaxPath, kMaxUri, true);
    request.acceptTypes = readStrings(remoteReader, "accept_types", kMaxTypes, 256, false);
    request.acceptWrappedTypes = readStrings(remoteReader, "accept_wrapped_types", kMaxTypes, 256, false);
    request.fingerprint = remoteReader.optionalString("fingerprint", 256).value_or("");
    return request;
}

SetRemoteRequest parseSetRemote(RequestReader& reader) {
    SetRemoteRequest request;
    request.session = reader.requireString("session", 256);
    if (request.session.empty())
        throw RequestError(ErrorCode::InvalidField, "field 'session' must not be empty");
    std::string role = reader.optionalString("role", 16).value_or("active");
    if (role != "active" && role != "passive")
        throw RequestError(ErrorCode::InvalidField, "field 'role' must be \"active\" or \"passive\"");
    request.active = role == "active";
    json_t* remote = reader.optionalObject("remote");
    if (!remote)
        throw RequestError(ErrorCode::MissingField, "missing field 'remote'");
    RequestReader remoteReader(remote);
    request.remotePath = readStrings(remoteReader, "path", kMaxPath, kMaxUri, true);
    request.fingerprint = remoteReader.optionalString("fingerprint", 256).value_or("");
    return request;
}

std::string parseCloseSession(RequestReader& reader) {
    std::string session = reader.requireString("session", 256);
    if (session.empty())
        throw RequestError(ErrorCode::InvalidField, "field 'session' must not be empty");
    return session;
}

}  // namespace sylk::msrp_plugin
