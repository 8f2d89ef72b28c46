#include "chat_session.hpp"

#include <stdexcept>

#include "chat_room.hpp"
#include "sylkcore/log.hpp"

namespace sylk::msrp_plugin {

ChatSession::ChatSession(ChatRoom& room, ChatIdentity identity) : room_(room), identity_(std::move(identity)) {}

ChatSession::~ChatSession() {
    if (session_)
        session_->close();
}

bool ChatSession::deliver(const std::string& contentType, const std::string& body) {
    // A peer that stops reading fills its queue; everyone else must go on being served, so
    // what does not fit is dropped (SylkServer queues without bound) and counted.
    if (session_->isOpen() && session_->sendable()) {
        msrp::OutgoingMessage message;
        message.contentType = contentType;
        message.body = body;
        message.failureReport = msrp::Report::Yes;
        try {
            if (!session_->send(std::move(message)).empty()) {
                ++sent;
                return true;
            }
        } catch (const std::invalid_argument& e) {
            // The stack refuses what would forge headers or frames; our CPIM never should.
            SYLK_LOG(LOG_ERR, ChatRoom::kPackage, "room %s: session %s: message refused by the stack: %s",
                     room_.name().c_str(), id().c_str(), e.what());
            ++dropped;
            return false;
        }
    }
    ++dropped;
    if (!stalled_) {
        stalled_ = true;
        SYLK_LOG(LOG_WARN, ChatRoom::kPackage, "room %s: session %s is not reading (%zu bytes queued): dropping messages to it",
                 room_.name().c_str(), id().c_str(), session_->queuedBytes());
    }
    return false;
}

Json ChatSession::status() const {
    Json json = Json::object();
    json.set("session", session_->id())
        .set("member", identity_.memberId)
        .set("uri", identity_.uri)
        .set("display", identity_.display)
        .set("nickname", nickname_)
        .setBool("bound", session_->bound())
        .set("peer", session_->peerAddress())
        .set("received", static_cast<json_int_t>(received))
        .set("refused", static_cast<json_int_t>(refused))
        .set("sent", static_cast<json_int_t>(sent))
        .set("dropped", static_cast<json_int_t>(dropped))
        .set("queued_bytes", static_cast<json_int_t>(session_->queuedBytes()));
    return json;
}

void ChatSession::onBound(msrp::Session& session) {
    // The session given, not session_: a reused connection binds inside createSession, before
    // attach() has run.
    SYLK_LOG(LOG_INFO, ChatRoom::kPackage, "room %s: session %s bound to %s", room_.name().c_str(), session.id().c_str(),
             session.peerAddress().c_str());
}

void ChatSession::onMessage(msrp::Session&, msrp::IncomingMessage message) { room_.fromSession(*this, message); }

int ChatSession::admit(msrp::Session&, const msrp::Message& firstChunk) {
    // A message whole in its first chunk (nearly every chat message) is judged now, so a forged
    // sender or a type the room does not take gets its status (403, 415) and a REPORT; a longer
    // one has its CPIM sender judged on this chunk (403), the rest when it is complete (a
    // status notice tells the sender if it is refused then).
    if (firstChunk.byteRange().start != 1)
        return 200;
    if (firstChunk.continuation != msrp::Continuation::End)
        return room_.admitFirstChunk(*this, firstChunk);
    return room_.admit(*this, firstChunk);
}

int ChatSession::onRequest(msrp::Session&, const msrp::Message& request) {
    if (request.method == "NICKNAME")
        return room_.nicknameRequest(*this, request);
    return 501;
}

void ChatSession::onDrained(msrp::Session&) {
    if (stalled_) {
        stalled_ = false;
        SYLK_LOG(LOG_INFO, ChatRoom::kPackage, "room %s: session %s reads again (%llu messages dropped so far)",
                 room_.name().c_str(), id().c_str(), static_cast<unsigned long long>(dropped));
    }
}

void ChatSession::onClosed(msrp::Session&, const std::string& reason) { room_.sessionClosed(*this, reason); }

}  // namespace sylk::msrp_plugin
