// The switch's direct mode: a 1:1 MSRP session (a SIP chat client calling a web user) that is
// no room's member; its messages go to and come from the private hub room the caller named
// (DirectSession). Part of class ChatSwitch (chat_switch.hpp).
#include "chat_switch.hpp"

#include "remote_path.hpp"
#include "sylkcore/request_error.hpp"

namespace sylk::msrp_plugin {
namespace {

// A direct session carries what the user's side speaks: CPIM around text, is-composing and
// IMDN (RFC 5438), or those bare.
const std::vector<std::string> kDirectAcceptTypes{"message/cpim", "text/*", "application/im-iscomposing+xml",
                                                  "message/imdn+xml"};
const std::vector<std::string> kDirectWrappedTypes{"text/*", "application/im-iscomposing+xml", "message/imdn+xml"};

Json strings(const std::vector<std::string>& items) {
    Json list = Json::array();
    for (const auto& item : items)
        list.append(Json::adopt(json_string(item.c_str())));
    return list;
}

}  // namespace

Json ChatSwitch::openDirect(const OpenSessionRequest& request) {
    if (request.room.rfind(DirectSession::kPrefix, 0) != 0)
        throw RequestError(ErrorCode::InvalidField, std::string("a direct session's room must start with '") +
                                                        DirectSession::kPrefix + "'");
    msrp::SessionSetup setup;
    setup.remotePath = parseRemotePath(request.remotePath);
    setup.role = request.active ? msrp::Role::Active : msrp::Role::Passive;
    // No remote path: we offer (plain msrp), the path comes with the answer (msrp.set_remote).
    setup.secure = !setup.remotePath.empty() && setup.remotePath.back().secure;
    if (setup.secure && !stack_->port(true))
        throw RequestError(ErrorCode::MsrpUnsupported, "msrps asked for, but no TLS certificate is configured");
    setup.acceptTypes = kDirectAcceptTypes;
    setup.acceptWrappedTypes = kDirectWrappedTypes;
    setup.maxMessageSize = settings_.maxMessageBytes;
    setup.chunkSize = settings_.chunkSize;
    setup.fingerprint = request.fingerprint;
    setup.holdLastAnswer = request.holdAnswer;
    auto session = std::make_shared<DirectSession>(*stack_, request.room, request.uri, settings_.maxMessageBytes);
    try {
        session->open(std::move(setup));
    } catch (const std::invalid_argument& e) {
        throw RequestError(ErrorCode::MsrpBadPath, e.what());
    }
    const msrp::Session& msrpSession = session->msrp();
    Json local = Json::object();
    local.set("path", strings([&] {
             std::vector<std::string> path;
             for (const auto& uri : msrpSession.localPath())
                 path.push_back(uri.str());
             return path;
         }()))
        .set("setup", request.active ? "active" : "passive")
        .set("accept_types", strings(kDirectAcceptTypes))
        .set("accept_wrapped_types", strings(kDirectWrappedTypes))
        .set("host", msrpSession.localUri().host)
        .set("port", static_cast<json_int_t>(msrpSession.localUri().portOrDefault()))
        .set("transport", msrpSession.localUri().secure ? "tls" : "tcp");
    if (msrpSession.localUri().secure)
        local.set("fingerprint", "sha-256 " + stack_->fingerprint());
    std::string id = session->id();
    std::string member = std::string(ChatRoom::kPackage) + "/" + id;
    direct_[id] = std::move(session);
    report_(Json::object().set("event", "opened").set("room", request.room).set("session", id).set("member", member));
    return Json::object().set("session", id).set("member", member).set("local", local);
}

void ChatSwitch::setRemote(const SetRemoteRequest& request) {
    if (files_->setRemote(request))
        return;  // a web user's file, offered to a SIP client (FileTransfers)
    auto direct = direct_.find(request.session);
    if (direct == direct_.end())
        throw RequestError(ErrorCode::MsrpNoSuchSession, "no direct session '" + request.session + "'");
    std::vector<msrp::Uri> path = parseRemotePath(request.remotePath);
    if (!direct->second->setRemote(std::move(path), request.active, request.fingerprint))
        throw RequestError(ErrorCode::MsrpBadPath, "the session has its remote path already");
}

}  // namespace sylk::msrp_plugin
