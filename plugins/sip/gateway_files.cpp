// Files SIP clients send to the gateway's web users (RFC 5547): an INVITE with one m=message
// carrying a file-selector, a=sendonly. It rings the page as a "fileoffer" (name, size, type),
// next to whatever call the handle has; on "acceptfile" the stream goes to the msrp plugin
// (msrp.open_session "mode": "direct" with "file"), which stores the file in the web user's
// private file room as it arrives and posts its progress there; the page gets "fileprogress"
// and, once stored, "filereceived" with a download URL (/files/<token>/<id> on the HTTP
// transport: the token is this page session's, it opens that room only). "declinefile" answers
// 603 Decline (or 488/486/480 as the page asks). The files and the token go with the handle
// (endFiles). Part of class Gateway (gateway.hpp).
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

constexpr char kMsrpMemberPrefix[] = "janus.plugin.sylk.msrp/";

}  // namespace

std::optional<FileCall> Gateway::admitFileCall(GatewaySession& session, nua_handle_s* handle, const sip_s* sip,
                                               const MsrpOffer& offer, const std::string& sdp,
                                               msrp::FileSelector& selector) {
    if (session.files.size() >= kMaxFileCalls) {
        stack_.refuse(handle, 486, sip_486_Busy_here, "too many file transfers to this user");
        return std::nullopt;
    }
    try {
        selector = msrp::FileSelector::parse(*offer.fileSelector);
    } catch (const msrp::FileSelectorError& e) {
        stack_.refuse(handle, 488, sip_488_Not_acceptable, std::string("file-selector: ") + e.what());
        return std::nullopt;
    }
    FileCall file;
    file.handle = handle;
    file.callId = callIdOf(sip);
    file.peerUri = fromUri(sip);
    file.listener = stack_.currentListener();
    file.offer = offer;
    file.offeredLines = mediaLines(sdp);
    if (file.callId.empty() || session.files.count(file.callId)) {
        stack_.refuse(handle, 400, sip_400_Bad_request, "a Call-ID of its own is needed");
        return std::nullopt;
    }
    return file;
}

void Gateway::offerFile(const std::shared_ptr<GatewaySession>& session, nua_handle_s* handle, const sip_s* sip,
                        const MsrpOffer& offer, const std::string& sdp) {
    msrp::FileSelector selector;
    std::optional<FileCall> admitted = admitFileCall(*session, handle, sip, offer, sdp, selector);
    if (!admitted)
        return;
    FileCall& file = *admitted;
    handles_[handle] = session;
    nua_respond(handle, 180, sip_180_Ringing, TAG_END());
    Json event = result("fileoffer");
    event.set("transfer", file.callId).set("username", file.peerUri).set("displayname", displayOf(sip));
    event.set("name", selector.name.value_or("file"));
    if (selector.size)
        event.set("size", static_cast<json_int_t>(*selector.size));
    if (selector.type)
        event.set("type", selector.contentType());
    events_(*session, file.callId, event, Json());
    session->files[file.callId] = std::move(file);
}

FileCall* Gateway::fileOf(GatewaySession& session, nua_handle_s* handle) {
    for (auto& [id, file] : session.files) {
        if (file.handle == handle)
            return &file;
    }
    return nullptr;
}

void Gateway::openFileRoom(GatewaySession& session) {
    WebUserFiles& room = session.fileRoom;
    if (room.link)
        return;
    room.room = "direct/" + session.account.contactUser + "/files";
    std::weak_ptr<GatewaySession> weak = session.shared_from_this();
    std::string member = std::string(kPackage) + "/" + session.account.contactUser;
    room.link = std::make_shared<GatewayChatLink>(room.room, member, [this, weak](hub::DirectMessage message) {
        stack_.post([this, weak, message = std::move(message)] {
            if (auto owner = weak.lock(); owner && message.contentType == "application/vnd.sylk.file-progress+json")
                onFileProgress(*owner, message.body);
        });
    });
    room.link->onPath([this, weak](hub::MsrpPathChange change) {
        stack_.post([this, weak, change = std::move(change)] {
            if (auto owner = weak.lock())
                onFilePathMoved(*owner, change);
        });
    });
    room.link->onFile([this, weak](hub::FileNotice notice) {
        stack_.post([this, weak, notice = std::move(notice)] {
            if (auto owner = weak.lock())
                onFileStored(*owner, notice);
        });
    });
    room.link->start();
    room.token = files::FileStore::instance().grant(room.room, member, session.account.displayName);
}

