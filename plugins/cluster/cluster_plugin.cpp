#include "cluster_plugin.hpp"

#include "cluster_session.hpp"
#include "sylkcore/hub/services.hpp"
#include "sylkcore/hub/service_names.hpp"
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

// {"node", "service", "request"} of cluster.call and cluster.send.
struct NodeCallRequest {
    std::string node;
    std::string service;
    Json request;
    std::chrono::milliseconds timeout = NodeCalls::kDefaultTimeout;

    static NodeCallRequest read(const Json& json, bool withTimeout) {
        RequestReader reader(json.get());
        NodeCallRequest call;
        call.node = reader.requireString("node");
        call.service = reader.requireString("service");
        json_t* request = json.member("request");
        if (!json_is_object(request))
            throw RequestError(ErrorCode::InvalidField, "'request' must be an object");
        call.request = Json::borrow(request);
        if (withTimeout)
            call.timeout = std::chrono::milliseconds(
                reader.optionalInt("timeout_ms", 1, NodeCalls::kMaxTimeout.count()).value_or(NodeCalls::kDefaultTimeout.count()));
        return call;
    }
};

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
    hub::Services::instance().offer(hub::service::ClusterOwner, [node = node_](const Json& request) { return ownerService(*node, request); });
    hub::Services::instance().offer(hub::service::ClusterAccountEvent, [node = node_](const Json& request) {
        const char* account = json_string_value(request.member("account"));
        json_t* event = request.member("event");
        if (!account || !json_is_object(event))
            throw RequestError(ErrorCode::InvalidField, "give 'account' (a string) and 'event' (an object)");
        return Json::object().setBool("published", node->publishAccountEvent(account, Json::borrow(event)));
    });
    offerNodeServices();
}

void ClusterPlugin::offerNodeServices() {
    auto& services = hub::Services::instance();
    services.offer(hub::service::ClusterSelf, [node = node_](const Json&) {
        const ClusterSettings& settings = node->settings();
        return Json::object().setBool("enabled", settings.enabled()).set("node", settings.node).set("media_ip", settings.mediaIp);
    });
    services.offer(hub::service::ClusterCall, [node = node_](const Json& json) {
        NodeCallRequest call = NodeCallRequest::read(json, true);
        return node->callNode(call.node, call.service, call.request, call.timeout);
    });
    services.offer(hub::service::ClusterSend, [node = node_](const Json& json) {
        NodeCallRequest call = NodeCallRequest::read(json, false);
        node->sendToNode(call.node, call.service, call.request);
        return Json::object().setBool("sent", true);
    });
    services.offer(hub::service::ClusterRoomNodes, [](const Json& json) {
        RequestReader reader(json.get());
        std::string room = reader.requireString("room");
        return Json::object().set("nodes", Json::stringArray(ClusterNode::nodesInRoom(room)));
    });
}

std::shared_ptr<janus::PluginSession> ClusterPlugin::newSession(janus::Handle* handle) {
    return std::make_shared<ClusterSession>(handle);
}

void ClusterPlugin::onShutdown() {
    hub::Services::instance().withdraw(hub::service::ClusterOwner);
    hub::Services::instance().withdraw(hub::service::ClusterAccountEvent);
    for (const char* name : {hub::service::ClusterSelf, hub::service::ClusterCall, hub::service::ClusterSend, hub::service::ClusterRoomNodes})
        hub::Services::instance().withdraw(name);
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
    if (node.settings().spanRooms)
        answer.setBool("span_rooms", true);  // the web app stays on its node (html/room/session.js)
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
