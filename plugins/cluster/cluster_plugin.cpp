#include "cluster_plugin.hpp"

#include "cluster_session.hpp"
#include "sylkcore/hub/services.hpp"
#include "sylkcore/log.hpp"
#include "sylkcore/request_error.hpp"
#include "sylkcore/room_id.hpp"

namespace sylk::cluster {
namespace {

const janus::PluginInfo kInfo{
    1,
    "0.1.0",
    "Sylk cluster node: room ownership leases and node membership on NATS JetStream.",
    "Sylk Cluster",
    "Sylk for Janus",
    "janus.plugin.sylk.cluster",
    "cluster",
};

const char* const kOwnerService = "cluster.owner";
// {"account": aor, "event": {...}}: a SIP gateway account's event for the other nodes.
const char* const kAccountEventService = "cluster.account_event";

}  // namespace

ClusterPlugin::ClusterPlugin() : Plugin(kInfo) {}

void ClusterPlugin::configure(const janus::PluginConfig& config) {
    ClusterSettings settings = ClusterSettings::read(config);
    node_ = std::make_shared<ClusterNode>(settings);
    if (settings.enabled()) {
        keeper_ = std::make_unique<LeaseKeeper>(*node_);
        SYLK_LOG(LOG_INFO, kInfo.package, "node %s joins the cluster at %s (lease %lld ms)", settings.node.c_str(),
                 settings.nats.c_str(), static_cast<long long>(settings.lease.count()));
    } else {
        SYLK_LOG(LOG_INFO, kInfo.package, "no nats configured: single node %s", settings.node.c_str());
    }
    // Owner lookups may wait for NATS (up to lease/3): on the control loop for handles, so
    // Janus's request threads never wait; the admin API answers synchronously by its nature.
    onRequest<ClusterSession>("owner", Execution::ControlLoop, &ClusterPlugin::sessionOwner);
    onRequest<ClusterSession>("nodes", Execution::ControlLoop, &ClusterPlugin::sessionNodes);
    onRequest<ClusterSession>("status", Execution::Inline, &ClusterPlugin::sessionStatus);
    onAdminRequest("owner", &ClusterPlugin::owner);
    onAdminRequest("nodes", &ClusterPlugin::nodes);
    onAdminRequest("status", &ClusterPlugin::status);
    hub::Services::instance().offer(kOwnerService, [node = node_](const Json& request) { return ownerService(*node, request); });
    hub::Services::instance().offer(kAccountEventService, [node = node_](const Json& request) {
        const char* account = json_string_value(request.member("account"));
        json_t* event = request.member("event");
        if (!account || !json_is_object(event))
            throw RequestError(ErrorCode::InvalidField, "give 'account' (a string) and 'event' (an object)");
        return Json::object().setBool("published", node->publishAccountEvent(account, Json::borrow(event)));
    });
}

std::shared_ptr<janus::PluginSession> ClusterPlugin::newSession(janus::Handle* handle) {
    return std::make_shared<ClusterSession>(handle);
}

void ClusterPlugin::onShutdown() {
    hub::Services::instance().withdraw(kOwnerService);
    hub::Services::instance().withdraw(kAccountEventService);
    keeper_.reset();  // gives our rooms up, so the other nodes take them over at once
    node_.reset();
}

Json ClusterPlugin::ownerOf(ClusterNode& node, RequestReader& reader, ClusterSession* session) {
    RoomId room = RoomId::read(reader);
    bool joining = reader.optionalBool("joining").value_or(false);
    reader.rejectUnknownFields();
    if (joining && session) {
        // One room held for a joiner per handle: a client cannot pin many rooms from one handle.
        std::string previous = session->holdForJoin(room.key);
        if (!previous.empty())
            node.dropJoinerHold(previous);
    }
    Json answer = node.owner(room.key, room.value, joining);
    answer.set("cluster", "owner");
    return answer;
}

Reply ClusterPlugin::owner(RequestReader& reader, const Request&) { return Reply{ownerOf(*node_, reader), {}}; }

Reply ClusterPlugin::sessionOwner(ClusterSession& session, RequestReader& reader, const Request&) {
    return Reply{ownerOf(*node_, reader, &session), {}};
}

Reply ClusterPlugin::nodes(RequestReader& reader, const Request&) {
    reader.rejectUnknownFields();
    Json answer = node_->nodes();
    answer.set("cluster", "nodes");
    return Reply{answer, {}};
}

Reply ClusterPlugin::status(RequestReader& reader, const Request&) {
    reader.rejectUnknownFields();
    Json answer = node_->status();
    answer.set("cluster", "status");
    return Reply{answer, {}};
}

Json ClusterPlugin::ownerService(ClusterNode& node, const Json& request) {
    RequestReader reader(request.get());
    reader.optionalString("request");  // callers may name the request as on the API
    return ownerOf(node, reader);
}

}  // namespace sylk::cluster
