// A SIP client pulls a file from a web user of the gateway (RFC 5547 section 8.2: an INVITE with
// one m=message, a=recvonly and a file-selector naming the file). What the user expects:
// - the selector names by its sha-1 a file this web user sent that same peer ("sendfile", the
//   peer's user@host compared): the peer asks again for what it was given, so it is served at
//   once (200; the page sees "filerequestserved" and the progress), no question asked;
// - anything else rings the page as "filerequest" (who asks, and the name, size, type, hash the
//   selector gives): the web user answers with a file of its own (uploaded into its file room,
//   then "acceptfile" with the file's "id"; a request naming a hash takes only the file with that
//   hash) or declines ("declinefile", 603). Files others sent the web user are never served
//   without it: its file room holds them too, and a hash is no permission.
// The msrp plugin opens the stream in direct mode with the stored file's own selector (name,
// type, size, hash) and sends it once the connection binds ("fileprogress" with "sent",
// "filesent"); the puller ends the dialog, as with room files. Part of class Gateway (gateway.hpp).
#include "gateway.hpp"

#include <algorithm>

#include <glib.h>

#include "sofia.hpp"

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

std::string gateway_detail::peerAddress(const std::string& uri) {
    std::string rest = uri;
    if (auto colon = rest.find(':'); colon != std::string::npos && rest.compare(0, 3, "sip") == 0)
        rest = rest.substr(colon + 1);
    rest = rest.substr(0, rest.find_first_of(";?>"));
    auto at = rest.find('@');
    std::string user = at == std::string::npos ? "" : rest.substr(0, at);
    std::string host = at == std::string::npos ? rest : rest.substr(at + 1);
    if (!host.empty() && host.front() == '[')
        host = host.substr(0, host.find(']') + 1);
    else
        host = host.substr(0, host.find(':'));
    std::transform(host.begin(), host.end(), host.begin(), [](unsigned char c) { return static_cast<char>(g_ascii_tolower(c)); });
    return user + "@" + host;
}

msrp::FileSelector gateway_detail::storedFileSelector(const files::SharedFile& stored) {
    msrp::FileSelector selector;
    selector.name = stored.name;
    selector.type = stored.type.empty() ? "application/octet-stream" : stored.type.substr(0, stored.type.find(';'));
    selector.size = stored.size;
    if (auto hash = msrp::FileHash::sha1FromPlainHex(stored.sha1))
        selector.hashes.push_back(*hash);
    return selector;
}

void Gateway::requestFile(const std::shared_ptr<GatewaySession>& session, nua_handle_s* handle, const sip_s* sip,
                          const MsrpOffer& offer, const std::string& sdp) {
    msrp::FileSelector selector;
    std::optional<FileCall> admitted = admitFileCall(*session, handle, sip, offer, sdp, selector);
    if (!admitted)
        return;
    FileCall& file = *admitted;
    file.request = true;
    handles_[handle] = session;
    const std::string transfer = file.callId;
    FileCall& stored = session->files[transfer] = std::move(file);

    // Sent to this peer before, asked for again by its hash: served without ringing.
    if (const msrp::FileHash* sha1 = selector.sha1(); sha1 && !session->fileRoom.room.empty()) {
        const std::string peer = peerAddress(stored.peerUri);
        for (const auto& [address, id] : session->fileRoom.shared) {
            auto shared = files::FileStore::instance().find(session->fileRoom.room, id);
            if (address != peer || !shared || shared->sha1 != sha1->plainHex())
                continue;
            try {
                serveFile(*session, stored, id);
            } catch (const std::exception&) {
                return;  // serveFile answered 488 and said why; the dialog's end reports it
            }
            Json event = result("filerequestserved");
            event.set("transfer", transfer).set("username", stored.peerUri).set("displayname", displayOf(sip));
            event.set("id", shared->id).set("name", shared->name).set("size", static_cast<json_int_t>(shared->size));
            events_(*session, transfer, event, Json());
            return;
        }
    }
    nua_respond(handle, 180, sip_180_Ringing, TAG_END());
    Json event = result("filerequest");
    event.set("transfer", transfer).set("username", stored.peerUri).set("displayname", displayOf(sip));
    if (selector.name)
        event.set("name", *selector.name);
    if (selector.size)
        event.set("size", static_cast<json_int_t>(*selector.size));
    if (selector.type)
        event.set("type", selector.contentType());
    if (const msrp::FileHash* sha1 = selector.sha1())
        event.set("sha1", sha1->plainHex());
    events_(*session, transfer, event, Json());
}

