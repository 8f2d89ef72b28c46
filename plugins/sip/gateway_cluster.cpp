// A gateway account's events across the nodes of a cluster (issue 15, docs/cluster.md: account
// events for multi-device sync). The account's handles on this node get an event at once; the
// cluster plugin's AccountRelay carries it to the other nodes, whose gateways give it to their
// handles of the account. Part of class Gateway (gateway.hpp).
#include "gateway.hpp"

#include "sylkcore/hub/services.hpp"
#include "sylkcore/hub/service_names.hpp"
#include "sylkcore/log.hpp"
#include "sylkcore/request_error.hpp"

#include "gateway_detail.hpp"

namespace sylk::sip {

using namespace gateway_detail;

void Gateway::shareWithOtherNodes(const std::string& aor, const Json& event) {
    auto& services = hub::Services::instance();
    if (!services.offered(hub::service::ClusterAccountEvent))
        return;  // a single node
    Json request = Json::object();
    request.set("account", aor).set("event", event);
    try {
        services.call(hub::service::ClusterAccountEvent, request);  // queues a bus message: does not wait
    } catch (const RequestError& e) {
        SYLK_LOG(LOG_VERB, kPackage, "an event of %s stays on this node: %s", aor.c_str(), e.what());
    }
}

void Gateway::fromOtherNode(const Json& request) {
    const char* account = json_string_value(request.member("account"));
    json_t* event = request.member("event");
    if (!account || !json_is_object(event))
        return;
    Json copy = Json::borrow(event);
    for (const auto& handle : handlesOf(account, nullptr))
        emit(*handle, copy);
}

}  // namespace sylk::sip
