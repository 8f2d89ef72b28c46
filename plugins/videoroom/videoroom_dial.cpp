// Calling a phone into the room from the web ("dial"): part of class VideoRoomPlugin. The SIP
// focus places the call (as for a REFER method=INVITE) and reports each step back through our
// hub service videoroom.dial_progress; neither plugin's thread waits for the other (the focus
// only queues the invitation, we only post the report to our loop).
#include "sylkcore/hub/services.hpp"
#include "sylkcore/hub/service_names.hpp"
#include "sylkcore/log.hpp"
#include "videoroom_common.hpp"
#include "videoroom_plugin.hpp"
#include "videoroom_requests.hpp"

namespace sylk::videoroom {

Reply VideoRoomPlugin::dial(Session& session, RequestReader& reader, const Request&) {
    // Moderators only (docs/decisions.md): a call out rings someone and may cost, like the
    // XMPP rooms' invitations of SIP users. The one who asks hears the progress, so it must be
    // a participant of the room, not the bare room secret.
    auto publisher = session.publisher();
    if (!publisher || session.left || !publisher->moderator)
        throw RequestError(ErrorCode::VideoRoomUnauthorized, "only a moderator in the room may call a phone in");
    std::string uri = parseDialTarget(reader.requireString("uri", 512), dialDomain_);
    reader.rejectUnknownFields();
    uint64_t token = nextDialToken_++;
    auto room = publisher->room;
    Json invite = Json::object();
    invite.set("room", room->id.key)
        .set("uri", uri)
        .set("display", publisher->display)
        .set("token", static_cast<json_int_t>(token))
        .set("progress", hub::service::VideoRoomDialProgress);
    try {
        hub::Services::instance().call(hub::service::SipFocusInvite, invite);
    } catch (const RequestError& e) {
        // No SIP plugin here (NotFound), or the focus refused the URI: the web user reads why.
        throw RequestError(ErrorCode::InvalidField, std::string("cannot call ") + uri + ": " + e.what());
    }
    // A report that never comes (the SIP plugin went away) must not hold its entry for ever:
    // beyond 100 calls being placed, the oldest is forgotten (its call goes on, unreported).
    if (dials_.size() >= 100)
        dials_.erase(dials_.begin());
    dials_[token] = PendingDial{room, publisher->id, uri};
    SYLK_LOG(LOG_INFO, kPackage, "room %s: moderator %llu calls %s in", room->id.key.c_str(),
             static_cast<unsigned long long>(publisher->id), uri.c_str());
    Json dialing = Json::object();
    dialing.set("token", static_cast<json_int_t>(token)).set("uri", uri).set("state", "calling");
    Json reply = Json::object();
    reply.set("videoroom", "success").set("dial", dialing);
    return Reply{reply, {}};
}

// Hub service videoroom.dial_progress {"token", "state": ringing|answered|failed, "status"?,
// "reason"?}, on the focus's SIP thread: checked here, delivered on our loop.
Json VideoRoomPlugin::queueDialProgress(const Json& report) {
    RequestReader reader(report.get());
    auto token = static_cast<uint64_t>(reader.requireInt("token", 1, kMaxId));
    std::string state = reader.requireString("state", 16);
    int status = static_cast<int>(reader.optionalInt("status", 0, 699).value_or(0));
    std::string reason = reader.optionalString("reason", 256).value_or("");
    reader.rejectUnknownFields();
    if (state != "ringing" && state != "answered" && state != "failed")
        throw RequestError(ErrorCode::InvalidField, "field 'state' must be ringing, answered or failed");
    loop().post([this, token, state, status, reason] { deliverDialProgress(token, state, status, reason); });
    return Json::object();
}

void VideoRoomPlugin::deliverDialProgress(uint64_t token, const std::string& state, int status, const std::string& reason) {
    auto found = dials_.find(token);
    if (found == dials_.end())
        return;
    PendingDial pending = found->second;
    if (state != "ringing")
        dials_.erase(found);  // answered or failed: the last report of this call
    auto room = pending.room.lock();
    auto asker = room ? room->findParticipant(pending.participant) : nullptr;
    if (!asker)
        return;  // left meanwhile: the phone's arrival shows in the roster of those still here
    Json dial = Json::object();
    dial.set("token", static_cast<json_int_t>(token)).set("uri", pending.uri).set("state", state);
    if (status)
        dial.set("status", static_cast<json_int_t>(status));
    if (!reason.empty())
        dial.set("reason", reason);
    Json event = roomEvent(*room);
    event.set("dial", dial);
    notify(asker->handle(), event);
}

}  // namespace sylk::videoroom
