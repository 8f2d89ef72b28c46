#include "file_transfer_in.hpp"

#include "chat_room.hpp"
#include "sylkcore/log.hpp"

namespace sylk::msrp_plugin {
namespace {

constexpr char kDefaultName[] = "file";  // RFC 5547 makes the name optional

}  // namespace

IncomingFileTransfer::~IncomingFileTransfer() {
    // Close first: no callback may reach this object once its members start going.
    if (session_)
        session_->close();
}

bool IncomingFileTransfer::streams(msrp::Session&, const msrp::Message& firstChunk) {
    if (file_ || state_ != "waiting") {
        // One file per session (RFC 5547: a new file is a new offer). Later messages are
        // streamed too, so that none is held in memory, and dropped.
        return true;
    }
    std::optional<uint64_t> size = selector_.size;
    if (!size)
        size = firstChunk.byteRange().total;
    contentType_ = selector_.type ? selector_.contentType() : firstChunk.contentType();
    try {
        file_ = std::make_unique<files::IncomingFile>(party_.room, selector_.name.value_or(kDefaultName), party_.memberId,
                                                      party_.display.empty() ? party_.uri : party_.display, size);
    } catch (const files::FileRefused& e) {
        fail(e.what());
        return true;
    }
    messageId_ = firstChunk.messageId();
    state_ = "transferring";
    return true;
}

void IncomingFileTransfer::onData(msrp::Session&, const std::string& messageId, uint64_t offset, std::string data) {
    if (!file_ || messageId != messageId_)
        return;
    try {
        file_->writeOwned(offset, std::move(data));  // written and hashed on the file's own thread
    } catch (const files::FileRefused& e) {
        fail(e.what());
    }
}

void IncomingFileTransfer::onMessage(msrp::Session&, msrp::IncomingMessage message) {
    if (!file_ || message.messageId != messageId_) {
        if (message.messageId == messageId_)
            return;  // the file failed on the way in: fail() said why
        SYLK_LOG(LOG_INFO, ChatRoom::kPackage, "room %s: file transfer %s: message %s dropped (one file per session)",
                 party_.room.c_str(), id().c_str(), message.messageId.c_str());
        return;
    }
    const msrp::FileHash* sha1 = selector_.sha1();
    try {
        stored_ = file_->finish(ChatRoom::kPackage, contentType_, sha1 ? sha1->plainHex() : "");
    } catch (const files::FileRefused& e) {
        fail(e.what());
        return;
    }
    file_.reset();
    state_ = "done";
    SYLK_LOG(LOG_INFO, ChatRoom::kPackage, "room %s: %s stored %s (%llu bytes, sha-1 %s)", party_.room.c_str(),
             party_.uri.c_str(), stored_.id.c_str(), static_cast<unsigned long long>(stored_.size), stored_.sha1.c_str());
    report_(reportEvent("file_received").set("file", stored_.describe()));
}

void IncomingFileTransfer::onDropped(msrp::Session&, const std::string& messageId, int status) {
    if (messageId == messageId_ && file_)
        fail("the sender stopped the file (" + std::to_string(status) + ")");
}

void IncomingFileTransfer::onClosed(msrp::Session& session, const std::string& reason) {
    if (file_)
        fail("the session ended before the file was complete: " + reason);
    FileTransfer::onClosed(session, reason);
}

void IncomingFileTransfer::fail(const std::string& why) {
    file_.reset();  // deletes what was written
    state_ = "failed";
    error_ = why;
    SYLK_LOG(LOG_WARN, ChatRoom::kPackage, "room %s: file from %s not stored: %s", party_.room.c_str(), party_.uri.c_str(),
             why.c_str());
    report_(reportEvent("file_failed").set("error", why));
}

Json IncomingFileTransfer::status() const {
    Json json = FileTransfer::status();
    if (file_)
        json.set("received", static_cast<json_int_t>(file_->size()));
    if (!stored_.id.empty())
        json.set("file", stored_.describe());
    return json;
}

}  // namespace sylk::msrp_plugin
