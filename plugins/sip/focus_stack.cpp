#include "focus_stack.hpp"

#include <glib.h>

// Sofia-SIP's inline tag helpers have unused parameters; they are not ours to fix.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include <sofia-sip/nua.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/su_tag.h>
#include <sofia-sip/su_wait.h>
#pragma GCC diagnostic pop

#include <chrono>
#include <stdexcept>

#include "sip_sdp.hpp"
#include "sylkcore/hub/hub.hpp"
#include "sylkcore/hub/services.hpp"
#include "sylkcore/log.hpp"
#include "sylkcore/request_error.hpp"

namespace sylk::sip {
namespace {

constexpr const char* kPackage = "janus.plugin.sylk.sip";

void callback(nua_event_t event, int status, char const* phrase, nua_t*, nua_magic_t* magic, nua_handle_t* handle,
              nua_hmagic_t*, sip_t const* sip, tagi_t* tags) {
    try {
        static_cast<FocusStack*>(static_cast<void*>(magic))->onEvent(event, status, phrase, handle, sip, tags);
    } catch (const std::exception& e) {
        SYLK_LOG(LOG_ERR, kPackage, "SIP event %s failed: %s", nua_event_name(event), e.what());
    }
}

std::string displayOf(const sip_t* sip) {
    if (sip->sip_from) {
        if (sip->sip_from->a_display && *sip->sip_from->a_display) {
            std::string display = sip->sip_from->a_display;
            if (display.size() >= 2 && display.front() == '"' && display.back() == '"')
                display = display.substr(1, display.size() - 2);  // a quoted-string display name
            if (!display.empty())
                return display;
        }
        if (sip->sip_from->a_url->url_user)
            return sip->sip_from->a_url->url_user;
    }
    return "phone";
}

}  // namespace

void retireTimer(void*, su_timer_s*, void* stack) { static_cast<FocusStack*>(stack)->destroyRetired(); }

FocusStack::FocusStack(FocusSettings settings) : settings_(std::move(settings)) {}

FocusStack::~FocusStack() { stop(); }

void FocusStack::start() {
    thread_ = std::thread([this] { run(); });
    for (int i = 0; i < 500 && !ready_ && !failed_; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    if (!ready_) {
        stop();
        throw std::runtime_error("SIP: cannot listen on " + settings_.ip + ":" + std::to_string(settings_.port));
    }
}

void FocusStack::stop() {
    if (root_ && nua_) {
        nua_shutdown(nua_);  // the loop ends when the stack confirms (nua_r_shutdown)
    } else if (root_) {
        su_root_break(root_);
    }
    if (thread_.joinable())
        thread_.join();
}

void FocusStack::run() {
    su_init();
    su_home_t home[1] = {SU_HOME_INIT(home)};
    root_ = su_root_create(nullptr);
    std::string url = "sip:" + (settings_.ip.find(':') != std::string::npos ? "[" + settings_.ip + "]" : settings_.ip) +
                      ":" + std::to_string(settings_.port);
    nua_ = nua_create(root_, callback, reinterpret_cast<nua_magic_t*>(this),
                      NUTAG_URL(url.c_str()),
                      NUTAG_MEDIA_ENABLE(0),                 // we write the SDP ourselves
                      NUTAG_APPL_METHOD("MESSAGE"),          // and answer MESSAGEs ourselves
                      SIPTAG_ALLOW_STR("INVITE, ACK, BYE, CANCEL, OPTIONS, MESSAGE"),
                      SIPTAG_USER_AGENT_STR(settings_.userAgent.c_str()),
                      TAG_NULL());
    if (!nua_) {
        failed_ = true;
    } else {
        timer_ = su_timer_create(su_root_task(root_), 500);
        su_timer_set_for_ever(timer_, reinterpret_cast<su_timer_f>(&retireTimer), reinterpret_cast<su_timer_arg_t*>(this));
        ready_ = true;
        SYLK_LOG(LOG_INFO, kPackage, "SIP focus listening on %s", url.c_str());
        su_root_run(root_);
        su_timer_destroy(timer_);
        timer_ = nullptr;
        for (auto& [handle, when] : retired_)
            nua_handle_destroy(handle);
        retired_.clear();
        nua_destroy(nua_);
        nua_ = nullptr;
    }
    su_root_destroy(root_);
    root_ = nullptr;
    su_home_deinit(home);
    su_deinit();
}

Json FocusStack::status() const {
    Json json = Json::object();
    json.set("address", settings_.ip)
        .set("port", settings_.port)
        .set("active_calls", activeCalls_.load())
        .set("calls_answered", static_cast<json_int_t>(callsAnswered_.load()))
        .set("calls_refused", static_cast<json_int_t>(callsRefused_.load()));
    return json;
}

void FocusStack::onEvent(int event, int status, const char* phrase, nua_handle_s* handle, const void* raw,
                         const void* tags) {
    auto* sip = static_cast<const sip_t*>(raw);
    switch (event) {
    case nua_i_invite:
        onInvite(handle, sip);
        break;
    case nua_i_message:
        onMessage(handle, sip);
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
    case nua_r_shutdown:
        if (status >= 200)
            su_root_break(root_);
        break;
    default:
        if (status >= 300)
            SYLK_LOG(LOG_VERB, kPackage, "%s: %d %s", nua_event_name(static_cast<nua_event_t>(event)), status, phrase ? phrase : "");
        break;
    }
}

void FocusStack::refuse(nua_handle_s* handle, int status, const char* phrase, const std::string& reason) {
    std::string warning = reason.empty() ? "" : "399 sylk \"" + reason + "\"";
    // NUTAG_WITH_THIS: the request being handled; only INVITE may be answered without it.
    nua_respond(handle, status, phrase, NUTAG_WITH_THIS(nua_), TAG_IF(!warning.empty(), SIPTAG_WARNING_STR(warning.c_str())),
                TAG_END());
    retire(handle);
}

void FocusStack::retire(nua_handle_s* handle) { retired_.emplace_back(handle, g_get_monotonic_time()); }

void FocusStack::destroyRetired() {
    // One second is long after the queued response went out (and any ACK came back).
    int64_t cutoff = g_get_monotonic_time() - G_USEC_PER_SEC;
    std::erase_if(retired_, [&](const auto& entry) {
        if (entry.second > cutoff)
            return false;
        nua_handle_destroy(entry.first);
        return true;
    });
}

void FocusStack::onInvite(nua_handle_s* handle, const void* raw) {
    auto* sip = static_cast<const sip_t*>(raw);
    if (auto existing = calls_.find(handle); existing != calls_.end()) {
        // A re-INVITE (session refresh, hold): the media stay as they are for now.
        nua_respond(handle, 200, sip_200_OK, SIPTAG_CONTENT_TYPE_STR("application/sdp"),
                    SIPTAG_PAYLOAD_STR(existing->second.answer.c_str()), TAG_END());
        return;
    }
    const char* room = sip && sip->sip_request && sip->sip_request->rq_url->url_user ? sip->sip_request->rq_url->url_user : nullptr;
    if (!room || !*room) {
        ++callsRefused_;
        refuse(handle, 404, sip_404_Not_found, "call a room: sip:room@host");
        return;
    }
    std::string reason;
    std::string offer = sip->sip_payload && sip->sip_payload->pl_data
                            ? std::string(sip->sip_payload->pl_data, sip->sip_payload->pl_len) : std::string();
    auto audio = offer.empty() ? std::nullopt : chooseAudio(offer, &reason);
    if (!audio) {
        ++callsRefused_;
        refuse(handle, 488, sip_488_Not_acceptable, offer.empty() ? "an SDP offer is needed" : reason);
        return;
    }
    Call call;
    call.room = room;
    call.display = displayOf(sip);
    Json request = Json::object();
    Json rtp = Json::object();
    rtp.set("ip", audio->address).set("port", audio->port).set("payload_type", audio->payloadType);
    request.set("room", call.room).set("display", call.display).set("codec", audio->codec).set("rtp", rtp);
    Json leg;
    try {
        leg = hub::Services::instance().call("audiomixer.attach_rtp", request);
    } catch (const RequestError& e) {
        ++callsRefused_;
        if (e.code() == ErrorCode::NotFound)
            refuse(handle, 503, sip_503_Service_unavailable, e.what());
        else if (e.code() == ErrorCode::AudioMixerRoomFull)
            refuse(handle, 486, sip_486_Busy_here, e.what());
        else
            refuse(handle, 403, sip_403_Forbidden, e.what());
        return;
    }
    json_t* legRtp = leg.member("rtp");
    call.legId = static_cast<uint64_t>(json_integer_value(json_object_get(leg.get(), "id")));
    call.memberId = "janus.plugin.sylk.audiomixer/" + std::to_string(call.legId);
    call.answer = buildAnswer(json_string_value(json_object_get(legRtp, "ip")),
                              static_cast<uint16_t>(json_integer_value(json_object_get(legRtp, "port"))), *audio,
                              sessionIds_++, 1);
    std::string contact = "<sip:" + call.room + "@" +
                          (settings_.ip.find(':') != std::string::npos ? "[" + settings_.ip + "]" : settings_.ip) + ":" +
                          std::to_string(settings_.port) + ">;isfocus";
    nua_respond(handle, 200, sip_200_OK, SIPTAG_CONTACT_STR(contact.c_str()),
                SIPTAG_CONTENT_TYPE_STR("application/sdp"), SIPTAG_PAYLOAD_STR(call.answer.c_str()), TAG_END());
    SYLK_LOG(LOG_INFO, kPackage, "call into room %s answered (%s)", call.room.c_str(), audio->codec.c_str());
    calls_[handle] = std::move(call);
    ++callsAnswered_;
    ++activeCalls_;
}

void FocusStack::onMessage(nua_handle_s* handle, const void* raw) {
    auto* sip = static_cast<const sip_t*>(raw);
    auto call = calls_.find(handle);
    if (call == calls_.end()) {
        // Out of a call: rooms take chat only from their participants (SylkServer answers 405).
        refuse(handle, 405, sip_405_Method_not_allowed, "MESSAGE to a room is taken only within a call");
        return;
    }
    std::string text = sip->sip_payload && sip->sip_payload->pl_data
                           ? std::string(sip->sip_payload->pl_data, sip->sip_payload->pl_len) : std::string();
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r'))
        text.pop_back();  // line endings some phones add to the body are not part of the message
    if (text.empty() || text.size() > 16 * 1024) {
        nua_respond(handle, text.empty() ? 400 : 413, text.empty() ? sip_400_Bad_request : sip_413_Request_too_large,
                    NUTAG_WITH_THIS(nua_), TAG_END());
        return;
    }
    if (auto room = hub::Hub::instance().find(call->second.room)) {
        Json data = Json::object();
        gchar* uuid = g_uuid_string_random();
        data.set("id", uuid).set("from", call->second.memberId).set("display", call->second.display).set("text", text)
            .set("timestamp", static_cast<json_int_t>(g_get_real_time() / 1000));
        g_free(uuid);
        room->post("chat", kPackage, call->second.memberId, data);
    }
    nua_respond(handle, 200, sip_200_OK, NUTAG_WITH_THIS(nua_), TAG_END());
}

void FocusStack::endCall(nua_handle_s* handle) {
    auto call = calls_.find(handle);
    if (call == calls_.end())
        return;
    try {
        Json request = Json::object();
        request.set("room", call->second.room).set("id", static_cast<json_int_t>(call->second.legId));
        hub::Services::instance().call("audiomixer.detach_rtp", request);
    } catch (const std::exception& e) {
        SYLK_LOG(LOG_VERB, kPackage, "leaving room %s: %s", call->second.room.c_str(), e.what());
    }
    calls_.erase(call);
    --activeCalls_;
    retire(handle);
}

}  // namespace sylk::sip
