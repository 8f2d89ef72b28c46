#include "msrp_answer.hpp"

#include "sylkcore/hub/services.hpp"
#include "sylkcore/hub/service_names.hpp"
#include "sylkcore/log.hpp"

namespace sylk::sip {

namespace {

// The strings of a JSON array; false if it is not an array of strings.
bool readStrings(json_t* array, std::vector<std::string>* items) {
    if (!json_is_array(array))
        return false;
    size_t index;
    json_t* item;
    json_array_foreach(array, index, item) {
        if (!json_is_string(item))
            return false;
        items->push_back(json_string_value(item));
    }
    return true;
}

}  // namespace

std::string jsonString(json_t* object, const char* key) {
    json_t* value = json_object_get(object, key);
    return json_is_string(value) ? json_string_value(value) : "";
}

bool readMsrpAnswer(const Json& reply, std::string* session, std::string* member, MsrpAnswer* answer) {
    *session = jsonString(reply.get(), "session");
    *member = jsonString(reply.get(), "member");
    json_t* local = reply.member("local");
    json_t* port = json_object_get(local, "port");
    answer->host = jsonString(local, "host");
    answer->setup = jsonString(local, "setup");
    answer->fingerprint = jsonString(local, "fingerprint");
    answer->secure = jsonString(local, "transport") == "tls";
    if (session->empty() || !readStrings(json_object_get(local, "path"), &answer->path) || answer->path.empty() ||
        !json_is_integer(port) || json_integer_value(port) <= 0 || json_integer_value(port) > 65535 ||
        answer->host.empty() || (answer->setup != "active" && answer->setup != "passive"))
        return false;
    answer->port = static_cast<uint16_t>(json_integer_value(port));
    // Optional lists, but a list that is there must be one of strings.
    for (auto [key, list] : {std::pair{"accept_types", &answer->acceptTypes},
                             std::pair{"accept_wrapped_types", &answer->acceptWrappedTypes}}) {
        if (json_object_get(local, key) && !readStrings(json_object_get(local, key), list))
            return false;
    }
    return true;
}

std::string setMsrpRemote(const std::string& session, const MsrpOffer& answer) {
    Json remote = Json::object();
    remote.set("path", Json::stringArray(answer.path));
    if (!answer.fingerprint.empty())
        remote.set("fingerprint", answer.fingerprint);
    std::string role = answer.setup == "passive" ? "active" : "passive";
    Json request = Json::object();
    request.set("session", session).set("role", role).set("remote", remote);
    hub::Services::instance().call(hub::service::MsrpSetRemote, request);
    return role;
}

void closeMsrpSession(const std::string& session, const std::string& what) {
    try {
        hub::Services::instance().call(hub::service::MsrpCloseSession, Json::object().set("session", session));
    } catch (const std::exception& e) {
        SYLK_LOG(LOG_VERB, "janus.plugin.sylk.sip", "closing %s: %s", what.c_str(), e.what());
    }
}

}  // namespace sylk::sip
