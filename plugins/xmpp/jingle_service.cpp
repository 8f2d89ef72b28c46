#include "jingle_service.hpp"

#include <glib.h>
#include <gloox/tag.h>

#include <iterator>

#include "jingle_namespaces.hpp"
#include "jingle_sdp.hpp"
#include "muc_naming.hpp"
#include "sylkcore/hub/hub.hpp"
#include "sylkcore/log.hpp"
#include "sylkcore/request_error.hpp"
#include "stox_address.hpp"
#include "xmpp_namespaces.hpp"

namespace sylk::xmpp {
namespace {

constexpr char kLog[] = "janus.plugin.sylk.xmpp";
constexpr char kDirectRoomPrefix[] = "direct/";
constexpr int64_t kEndedMemoryUs = 30 * G_USEC_PER_SEC;
constexpr size_t kEndedMax = 4096;
// Each call is a Janus session and a mixer participant: one user cannot make many.
constexpr size_t kMaxCallsPerUser = 4;
constexpr size_t kMaxCalls = 500;

std::string callKey(const std::string& peer, const std::string& sid) { return peer + " " + sid; }

}  // namespace

JingleService::JingleService(net::StackThread& thread, const XmppSettings& settings, ComponentLink& link,
                             JingleTarget target)
    : thread_(thread), settings_(settings), link_(link), target_(target) {}

JingleService::~JingleService() {
    *alive_ = false;
    calls_.clear();  // each closes its Janus API channel: janus ends its session
}

void JingleService::onLinkDown() { calls_.clear(); }

void JingleService::refuse(const gloox::Tag& stanza, const std::string& type, const std::string& condition,
                           const std::string& text, const std::string& jingleCondition) {
    ++refused_;
    TagPtr reply = errorReply(stanza, type, condition, text);
    if (!jingleCondition.empty())
        if (gloox::Tag* error = reply->findChild("error"))
            new gloox::Tag(error, jingleCondition, "xmlns", jingle_ns::kErrors);
    link_.send(std::move(reply));
}

void JingleService::drop(const std::string& key) {
    // Never from inside the call: it asked to be dropped from one of its own callbacks.
    std::weak_ptr<bool> alive = alive_;
    thread_.post([this, alive, key] {
        if (!alive.lock() || !*alive.lock())
            return;
        calls_.erase(key);
        int64_t now = g_get_monotonic_time();
        for (auto it = ended_.begin(); it != ended_.end();)
            it = now - it->second > kEndedMemoryUs ? ended_.erase(it) : std::next(it);
        if (ended_.size() < kEndedMax)
            ended_[key] = now;
    });
}

void JingleService::onIq(const gloox::Tag& stanza, const StanzaHeader& header) {
    const gloox::Tag* jingle = stanza.findChild("jingle", "xmlns", jingle_ns::kJingle);
    if (header.type != "set" || !jingle)
        return refuse(stanza, "modify", "bad-request", "Jingle requests are iq set");
    JingleRead read = JingleSdp::read(*jingle);
    if (!read.error.empty())
        return refuse(stanza, "modify", "bad-request", read.error);
    std::string peer = header.from->full();
    if (read.action == "session-initiate")
        return initiate(stanza, header, read);
    auto it = calls_.find(callKey(peer, read.sid));
    if (it == calls_.end() && ended_.count(callKey(peer, read.sid)) &&
        (read.action == "session-terminate" || read.action == "transport-info" || read.action == "session-info")) {
        link_.send(iqResult(stanza));  // it crossed our session-terminate: the call is over either way
        return;
    }
    if (it == calls_.end())
        return refuse(stanza, "cancel", "item-not-found", "no such Jingle session", "unknown-session");
    if (read.action == "transport-info") {
        link_.send(iqResult(stanza));
        for (const auto& content : read.contents)
            it->second->remoteCandidates(content);
    } else if (read.action == "session-terminate") {
        link_.send(iqResult(stanza));
        it->second->terminatedByPeer();
    } else if (read.action == "session-info") {
        link_.send(iqResult(stanza));  // ringing, mute, hold: nothing for the mix or the SIP call to do
    } else {
        refuse(stanza, "cancel", "feature-not-implemented", read.action + " is not supported in audio calls",
               "unsupported-info");
    }
}

void JingleService::initiate(const gloox::Tag& stanza, const StanzaHeader& header, const JingleRead& read) {
    std::string peer = header.from->full();
    if (calls_.count(callKey(peer, read.sid)))
        return refuse(stanza, "cancel", "conflict", "a session with this sid is already going on", "out-of-order");
    size_t mine = 0;
    std::string bare = header.from->bare();
    for (const auto& [key, call] : calls_)
        mine += key.rfind(bare + "/", 0) == 0 || key.rfind(bare + " ", 0) == 0;
    if (mine >= kMaxCallsPerUser || calls_.size() >= kMaxCalls)
        return refuse(stanza, "wait", "resource-constraint", "too many calls going on");
    if (read.contents.size() != 1)
        return refuse(stanza, "cancel", "feature-not-implemented", "audio calls carry one audio content",
                      "unsupported-applications");
    const JingleContent& content = read.contents.front();
    if (content.media != "audio")
        return refuse(stanza, "cancel", "feature-not-implemented", "calls are audio only", "unsupported-applications");
    if (std::string problem = JingleSdp::offerProblem(content); !problem.empty())
        return refuse(stanza, "modify", "bad-request", problem);

    std::string key = callKey(peer, read.sid);
    auto made = target_ == JingleTarget::SipUsers ? sipCall(stanza, header, read, key) : roomCall(stanza, header, read, key);
    if (!made)
        return;  // refused
    try {
        made->start();
    } catch (const RequestError& e) {
        SYLK_LOG(LOG_WARN, kLog, "Jingle call to %s refused: %s", header.to->full().c_str(), e.what());
        return refuse(stanza, "cancel", "service-unavailable", "audio calls are not available here");
    }
    link_.send(iqResult(stanza));  // XEP-0166 §6.3.2: acknowledge, then accept when the callee answers
    calls_[key] = std::move(made);
    ++started_;
}

std::unique_ptr<JingleSession> JingleService::roomCall(const gloox::Tag& stanza, const StanzaHeader& header,
                                                       const JingleRead& read, const std::string& key) {
    const Jid& to = *header.to;
    if (to.local.empty() || !to.resource.empty()) {
        refuse(stanza, "cancel", "service-unavailable", "call a room: room@" + settings_.mucDomain);
        return nullptr;
    }
    auto room = roomFromLocal(to.local);
    if (!room || room->rfind(kDirectRoomPrefix, 0) == 0) {
        refuse(stanza, "cancel", "item-not-found", "that is not a room name");
        return nullptr;
    }
    // A room is there when someone is in it (rooms are made by their first member); calling an
    // empty room would make a mix for one.
    auto hubRoom = hub::Hub::instance().find(*room);
    if (!hubRoom || hubRoom->members().empty()) {
        refuse(stanza, "cancel", "item-not-found", "nobody is in room " + *room);
        return nullptr;
    }
    JingleCallSettings call;
    call.peer = header.from->full();
    call.ourJid = to.bare();
    call.room = *room;
    call.display = header.from->local.empty() ? header.from->domain : header.from->local;
    call.sid = read.sid;
    call.initiator = read.initiator.empty() ? call.peer : read.initiator;
    call.offer = read.contents.front();
    if (occupantPin_) {
        if (auto pin = occupantPin_(*room, *header.from))
            call.pin = *pin;
    }
    return std::make_unique<JingleCall>(
        thread_, std::move(call), [this](TagPtr stanza) { return link_.send(std::move(stanza)); },
        [this, key] { drop(key); });
}

std::unique_ptr<JingleSession> JingleService::sipCall(const gloox::Tag& stanza, const StanzaHeader& header,
                                                      const JingleRead& read, const std::string& key) {
    const Jid& to = *header.to;
    auto callee = to.local.empty() ? std::nullopt : sipOfJidLocal(to.local);
    if (!callee) {
        refuse(stanza, "modify", "jid-malformed", "call a SIP user: user\\40host@" + settings_.sipDomain);
        return nullptr;
    }
    auto caller = sipOfXmppUser(*header.from);
    if (!caller) {
        refuse(stanza, "modify", "jid-malformed", "the caller has no SIP address (no local part)");
        return nullptr;
    }
    JingleSipCallSettings call;
    call.peer = header.from->full();
    call.ourJid = to.bare();
    call.from = sipUri(*caller);
    call.display = header.from->local;
    call.uri = sipUri(*callee);
    call.sid = read.sid;
    call.initiator = read.initiator.empty() ? call.peer : read.initiator;
    call.offer = read.contents.front();
    return std::make_unique<JingleSipCall>(
        thread_, std::move(call), [this](TagPtr stanza) { return link_.send(std::move(stanza)); },
        [this, key] { drop(key); });
}

Json JingleService::status() const {
    Json calls = Json::array();
    for (const auto& [key, call] : calls_)
        calls.append(call->status());
    Json json = Json::object();
    json.set("calls", calls).set("started", static_cast<json_int_t>(started_)).set("refused", static_cast<json_int_t>(refused_));
    return json;
}

}  // namespace sylk::xmpp
