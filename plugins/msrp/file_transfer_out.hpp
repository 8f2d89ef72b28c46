// A room file the phone pulls (its m=message is a=recvonly with a file-selector naming the
// file's sha-1, RFC 5547 section 8.2): found in the room's store when the session opens (an
// unknown hash is refused then, so the SIP side answers 404), sent as one SEND once the session
// is bound, sent from the file a chunk at a time as the stack sends (OutgoingMessage::fileFd).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "file_transfer.hpp"
#include "sylkcore/files/file_store.hpp"

namespace sylk::msrp_plugin {

class OutgoingFileTransfer : public FileTransfer {
public:
    // Opens the file now, so that it can be sent even if the room's files go meanwhile.
    // Throws std::runtime_error when it cannot be read.
    OutgoingFileTransfer(FileParty party, msrp::FileSelector requested, std::string transferId, Report report,
                         files::SharedFile file);
    ~OutgoingFileTransfer() override;

    std::string answerSelector() const override;
    const char* direction() const override { return "recvonly"; }
    uint64_t size() const { return file_.size; }
    Json status() const override;

    // Called (on the stack thread) with the end offset of each piece the stack takes to send,
    // for a sender's progress (direct transfers to SIP clients). It must not refer to this
    // object: the stack may read after it is gone. Set before the session binds.
    void reportReads(std::function<void(uint64_t end)> hook) { readHook_ = std::move(hook); }

    // msrp::SessionHandler
    void onBound(msrp::Session& session) override;
    void onMessage(msrp::Session& session, msrp::IncomingMessage message) override;

private:
    class OpenFile;  // the file's descriptor, shared with the stack's reads

    files::SharedFile file_;
    std::shared_ptr<OpenFile> open_;
    bool started_ = false;
    std::function<void(uint64_t end)> readHook_;
};

}  // namespace sylk::msrp_plugin
