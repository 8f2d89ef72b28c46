// Calls into rooms that another node of a cluster owns: redirected there with 302. Part of
// class ConferenceFocus (conference_focus.hpp). The Kamailio front (docs/cluster.md) follows
// the 302, so a caller through it never sees it.
#include "conference_focus.hpp"

#include <string>

#include "sofia.hpp"

#include "sip_stack.hpp"
#include "sylkcore/hub/services.hpp"
#include "sylkcore/hub/service_names.hpp"
#include "sylkcore/log.hpp"
#include "sylkcore/request_error.hpp"

#include "conference_focus_detail.hpp"

namespace sylk::sip {

using namespace conference_focus_detail;

namespace {

// "host:port" of an advertised sip_uri ("sip:node1.example.com:5060", maybe with a user part,
// parameters or angle brackets); empty when there is no host.
std::string hostPortOf(const std::string& sipUri) {
    std::string bare = sipUri.size() > 1 && sipUri.front() == '<' && sipUri.back() == '>' ? sipUri.substr(1, sipUri.size() - 2)
                                                                                          : sipUri;
    su_home_t home[1] = {SU_HOME_INIT(home)};
    std::string hostPort;
    url_t* url = url_make(home, bare.c_str());
    if (url && url->url_host && *url->url_host && (url->url_type == url_sip || url->url_type == url_sips)) {
        hostPort = url->url_host;
        if (url->url_port && *url->url_port)
            hostPort += std::string(":") + url->url_port;
    }
    su_home_deinit(home);
    return hostPort;
}

}  // namespace

bool ConferenceFocus::redirectToOwner(nua_handle_s* handle, const std::string& room) {
    Json request = Json::object();
    request.set("room", room).setBool("joining", true);  // an unowned room is claimed for this call
    if (!hub::Services::instance().offered(hub::service::ClusterOwner))
        return false;  // no cluster plugin: a single node, every room is here
    Json owner;
    try {
        std::string why;
        std::optional<Json> answer = ownerLookup_.ask(request, &why);
        if (!answer) {
            SYLK_LOG(LOG_WARN, kPackage, "owner of room %s unknown (%s): taking the call here", room.c_str(), why.c_str());
            return false;
        }
        owner = std::move(*answer);
    } catch (const RequestError& e) {
        // No cluster plugin (a single node), or NATS does not answer: take the call as always.
        if (e.code() != ErrorCode::NotFound)
            SYLK_LOG(LOG_WARN, kPackage, "owner of room %s unknown (%s): taking the call here", room.c_str(), e.what());
        return false;
    }
    json_t* local = json_object_get(owner.get(), "local");
    const char* node = json_string_value(json_object_get(owner.get(), "node"));
    const char* sipUri = json_string_value(json_object_get(owner.get(), "sip_uri"));
    if (!node || !local || json_is_true(local) || !sipUri)
        return false;  // ours, nobody's, or an owner without a SIP address: taken here
    std::string hostPort = hostPortOf(sipUri);
    if (hostPort.empty())
        return false;
    std::string contact = "<sip:" + room + "@" + hostPort + ">";
    nua_respond(handle, 302, sip_302_Moved_temporarily, NUTAG_WITH_THIS(stack_.nua()), SIPTAG_CONTACT_STR(contact.c_str()),
                TAG_END());
    stack_.retire(handle);
    ++callsRedirected_;
    SYLK_LOG(LOG_INFO, kPackage, "call into room %s redirected to its owner node %s (%s)", room.c_str(), node, contact.c_str());
    return true;
}

}  // namespace sylk::sip
