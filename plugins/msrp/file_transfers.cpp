#include "file_transfers.hpp"

#include "chat_room.hpp"
#include "direct_file_transfer.hpp"
#include "file_transfer_in.hpp"
#include "file_transfer_out.hpp"
#include "sylkcore/files/file_store.hpp"
#include "sylkcore/log.hpp"
#include "remote_path.hpp"
#include "sylkcore/request_error.hpp"

namespace sylk::msrp_plugin {
FileTransfers::FileTransfers(msrp::Stack& stack, const MsrpSettings& settings, FileTransfer::Report report)
    : stack_(stack), settings_(settings), report_(std::move(report)) {}

FileTransfers::~FileTransfers() { transfers_.clear(); }

msrp::SessionSetup FileTransfers::sessionSetup(const OpenSessionRequest& request) const {
    msrp::SessionSetup setup;
    if (request.remotePath.empty() && !(request.direct && !request.active))
        throw RequestError(ErrorCode::MsrpBadPath, "a file transfer needs the peer's path (remote.path), unless it is "
                                                   "a direct one we offer (role passive; msrp.set_remote later)");
    if (!request.remotePath.empty())
        setup.remotePath = parseRemotePath(request.remotePath);
    setup.role = request.active ? msrp::Role::Active : msrp::Role::Passive;
    setup.secure = !setup.remotePath.empty() && setup.remotePath.back().secure;
    if (setup.secure && !stack_.port(true))
        throw RequestError(ErrorCode::MsrpUnsupported, "msrps asked for, but no TLS certificate is configured");
    // A file may have any type (RFC 5547 names it in the selector); its size is the store's limit.
    setup.acceptTypes = {"*"};
    setup.maxMessageSize = files::FileStore::instance().maxBytes();
    setup.chunkSize = kChunkSize;
    setup.fingerprint = request.fingerprint;
    return setup;
}

std::unique_ptr<FileTransfer> FileTransfers::makeTransfer(const OpenSessionRequest& request) {
    const FileOffer& offer = *request.file;
    msrp::FileSelector selector;
    std::string transferId;
    try {
        selector = msrp::FileSelector::parse(offer.selector);
        if (!offer.transferId.empty())
            transferId = msrp::parseFileTransferId(offer.transferId);
    } catch (const msrp::FileSelectorError& e) {
        throw RequestError(ErrorCode::MsrpBadFileOffer, e.what());
    }
    auto& store = files::FileStore::instance();
    if (!store.enabled())
        throw RequestError(ErrorCode::MsrpFileRefused, "file sharing is off on this server");
    FileParty party{request.room, request.uri, request.display, request.member};
    if (offer.direction == "sendonly") {
        if (selector.name && !files::FileStore::validName(*selector.name))
            throw RequestError(ErrorCode::MsrpFileRefused,
                               "invalid file name: a plain name of 1-255 bytes without '/', '\\' or control characters");
        if (selector.size && *selector.size > store.maxBytes())
            throw RequestError(ErrorCode::MsrpFileRefused,
                               "file is larger than the limit of " + std::to_string(store.maxBytes()) + " bytes");
        if (request.direct)  // to a web user: its progress is posted for the page (direct_file_transfer.hpp)
            return std::make_unique<DirectIncomingFileTransfer>(std::move(party), std::move(selector), std::move(transferId),
                                                                report_);
        return std::make_unique<IncomingFileTransfer>(std::move(party), std::move(selector), std::move(transferId), report_);
    }
    // recvonly: a pull, by hash (RFC 5547 section 8.2).
    const msrp::FileHash* sha1 = selector.sha1();
    if (!sha1)
        throw RequestError(ErrorCode::MsrpBadFileOffer, "a file request (recvonly) must name the file's sha-1 hash");
    auto file = store.findBySha1(request.room, sha1->plainHex());
    if (!file)
        throw RequestError(ErrorCode::MsrpNoSuchFile, "room '" + request.room + "' has no file with sha-1 " + sha1->colonHex());
    try {
        // A web user's file to a SIP client: the gateway learns its end (direct_file_transfer.hpp).
        return std::make_unique<OutgoingFileTransfer>(std::move(party), std::move(selector), std::move(transferId),
                                                      request.direct ? directFileReport(report_) : report_,
                                                      std::move(*file));
    } catch (const std::runtime_error& e) {
        throw RequestError(ErrorCode::MsrpNoSuchFile, e.what());
    }
}

Json FileTransfers::open(const OpenSessionRequest& request) {
    msrp::SessionSetup setup = sessionSetup(request);
    std::unique_ptr<FileTransfer> transfer = makeTransfer(request);
    try {
        transfer->attach(stack_.createSession(std::move(setup), *transfer));
    } catch (const std::invalid_argument& e) {
        throw RequestError(ErrorCode::MsrpBadPath, e.what());
    }
    std::string id = transfer->id();
    if (request.direct && request.file->direction == "recvonly") {  // a web user's file: its progress for the page
        auto& outgoing = static_cast<OutgoingFileTransfer&>(*transfer);
        outgoing.reportReads(directSendProgress(request.room, id, outgoing.size()));
    }
    if (request.member.empty())  // no call member to record the file as sent by: this session
        transfer->setMemberId(std::string(ChatRoom::kPackage) + "/" + id);
    Json reply = answer(request, *transfer);
    SYLK_LOG(LOG_INFO, ChatRoom::kPackage, "room %s: file transfer %s opened for %s (%s): %s", request.room.c_str(), id.c_str(),
             request.uri.c_str(), transfer->direction(), transfer->answerSelector().c_str());
    transfers_[id] = std::move(transfer);
    return reply;
}

Json FileTransfers::answer(const OpenSessionRequest& request, FileTransfer& transfer) const {
    const msrp::Session& session = transfer.msrp();
    Json path = Json::array();
    for (const auto& uri : session.localPath())
        path.append(Json::adopt(json_string(uri.str().c_str())));
    Json local = Json::object();
    local.set("path", path)
        .set("setup", request.active ? "active" : "passive")
        .set("accept_types", Json::stringArray({"*"}))
        .set("accept_wrapped_types", Json::stringArray({}))
        .set("host", session.localUri().host)
        .set("port", static_cast<json_int_t>(session.localUri().portOrDefault()))
        .set("transport", session.localUri().secure ? "tls" : "tcp");
    if (session.localUri().secure)
        local.set("fingerprint", "sha-256 " + stack_.fingerprint());
    Json file = Json::object();
    file.set("selector", transfer.answerSelector()).set("direction", transfer.direction());
    if (!request.file->transferId.empty())
        file.set("transfer_id", request.file->transferId);
    Json reply = Json::object();
    // A file session is not a participant: it joins no roster; the file is recorded as sent by
    // the call's member when the SIP side names one.
    reply.set("session", transfer.id()).set("member", transfer.party().memberId).set("local", local).set("file", file);
    return reply;
}

bool FileTransfers::close(const std::string& sessionId) {
    auto it = transfers_.find(sessionId);
    if (it == transfers_.end())
        return false;
    std::unique_ptr<FileTransfer> transfer = std::move(it->second);
    transfers_.erase(it);
    transfer.reset();  // closes the msrp session; a file still arriving is deleted
    return true;
}

bool FileTransfers::setRemote(const SetRemoteRequest& request) {
    auto it = transfers_.find(request.session);
    if (it == transfers_.end())
        return false;
    std::vector<msrp::Uri> path = parseRemotePath(request.remotePath);
    if (!it->second->msrp().setRemote(std::move(path), request.active ? msrp::Role::Active : msrp::Role::Passive,
                                      request.fingerprint))
        throw RequestError(ErrorCode::MsrpBadPath, "the session has its remote path already");
    return true;
}

Json FileTransfers::status() const {
    Json list = Json::array();
    for (const auto& [id, transfer] : transfers_)
        list.append(transfer->status());
    return list;
}

}  // namespace sylk::msrp_plugin
