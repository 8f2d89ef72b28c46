// OpenPGP public keys (issue 13, docs/message-store.md): a text/pgp-public-key body in a MESSAGE
// to or from a gateway account (plain or inside CPIM, or sent through the `message` request) is
// checked with pgp::PublicKey and, when valid, kept in the journal's public_keys under the
// account and the sender's address; lookup_public_key reads it back. A refused key (a user ID
// altered after signing, a secret key, garbage, too large) is answered with the reason and not
// stored. Part of class Gateway (gateway.hpp).
#include "gateway.hpp"

#include <glib.h>

#include <algorithm>
#include <optional>

#include "sip_stack.hpp"
#include "sylkcore/log.hpp"
#include "sylkcore/pgp/public_key.hpp"
#include "sylkcore/request_error.hpp"

#include "gateway_detail.hpp"

namespace sylk::sip {

using namespace gateway_detail;

namespace {

constexpr char kComponent[] = "janus.plugin.sylk.sip";

}  // namespace

bool Gateway::isPublicKeyType(const std::string& contentType) {
    std::string type = contentType.substr(0, contentType.find(';'));
    type.erase(std::remove(type.begin(), type.end(), ' '), type.end());
    std::transform(type.begin(), type.end(), type.begin(), [](unsigned char c) { return g_ascii_tolower(c); });
    return type == "text/pgp-public-key";
}

std::string Gateway::checkPublicKey(const std::string& contentType, const std::string& body,
                                    std::optional<store::StoredPublicKey>* key) {
    key->reset();
    if (!isPublicKeyType(contentType))
        return "";
    try {
        auto parsed = pgp::PublicKey::parse(body);
        store::StoredPublicKey stored;
        stored.fingerprint = parsed.fingerprint();
        stored.armored = parsed.armored();
        *key = stored;
        return "";
    } catch (const pgp::PublicKeyRefused& e) {
        std::string why = std::string("public key refused: ") + e.what();
        std::replace(why.begin(), why.end(), '"', '\'');  // it goes into a Warning header's quoted text
        SYLK_LOG(LOG_INFO, kComponent, "%s", why.c_str());
        return why;
    }
}

void Gateway::keepPublicKey(const std::string& account, const std::string& sender,
                            std::optional<store::StoredPublicKey> key) {
    if (!key || !journal_)
        return;
    key->account = account;
    key->address = sender;
    key->updatedUs = g_get_real_time();
    journal_->run([stored = *key](store::MessageJournal& journal) {
        try {
            journal.storePublicKey(stored);
        } catch (const store::JournalError& e) {
            SYLK_LOG(LOG_ERR, kComponent, "the public key of %s could not be stored: %s", stored.address.c_str(), e.what());
        }
    });
}

void Gateway::lookupPublicKey(GatewaySession& session, const std::string& uri, DeferredAnswer answer) {
    if (!journal_)
        throw RequestError(ErrorCode::WrongState, "the message journal is off (journal_backend = none)");
    if (!session.account.active)
        throw RequestError(ErrorCode::SipWrongState, "register first (or register as a guest)");
    std::string account = session.account.aor;
    journal_->run([this, account, uri, answer](store::MessageJournal& journal) {
        std::optional<store::StoredPublicKey> found;
        std::string error;
        try {
            found = journal.publicKey(account, uri);
        } catch (const store::JournalError& e) {
            error = e.what();
        }
        stack_.post([found, error, uri, answer] {
            if (!error.empty()) {
                answer.failed(ErrorCode::SipIoError, error);
            } else if (!found) {
                answer.failed(ErrorCode::NotFound, "no public key of " + uri);
            } else {
                Json reply = result("public_key");
                reply.set("uri", uri).set("fingerprint", found->fingerprint).set("key", found->armored);
                reply.set("updated", static_cast<json_int_t>(found->updatedUs / G_USEC_PER_SEC));
                answer.done(reply);
            }
        });
    });
}

}  // namespace sylk::sip
