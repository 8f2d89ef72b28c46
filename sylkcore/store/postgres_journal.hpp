// The journal in PostgreSQL (journal_backend = "postgresql"), through libpq: the same schema
// and semantics as SqliteJournal. A commit returns once the server has flushed it (the
// server's synchronous_commit, on by default). A lost connection is reopened once per call.
#pragma once

#include <string>
#include <vector>

#include "message_journal.hpp"

struct pg_conn;
struct pg_result;

namespace sylk::store {

class SYLK_API PostgresJournal : public MessageJournal {
public:
    explicit PostgresJournal(const std::string& conninfo);
    ~PostgresJournal() override;
    PostgresJournal(const PostgresJournal&) = delete;
    PostgresJournal& operator=(const PostgresJournal&) = delete;

    std::vector<AppendResult> append(const std::vector<JournalEntry>& entries) override;
    std::vector<JournalEntry> fetch(const SyncQuery& query) override;
    bool hasMessage(const std::string& account, const std::string& messageId) override;
    bool hasConversation(const std::string& account, const std::string& conversation) override;
    int64_t countMessages(const std::string& account) override;
    int64_t expire(int64_t olderThanUs) override;
    void storePublicKey(const StoredPublicKey& key) override;
    std::optional<StoredPublicKey> publicKey(const std::string& account, const std::string& address) override;
    void storeHistoryToken(const std::string& account, const std::string& tokenSha256, int64_t createdUs,
                           size_t keepPerAccount) override;
    std::optional<std::string> historyTokenAccount(const std::string& tokenSha256) override;
    int bumpUnread(const std::string& account) override;
    void clearUnread(const std::string& account) override;
    int schemaVersion() override;
    std::string backend() const override { return "postgresql"; }

private:
    void connect();
    void ensureConnected();
    // Runs sql with text parameters ($1...); binary marks parameters sent as bytes (bytea).
    // Returns the result (caller clears), throws JournalError on failure.
    pg_result* run(const std::string& sql, const std::vector<std::string>& params = {},
                   const std::vector<bool>& binary = {});
    void exec(const std::string& sql, const std::vector<std::string>& params = {});
    int64_t scalar(const std::string& sql, const std::vector<std::string>& params);
    void migrate();
    AppendResult appendOne(const JournalEntry& entry);
    // Inserts messages (no side effects) in one round trip: libpq's pipeline mode.
    void appendMessages(const JournalEntry* first, size_t count, std::vector<AppendResult>& results);

    std::string conninfo_;
    pg_conn* conn_ = nullptr;
};

}  // namespace sylk::store
