#include "direct_session.hpp"

#include <glib.h>

#include "chat_room.hpp"
#include "sylkcore/hub/events.hpp"
#include "sylkcore/hub/hub.hpp"
#include "sylkcore/hub/invalid_hub_event.hpp"
#include "sylkcore/log.hpp"

namespace sylk::msrp_plugin {

DirectSession::DirectSession(msrp::Stack& stack, std::string room, std::string uri, size_t maxMessageBytes)
    : stack_(stack), room_(std::move(room)), uri_(std::move(uri)), maxMessageBytes_(maxMessageBytes) {}

DirectSession::~DirectSession() {
    subscription_ = hub::Subscription();
    if (session_)
        session_->close();
    if (hubRoom_) {
        hubRoom_.reset();
        hub::Hub::instance().closeIfIdle(room_);
    }
}

void DirectSession::open(msrp::SessionSetup setup) {
    session_ = stack_.createSession(std::move(setup), *this);
    hubRoom_ = hub::Hub::instance().open(room_);
    subscription_ = hubRoom_->subscribe(shared_from_this());
    SYLK_LOG(LOG_INFO, ChatRoom::kPackage, "direct session %s opened for %s in %s", id().c_str(), uri_.c_str(),
             room_.c_str());
}

Json DirectSession::status() const {
    Json json = Json::object();
    json.set("session", session_->id())
        .set("room", room_)
        .set("uri", uri_)
        .setBool("bound", session_->bound())
        .set("peer", session_->peerAddress())
        .set("received", static_cast<json_int_t>(received_))
        .set("refused", static_cast<json_int_t>(refused_))
        .set("sent", static_cast<json_int_t>(sent_))
        .set("dropped", static_cast<json_int_t>(dropped_));
    return json;
}

void DirectSession::onMessage(msrp::Session&, msrp::IncomingMessage message) {
    // Hub payloads are JSON strings: text only. A binary body (an image sent bare) is not
    // something the web user's side can take yet; it is counted and logged, not posted.
    const bool held = session_->setup().holdLastAnswer;
    if (message.body.size() > maxMessageBytes_ ||
        !g_utf8_validate(message.body.data(), static_cast<gssize>(message.body.size()), nullptr) ||
        message.body.find('\0') != std::string::npos) {
        ++refused_;
        SYLK_LOG(LOG_WARN, ChatRoom::kPackage, "direct session %s: message %s (%s) is not text: not delivered", id().c_str(),
                 message.messageId.c_str(), message.contentType.c_str());
        if (held)  // its answer was held for the user's side, which will never see it
            session_->answerHeld(message.messageId, 415);
        return;
    }
    ++received_;
    // Held: the user's side answers with a direct-ack naming the MSRP Message-ID once stored.
    hubRoom_->post(ChatRoom::kPackage, std::string(ChatRoom::kPackage) + "/" + id(),
                   hub::direct(hub::DirectMessage{message.contentType, std::move(message.body),
                                                  held ? message.messageId : std::string()}));
}

void DirectSession::onClosed(msrp::Session&, const std::string& reason) {
    // The connection ended; the session stays known until msrp.close_session (the call's end).
    SYLK_LOG(LOG_INFO, ChatRoom::kPackage, "direct session %s ended: %s", id().c_str(), reason.c_str());
}

void DirectSession::onRoomEvent(const hub::RoomEvent& event) {
    if (event.plugin == ChatRoom::kPackage)
        return;  // ours (what the peer sent)
    std::weak_ptr<DirectSession> weak = weak_from_this();
    if (event.kind == hub::kind::DirectAck) {
        stack_.thread().post([weak, event] {
            if (auto self = weak.lock())
                self->answerSender(event);
        });
        return;
    }
    if (event.kind != hub::kind::Direct)
        return;  // not a message
    stack_.thread().post([weak, event] {
        if (auto self = weak.lock())
            self->toPeer(event);
    });
}

void DirectSession::answerSender(const hub::RoomEvent& event) {
    hub::DirectAck ack;
    try {
        ack = hub::readDirectAck(event);
    } catch (const hub::InvalidHubEvent& e) {
        SYLK_LOG(LOG_WARN, ChatRoom::kPackage, "direct session %s: %s", id().c_str(), e.what());
        return;
    }
    if (!session_->answerHeld(ack.ackId, ack.status))
        SYLK_LOG(LOG_VERB, ChatRoom::kPackage, "direct session %s: no answer held for message %s", id().c_str(),
                 ack.ackId.c_str());
}

void DirectSession::toPeer(const hub::RoomEvent& event) {
    hub::DirectMessage message;
    try {
        message = hub::readDirect(event);
    } catch (const hub::InvalidHubEvent& e) {
        SYLK_LOG(LOG_WARN, ChatRoom::kPackage, "direct session %s: %s", id().c_str(), e.what());
        return;
    }
    if (!session_->isOpen() || !session_->sendable()) {
        ++dropped_;
        return;
    }
    msrp::OutgoingMessage outgoing;
    outgoing.contentType = message.contentType;
    outgoing.body = std::move(message.body);
    outgoing.failureReport = msrp::Report::Yes;
    if (session_->send(std::move(outgoing)).empty())
        ++dropped_;
    else
        ++sent_;
}

}  // namespace sylk::msrp_plugin
