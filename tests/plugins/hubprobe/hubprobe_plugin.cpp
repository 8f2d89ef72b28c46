#include "hubprobe_plugin.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <optional>

#include "sylkcore/hub/api_channel.hpp"

#include "sylkcore/hub/services.hpp"
#include "sylkcore/janus/plugin_binding.hpp"

namespace sylk::hubprobe {
namespace {

const janus::PluginInfo kInfo{
    1,
    "0.1.0",
    "Test plugin: joins sylkcore hub rooms and reports their events.",
    "Sylk hub probe " HUBPROBE_VARIANT,
    "Sylk for Janus",
    "janus.plugin.sylk.hubprobe." HUBPROBE_VARIANT,
    "hubprobe",
};

std::atomic<unsigned> nextMember{1};

Json eventJson(const hub::RoomEvent& event) {
    Json json = Json::object();
    json.set("room", event.room)
        .set("kind", event.kind)
        .set("plugin", event.plugin)
        .set("member", event.member)
        .set("sequence", static_cast<json_int_t>(event.sequence))
        .set("data", event.data);
    return json;
}

}  // namespace

HubProbePlugin::HubProbePlugin() : Plugin(kInfo) {}

void HubProbePlugin::configure(const janus::PluginConfig&) {
    onRequest<ProbeSession>("join", Execution::ControlLoop, &HubProbePlugin::join);
    onRequest<ProbeSession>("post", Execution::ControlLoop, &HubProbePlugin::post);
    onRequest<ProbeSession>("post_raw", Execution::ControlLoop, &HubProbePlugin::postRaw);
    onRequest<ProbeSession>("leave", Execution::ControlLoop, &HubProbePlugin::leave);
    onRequest<ProbeSession>("info", Execution::Inline, &HubProbePlugin::hubInfo);
    onRequest<ProbeSession>("call", Execution::ControlLoop, &HubProbePlugin::callService);
    onRequest<ProbeSession>("api_probe", Execution::ControlLoop, &HubProbePlugin::apiProbe);
}

std::shared_ptr<janus::PluginSession> HubProbePlugin::newSession(janus::Handle* handle) {
    return std::make_shared<ProbeSession>(handle, *this, std::string(kInfo.package) + "/" + std::to_string(nextMember++));
}

void HubProbePlugin::relayRoomEvent(std::weak_ptr<ProbeSession> weak, const hub::RoomEvent& event) {
    loop().post([this, weak, event] {
        if (auto session = weak.lock()) {
            Json body = makeEvent();
            body.set("room_event", eventJson(event));
            pushEvent(*session, "", body);
        }
    });
}

Reply HubProbePlugin::join(ProbeSession& session, RequestReader& reader, const Request&) {
    std::string roomId = reader.requireString("room", 256);
    std::string display = reader.optionalString("display", 256).value_or("");
    reader.rejectUnknownFields();
    if (session.room)
        throw RequestError(ErrorCode::WrongState, "already in room '" + session.room->id() + "'");
    session.room = hub::Hub::instance().open(roomId);
    session.subscription = session.room->subscribe(session.shared_from_this());
    session.display = display;
    session.room->join(hub::Member{session.memberId(), display, kInfo.package});
    Json body = makeEvent();
    body.set("joined", roomId).set("member", session.memberId());
    Json members = Json::array();
    for (const auto& member : session.room->members())
        members.append(Json::object().set("id", member.id).set("display", member.display).set("plugin", member.plugin));
    body.set("members", members);
    return Reply{body, {}};
}

Reply HubProbePlugin::post(ProbeSession& session, RequestReader& reader, const Request&) {
    std::string text = reader.requireString("text", 16 * 1024);
    reader.rejectUnknownFields();
    if (!session.room)
        throw RequestError(ErrorCode::HubProbeNotJoined, "join a room before posting");
    hub::ChatMessage message;
    message.id = hub::newMessageId();
    message.display = session.display;
    message.text = text;
    message.timestamp = hub::nowMs();
    session.room->post(kInfo.package, session.memberId(), hub::chat(message));
    return Reply{makeEvent().set("posted", "ok"), {}};
}

// Posts any kind with any payload, bypassing the schema's builders: how tests show that
// listeners refuse a payload that breaks the schema and go on with the next event.
Reply HubProbePlugin::postRaw(ProbeSession& session, RequestReader& reader, const Request&) {
    std::string kind = reader.requireString("kind", 64);
    json_t* data = reader.optionalRaw("data");
    reader.rejectUnknownFields();
    if (!session.room)
        throw RequestError(ErrorCode::HubProbeNotJoined, "join a room before posting");
    session.room->post(kind, kInfo.package, session.memberId(), data ? Json::borrow(data) : Json::object());
    return Reply{makeEvent().set("posted", "ok"), {}};
}

Reply HubProbePlugin::leave(ProbeSession& session, RequestReader& reader, const Request&) {
    reader.rejectUnknownFields();
    if (!session.room)
        throw RequestError(ErrorCode::HubProbeNotJoined, "not in a room");
    session.leaveRoom();
    return Reply{makeEvent().set("left", "ok"), {}};
}

Reply HubProbePlugin::hubInfo(ProbeSession&, RequestReader& reader, const Request&) {
    reader.rejectUnknownFields();
    Json body = makeEvent();
    body.set("package", kInfo.package).set("hub_instance", hub::Hub::instance().instanceId());
    Json rooms = Json::array();
    for (const auto& id : hub::Hub::instance().roomIds())
        rooms.append(Json::adopt(json_string(id.c_str())));
    body.set("rooms", rooms);
    return Reply{body, {}};
}

Reply HubProbePlugin::callService(ProbeSession&, RequestReader& reader, const Request&) {
    std::string service = reader.requireString("service", 128);
    json_t* args = reader.optionalObject("args");
    Json result = hub::Services::instance().call(service, args ? Json::borrow(args) : Json::object());
    Json body = makeEvent();
    body.set("service", service).set("result", result);
    return Reply{body, {}};
}

namespace {

// Runs ApiChannel's deliveries inline on janus's threads under one mutex, and lets the control
// loop wait for the next reply: a blocking client is fine for a test plugin.
class BlockingApiClient {
public:
    BlockingApiClient()
        : channel_([this](std::function<void()> work) {
                       std::lock_guard lock(mutex_);
                       work();
                       arrived_.notify_all();
                       return true;
                   },
                   [this](const Json& event) { events_.append(event); }) {}

