#include "file_transfer.hpp"

#include "chat_room.hpp"
#include "sylkcore/hub/hub.hpp"
#include "sylkcore/log.hpp"

namespace sylk::msrp_plugin {

FileTransfer::FileTransfer(FileParty party, msrp::FileSelector selector, std::string transferId, Report report)
    : party_(std::move(party)), roomHold_(hub::Hub::instance().open(party_.room)), selector_(std::move(selector)), transferId_(std::move(transferId)), report_(std::move(report)) {}

FileTransfer::~FileTransfer() {
    if (session_)
        session_->close();
    roomHold_.reset();
    hub::Hub::instance().closeIfIdle(party_.room);  // the last to let the room go ends it
}

void FileTransfer::onClosed(msrp::Session&, const std::string& reason) {
    SYLK_LOG(LOG_INFO, ChatRoom::kPackage, "room %s: file transfer %s ended: %s", party_.room.c_str(), id().c_str(),
             reason.c_str());
    if (state_ != "done" && state_ != "failed")
        state_ = "closed";
}

Json FileTransfer::reportEvent(const char* event) const {
    Json json = Json::object();
    json.set("event", event).set("room", party_.room).set("session", id()).set("direction", direction());
    if (!transferId_.empty())
        json.set("transfer_id", transferId_);
    return json;
}

Json FileTransfer::status() const {
    Json json = Json::object();
    json.set("session", id())
        .set("room", party_.room)
        .set("direction", direction())
        .set("state", state_)
        .set("selector", answerSelector());
    if (!error_.empty())
        json.set("error", error_);
    return json;
}

}  // namespace sylk::msrp_plugin