Json Gateway::acceptFile(GatewaySession& session, const std::string& transfer, const std::string& id) {
    auto found = session.files.find(transfer);
    if (found == session.files.end() || found->second.answered || found->second.outgoing)
        throw RequestError(ErrorCode::SipWrongState, "no file offer '" + transfer + "' to accept");
    FileCall& file = found->second;
    if (file.request) {  // the peer asks for a file: the page answers with one (gateway_files_pull.cpp)
        if (id.empty())
            throw RequestError(ErrorCode::MissingField, "a file request is answered with a file: id (an uploaded file's)");
        return serveFile(session, file, id);
    }
    if (!files::FileStore::instance().enabled())
        throw RequestError(ErrorCode::SipWrongState, "file sharing is off on this server (no HTTP transport files_dir)");
    openFileRoom(session);
    const MsrpOffer& offer = file.offer;
    Json remote = Json::object();
    remote.set("path", Json::stringArray(offer.path)).set("accept_types", Json::stringArray(offer.acceptTypes));
    if (!offer.fingerprint.empty())
        remote.set("fingerprint", offer.fingerprint);
    Json fileJson = Json::object();
    fileJson.set("selector", *offer.fileSelector).set("direction", "sendonly");
    if (offer.fileTransferId)
        fileJson.set("transfer_id", *offer.fileTransferId);
    Json request = Json::object();
    request.set("room", session.fileRoom.room)
        .set("mode", "direct")
        .set("uri", file.peerUri)
        .set("display", file.peerUri)
        .set("role", msrpAnswerRole(offer.setup))
        .set("remote", remote)
        .set("file", fileJson);
    std::string msrpSession, member, reason;
    MsrpAnswer answer;
    try {
        Json reply = hub::Services::instance().call(hub::service::MsrpOpenSession, request);
        if (!readMsrpAnswer(reply, &msrpSession, &member, &answer))
            reason = "the msrp plugin's answer was incomplete";
        std::string selector = jsonString(json_object_get(reply.get(), "file"), "selector");
        answer.fileSelector = selector.empty() ? *offer.fileSelector : selector;
    } catch (const std::exception& e) {
        reason = e.what();
    }
    file.answered = true;
    if (!reason.empty()) {
        if (!msrpSession.empty())
            closeMsrpSession(msrpSession, "file transfer " + transfer);
        SYLK_LOG(LOG_WARN, kPackage, "file %s: %s", transfer.c_str(), reason.c_str());
        std::string warning = "399 sylk \"file: " + reason.substr(0, 120) + "\"";
        for (auto& c : warning) {
            if (static_cast<unsigned char>(c) < 0x20)
                c = ' ';
        }
        nua_respond(file.handle, 488, sip_488_Not_acceptable, SIPTAG_WARNING_STR(warning.c_str()), TAG_END());
        throw RequestError(ErrorCode::SipStackError, "the file transfer could not be opened: " + reason);
    }
    file.msrpSession = msrpSession;
    answer.direction = "recvonly";
    answer.fileTransferId = offer.fileTransferId;
    AnswerStreams streams;
    streams.offered = file.offeredLines;
    streams.msrpIndex = offer.index;
    streams.msrp = &answer;
    std::string sdp = buildStreamsAnswer(answer.host, sessionIds_, 1, streams);
    file.localSdp = sdp;
    std::string contact = stack_.contactFor(session.account.contactUser, file.listener);
    nua_respond(file.handle, 200, sip_200_OK, SIPTAG_CONTACT_STR(contact.c_str()),
                SIPTAG_CONTENT_TYPE_STR("application/sdp"), SIPTAG_PAYLOAD_STR(sdp.c_str()), TAG_END());
    Json event = result("fileaccepted");
    event.set("transfer", transfer);
    return event;
}

