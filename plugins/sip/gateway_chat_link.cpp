#include "gateway_chat_link.hpp"

#include "gateway_detail.hpp"
#include "sylkcore/hub/hub.hpp"
#include "sylkcore/log.hpp"

namespace sylk::sip {

GatewayChatLink::GatewayChatLink(std::string room, std::string member, Deliver deliver)
    : room_(std::move(room)), member_(std::move(member)), deliver_(std::move(deliver)) {}

GatewayChatLink::~GatewayChatLink() {
    subscription_ = hub::Subscription();
    if (hubRoom_) {
        hubRoom_.reset();
        hub::Hub::instance().closeIfIdle(room_);
    }
}

void GatewayChatLink::start() {
    hubRoom_ = hub::Hub::instance().open(room_);
    subscription_ = hubRoom_->subscribe(shared_from_this());
}

void GatewayChatLink::send(const std::string& contentType, const std::string& body) {
    if (hubRoom_)
        hubRoom_->post(gateway_detail::kPackage, member_, hub::direct(hub::DirectMessage{contentType, body}));
}

void GatewayChatLink::ack(const std::string& ackId, int status) {
    if (hubRoom_ && !ackId.empty())
        hubRoom_->post(gateway_detail::kPackage, member_, hub::directAck(hub::DirectAck{ackId, status}));
}

void GatewayChatLink::onRoomEvent(const hub::RoomEvent& event) {
    if (event.kind == hub::kind::FileShared && fileListener_) {
        try {
            fileListener_(hub::readFileShared(event));
        } catch (const hub::InvalidHubEvent& e) {
            SYLK_LOG(LOG_WARN, gateway_detail::kPackage, "file room %s: %s", room_.c_str(), e.what());
        }
        return;
    }
    if (event.kind == hub::kind::MsrpPath && pathListener_) {
        try {
            pathListener_(hub::readMsrpPath(event));
        } catch (const hub::InvalidHubEvent& e) {
            SYLK_LOG(LOG_WARN, gateway_detail::kPackage, "chat room %s: %s", room_.c_str(), e.what());
        }
        return;
    }
    if (event.kind != hub::kind::Direct || event.plugin == gateway_detail::kPackage)
        return;  // what we posted ourselves, or not a message
    try {
        deliver_(hub::readDirect(event));
    } catch (const hub::InvalidHubEvent& e) {
        SYLK_LOG(LOG_WARN, gateway_detail::kPackage, "chat room %s: %s", room_.c_str(), e.what());
    }
}

}  // namespace sylk::sip
