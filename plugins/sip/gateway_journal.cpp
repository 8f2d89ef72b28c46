// The gateway's message journal (issue 13, docs/message-store.md): every message to or from a
// gateway account, and every IMDN state, read mark and removal, is stored before it is
// acknowledged, and the sync requests (sync_conversations, mark_read, remove_message,
// remove_conversation) read and change it. Part of class Gateway (gateway.hpp). The journal
// has its own thread (store::JournalWriter); its answers come back to the SIP thread through
// SipStack::post, so all account state stays on the SIP thread.
#include "gateway.hpp"

#include <glib.h>

#include "sofia.hpp"
#include <sofia-sip/msg.h>

#include <algorithm>

#include "sip_message.hpp"
#include "sip_stack.hpp"
#include "sylkcore/cpim/cpim.hpp"
#include "sylkcore/store/history_access.hpp"
#include "sylkcore/store/journal_json.hpp"
#include "sylkcore/log.hpp"
#include "sylkcore/request_error.hpp"

#include "gateway_detail.hpp"

namespace sylk::sip {

using namespace gateway_detail;

namespace {

constexpr char kComponent[] = "janus.plugin.sylk.sip";

void needJournal(const GatewaySession& session, const store::JournalWriter* journal) {
    if (!journal)
        throw RequestError(ErrorCode::WrongState, "the message journal is off (journal_backend = none)");
    if (!session.account.active)
        throw RequestError(ErrorCode::SipWrongState, "register first (or register as a guest)");
}

}  // namespace

void Gateway::setJournal(std::unique_ptr<store::JournalWriter> journal) {
    store::HistoryAccess::instance().lend(nullptr);
    journal_ = std::move(journal);
    store::HistoryAccess::instance().lend(journal_.get());
}

Gateway::~Gateway() { store::HistoryAccess::instance().lend(nullptr); }

void Gateway::historyToken(GatewaySession& session, DeferredAnswer answer) {
    needJournal(session, journal_.get());
    std::string aor = session.account.aor;
    // Stored in the journal (as its digest) before the app gets it: it outlives a restart.
    store::HistoryAccess::instance().grant(aor, [this, aor, answer](const std::string& token, const std::string& error) {
        stack_.post([aor, answer, token, error] {
            if (token.empty()) {
                answer.failed(ErrorCode::SipIoError, "no history token: " + error);
                return;
            }
            Json reply = result("history_token");
            reply.set("account", aor).set("token", token);
            answer.done(reply);
        });
    });
}

std::vector<std::shared_ptr<GatewaySession>> Gateway::handlesOf(const std::string& aor,
                                                                 const GatewaySession* except) const {
    std::vector<std::shared_ptr<GatewaySession>> found;
    for (const auto& [contact, weak] : contacts_) {
        auto session = weak.lock();
        if (session && session.get() != except && session->account.active && session->account.aor == aor)
            found.push_back(session);
    }
    return found;
}

void Gateway::answerOnceJournaled(nua_handle_s* handle, bool inCall, std::vector<store::JournalEntry> entries,
                                  std::function<void(bool duplicate)> stored) {
    // Sofia answers a request later when it is named by its message (NUTAG_WITH): keep both
    // the message and the handle until then.
    msg_t* request = msg_ref_create(nua_current_request(stack_.nua()));
    nua_handle_ref(handle);
    journal_->append(std::move(entries), [this, handle, request, inCall, stored = std::move(stored)](
                                             const store::AppendOutcome& outcome) {
        bool posted = stack_.post([this, handle, request, inCall, stored, outcome] {
            if (outcome.stored) {
                nua_respond(handle, 200, sip_200_OK, NUTAG_WITH(request), TAG_END());
            } else {
                // Nothing is acknowledged that was not stored: the sender keeps the message.
                SYLK_LOG(LOG_ERR, kComponent, "a MESSAGE was refused (500): the journal could not store it: %s",
                         outcome.error.c_str());
                nua_respond(handle, 500, "Message Not Stored", NUTAG_WITH(request),
                            SIPTAG_WARNING_STR("399 sylk \"the message store failed\""), TAG_END());
            }
            if (!inCall)
                stack_.retire(handle);
            nua_handle_unref(handle);
            msg_destroy(request);
            if (outcome.stored)
                stored(outcome.results[0].duplicate);
        });
        if (!posted)  // shutting down: the request stays unanswered (the sender retries elsewhere)
            SYLK_LOG(LOG_WARN, kComponent, "a journaled MESSAGE could not be answered: the SIP stack stopped");
    });
}

void Gateway::journalAndForward(GatewaySession& session, std::vector<store::JournalEntry> entries, Json result,
                                DeferredAnswer answer) {
    std::weak_ptr<GatewaySession> weak = session.shared_from_this();
    std::string aor = session.account.aor;
    journal_->append(std::move(entries), [this, weak, aor, result, answer](const store::AppendOutcome& outcome) {
        stack_.post([this, weak, aor, result, answer, outcome] {
            if (!outcome.stored) {
                answer.failed(ErrorCode::SipIoError, "the message journal could not store it: " + outcome.error);
                return;
            }
            Json done = result;
            done.set("seq", static_cast<json_int_t>(outcome.results.back().seq));
            answer.done(done);
            auto session = weak.lock();
            for (const auto& other : handlesOf(aor, session.get()))
                emit(*other, done);
            shareWithOtherNodes(aor, done);
        });
    });
}

void Gateway::journalChangeIfKnown(GatewaySession& session, std::function<void(store::MessageJournal&)> check,
                                   store::JournalEntry entry, Json result, DeferredAnswer answer) {
    std::weak_ptr<GatewaySession> weak = session.shared_from_this();
    std::string aor = session.account.aor;
    journal_->run([this, weak, aor, check, entry, result, answer](store::MessageJournal& journal) {
        store::AppendOutcome outcome;
        ErrorCode code = ErrorCode::SipIoError;
        try {
            check(journal);
            outcome.results = journal.append({entry});
            outcome.stored = true;
        } catch (const store::JournalError& e) {
            outcome.error = e.what();
            if (e.kind() == store::JournalError::Kind::NotFound)
                code = ErrorCode::NotFound;
            else if (e.kind() == store::JournalError::Kind::Invalid)
                code = ErrorCode::InvalidField;
            else
                SYLK_LOG(LOG_ERR, kComponent, "%s", e.what());
        }
        stack_.post([this, weak, aor, result, answer, outcome, code] {
            if (!outcome.stored) {
                answer.failed(code, outcome.error);
                return;
            }
            Json done = result;
            done.set("seq", static_cast<json_int_t>(outcome.results.back().seq));
            answer.done(done);
            auto session = weak.lock();
            for (const auto& other : handlesOf(aor, session.get()))
                emit(*other, done);
            shareWithOtherNodes(aor, done);
        });
    });
}

namespace {

store::JournalEntry changeEntry(const GatewaySession& session, const char* kind) {
    store::JournalEntry entry;
    entry.account = session.account.aor;
    entry.kind = kind;
    entry.timestampUs = g_get_real_time();
    return entry;
}

}  // namespace

void Gateway::syncConversations(GatewaySession& session, const SyncRequest& request, DeferredAnswer answer) {
    needJournal(session, journal_.get());
    store::SyncQuery query;
    query.account = session.account.aor;
    query.afterSeq = request.sinceSeq;
    query.afterMessageId = request.sinceId;
    query.sinceUs = request.sinceTime * G_USEC_PER_SEC;
    query.conversation = request.conversation;
    query.limit = request.limit + 1;  // one more: is there more after this page?
    journal_->run([this, query, limit = request.limit, answer](store::MessageJournal& journal) {
        Json result;
        ErrorCode code = ErrorCode::SipIoError;
        std::string error;
        try {
            auto entries = journal.fetch(query);
            bool more = entries.size() > static_cast<size_t>(limit);
            if (more)
                entries.pop_back();
            Json list = Json::array();
            for (const auto& entry : entries)
                list.append(store::entryToJson(entry));
            result = Json::object();
            result.set("event", "sync").set("entries", list);
            result.set("last_seq", static_cast<json_int_t>(entries.empty() ? query.afterSeq : entries.back().seq));
            result.setBool("more", more);
        } catch (const store::JournalError& e) {
            error = e.what();
            if (e.kind() == store::JournalError::Kind::NotFound)
                code = ErrorCode::NotFound;
        }
        stack_.post([result, code, error, answer] {
            if (result)
                answer.done(result);
            else
                answer.failed(code, error);
        });
    });
}

void Gateway::markRead(GatewaySession& session, const std::string& conversation, DeferredAnswer answer) {
    needJournal(session, journal_.get());
    auto entry = changeEntry(session, store::kind::kRead);
    entry.conversation = conversation;
    Json reply = result("conversation_read");
    reply.set("conversation", conversation);
    clearUnread(session);  // read on a device: the phones' badge starts again
    std::string aor = session.account.aor;
    journalChangeIfKnown(
        session,
        [aor, conversation](store::MessageJournal& journal) {
            if (!journal.hasConversation(aor, conversation))
                throw store::JournalError(store::JournalError::Kind::NotFound, "no conversation with " + conversation);
        },
        entry, reply, std::move(answer));
}

void Gateway::removeMessage(GatewaySession& session, const std::string& messageId, DeferredAnswer answer) {
    needJournal(session, journal_.get());
    auto entry = changeEntry(session, store::kind::kRemove);
    entry.messageId = messageId;
    Json reply = result("message_removed");
    reply.set("message_id", messageId);
    std::string aor = session.account.aor;
    journalChangeIfKnown(
        session,
        [aor, messageId](store::MessageJournal& journal) {
            if (!journal.hasMessage(aor, messageId))
                throw store::JournalError(store::JournalError::Kind::NotFound, "no message " + messageId);
        },
        entry, reply, std::move(answer));
}

void Gateway::removeConversation(GatewaySession& session, const std::string& conversation, DeferredAnswer answer) {
    needJournal(session, journal_.get());
    auto entry = changeEntry(session, store::kind::kRemoveConversation);
    entry.conversation = conversation;
    Json reply = result("conversation_removed");
    reply.set("conversation", conversation);
    std::string aor = session.account.aor;
    journalChangeIfKnown(
        session,
        [aor, conversation](store::MessageJournal& journal) {
            if (!journal.hasConversation(aor, conversation))
                throw store::JournalError(store::JournalError::Kind::NotFound, "no conversation with " + conversation);
        },
        entry, reply, std::move(answer));
}

bool Gateway::offlineCandidate(const sip_s* sip) const {
    if (!offlineFromTrustedPeers_ || !journal_ || !sip || !sip->sip_request || !sip->sip_to || sip->sip_to->a_tag)
        return false;  // off, or an in-dialog request (a call's, a room's)
    const url_t* uri = sip->sip_request->rq_url;
    if (!uri->url_user || !uri->url_host)
        return false;
    const auto& trusted = stack_.settings().trustedPeers;
    return std::find(trusted.begin(), trusted.end(), sourceAddress(sip)) != trusted.end();
}

void Gateway::onOfflineMessage(nua_handle_s* handle, const sip_s* sip, std::string aor) {
    bool kept = !aor.empty();  // to a kept registration's contact (gateway_keep.cpp): a known account
    if (!kept) {
        const url_t* uri = sip->sip_request->rq_url;
        aor = std::string("sip:") + uri->url_user + "@" + uri->url_host;
    }
    std::string type = contentTypeOf(sip);
    std::string body = bodyOf(sip);
    if (body.empty() || body.size() > 64 * 1024) {
        stack_.refuse(handle, body.empty() ? 400 : 413, body.empty() ? sip_400_Bad_request : sip_413_Request_too_large);
        return;
    }
    store::JournalEntry entry;
    entry.account = aor;
    entry.kind = store::kind::kMessage;
    entry.conversation = fromUri(sip);
    entry.direction = "incoming";
    entry.state = "received";
    entry.timestampUs = g_get_real_time();
    entry.contentType = type;
    entry.content = body;
    if (type == "message/cpim") {
        auto cpim = cpim::parseCpim(body);
        if (!cpim || cpim->contentType.rfind("message/imdn+xml", 0) == 0) {
            // Notifications for an absent account are not kept (its sent messages' states
            // arrive when it is online); a malformed CPIM is refused as always.
            stack_.refuse(handle, cpim ? 404 : 400, cpim ? sip_404_Not_found : sip_400_Bad_request);
            return;
        }
        entry.messageId = cpim->header("imdn.Message-ID");
        entry.contentType = cpim->contentType;
        entry.content = cpim->body;
    } else if (type == "application/im-iscomposing+xml") {
        stack_.refuse(handle, 404, sip_404_Not_found, "nobody is connected to see it");
        return;
    }
    std::optional<store::StoredPublicKey> publicKey;
    if (std::string refusal = checkPublicKey(entry.contentType, entry.content, &publicKey); !refusal.empty()) {
        stack_.refuse(handle, 400, "Bad Public Key", refusal);
        return;
    }
    if (entry.messageId.empty())
        entry.messageId = "sip:" + callIdOf(sip) + ";cseq=" + std::to_string(sip->sip_cseq ? sip->sip_cseq->cs_seq : 0);
    Json event = result("message");
    event.set("sender", entry.conversation).set("displayname", displayOf(sip)).set("content_type", entry.contentType)
        .set("content", entry.content).set("message_id", entry.messageId);
    bool online = kept || !handlesOf(aor, nullptr).empty();
    msg_t* request = msg_ref_create(nua_current_request(stack_.nua()));
    nua_handle_ref(handle);
    // Known accounts only: one with a connected handle, or one the journal has entries of.
    std::string display = displayOf(sip);
    journal_->run([this, handle, request, entry, event, online, publicKey, display](store::MessageJournal& journal) {
        int status = 200;
        bool duplicate = false;
        try {
            store::SyncQuery any;
            any.account = entry.account;
            any.limit = 1;
            if (!online && journal.fetch(any).empty())
                status = 404;
            else
                duplicate = journal.append({entry})[0].duplicate;
            if (status == 200 && !duplicate && publicKey) {  // a known account's key, stored with its message
                store::StoredPublicKey key = *publicKey;
                key.account = entry.account;
                key.address = entry.conversation;
                key.updatedUs = entry.timestampUs;
                journal.storePublicKey(key);
            }
        } catch (const store::JournalError& e) {
            SYLK_LOG(LOG_ERR, kComponent, "a MESSAGE for %s was refused (500): %s", entry.account.c_str(), e.what());
            status = 500;
        }
        stack_.post([this, handle, request, entry, event, status, duplicate, display] {
            if (status == 200)
                nua_respond(handle, 200, sip_200_OK, NUTAG_WITH(request), TAG_END());
            else if (status == 404)
                nua_respond(handle, 404, sip_404_Not_found, NUTAG_WITH(request), TAG_END());
            else
                nua_respond(handle, 500, "Message Not Stored", NUTAG_WITH(request),
                            SIPTAG_WARNING_STR("399 sylk \"the message store failed\""), TAG_END());
            stack_.retire(handle);
            nua_handle_unref(handle);
            msg_destroy(request);
            if (status == 200 && !duplicate) {
                auto sessions = handlesOf(entry.account, nullptr);
                for (const auto& session : sessions)
                    events_(*session, "", event, Json());
                if (sessions.empty())  // stored for later: the account's phone apps are told now
                    pushMessageTo(pushAccountOf(entry.account), entry.conversation, display);
            }
        });
    });
}

void Gateway::journalChat(GatewaySession& session, const char* kind, const std::string& messageId,
                          const std::string& direction, const std::string& contentType, const std::string& content,
                          const std::string& state, ChatStored then) {
    if (!journal_ || !session.account.active) {
        if (then)
            then(true, false, 0);
        return;
    }
    store::JournalEntry entry;
    entry.account = session.account.aor;
    entry.kind = kind;
    entry.messageId = messageId;
    if (entry.messageId.empty()) {  // a plain (not CPIM) chat message names itself nowhere
        gchar* uuid = g_uuid_string_random();
        entry.messageId = std::string("msrp:") + uuid;
        g_free(uuid);
    }
    entry.conversation = session.call.peerUri;
    entry.direction = direction;
    entry.contentType = contentType;
    entry.content = content;
    entry.state = state;
    entry.timestampUs = g_get_real_time();
    journal_->append({entry}, [this, then](const store::AppendOutcome& outcome) {
        if (!outcome.stored)
            SYLK_LOG(LOG_ERR, kComponent, "a chat (MSRP) message could not be journaled: %s", outcome.error.c_str());
        if (!then)
            return;
        bool duplicate = outcome.stored && outcome.results[0].duplicate;
        int64_t seq = outcome.stored ? outcome.results[0].seq : 0;
        if (!stack_.post([then, outcome, duplicate, seq] { then(outcome.stored, duplicate, seq); }))
            SYLK_LOG(LOG_WARN, kComponent, "a journaled chat message could not be answered: the SIP stack stopped");
    });
}

}  // namespace sylk::sip