Json Gateway::declineFile(GatewaySession& session, const std::string& transfer, int code) {
    auto found = session.files.find(transfer);
    if (found == session.files.end() || found->second.answered)
        throw RequestError(ErrorCode::SipWrongState, "no file offer '" + transfer + "' to decline");
    if (code != 603 && code != 488 && code != 486 && code != 480)
        throw RequestError(ErrorCode::InvalidField, "code must be 603 (declined), 488, 486 or 480");
    found->second.answered = true;
    const char* phrase = sip_status_phrase(code);
    nua_respond(found->second.handle, code, phrase ? phrase : "Decline", TAG_END());
    Json event = result("filedeclining");
    event.set("transfer", transfer).set("code", code);
    return event;
}

void Gateway::onFileCallEvent(GatewaySession& session, FileCall& file, int event, int status, const char* phrase,
                              const sip_s* sip, const void* tags) {
    switch (event) {
    case nua_r_invite:
        if (file.repathing && status >= 200) {  // our re-INVITE with a new MSRP path (onFilePathMoved)
            file.repathing = false;
            if (status >= 300) {
                // The peer will not send where we can still be reached once the old grant ends:
                // the transfer is over, said now (docs/decisions.md); the dialog's end reports it.
                SYLK_LOG(LOG_WARN, kPackage, "file transfer %s ended: its peer refused the new MSRP path (%d %s)",
                         file.callId.c_str(), status, phrase ? phrase : "");
                std::string reason = "SIP;cause=" + std::to_string(status) + ";text=\"new MSRP path refused\"";
                nua_bye(file.handle, SIPTAG_REASON_STR(reason.c_str()), TAG_END());
            }
            return;
        }
        if (file.outgoing)
            onFileInviteResponse(session, file, status, sip);
        return;
    case nua_i_invite:  // a re-INVITE of a file transfer: nothing of it may change
        nua_respond(file.handle, 488, sip_488_Not_acceptable, NUTAG_WITH_THIS(stack_.nua()), TAG_END());
        return;
    case nua_i_info:
        nua_respond(file.handle, 200, sip_200_OK, NUTAG_WITH_THIS(stack_.nua()), TAG_END());
        return;
    case nua_i_state: {
        int state = nua_callstate_init;
        tl_gets(static_cast<const tagi_t*>(tags), NUTAG_CALLSTATE_REF(state), TAG_END());
        if (state != nua_callstate_terminated)
            return;
        break;
    }
    default:
        return;
    }
    // The dialog ended (BYE after the file, CANCEL, our refusal): the msrp session goes; a file
    // still arriving is deleted by it, a stored one stays in the room.
    if (!file.msrpSession.empty())
        closeMsrpSession(file.msrpSession, "file transfer " + file.callId);
    Json ended = result("fileended");
    ended.set("transfer", file.callId).set("code", status >= 300 ? status : 200).set("reason", phrase ? phrase : "");
    events_(session, file.callId, ended, Json());
    nua_handle_s* handle = file.handle;
    session.files.erase(file.callId);  // file is gone from here on
    handles_.erase(handle);
    stack_.retire(handle);
}

