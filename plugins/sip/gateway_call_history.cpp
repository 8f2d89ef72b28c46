// The call history of a gateway account (issue 16): every call a web user makes or takes is a
// "call" entry of the account's message journal (store::kind::kCall) when it ends, so every tab
// and device of the account lists the same calls (sync_conversations), and the event `call`
// (the entry as sync shows it) tells the account's connected handles at once. A call that rang
// only the account's kept registration (no handle connected, gateway_keep.cpp) is recorded too:
// missed when its ring ends unanswered; once handed to a handle that took the account over it is
// that handle's call, recorded as any other (one entry either way). Part of class Gateway
// (gateway.hpp).
#include "gateway.hpp"

#include <glib.h>

#include "sip_stack.hpp"
#include "sylkcore/log.hpp"
#include "sylkcore/store/journal_json.hpp"

#include "gateway_detail.hpp"

namespace sylk::sip {

using namespace gateway_detail;

namespace {

constexpr char kComponent[] = "janus.plugin.sylk.sip";

// The callee refused our call: 603 Decline, or busy (486, 600), which is also how most phones
// (and the stock janus SIP plugin's decline) reject a call.
bool calleeRefused(int code) {
    return code == 486 || code == 600 || code == 603;
}

const char* outcomeOf(const SipCall& call, int code) {
    if (call.answeredUs != 0)
        return "answered";
    if (!call.incoming)
        return calleeRefused(code) ? "declined" : "unanswered";
    return call.declined ? "declined" : "missed";
}

store::JournalEntry callEntry(const std::string& aor, const std::string& direction, const std::string& callId,
                              const std::string& peer, const char* outcome, int64_t startedUs, int64_t durationS,
                              int code, const std::string& reason, const char* media) {
    store::JournalEntry entry;
    entry.account = aor;
    entry.kind = store::kind::kCall;
    entry.direction = direction;
    // By direction too: a call from the account to itself has one Call-ID and two calls.
    entry.messageId = "call:" + direction + ":" + callId;
    entry.conversation = peer;
    entry.state = outcome;
    entry.timestampUs = startedUs;
    entry.contentType = "application/vnd.sylk.call+json";
    Json details = Json::object();
    details.set("duration", static_cast<json_int_t>(durationS)).set("code", code).set("reason", reason);
    details.set("media", media);
    entry.content = details.dump();
    return entry;
}

// The call's event for the account's handles: its journal entry as sync shows it.
Json callEvent(const store::JournalEntry& entry, int64_t seq) {
    store::JournalEntry stored = entry;
    stored.seq = seq;
    Json event = store::entryToJson(stored);
    event.set("event", "call");
    return event;
}

}  // namespace

void Gateway::recordCall(GatewaySession& session, const SipCall& call, int code, const std::string& reason) {
    // A forked leg that another device of the account answered is that device's call.
    if (!session.account.active || call.callId.empty() || call.answeredElsewhere)
        return;
    int64_t durationS = call.answeredUs ? (g_get_real_time() - call.answeredUs + G_USEC_PER_SEC / 2) / G_USEC_PER_SEC : 0;
    journalCall(callEntry(session.account.aor, call.incoming ? "incoming" : "outgoing", call.callId, call.peerUri,
                          outcomeOf(call, code), call.startedUs, durationS, code, reason, call.chatOnly ? "chat" : "audio"),
                call.pageGone ? &session : nullptr);
}

void Gateway::recordKeptRing(const KeptRing& ring, int code, const std::string& reason) {
    if (ring.callId.empty())
        return;
    journalCall(callEntry(ring.aor, "incoming", ring.callId, ring.caller, "missed", ring.startedUs, 0, code, reason, "audio"),
                nullptr);
}

void Gateway::journalCall(const store::JournalEntry& entry, const GatewaySession* except) {
    std::string aor = entry.account;
    if (!journal_) {  // nothing kept: the handles connected now still learn of it
        for (const auto& other : handlesOf(aor, except))
            emit(*other, callEvent(entry, 0));
        shareWithOtherNodes(aor, callEvent(entry, 0));
        return;
    }
    journal_->append({entry}, [this, entry, aor](const store::AppendOutcome& outcome) {
        if (!outcome.stored) {
            SYLK_LOG(LOG_ERR, kComponent, "a call of %s could not be journaled: %s", aor.c_str(), outcome.error.c_str());
            return;
        }
        if (outcome.results[0].duplicate)  // the same call's other leg was recorded already
            return;
        int64_t seq = outcome.results[0].seq;
        if (!stack_.post([this, entry, aor, seq] {
                for (const auto& other : handlesOf(aor, nullptr))
                    emit(*other, callEvent(entry, seq));
                shareWithOtherNodes(aor, callEvent(entry, seq));
            }))
            SYLK_LOG(LOG_WARN, kComponent, "a journaled call could not be announced: the SIP stack stopped");
    });
}

}  // namespace sylk::sip