    Json call(Json request) {
        std::unique_lock lock(mutex_);
        std::optional<Json> reply;
        channel_.request(std::move(request), [&reply](const Json& message) { reply = message; });
        if (!arrived_.wait_for(lock, std::chrono::seconds(5), [&] { return reply.has_value(); }))
            throw RequestError(ErrorCode::NotFound, "no reply from janus through the loopback within 5 s");
        return *reply;
    }
    Json events() {
        std::lock_guard lock(mutex_);
        return events_;
    }

private:
    std::mutex mutex_;
    std::condition_variable arrived_;
    Json events_ = Json::array();
    hub::ApiChannel channel_;  // last: closed first, while the mutex still exists
};

json_int_t idOf(const Json& reply) {
    json_t* data = reply.member("data");
    json_t* id = data ? json_object_get(data, "id") : nullptr;
    if (!json_is_integer(id))
        throw RequestError(ErrorCode::NotFound, "janus refused: " + reply.dump());
    return json_integer_value(id);
}

}  // namespace

Reply HubProbePlugin::apiProbe(ProbeSession&, RequestReader& reader, const Request&) {
    std::string plugin = reader.requireString("plugin", 128);
    json_t* body = reader.optionalObject("body");
    bool leaveOpen = reader.optionalBool("leave_open").value_or(false);
    Json replies = Json::array();
    {
        BlockingApiClient client;
        Json created = client.call(Json::object().set("janus", "create"));
        replies.append(created);
        json_int_t sessionId = idOf(created);
        Json attached = client.call(Json::object().set("janus", "attach").set("session_id", sessionId).set("plugin", plugin));
        replies.append(attached);
        json_int_t handleId = idOf(attached);
        Json message = Json::object();
        message.set("janus", "message").set("session_id", sessionId).set("handle_id", handleId)
            .set("body", body ? Json::borrow(body) : Json::object());
        replies.append(client.call(message));
        if (!leaveOpen) {
            replies.append(client.call(Json::object().set("janus", "detach").set("session_id", sessionId).set("handle_id", handleId)));
            replies.append(client.call(Json::object().set("janus", "destroy").set("session_id", sessionId)));
        }
        Json answer = makeEvent();
        answer.set("replies", replies).set("events", client.events()).set("session_id", sessionId);
        return Reply{answer, {}};
    }
}

void HubProbePlugin::retire(std::shared_ptr<ProbeSession> session) {
    loop().post([session] { session->leaveRoom(); });
}

void ProbeSession::leaveRoom() {
    if (!room)
        return;
    subscription.reset();
    room->leave(memberId_);
    std::string id = room->id();
    room.reset();
    hub::Hub::instance().closeIfIdle(id);
}

}  // namespace sylk::hubprobe

SYLK_JANUS_PLUGIN(sylk::hubprobe::HubProbePlugin)
