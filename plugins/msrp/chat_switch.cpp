#include "chat_switch.hpp"

#include <iterator>

#include "sylkcore/files/file_store.hpp"
#include "sylkcore/hub/events.hpp"
#include "sylkcore/hub/hub.hpp"
#include "sylkcore/log.hpp"
#include "remote_path.hpp"
#include "sylkcore/request_error.hpp"

namespace sylk::msrp_plugin {
namespace {

// What the room takes (RFC 4975 a=accept-types / a=accept-wrapped-types): CPIM around text,
// images and is-composing, or those bare. Anything else gets 415 from the stack.
const std::vector<std::string> kAcceptTypes{"message/cpim", "text/*", "image/*", "application/im-iscomposing+xml"};
const std::vector<std::string> kAcceptWrappedTypes{"text/*", "image/*", "application/im-iscomposing+xml"};

Json uriList(const std::vector<msrp::Uri>& uris) {
    Json list = Json::array();
    for (const auto& uri : uris)
        list.append(Json::adopt(json_string(uri.str().c_str())));
    return list;
}

}  // namespace

ChatSwitch::ChatSwitch(net::StackThread& thread, const MsrpSettings& settings, Report report)
    : settings_(settings), report_(std::move(report)) {
    msrp::StackConfig config;
    config.listenAddress = settings.listenIp;
    config.tcp = true;
    config.tcpPort = settings.port;
    config.tls = !settings.tlsCertificate.empty() && !settings.tlsKey.empty();
    config.tlsPort = settings.tlsPort;
    config.tlsOptions.certificateFile = settings.tlsCertificate;
    config.tlsOptions.keyFile = settings.tlsKey;
    config.chunkSize = settings.chunkSize;
    config.maxMessageSize = settings.maxMessageBytes;
    config.sendQueueBytes = settings.sendQueueBytes;
    stack_ = std::make_unique<msrp::Stack>(thread, config);
    files_ = std::make_unique<FileTransfers>(*stack_, settings_, report_);
}

ChatSwitch::~ChatSwitch() {
    files_.reset();
    direct_.clear();
    rooms_.clear();  // sessions first: they close their msrp sessions on the stack
    relay_.reset();
    stack_.reset();
}

namespace {

const char* stateName(msrp::RelayClient::State state) {
    switch (state) {
    case msrp::RelayClient::State::Idle: return "idle";
    case msrp::RelayClient::State::Connecting: return "connecting";
    case msrp::RelayClient::State::Authenticating: return "authenticating";
    case msrp::RelayClient::State::Ready: return "ready";
    case msrp::RelayClient::State::Failed: return "failed";
    }
    return "?";
}

}  // namespace

void ChatSwitch::start() {
    stack_->start();
    SYLK_LOG(LOG_INFO, ChatRoom::kPackage, "MSRP listening on %s port %u%s", settings_.listenIp.c_str(), stack_->port(false),
             stack_->port(true) ? (" and msrps port " + std::to_string(stack_->port(true))).c_str() : "");
    if (settings_.relayUri.empty())
        return;
    // Through a relay (RFC 4976): sessions made while it is ready advertise its Use-Path first.
    msrp::RelayClientConfig relay;
    relay.relay = msrp::Uri::parse(settings_.relayUri);  // a bad URI stops the plugin at start
    relay.username = settings_.relayUser;
    relay.password = settings_.relayPassword;
    relay.fingerprint = settings_.relayFingerprint;
    relay.expires = std::chrono::seconds(settings_.relayExpires);
    std::string uri = settings_.relayUri;
    relay_ = std::make_unique<msrp::RelayClient>(*stack_, relay, [uri](const msrp::RelayClient::Status& status) {
        if (status.state == msrp::RelayClient::State::Failed)
            SYLK_LOG(LOG_WARN, ChatRoom::kPackage, "relay %s: failed: %s", uri.c_str(), status.error.c_str());
        else
            SYLK_LOG(LOG_INFO, ChatRoom::kPackage, "relay %s: %s", uri.c_str(), stateName(status.state));
    });
    // The relay names a new Use-Path at each AUTH refresh (Kamailio does) and honours the old one
    // only until its grant expires: each session is moved to the new path, and this event says
    // which path its peer must be told (the SIP side re-INVITEs with it; docs/decisions.md).
    stack_->setLocalPathListener([this](msrp::Session& session) {
        SYLK_LOG(LOG_INFO, ChatRoom::kPackage, "MSRP session %s now announces %s (the relay's grant was renewed)",
                 session.id().c_str(), msrp::Uri::pathString(session.localPath()).c_str());
        Json event = Json::object();
        event.set("event", "path").set("session", session.id()).set("path", uriList(session.localPath()));
        std::string roomName;
        if (auto room = roomOf_.find(session.id()); room != roomOf_.end())
            roomName = room->second;
        else if (auto direct = direct_.find(session.id()); direct != direct_.end())
            roomName = direct->second->room();
        else if (files_)  // a file transfer's: its room (a conference's, or a web user's file room)
            roomName = files_->roomOf(session.id());
        if (!roomName.empty())
            event.set("room", roomName);
        report_(std::move(event));
        // The SIP side (focus or gateway) listens to the session's room and re-INVITEs its peer.
        if (auto hubRoom = roomName.empty() ? nullptr : hub::Hub::instance().find(roomName)) {
            std::vector<std::string> path;
            for (const auto& uri : session.localPath())
                path.push_back(uri.str());
            hubRoom->post(ChatRoom::kPackage, std::string(ChatRoom::kPackage) + "/" + session.id(),
                          hub::msrpPath(hub::MsrpPathChange{session.id(), std::move(path)}));
        }
    });
    relay_->start();
}

void ChatSwitch::pruneRooms() {
    // A session that ended by itself (its connection failed) left its room on the next turn of
    // the loop; a room left empty so stops listening to the hub here.
    for (auto it = rooms_.begin(); it != rooms_.end();) {
        if (!it->second->empty()) {
            ++it;
            continue;
        }
        // Its shared files go when the hub forgets the room (FileStore::roomForgotten), once
        // every plugin and file transfer has let it go.
        it = rooms_.erase(it);
    }
}

Json ChatSwitch::open(const OpenSessionRequest& request) {
    pruneRooms();
    // The seam for RFC 5547 file transfer sessions in rooms (the msrp-files work): a request
    // with "file" is a FileTransfer's, not a chat session's.
    if (request.file) {
        Json answer = files_->open(request);
        report_(Json::object()
                    .set("event", "opened")
                    .set("room", request.room)
                    .set("session", json_string_value(answer.member("session")))
                    .set("file", request.file->direction));
        return answer;
    }
    if (request.direct)
        return openDirect(request);
    return openChat(request);
}

Json ChatSwitch::openChat(const OpenSessionRequest& request) {
    msrp::SessionSetup setup;
    setup.remotePath = parseRemotePath(request.remotePath);
    setup.role = request.active ? msrp::Role::Active : msrp::Role::Passive;
    setup.secure = setup.remotePath.back().secure;
    if (setup.secure && !stack_->port(true))
        throw RequestError(ErrorCode::MsrpUnsupported, "msrps asked for, but no TLS certificate is configured");
    setup.acceptTypes = kAcceptTypes;
    setup.acceptWrappedTypes = kAcceptWrappedTypes;
    setup.maxMessageSize = settings_.maxMessageBytes;
    setup.chunkSize = settings_.chunkSize;
    setup.fingerprint = request.fingerprint;

    auto& room = rooms_[request.room];
    if (!room) {
        room = std::make_shared<ChatRoom>(request.room, settings_, *stack_);
        room->start();
    }
    ChatIdentity identity;
    identity.uri = request.uri;
    identity.display = request.display;
    identity.memberId = request.member;
    identity.ownsMember = request.member.empty();
    ChatSession* session = nullptr;
    try {
        session = &room->open(std::move(setup), std::move(identity));
    } catch (const std::invalid_argument& e) {
        if (room->empty())
            rooms_.erase(request.room);
        throw RequestError(ErrorCode::MsrpBadPath, e.what());
    }
    roomOf_[session->id()] = request.room;
    const msrp::Session& msrpSession = session->msrp();
    Json local = Json::object();
    local.set("path", uriList(msrpSession.localPath()))
        .set("setup", request.active ? "active" : "passive")
        .set("accept_types", Json::stringArray(kAcceptTypes))
        .set("accept_wrapped_types", Json::stringArray(kAcceptWrappedTypes))
        .set("host", msrpSession.localUri().host)
        .set("port", static_cast<json_int_t>(msrpSession.localUri().portOrDefault()))
        .set("transport", msrpSession.localUri().secure ? "tls" : "tcp");
    if (msrpSession.localUri().secure)
        local.set("fingerprint", "sha-256 " + stack_->fingerprint());
    Json answer = Json::object();
    answer.set("session", session->id()).set("member", session->identity().memberId).set("local", local);
    report_(Json::object()
                .set("event", "opened")
                .set("room", request.room)
                .set("session", session->id())
                .set("member", session->identity().memberId));
    return answer;
}

void ChatSwitch::close(const std::string& sessionId) {
    if (files_->close(sessionId)) {
        report_(Json::object().set("event", "closed").set("session", sessionId));
        return;
    }
    if (auto direct = direct_.find(sessionId); direct != direct_.end()) {
        std::string room = direct->second->room();
        direct_.erase(direct);
        report_(Json::object().set("event", "closed").set("room", room).set("session", sessionId));
        return;
    }
    auto it = roomOf_.find(sessionId);
    if (it == roomOf_.end())
        throw RequestError(ErrorCode::MsrpNoSuchSession, "no session '" + sessionId + "'");
    std::string name = it->second;
    roomOf_.erase(it);
    auto room = rooms_.find(name);
    if (room != rooms_.end())
        room->second->close(sessionId);  // false when it ended by itself already
    pruneRooms();
    report_(Json::object().set("event", "closed").set("room", name).set("session", sessionId));
}

Json ChatSwitch::status() const {
    Json rooms = Json::array();
    for (const auto& [name, room] : rooms_)
        rooms.append(room->status());
    Json direct = Json::array();
    for (const auto& [id, session] : direct_)
        direct.append(session->status());
    Json json = Json::object();
    json.set("port", static_cast<json_int_t>(stack_->port(false)))
        .set("tls_port", static_cast<json_int_t>(stack_->port(true)))
        .set("connections", static_cast<json_int_t>(stack_->connectionCount()))
        .set("sessions", static_cast<json_int_t>(stack_->sessionCount()))
        .set("rooms", rooms)
        .set("file_transfers", files_->status())
        .set("direct", direct);
    if (relay_) {
        const auto& relay = relay_->status();
        Json usePath = Json::array();
        for (const auto& hop : relay.usePath)
            usePath.append(Json::adopt(json_string(hop.str().c_str())));
        json.set("relay", Json::object()
                              .set("state", stateName(relay.state))
                              .set("last_status", static_cast<json_int_t>(relay.lastStatus))
                              .set("error", relay.error)
                              .set("use_path", usePath)
                              .set("authentications", static_cast<json_int_t>(relay.authentications)));
    }
    return json;
}

}  // namespace sylk::msrp_plugin
