// A file the phone sends into the room (its m=message is a=sendonly with a file-selector,
// RFC 5547 section 8.1): the SEND's chunks are written to the room's store as they arrive
// (SessionHandler::streams/onData: nothing of the file is held in memory), checked against the
// selector's size and sha-1 when complete, then listed with the web app's files and announced
// on the hub ("file" event: the web pages show it, the chat rooms post a status notice).
#pragma once

#include <memory>
#include <string>

#include "file_transfer.hpp"
#include "sylkcore/files/incoming_file.hpp"

namespace sylk::msrp_plugin {

class IncomingFileTransfer : public FileTransfer {
public:
    using FileTransfer::FileTransfer;
    ~IncomingFileTransfer() override;

    std::string answerSelector() const override { return selector_.str(); }
    const char* direction() const override { return "sendonly"; }
    Json status() const override;

    // msrp::SessionHandler
    bool streams(msrp::Session& session, const msrp::Message& firstChunk) override;
    void onData(msrp::Session& session, const std::string& messageId, uint64_t offset, std::string data) override;
    void onMessage(msrp::Session& session, msrp::IncomingMessage message) override;
    void onDropped(msrp::Session& session, const std::string& messageId, int status) override;
    void onClosed(msrp::Session& session, const std::string& reason) override;

private:
    void fail(const std::string& why);

    std::unique_ptr<files::IncomingFile> file_;  // while the file arrives
    std::string messageId_;                      // the SEND that carries it
    std::string contentType_;
    files::SharedFile stored_;                   // once stored
};

}  // namespace sylk::msrp_plugin
