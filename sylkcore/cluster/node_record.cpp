#include "node_record.hpp"

namespace sylk::cluster {
namespace {

// A string member of at most max bytes; absent reads as empty. False for any other type.
bool readString(const Json& json, const char* key, std::string& out, size_t max) {
    json_t* value = json.member(key);
    if (!value)
        return true;
    if (!json_is_string(value) || json_string_length(value) > max)
        return false;
    out.assign(json_string_value(value), json_string_length(value));
    return true;
}

}  // namespace

Json NodeRecord::toJson() const {
    Json json = Json::object();
    json.set("node", node).set("ws_url", wsUrl).set("sip_uri", sipUri).set("http_url", httpUrl)
        .set("media_ip", mediaIp)
        .set("started", static_cast<json_int_t>(started));
    return json;
}

std::optional<NodeRecord> NodeRecord::decode(std::string_view value) {
    Json json = Json::parse(value);
    if (!json_is_object(json.get()))
        return std::nullopt;
    NodeRecord record;
    if (!readString(json, "node", record.node, kMaxField) || record.node.empty() ||
        !readString(json, "ws_url", record.wsUrl, kMaxField) || !readString(json, "sip_uri", record.sipUri, kMaxField) ||
        !readString(json, "http_url", record.httpUrl, kMaxField) || !readString(json, "media_ip", record.mediaIp, kMaxField))
        return std::nullopt;
    json_t* started = json.member("started");
    record.started = json_is_integer(started) ? json_integer_value(started) : 0;
    return record;
}

}  // namespace sylk::cluster
