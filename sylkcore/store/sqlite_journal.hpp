// The journal in an SQLite file (the default, under the server's state folder). WAL with
// synchronous=FULL: each commit's WAL frames are fsync'ed before append() returns, so an
// acknowledged message survives kill -9 and a power cut alike (NORMAL would survive kill -9
// only: a commit can sit in the page cache). The cost, one fsync per commit, is shared by the
// many messages JournalWriter commits together. See docs/decisions.md.
#pragma once

#include <string>

#include "message_journal.hpp"

struct sqlite3;

namespace sylk::store {

class SYLK_API SqliteJournal : public MessageJournal {
public:
    // Opens or creates path (and its folder) and brings the schema up to date.
    explicit SqliteJournal(const std::string& path);
    ~SqliteJournal() override;
    SqliteJournal(const SqliteJournal&) = delete;
    SqliteJournal& operator=(const SqliteJournal&) = delete;

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
    std::string backend() const override { return "sqlite"; }

private:
    void exec(const std::string& sql);
    void migrate();
    AppendResult appendOne(const JournalEntry& entry);
    int64_t scalar(const std::string& sql, const std::vector<std::string>& params);

    sqlite3* db_ = nullptr;
    std::string path_;
};

}  // namespace sylk::store
