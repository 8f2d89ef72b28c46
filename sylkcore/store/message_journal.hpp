// The message journal's interface (docs/message-store.md): one schema, two backends
// (SqliteJournal, PostgresJournal). Calls are not thread-safe: one thread (JournalWriter's)
// owns a journal. append() is durable when it returns: the caller may acknowledge then.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "../api.hpp"
#include "journal_entry.hpp"
#include "journal_error.hpp"
#include "stored_public_key.hpp"

namespace sylk::store {

struct SyncQuery {
    std::string account;
    int64_t afterSeq = 0;                      // entries with a larger sequence number
    std::optional<std::string> afterMessageId; // ... or after this message's entry (NotFound if unknown)
    int64_t sinceUs = 0;                       // ... and at or after this time
    std::string conversation;                  // "" = all conversations
    int limit = 1000;
};

struct JournalSettings {
    std::string backend = "sqlite";   // "sqlite" or "postgresql"
    std::string sqlitePath;           // the SQLite file (created with its folder)
    std::string postgresConninfo;     // libpq connection string
    int retentionDays = 365;          // SylkServer keeps a year
};

class SYLK_API MessageJournal {
public:
    virtual ~MessageJournal() = default;

    // Stores entries in one transaction, durable on return. A message whose id the account
    // already has, or a state the message already had, is a duplicate: not stored again.
    // A remove deletes the message (and its states); a remove_conversation deletes the
    // conversation's entries before it; a read marks the conversation's messages read; a state
    // updates its message. Throws JournalError(Storage) and stores nothing when it fails.
    virtual std::vector<AppendResult> append(const std::vector<JournalEntry>& entries) = 0;
    // The account's entries after a point, oldest first, at most query.limit.
    virtual std::vector<JournalEntry> fetch(const SyncQuery& query) = 0;
    virtual bool hasMessage(const std::string& account, const std::string& messageId) = 0;
    virtual bool hasConversation(const std::string& account, const std::string& conversation) = 0;
    // The account's stored message entries (tests and the admin status).
    virtual int64_t countMessages(const std::string& account) = 0;
    // Deletes entries older than the time; returns how many.
    virtual int64_t expire(int64_t olderThanUs) = 0;
    // Stores (or replaces) the public key of key.address for key.account. Throws JournalError.
    virtual void storePublicKey(const StoredPublicKey& key) = 0;
    // The stored public key of address for account, if any.
    virtual std::optional<StoredPublicKey> publicKey(const std::string& account, const std::string& address) = 0;
    // History API tokens (HistoryAccess), kept as their SHA-256 (hex): stores one for account
    // and drops the account's oldest beyond keepPerAccount, in one transaction.
    virtual void storeHistoryToken(const std::string& account, const std::string& tokenSha256, int64_t createdUs,
                                   size_t keepPerAccount) = 0;
    // The account a token (by its SHA-256) was granted for.
    virtual std::optional<std::string> historyTokenAccount(const std::string& tokenSha256) = 0;
    // The unread badge count of an account's phones: one more (returns the new count), reset.
    virtual int bumpUnread(const std::string& account) = 0;
    virtual void clearUnread(const std::string& account) = 0;
    virtual int schemaVersion() = 0;
    virtual std::string backend() const = 0;

    // Opens (creating and migrating) the journal the settings name. Throws JournalError.
    static std::unique_ptr<MessageJournal> open(const JournalSettings& settings);
};

}  // namespace sylk::store