Json Gateway::serveFile(GatewaySession& session, FileCall& file, const std::string& id) {
    if (session.fileRoom.room.empty())
        throw RequestError(ErrorCode::SipWrongState, "no file uploaded (ask for a filetoken and upload first)");
    auto stored = files::FileStore::instance().find(session.fileRoom.room, id);
    if (!stored)
        throw RequestError(ErrorCode::InvalidField, "no uploaded file '" + id + "'");
    msrp::FileSelector asked = msrp::FileSelector::parse(*file.offer.fileSelector);  // parsed once already
    if (const msrp::FileHash* sha1 = asked.sha1(); sha1 && sha1->plainHex() != stored->sha1)
        throw RequestError(ErrorCode::InvalidField, "the request names the file with sha-1 " + sha1->colonHex() +
                                                        ", and '" + stored->name + "' is another file");
    const MsrpOffer& offer = file.offer;
    msrp::FileSelector selector = storedFileSelector(*stored);
    Json remote = Json::object();
    remote.set("path", Json::stringArray(offer.path)).set("accept_types", Json::stringArray(offer.acceptTypes));
    if (!offer.fingerprint.empty())
        remote.set("fingerprint", offer.fingerprint);
    Json fileJson = Json::object();
    fileJson.set("selector", selector.str()).set("direction", "recvonly");
    if (offer.fileTransferId)
        fileJson.set("transfer_id", *offer.fileTransferId);
    Json request = Json::object();
    request.set("room", session.fileRoom.room)
        .set("mode", "direct")
        .set("uri", file.peerUri)
        .set("display", session.account.displayName)
        .set("role", msrpAnswerRole(offer.setup))
        .set("remote", remote)
        .set("file", fileJson);
    std::string msrpSession, member, reason;
    MsrpAnswer answer;
    try {
        Json reply = hub::Services::instance().call(hub::service::MsrpOpenSession, request);
        if (!readMsrpAnswer(reply, &msrpSession, &member, &answer))
            reason = "the msrp plugin's answer was incomplete";
    } catch (const std::exception& e) {
        reason = e.what();
    }
    file.answered = true;
    if (!reason.empty()) {
        if (!msrpSession.empty())
            closeMsrpSession(msrpSession, "file request " + file.callId);
        SYLK_LOG(LOG_WARN, kPackage, "file request %s: %s", file.callId.c_str(), reason.c_str());
        std::string text = "file: " + reason.substr(0, 120);
        for (auto& c : text) {
            if (static_cast<unsigned char>(c) < 0x20 || c == '"')
                c = ' ';
        }
        std::string warning = "399 sylk \"" + text + "\"";
        nua_respond(file.handle, 488, sip_488_Not_acceptable, SIPTAG_WARNING_STR(warning.c_str()), TAG_END());
        throw RequestError(ErrorCode::SipStackError, "the file could not be sent: " + reason);
    }
    file.msrpSession = msrpSession;
    answer.direction = "sendonly";
    answer.fileSelector = selector.str();
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
    SYLK_LOG(LOG_INFO, kPackage, "file %s (%llu bytes) served to %s in call %s", stored->id.c_str(),
             static_cast<unsigned long long>(stored->size), file.peerUri.c_str(), file.callId.c_str());
    Json event = result("fileaccepted");
    event.set("transfer", file.callId).set("id", stored->id).set("name", stored->name)
        .set("size", static_cast<json_int_t>(stored->size));
    return event;
}

}  // namespace sylk::sip
