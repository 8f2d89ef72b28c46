// A web user sends a file to a SIP client (RFC 5547): the page uploads it into its private file
// room over the HTTP transport (POST /files/<token>?name=..., the token from "filetoken"), then
// asks "sendfile" with the file's id and the peer's URI. We INVITE the peer with one m=message,
// a=sendonly, a=file-selector (name, type, size, hash:sha-1) and the path of an msrp session
// opened in direct mode without a remote path (a=setup:passive: we listen; its answer's path is
// given with msrp.set_remote). The msrp plugin pushes the file once the peer's connection binds
// and posts its end to the room; the page gets "filesent" (or "filefailed") and we send the BYE.
// Part of class Gateway (gateway.hpp).
#include "gateway.hpp"

#include <glib.h>

#include "sofia.hpp"

#include "gateway_chat_link.hpp"
#include "gateway_detail.hpp"
#include "msrp_answer.hpp"
#include "sip_message.hpp"
#include "sip_stack.hpp"
#include "sylkcore/files/file_store.hpp"
#include "sylkcore/hub/services.hpp"
#include "sylkcore/hub/service_names.hpp"
#include "sylkcore/log.hpp"
#include "sylkcore/msrp/file_selector.hpp"
#include "sylkcore/request_error.hpp"

namespace sylk::sip {

using namespace gateway_detail;

namespace {

constexpr size_t kMaxSharedRemembered = 256;  // (peer, file) pairs a page session's sendfile made

}  // namespace

Json Gateway::fileToken(GatewaySession& session) {
    if (!session.account.active)
        throw RequestError(ErrorCode::SipWrongState, "register first (or register as a guest)");
    if (!files::FileStore::instance().enabled())
        throw RequestError(ErrorCode::SipWrongState, "file sharing is off on this server (no HTTP transport files_dir)");
    openFileRoom(session);
    Json event = result("filetoken");
    event.set("token", session.fileRoom.token);
    return event;
}

Json Gateway::sendFile(const std::shared_ptr<GatewaySession>& session, const std::string& uri, const std::string& id) {
    if (!session->account.active)
        throw RequestError(ErrorCode::SipWrongState, "register first (or register as a guest)");
    if (!validUri(uri))
        throw RequestError(ErrorCode::SipInvalidAddress, "uri must be a SIP URI like sip:bob@example.com");
    if (session->fileRoom.room.empty())
        throw RequestError(ErrorCode::SipWrongState, "no file uploaded (ask for a filetoken and upload first)");
    if (session->files.size() >= kMaxFileCalls)
        throw RequestError(ErrorCode::SipWrongState, "too many file transfers at once");
    auto stored = files::FileStore::instance().find(session->fileRoom.room, id);
    if (!stored)
        throw RequestError(ErrorCode::InvalidField, "no uploaded file '" + id + "'");
    msrp::FileSelector selector = storedFileSelector(*stored);
    std::string transferId = randomToken();

    Json fileJson = Json::object();
    fileJson.set("selector", selector.str()).set("transfer_id", transferId).set("direction", "recvonly");
    Json request = Json::object();
    request.set("room", session->fileRoom.room)
        .set("mode", "direct")
        .set("uri", uri)
        .set("display", session->account.displayName)
        .set("role", "passive")
        .set("file", fileJson);
    std::string msrpSession, member, reason;
    MsrpAnswer ours;
    try {
        Json reply = hub::Services::instance().call(hub::service::MsrpOpenSession, request);
        if (!readMsrpAnswer(reply, &msrpSession, &member, &ours))
            reason = "the msrp plugin's answer was incomplete";
    } catch (const std::exception& e) {
        reason = e.what();
    }
    auto closeMsrp = [&] {
        if (msrpSession.empty())
            return;
        closeMsrpSession(msrpSession, "an outgoing file transfer that could not be opened");
    };
    if (!reason.empty()) {
        closeMsrp();
        throw RequestError(ErrorCode::SipStackError, "the file transfer could not be opened: " + reason);
    }
    ours.direction = "sendonly";
    ours.setup = "passive";
    ours.acceptTypes = {"*"};
    ours.fileSelector = selector.str();
    ours.fileTransferId = transferId;
    AnswerStreams streams;
    streams.offered = {SdpMediaLine{"message", ours.secure ? "TCP/TLS/MSRP" : "TCP/MSRP", "*"}};
    streams.msrpIndex = 0;
    streams.msrp = &ours;
    ++sessionIds_;
    std::string sdp = buildStreamsAnswer(ours.host, sessionIds_, 1, streams);

    const int listener = stack_.listenerFor(session->account.outboundProxy.empty() ? uri : session->account.outboundProxy);
    FileCall file;
    gchar* uuid = g_uuid_string_random();
    file.callId = uuid;
    g_free(uuid);
    file.peerUri = uri;
    file.listener = listener;
    file.outgoing = true;
    file.msrpSession = msrpSession;
    file.localSdp = sdp;
    std::string from = fromHeader(*session);
    file.handle = nua_handle(stack_.nua(listener), nullptr, SIPTAG_TO_STR(uri.c_str()), SIPTAG_FROM_STR(from.c_str()),
                             SIPTAG_CALL_ID_STR(file.callId.c_str()), TAG_END());
    if (!file.handle) {
        closeMsrp();
        throw RequestError(ErrorCode::SipStackError, "the SIP stack could not make a call to " + uri);
    }
    stack_.adopt(file.handle);
    handles_[file.handle] = session;
    std::string contact = stack_.contactFor(session->account.contactUser, listener);
    nua_invite(file.handle, SIPTAG_CONTACT_STR(contact.c_str()), SIPTAG_CONTENT_TYPE_STR("application/sdp"),
               SIPTAG_PAYLOAD_STR(sdp.c_str()),
               TAG_IF(!session->account.outboundProxy.empty(), NUTAG_PROXY(session->account.outboundProxy.c_str())),
               TAG_END());
    SYLK_LOG(LOG_INFO, kPackage, "file %s (%llu bytes) offered to %s in call %s", stored->id.c_str(),
             static_cast<unsigned long long>(stored->size), uri.c_str(), file.callId.c_str());
    Json event = result("filesending");
    event.set("transfer", file.callId).set("uri", uri).set("name", stored->name).set("size",
                                                                                    static_cast<json_int_t>(stored->size));
    session->files[file.callId] = std::move(file);
    auto& shared = session->fileRoom.shared;  // that peer may pull it again (gateway_files_pull.cpp)
    shared.emplace_back(peerAddress(uri), stored->id);
    if (shared.size() > kMaxSharedRemembered)
        shared.erase(shared.begin());  // the oldest is forgotten: asking for it again rings the page
    return event;
}

void Gateway::onFileInviteResponse(GatewaySession& session, FileCall& file, int status, const sip_s* sip) {
    if (status < 200 || file.answered)
        return;
    if ((status == 401 || status == 407) && authenticate(session.account, file.handle, sip, file.authAttempts))
        return;
    if (status >= 300)
        return;  // nua_i_state (terminated) follows: "fileended" with this status
    file.answered = true;
    std::string reason;
    auto answer = chooseMessage(bodyOf(sip), &reason);
    if (answer) {
        try {
            setMsrpRemote(file.msrpSession, *answer);
        } catch (const std::exception& e) {
            reason = e.what();
            answer.reset();
        }
    }
    if (!answer) {
        SYLK_LOG(LOG_WARN, kPackage, "file call %s answered without a usable m=message: %s", file.callId.c_str(),
                 reason.c_str());
        nua_bye(file.handle, TAG_END());
        return;
    }
    Json event = result("fileaccepted");
    event.set("transfer", file.callId);
    events_(session, file.callId, event, Json());
}

}  // namespace sylk::sip
