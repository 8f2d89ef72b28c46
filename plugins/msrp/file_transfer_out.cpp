#include "file_transfer_out.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "chat_room.hpp"
#include "sylkcore/log.hpp"

namespace sylk::msrp_plugin {

// RAII over a read-only descriptor. The stack holds it too (OutgoingMessage::fileKeep) while it
// may send from it, so a send can never meet a closed descriptor whatever the order of teardown.
class OutgoingFileTransfer::OpenFile {
public:
    explicit OpenFile(const std::string& path) : fd_(open(path.c_str(), O_RDONLY | O_CLOEXEC)) {
        if (fd_ < 0)
            throw std::runtime_error("cannot read the room file: " + std::string(strerror(errno)));
    }
    ~OpenFile() { close(fd_); }
    OpenFile(const OpenFile&) = delete;
    OpenFile& operator=(const OpenFile&) = delete;

    int fd() const { return fd_; }

private:
    int fd_;
};

OutgoingFileTransfer::OutgoingFileTransfer(FileParty party, msrp::FileSelector requested, std::string transferId,
                                           Report report, files::SharedFile file)
    : FileTransfer(std::move(party), std::move(requested), std::move(transferId), std::move(report)),
      file_(std::move(file)),
      open_(std::make_shared<OpenFile>(file_.path)) {}

OutgoingFileTransfer::~OutgoingFileTransfer() {
    // Close first: the message still queued reports 481 to done, which must find us whole.
    if (session_)
        session_->close();
}

std::string OutgoingFileTransfer::answerSelector() const {
    // RFC 5547 section 8.2: the answer describes the file that will be sent.
    msrp::FileSelector selector;
    selector.name = file_.name;
    selector.type = file_.type.empty() ? "application/octet-stream" : file_.type.substr(0, file_.type.find(';'));
    selector.size = file_.size;
    if (auto hash = msrp::FileHash::sha1FromPlainHex(file_.sha1))
        selector.hashes.push_back(*hash);
    return selector.str();
}

void OutgoingFileTransfer::onBound(msrp::Session& session) {
    if (started_)
        return;
    started_ = true;
    msrp::OutgoingMessage message;
    message.contentType = file_.type.empty() ? "application/octet-stream" : file_.type;
    message.size = file_.size;
    // The chunks go from the file to the socket (sendfile on plain TCP): perf on the file bench
    // showed a pull's stack thread spending most of its time copying the file into user space.
    message.fileFd = open_->fd();
    message.fileKeep = open_;
    message.fileTaken = readHook_;
    message.done = [this](const msrp::SendOutcome& outcome) {
        if (outcome.status == 200) {
            state_ = "done";
            SYLK_LOG(LOG_INFO, ChatRoom::kPackage, "room %s: sent %s (%llu bytes) to %s", party_.room.c_str(),
                     file_.id.c_str(), static_cast<unsigned long long>(file_.size), party_.uri.c_str());
            report_(reportEvent("file_sent").set("file", file_.describe()));
        } else if (state_ != "closed") {
            state_ = "failed";
            error_ = std::to_string(outcome.status) + " " + outcome.comment;
            report_(reportEvent("file_failed").set("error", error_));
        }
    };
    std::string messageId;
    try {
        messageId = session.send(std::move(message));
    } catch (const std::invalid_argument& e) {  // a stored type the stack will not write
        SYLK_LOG(LOG_WARN, ChatRoom::kPackage, "room %s: file %s not sent: %s", party_.room.c_str(), file_.id.c_str(), e.what());
    }
    if (messageId.empty()) {
        state_ = "failed";
        error_ = "the session would not take the file";
        report_(reportEvent("file_failed").set("error", error_));
        return;
    }
    state_ = "transferring";
}

void OutgoingFileTransfer::onMessage(msrp::Session&, msrp::IncomingMessage message) {
    // A recvonly peer sends nothing but its binding SEND (empty, RFC 4975 section 5.4).
    if (message.size > 0)
        SYLK_LOG(LOG_INFO, ChatRoom::kPackage, "room %s: file transfer %s: a %s from the receiver dropped",
                 party_.room.c_str(), id().c_str(), message.contentType.c_str());
}

Json OutgoingFileTransfer::status() const { return FileTransfer::status().set("file", file_.describe()); }

}  // namespace sylk::msrp_plugin
