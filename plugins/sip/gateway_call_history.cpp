// The call history of a gateway account (issue 16): every call a web user makes or takes is a
// "call" entry of the account's message journal (store::kind::kCall) when it ends, so every tab
// and device of the account lists the same calls (sync_conversations), and the event `call`
// (the entry as sync shows it) tells the account's connected handles at once. Part of class
// Gateway (gateway.hpp).
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

const char* outcomeOf(const SipCall& call) {
    if (call.answeredUs != 0)
        return "answered";
    if (!call.incoming)
        return "unanswered";
    return call.declined ? "declined" : "missed";
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
    store::JournalEntry entry;
    entry.account = session.account.aor;
    entry.kind = store::kind::kCall;
    entry.direction = call.incoming ? "incoming" : "outgoing";
    // By direction too: a call from the account to itself has one Call-ID and two calls.
    entry.messageId = "call:" + entry.direction + ":" + call.callId;
    entry.conversation = call.peerUri;
    entry.state = outcomeOf(call);
    entry.timestampUs = call.startedUs;
    entry.contentType = "application/vnd.sylk.call+json";
    int64_t durationS = call.answeredUs ? (g_get_real_time() - call.answeredUs + G_USEC_PER_SEC / 2) / G_USEC_PER_SEC : 0;
    Json details = Json::object();
    details.set("duration", static_cast<json_int_t>(durationS)).set("code", code).set("reason", reason);
    details.set("media", call.chatOnly ? "chat" : "audio");
    entry.content = details.dump();
    std::string aor = session.account.aor;
    const GatewaySession* except = call.pageGone ? &session : nullptr;
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