void Gateway::onFileProgress(GatewaySession& session, const std::string& body) {
    Json progress = Json::adopt(json_loads(body.c_str(), 0, nullptr));
    std::string msrpSession = jsonString(progress.get(), "session");
    for (auto& [id, file] : session.files) {
        if (file.msrpSession != msrpSession || msrpSession.empty())
            continue;
        std::string end = jsonString(progress.get(), "event");
        if (end == "file_sent" || end == "file_failed") {
            // Our file reached the peer (its 200 to the last chunk, or a failure): the
            // sender ends the transfer's dialog.
            Json event = result(end == "file_sent" ? "filesent" : "filefailed");
            event.set("transfer", id);
            if (end == "file_failed")
                event.set("error", jsonString(progress.get(), "error"));
            events_(session, id, event, Json());
            if (file.outgoing && file.answered)
                nua_bye(file.handle, TAG_END());
            return;
        }
        if (!end.empty())
            return;  // file_received: the store's `file` event says it (onFileStored)
        Json event = result("fileprogress");
        if (json_t* sent = json_object_get(progress.get(), "sent"))  // our file, handed to the stack
            event.set("transfer", id).set("sent", json_integer_value(sent));
        else
            event.set("transfer", id).set("received", json_integer_value(json_object_get(progress.get(), "received")));
        if (json_t* size = json_object_get(progress.get(), "size"))
            event.set("size", json_integer_value(size));
        events_(session, id, event, Json());
        return;
    }
}

void Gateway::onFileStored(GatewaySession& session, const hub::FileNotice& notice) {
    if (notice.from.rfind(kMsrpMemberPrefix, 0) != 0 || session.fileRoom.token.empty())
        return;  // not a transfer's file
    std::string msrpSession = notice.from.substr(sizeof(kMsrpMemberPrefix) - 1);
    std::string transfer;
    for (const auto& [id, file] : session.files) {
        if (file.msrpSession == msrpSession)
            transfer = id;
    }
    Json event = result("filereceived");
    event.set("transfer", transfer)
        .set("id", notice.id)
        .set("name", notice.name)
        .set("size", static_cast<json_int_t>(notice.size))
        .set("sha1", notice.sha1)
        .set("url", "/files/" + session.fileRoom.token + "/" + notice.id);
    if (!notice.type.empty())
        event.set("type", notice.type);
    events_(session, transfer, event, Json());
}

void Gateway::endFiles(GatewaySession& session) {
    std::vector<nua_handle_s*> handles;
    for (auto& [id, file] : session.files) {
        if (!file.msrpSession.empty())
            closeMsrpSession(file.msrpSession, "file transfer " + file.callId);
        if (file.answered && !file.msrpSession.empty())
            nua_bye(file.handle, TAG_END());
        else if (!file.answered)
            nua_respond(file.handle, 480, sip_480_Temporarily_unavailable, TAG_END());
        handles.push_back(file.handle);
    }
    session.files.clear();
    for (auto* handle : handles) {
        handles_.erase(handle);
        stack_.retire(handle);
    }
    WebUserFiles& room = session.fileRoom;
    if (!room.token.empty())
        files::FileStore::instance().revoke(room.token);
    room.link.reset();
    if (!room.room.empty())
        files::FileStore::instance().removeRoom(room.room);
    room = WebUserFiles{};
}

void Gateway::onFilePathMoved(GatewaySession& session, const hub::MsrpPathChange& change) {
    for (auto& [id, file] : session.files) {
        if (file.msrpSession != change.session || change.session.empty())
            continue;
        if (!file.answered || file.localSdp.empty()) {
            // Our offer awaits its answer: the peer learns the path at the next refresh's move.
            SYLK_LOG(LOG_INFO, kPackage, "file transfer %s moved to a new MSRP path before it was established: not re-INVITEd",
                     id.c_str());
            return;
        }
        auto sdp = withMessagePath(file.localSdp, change.path, file.sdpVersion + 1);
        if (!sdp) {
            SYLK_LOG(LOG_WARN, kPackage, "file transfer %s moved to a new MSRP path, but our SDP has no m=message to move",
                     id.c_str());
            return;
        }
        ++file.sdpVersion;
        file.localSdp = *sdp;
        file.repathing = true;
        SYLK_LOG(LOG_INFO, kPackage, "re-INVITE of file transfer %s: its MSRP path is now %s", id.c_str(),
                 change.path.front().c_str());
        nua_invite(file.handle, SIPTAG_CONTENT_TYPE_STR("application/sdp"), SIPTAG_PAYLOAD_STR(file.localSdp.c_str()),
                   TAG_END());
        return;
    }
}

}  // namespace sylk::sip
