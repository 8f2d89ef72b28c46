// The conference focus: construction, the dispatch of Sofia's events, status and the tick. Its
// topics are in conference_focus_admission.cpp, _calls.cpp, _chat.cpp, _refer.cpp and _state.cpp;
// helpers they share in conference_focus_detail.hpp.
#include "conference_focus.hpp"

#include <algorithm>

#include "sofia.hpp"

#include "sip_stack.hpp"
#include "sylkcore/hub/hub.hpp"
#include "sylkcore/log.hpp"
#include "sylkcore/net/srtp_session.hpp"

#include "conference_focus_detail.hpp"

namespace sylk::sip {

using namespace conference_focus_detail;

ConferenceFocus::ConferenceFocus(SipStack& stack) : stack_(stack), nonceKey_(net::SrtpSession::makeKey()) {}

Json ConferenceFocus::status() const {
    Json json = Json::object();
    json.set("active_calls", activeCalls_.load())
        .set("calls_answered", static_cast<json_int_t>(callsAnswered_.load()))
        .set("calls_refused", static_cast<json_int_t>(callsRefused_.load()))
        .set("calls_redirected", static_cast<json_int_t>(callsRedirected_.load()))
        .set("owner_lookups_timed_out", static_cast<json_int_t>(ownerLookup_.timedOut()));
    return json;
}

void ConferenceFocus::onEvent(int event, int status, const char* phrase, nua_handle_s* handle, const sip_s* sip,
                              const void* tags) {
    switch (event) {
    case nua_i_invite:
        onInvite(handle, sip);
        break;
    case nua_i_message:
        onMessage(handle, sip);
        break;
    case nua_i_subscribe:
        onSubscribe(handle, sip);
        break;
    case nua_i_refer:
        onRefer(handle, sip);
        break;
    case nua_r_invite:
        if (dialOuts_.count(handle))
            onDialOutResponse(handle, status, sip);
        else if (status >= 200 && calls_.count(handle))  // our re-INVITE (repathChat)
            onRepathAnswer(handle, calls_.at(handle), status, phrase);
        break;
    case nua_i_info:
        // Phones send DTMF as INFO in conferences too: taken, nothing to press here.
        nua_respond(handle, 200, sip_200_OK, NUTAG_WITH_THIS(stack_.nua()), TAG_END());
        if (!holds(handle))  // out of a call: the request's own handle
            stack_.retire(handle);
        break;
    case nua_i_state: {
        // Ended one way or another (BYE, CANCEL, no ACK): leave the room.
        int state = nua_callstate_init;
        tl_gets(static_cast<const tagi_t*>(tags), NUTAG_CALLSTATE_REF(state), TAG_END());
        if (state == nua_callstate_terminated)
            endCall(handle);
        break;
    }
    case nua_i_terminated:
    case nua_i_bye:
        endCall(handle);
        break;
    case nua_r_notify:
        if (auto gone = subscriptions_.find(handle); status >= 300 && gone != subscriptions_.end()) {
            std::string room = gone->second.room;  // the subscriber is gone
            subscriptions_.erase(gone);
            stack_.retire(handle);
            unwatchIfUnused(room);
        }
        break;
    default:
        if (status >= 300)
            SYLK_LOG(LOG_VERB, kPackage, "%s: %d %s", nua_event_name(static_cast<nua_event_t>(event)), status, phrase ? phrase : "");
        // A request nobody here takes (OPTIONS, which Sofia has answered, PUBLISH, ...) came
        // with a handle of its own: Sofia keeps it until it is destroyed, so it goes now
        // (else every OPTIONS ping leaked one).
        if (SipStack::isIncomingRequest(event) && !holds(handle))
            stack_.retire(handle);
        break;
    }
}

bool ConferenceFocus::holds(nua_handle_s* handle) const {
    if (calls_.count(handle) || subscriptions_.count(handle) || dialOuts_.count(handle))
        return true;
    for (const auto& [dialOut, entry] : dialOuts_) {
        if (entry.refer == handle)
            return true;
    }
    return std::any_of(referResults_.begin(), referResults_.end(), [&](const auto& result) { return result.first == handle; });
}

void ConferenceFocus::onTick() {
    std::set<std::string> changed;
    std::vector<QueuedChat> chats;
    std::vector<hub::MsrpPathChange> pathChanges;
    std::vector<std::pair<std::string, hub::KickOrder>> kicks;
    std::vector<QueuedInvite> invites;
    {
        std::lock_guard lock(changedMutex_);
        changed.swap(changed_);
        chats.swap(chats_);
        pathChanges.swap(pathChanges_);
        kicks.swap(kicks_);
        invites.swap(invites_);
    }
    for (const auto& invite : invites)
        dialOut(nullptr, invite.room, invite.uri, "", invite.display, invite.progress);
    for (const auto& [room, order] : kicks)
        kickCall(room, order);
    for (const auto& chat : chats)
        deliverChat(chat);
    for (const auto& change : pathChanges)
        repathChat(change);
    retryRepaths();
    for (const auto& [refer, fragment] : referResults_) {
        nua_notify(refer, NUTAG_SUBSTATE(nua_substate_terminated), SIPTAG_EVENT_STR("refer"),
                   SIPTAG_CONTENT_TYPE_STR("message/sipfrag;version=2.0"), SIPTAG_PAYLOAD_STR(fragment.c_str()), TAG_END());
        stack_.retire(refer, 32);
    }
    referResults_.clear();
    if (++ticks_ % 10 == 0)  // once a second
        checkRtpTimeouts();
    // A room the hub closed and opened again is a new object: follow it, and count it as changed.
    for (auto& [room, watchEntry] : watches_) {
        auto current = hub::Hub::instance().find(room);
        if (current && current != watchEntry.room) {
            watch(room);
            changed.insert(room);
        }
    }
    for (const auto& room : changed)
        tellModeratorMutes(room);
    if (changed.empty())
        return;
    std::vector<std::string> unsubscribed;
    for (auto entry = subscriptions_.begin(); entry != subscriptions_.end();) {
        if (!changed.count(entry->second.room)) {
            ++entry;
            continue;
        }
        notify(entry->first, entry->second, entry->second.ending);
        if (entry->second.ending) {
            stack_.retire(entry->first);
            unsubscribed.push_back(entry->second.room);
            entry = subscriptions_.erase(entry);
        } else {
            ++entry;
        }
    }
    for (const auto& room : unsubscribed)
        unwatchIfUnused(room);
}

}  // namespace sylk::sip
