#include "lease_record.hpp"

#include "../json.hpp"

namespace sylk::cluster {

std::string LeaseRecord::encode() const {
    Json json = Json::object();
    json.set("node", node).set("since", static_cast<json_int_t>(since));
    return json.dump();
}

std::optional<LeaseRecord> LeaseRecord::decode(std::string_view value) {
    Json json = Json::parse(value);
    json_t* node = json.member("node");
    json_t* since = json.member("since");
    if (!json_is_string(node) || json_string_length(node) == 0 || json_string_length(node) > kMaxNodeId)
        return std::nullopt;
    LeaseRecord record;
    record.node.assign(json_string_value(node), json_string_length(node));
    record.since = json_is_integer(since) ? json_integer_value(since) : 0;
    return record;
}

}  // namespace sylk::cluster
