// The gateway's push triggers: what it sees of an account's calls and messages becomes pushes
// to the account's phone apps (their tokens in the push service's registry). Every call here
// only queues: the pushes go out on the push channels' threads, never on the SIP thread.
#include "gateway.hpp"
#include "sofia.hpp"
#include "sip_message.hpp"
#include "sip_stack.hpp"
#include "sylkcore/log.hpp"
#include "sylkcore/push/pn_params.hpp"

namespace sylk::sip {

std::string Gateway::pushAccount(const GatewaySession& session) const {
    const SipAccount& account = session.account;
    if (!account.active || account.aor.empty())
        return "";
    return pushAccountOf(account.aor);
}

std::string Gateway::pushAccountOf(std::string aor) {
    for (const char* scheme : {"sip:", "sips:"}) {
        if (aor.rfind(scheme, 0) == 0) {
            aor = aor.substr(std::string(scheme).size());
            break;
        }
    }
    return aor.substr(0, aor.find(';'));
}

void Gateway::pushCall(GatewaySession& session, push::PushEvent::Kind kind, const std::string& reason) {
    if (!push_)
        return;
    SipCall& call = session.call;
    std::string account = pushAccount(session);
    if (account.empty())
        return;
    if (kind == push::PushEvent::Kind::Cancel) {
        if (call.pushCancelled)
            return;
        call.pushCancelled = true;
    }
    push::PushEvent event;
    event.kind = kind;
    event.callId = call.callId;
    event.from = call.peerUri;
    event.to = account;
    event.reason = reason;
    event.mediaType = call.chatOnly ? "sms" : "audio";
    try {
        push_->notify(account, event);
    } catch (const std::exception& e) {  // the registry's database: the call goes on regardless
        SYLK_LOG(LOG_ERR, "janus.plugin.sylk.sip", "push for %s: %s", account.c_str(), e.what());
    }
}

void Gateway::pushMessage(GatewaySession& session, const std::string& sender, const std::string& display) {
    pushMessageTo(pushAccount(session), sender, display);
}

void Gateway::pushMessageTo(const std::string& account, const std::string& sender, const std::string& display) {
    if (!push_ || account.empty())
        return;
    push::PushEvent event;
    event.kind = push::PushEvent::Kind::Message;
    event.from = sender;
    event.fromDisplay = display;
    event.to = account;
    event.mediaType = "sms";
    try {
        if (push_->tokens().list(account).empty())
            return;
        if (!journal_) {
            event.badge = push_->bumpUnread(account);
            push_->notify(account, event);
            return;
        }
    } catch (const std::exception& e) {
        SYLK_LOG(LOG_ERR, "janus.plugin.sylk.sip", "push for %s: %s", account.c_str(), e.what());
        return;
    }
    // The badge count is kept in the journal (it survives a restart); counted on its thread.
    journal_->run([this, account, event](store::MessageJournal& journal) mutable {
        try {
            event.badge = journal.bumpUnread(account);
        } catch (const store::JournalError& e) {
            SYLK_LOG(LOG_ERR, "janus.plugin.sylk.sip", "the unread count of %s: %s", account.c_str(), e.what());
            event.badge = push_->bumpUnread(account);  // the push still goes, with a count from memory
        }
        stack_.post([this, account, event] {
            try {
                push_->notify(account, event);
            } catch (const std::exception& e) {
                SYLK_LOG(LOG_ERR, "janus.plugin.sylk.sip", "push for %s: %s", account.c_str(), e.what());
            }
        });
    });
}

void Gateway::clearUnread(GatewaySession& session) {
    if (!push_)
        return;
    std::string account = pushAccount(session);
    push_->clearUnread(account);
    if (journal_) {
        journal_->run([account](store::MessageJournal& journal) {
            try {
                journal.clearUnread(account);
            } catch (const store::JournalError& e) {
                SYLK_LOG(LOG_ERR, "janus.plugin.sylk.sip", "the unread count of %s: %s", account.c_str(), e.what());
            }
        });
    }
}

void Gateway::learnPushBindings(GatewaySession& session, const sip_s* sip) {
    if (!push_ || !sip)
        return;
    std::string account = pushAccount(session);
    if (account.empty())
        return;
    su_home_t* home = static_cast<su_home_t*>(su_home_new(sizeof(su_home_t)));
    for (const sip_contact_t* contact = sip->sip_contact; contact; contact = contact->m_next) {
        char* text = sip_header_as_string(home, reinterpret_cast<const sip_header_t*>(contact));
        if (!text)
            continue;
        std::string error;
        auto target = push::parsePnParams(text, &error);
        if (!target) {
            if (!error.empty())
                SYLK_LOG(LOG_WARN, "janus.plugin.sylk.sip", "%s: a binding's push parameters: %s", account.c_str(),
                         error.c_str());
            continue;
        }
        target->account = account;
        if (!push_->serves(target->provider, target->app)) {
            SYLK_LOG(LOG_VERB, "janus.plugin.sylk.sip", "%s: a %s binding for app %s, which this server does not push",
                     account.c_str(), target->provider.c_str(), target->app.c_str());
            continue;
        }
        try {
            if (push_->tokens().add(*target))
                SYLK_LOG(LOG_INFO, "janus.plugin.sylk.sip", "%s: learned a %s device from the registrar",
                         account.c_str(), target->provider.c_str());
        } catch (const std::exception& e) {
            SYLK_LOG(LOG_ERR, "janus.plugin.sylk.sip", "%s: storing a push token: %s", account.c_str(), e.what());
        }
    }
    su_home_unref(home);
}

}  // namespace sylk::sip
