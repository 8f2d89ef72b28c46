// Room chat and phones: in-call MESSAGE (plain text or CPIM) posted to the room, and the room's
// chat sent to the phones as CPIM MESSAGEs. Part of class ConferenceFocus (conference_focus.hpp).
#include "conference_focus.hpp"

#include <glib.h>

#include <algorithm>

#include "sofia.hpp"

#include "sylkcore/cpim/cpim.hpp"
#include "sip_message.hpp"
#include "sip_stack.hpp"
#include "sylkcore/hub/events.hpp"
#include "sylkcore/hub/hub.hpp"

#include "conference_focus_detail.hpp"

namespace sylk::sip {

using namespace conference_focus_detail;

void ConferenceFocus::onMessage(nua_handle_s* handle, const sip_s* sip) {
    auto call = calls_.find(handle);
    if (call == calls_.end()) {
        // Out of a call: rooms take chat only from their participants (SylkServer answers 405).
        stack_.refuse(handle, 405, sip_405_Method_not_allowed, "MESSAGE to a room is taken only within a call");
        return;
    }
    std::string text = bodyOf(sip);
    if (contentTypeOf(sip) == "message/cpim") {
        std::string reason;
        auto cpim = cpim::parseCpim(text, &reason);
        if (!cpim || cpim->contentType.rfind("text/plain", 0) != 0) {
            nua_respond(handle, 415, sip_415_Unsupported_media, NUTAG_WITH_THIS(stack_.nua()),
                        SIPTAG_ACCEPT_STR("text/plain, message/cpim"), TAG_END());
            return;
        }
        text = cpim->body;
    } else if (!contentTypeOf(sip).empty() && contentTypeOf(sip) != "text/plain") {
        nua_respond(handle, 415, sip_415_Unsupported_media, NUTAG_WITH_THIS(stack_.nua()),
                    SIPTAG_ACCEPT_STR("text/plain, message/cpim"), TAG_END());
        return;
    }
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r'))
        text.pop_back();  // line endings some phones add to the body are not part of the message
    if (text.empty() || text.size() > 16 * 1024) {
        nua_respond(handle, text.empty() ? 400 : 413, text.empty() ? sip_400_Bad_request : sip_413_Request_too_large,
                    NUTAG_WITH_THIS(stack_.nua()), TAG_END());
        return;
    }
    // Room chat is JSON text: bytes that are not UTF-8 (a phone's Latin-1) would reach nobody
    // while the phone got 200, so the phone is told instead.
    if (!g_utf8_validate(text.data(), static_cast<gssize>(text.size()), nullptr)) {
        nua_respond(handle, 400, sip_400_Bad_request, NUTAG_WITH_THIS(stack_.nua()),
                    SIPTAG_WARNING_STR("399 sylk \"the text must be UTF-8\""), TAG_END());
        return;
    }
    if (auto room = hub::Hub::instance().find(call->second.room)) {
        hub::ChatMessage message;
        message.id = hub::newMessageId();
        message.display = call->second.display;
        message.uri = call->second.uri;
        message.text = text;
        message.timestamp = hub::nowMs();
        room->post(kPackage, call->second.memberId, hub::chat(message));
    }
    nua_respond(handle, 200, sip_200_OK, NUTAG_WITH_THIS(stack_.nua()), TAG_END());
}

void ConferenceFocus::queueChat(QueuedChat chat) {
    std::lock_guard lock(changedMutex_);
    if (chats_.size() < 1000)  // a stalled SIP thread must not grow this without bound
        chats_.push_back(std::move(chat));
}

void ConferenceFocus::deliverChat(const QueuedChat& chat) {
    const std::string& room = chat.room;
    const std::string& member = chat.member;
    const std::string& display = chat.display;
    const std::string& text = chat.text;
    const std::string& senderUri = chat.senderUri;
    std::string name;
    for (char c : display) {
        if (c != '"' && c != '\\' && static_cast<unsigned char>(c) >= 0x20)
            name += c;
    }
    std::string sender = senderUri.empty() ? memberUri(member) : senderUri;
    for (const auto& [handle, call] : calls_) {
        if (call.room == room && call.memberId == member)
            sender = call.uri;
    }
    for (const auto& [handle, call] : calls_) {
        if (call.room != room || call.memberId == member)
            continue;  // not in this room, or the phone's own message coming back
        if (!chat.to.empty() && call.memberId != chat.to)
            continue;  // a private message: for its recipient only
        if (!call.audio || !call.chatSession.empty())
            continue;  // its chat is an MSRP session: the msrp plugin delivers the room's chat there
        cpim::CpimMessage message;
        message.from = "\"" + name + "\" <" + sender + ">";
        message.to = "<" + (call.uri.empty() ? "sip:phone@invalid" : call.uri) + ">";
        message.dateTime = cpim::cpimNow();
        message.contentType = "text/plain;charset=utf-8";
        message.body = text;
        std::string body = cpim::buildCpim(message);
        nua_message(handle, SIPTAG_CONTENT_TYPE_STR("message/cpim"), SIPTAG_PAYLOAD_STR(body.c_str()), TAG_END());
    }
}

void ConferenceFocus::tellModeratorMutes(const std::string& room) {
    auto hubRoom = hub::Hub::instance().find(room);
    if (!hubRoom)
        return;
    auto members = hubRoom->members();
    for (auto& [handle, call] : calls_) {
        if (call.room != room || !call.audio)
            continue;
        auto member = std::find_if(members.begin(), members.end(), [&](const auto& m) { return m.id == call.memberId; });
        if (member == members.end() || member->mutedByModerator == call.mutedByModerator)
            continue;
        call.mutedByModerator = member->mutedByModerator;
        // In the call's dialog, from the room, as its chat comes (CPIM): any phone that shows
        // the room's chat shows it.
        cpim::CpimMessage message;
        message.from = "\"" + room + "\" <sip:" + room + "@" + stack_.hostPort() + ">";
        message.to = "<" + (call.uri.empty() ? "sip:phone@invalid" : call.uri) + ">";
        message.dateTime = cpim::cpimNow();
        message.contentType = "text/plain;charset=utf-8";
        message.body = call.mutedByModerator ? "You were muted by the moderator" : "You were unmuted by the moderator";
        std::string body = cpim::buildCpim(message);
        nua_message(handle, SIPTAG_CONTENT_TYPE_STR("message/cpim"), SIPTAG_PAYLOAD_STR(body.c_str()), TAG_END());
    }
}

}  // namespace sylk::sip
