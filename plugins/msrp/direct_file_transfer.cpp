#include "direct_file_transfer.hpp"

#include <algorithm>

#include "chat_room.hpp"
#include "sylkcore/hub/events.hpp"
#include "sylkcore/hub/hub.hpp"

namespace sylk::msrp_plugin {

DirectIncomingFileTransfer::DirectIncomingFileTransfer(FileParty party, msrp::FileSelector selector,
                                                       std::string transferId, Report report)
    : IncomingFileTransfer(std::move(party), std::move(selector), std::move(transferId), std::move(report)),
      room_(hub::Hub::instance().open(party_.room)) {}

DirectIncomingFileTransfer::~DirectIncomingFileTransfer() {
    if (session_)
        session_->close();  // no callback once our members go
    room_.reset();
    hub::Hub::instance().closeIfIdle(party_.room);
}

void DirectIncomingFileTransfer::onData(msrp::Session& session, const std::string& messageId, uint64_t offset,
                                        std::string data) {
    uint64_t end = offset + data.size();
    IncomingFileTransfer::onData(session, messageId, offset, std::move(data));
    received_ = std::max(received_, end);
    if (received_ - posted_ >= kProgressStep)
        postProgress();
}

void DirectIncomingFileTransfer::onMessage(msrp::Session& session, msrp::IncomingMessage message) {
    postProgress();  // the last bytes, before the store's `file` event says it is complete
    IncomingFileTransfer::onMessage(session, std::move(message));
}

void DirectIncomingFileTransfer::postProgress() {
    if (received_ == posted_ || !session_)
        return;
    posted_ = received_;
    Json progress = Json::object();
    progress.set("session", id()).set("received", static_cast<json_int_t>(received_));
    if (selector_.size)
        progress.set("size", static_cast<json_int_t>(*selector_.size));
    room_->post(ChatRoom::kPackage, std::string(ChatRoom::kPackage) + "/" + id(),
                hub::direct(hub::DirectMessage{kProgressType, progress.dump()}));
}

std::function<void(uint64_t end)> directSendProgress(std::string room, std::string session, uint64_t size) {
    auto posted = std::make_shared<uint64_t>(0);
    return [room = std::move(room), session = std::move(session), size, posted](uint64_t end) {
        if (end <= *posted || (end - *posted < DirectIncomingFileTransfer::kProgressStep && end < size))
            return;
        *posted = end;
        auto hubRoom = hub::Hub::instance().find(room);
        if (!hubRoom)
            return;
        Json progress = Json::object();
        progress.set("session", session).set("sent", static_cast<json_int_t>(end)).set("size", static_cast<json_int_t>(size));
        hubRoom->post(ChatRoom::kPackage, std::string(ChatRoom::kPackage) + "/" + session,
                      hub::direct(hub::DirectMessage{DirectIncomingFileTransfer::kProgressType, progress.dump()}));
    };
}

FileTransfer::Report directFileReport(FileTransfer::Report inner) {
    return [inner = std::move(inner)](Json event) {
        std::string room = json_string_value(event.member("room")) ? json_string_value(event.member("room")) : "";
        std::string session = json_string_value(event.member("session")) ? json_string_value(event.member("session")) : "";
        if (auto hubRoom = hub::Hub::instance().find(room); hubRoom && !session.empty())
            hubRoom->post(ChatRoom::kPackage, std::string(ChatRoom::kPackage) + "/" + session,
                          hub::direct(hub::DirectMessage{DirectIncomingFileTransfer::kProgressType, event.dump()}));
        inner(std::move(event));
    };
}

}  // namespace sylk::msrp_plugin
