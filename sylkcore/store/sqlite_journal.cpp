#include "sqlite_journal.hpp"

#include <glib.h>
#include <sqlite3.h>

#include <cstring>

#include "journal_schema.hpp"
#include "journal_validation.hpp"

namespace sylk::store {

namespace {

// One prepared statement, finalized on every path out.
class Statement {
public:
    Statement(sqlite3* db, const std::string& sql) : db_(db) {
        if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt_, nullptr) != SQLITE_OK)
            throw JournalError(JournalError::Kind::Storage, std::string("journal: ") + sqlite3_errmsg(db));
    }
    ~Statement() { sqlite3_finalize(stmt_); }
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;

    Statement& bind(int index, const std::string& value) {
        sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
        return *this;
    }
    Statement& bindBlob(int index, const std::string& value) {
        sqlite3_bind_blob(stmt_, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
        return *this;
    }
    Statement& bindNullable(int index, const std::string& value) {
        if (value.empty())
            sqlite3_bind_null(stmt_, index);
        else
            bind(index, value);
        return *this;
    }
    Statement& bind(int index, int64_t value) {
        sqlite3_bind_int64(stmt_, index, value);
        return *this;
    }
    // True while there is a row; throws on an error.
    bool step() {
        int rc = sqlite3_step(stmt_);
        if (rc == SQLITE_ROW)
            return true;
        if (rc == SQLITE_DONE)
            return false;
        throw JournalError(JournalError::Kind::Storage, std::string("journal: ") + sqlite3_errmsg(db_));
    }
    int64_t integer(int column) const { return sqlite3_column_int64(stmt_, column); }
    std::string text(int column) const {
        const void* data = sqlite3_column_blob(stmt_, column);
        int size = sqlite3_column_bytes(stmt_, column);
        return data ? std::string(static_cast<const char*>(data), static_cast<size_t>(size)) : std::string();
    }

private:
    sqlite3* db_;
    sqlite3_stmt* stmt_ = nullptr;
};

constexpr char kColumns[] =
    "seq, account, kind, message_id, conversation, direction, content_type, content, state, is_read, created_us";

}  // namespace

SqliteJournal::SqliteJournal(const std::string& path) : path_(path) {
    gchar* folder = g_path_get_dirname(path.c_str());
    int made = g_mkdir_with_parents(folder, 0700);
    g_free(folder);
    if (made != 0)
        throw JournalError(JournalError::Kind::Storage, "journal: cannot create the folder of " + path);
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        nullptr) != SQLITE_OK) {
        std::string why = db_ ? sqlite3_errmsg(db_) : "out of memory";
        sqlite3_close(db_);
        throw JournalError(JournalError::Kind::Storage, "journal: cannot open " + path + ": " + why);
    }
    try {
        sqlite3_busy_timeout(db_, 5000);
        exec("PRAGMA journal_mode=WAL");
        exec("PRAGMA synchronous=FULL");
        migrate();
    } catch (...) {
        sqlite3_close(db_);
        throw;
    }
}

SqliteJournal::~SqliteJournal() { sqlite3_close(db_); }

void SqliteJournal::exec(const std::string& sql) {
    char* error = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
        std::string why = error ? error : sqlite3_errmsg(db_);
        sqlite3_free(error);
        throw JournalError(JournalError::Kind::Storage, "journal: " + why);
    }
}

int64_t SqliteJournal::scalar(const std::string& sql, const std::vector<std::string>& params) {
    Statement statement(db_, sql);
    for (size_t i = 0; i < params.size(); ++i)
        statement.bind(static_cast<int>(i + 1), params[i]);
    return statement.step() ? statement.integer(0) : 0;
}

void SqliteJournal::storePublicKey(const StoredPublicKey& key) {
    Statement upsert(db_,
                     "INSERT INTO public_keys (account, address, fingerprint, armored, updated_us) VALUES (?, ?, ?, ?, ?)"
                     " ON CONFLICT (account, address) DO UPDATE SET fingerprint = excluded.fingerprint,"
                     " armored = excluded.armored, updated_us = excluded.updated_us");
    upsert.bind(1, key.account).bind(2, key.address).bind(3, key.fingerprint).bind(4, key.armored).bind(5, key.updatedUs);
    upsert.step();
}

std::optional<StoredPublicKey> SqliteJournal::publicKey(const std::string& account, const std::string& address) {
    Statement select(db_, "SELECT fingerprint, armored, updated_us FROM public_keys WHERE account = ? AND address = ?");
    select.bind(1, account).bind(2, address);
    if (!select.step())
        return std::nullopt;
    return StoredPublicKey{account, address, select.text(0), select.text(1), select.integer(2)};
}

void SqliteJournal::storeHistoryToken(const std::string& account, const std::string& tokenSha256, int64_t createdUs,
                                      size_t keepPerAccount) {
    exec("BEGIN IMMEDIATE");
    try {
        Statement insert(db_, "INSERT INTO history_tokens (token_sha256, account, created_us) VALUES (?, ?, ?)");
        insert.bind(1, tokenSha256).bind(2, account).bind(3, createdUs);
        insert.step();
        // The newest keepPerAccount stay (rowid breaks ties of one microsecond).
        Statement trim(db_,
                       "DELETE FROM history_tokens WHERE account = ? AND rowid NOT IN (SELECT rowid FROM history_tokens"
                       " WHERE account = ? ORDER BY created_us DESC, rowid DESC LIMIT ?)");
        trim.bind(1, account).bind(2, account).bind(3, static_cast<int64_t>(keepPerAccount));
        trim.step();
        exec("COMMIT");
    } catch (...) {
        sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
        throw;
    }
}

std::optional<std::string> SqliteJournal::historyTokenAccount(const std::string& tokenSha256) {
    Statement select(db_, "SELECT account FROM history_tokens WHERE token_sha256 = ?");
    select.bind(1, tokenSha256);
    if (!select.step())
        return std::nullopt;
    return select.text(0);
}

int SqliteJournal::bumpUnread(const std::string& account) {
    Statement upsert(db_,
                     "INSERT INTO unread_counts (account, unread) VALUES (?, 1)"
                     " ON CONFLICT (account) DO UPDATE SET unread = unread + 1 RETURNING unread");
    upsert.bind(1, account);
    if (!upsert.step())
        throw JournalError(JournalError::Kind::Storage, "journal: no unread count returned");
    int unread = static_cast<int>(upsert.integer(0));
    upsert.step();  // to the end: the statement's change is complete before it is finalized
    return unread;
}

void SqliteJournal::clearUnread(const std::string& account) {
    Statement remove(db_, "DELETE FROM unread_counts WHERE account = ?");
    remove.bind(1, account);
    remove.step();
}

int SqliteJournal::schemaVersion() {
    return static_cast<int>(scalar("SELECT COALESCE(MAX(version), 0) FROM journal_schema", {}));
}

void SqliteJournal::migrate() {
    exec("CREATE TABLE IF NOT EXISTS journal_schema (version INTEGER NOT NULL)");
    exec("BEGIN IMMEDIATE");  // one process migrates at a time; the others wait (busy_timeout)
    try {
        int current = schemaVersion();
        if (current > kSchemaVersion)
            throw JournalError(JournalError::Kind::Invalid,
                               "journal " + path_ + " has schema version " + std::to_string(current) +
                                   ", newer than this build's " + std::to_string(kSchemaVersion));
        for (const Migration& migration : kMigrations) {
            if (migration.version <= current)
                continue;
            exec(migration.sqlite);
            Statement mark(db_, "INSERT INTO journal_schema (version) VALUES (?)");
            mark.bind(1, static_cast<int64_t>(migration.version)).step();
        }
        exec("COMMIT");
    } catch (...) {
        sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
        throw;
    }
}

AppendResult SqliteJournal::appendOne(const JournalEntry& entry) {
    std::string key = eventKeyOf(entry.kind, entry.messageId, entry.state);
    Statement insert(db_,
                     "INSERT INTO message_journal (account, kind, event_key, message_id, conversation, direction,"
                     " content_type, content, state, is_read, created_us) VALUES (?,?,?,?,?,?,?,?,?,?,?)"
                     " ON CONFLICT DO NOTHING");
    insert.bind(1, entry.account).bind(2, entry.kind).bindNullable(3, key).bind(4, entry.messageId)
        .bind(5, entry.conversation).bind(6, entry.direction).bind(7, entry.contentType).bindBlob(8, entry.content)
        .bind(9, entry.state).bind(10, static_cast<int64_t>(entry.read ? 1 : 0)).bind(11, entry.timestampUs);
    insert.step();
    AppendResult result;
    if (sqlite3_changes(db_) == 0) {
        result.duplicate = true;
        result.seq = scalar("SELECT seq FROM message_journal WHERE account = ? AND event_key = ?", {entry.account, key});
        return result;
    }
    result.seq = sqlite3_last_insert_rowid(db_);
    std::string seq = std::to_string(result.seq);
    if (entry.kind == kind::kState) {
        // displayed is final: a late delivered does not undo it.
        Statement update(db_,
                         "UPDATE message_journal SET state = ? WHERE account = ? AND kind = 'message'"
                         " AND message_id = ? AND NOT (state = 'displayed' AND ? = 'delivered')");
        update.bind(1, entry.state).bind(2, entry.account).bind(3, entry.messageId).bind(4, entry.state).step();
    } else if (entry.kind == kind::kRemove) {
        Statement remove(db_,
                         "DELETE FROM message_journal WHERE account = ? AND message_id = ?"
                         " AND kind IN ('message', 'state')");
        remove.bind(1, entry.account).bind(2, entry.messageId).step();
    } else if (entry.kind == kind::kRead) {
        Statement update(db_,
                         "UPDATE message_journal SET is_read = 1 WHERE account = ? AND conversation = ?"
                         " AND kind = 'message' AND seq < ?");
        update.bind(1, entry.account).bind(2, entry.conversation).bind(3, result.seq).step();
    } else if (entry.kind == kind::kRemoveConversation) {
        Statement remove(db_, "DELETE FROM message_journal WHERE account = ? AND conversation = ? AND seq < ?");
        remove.bind(1, entry.account).bind(2, entry.conversation).bind(3, result.seq).step();
    }
    return result;
}

std::vector<AppendResult> SqliteJournal::append(const std::vector<JournalEntry>& entries) {
    for (const auto& entry : entries)
        validateEntry(entry);
    std::vector<AppendResult> results;
    results.reserve(entries.size());
    exec("BEGIN IMMEDIATE");
    try {
        for (const auto& entry : entries)
            results.push_back(appendOne(entry));
        exec("COMMIT");
    } catch (...) {
        sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
        throw;
    }
    return results;
}

std::vector<JournalEntry> SqliteJournal::fetch(const SyncQuery& query) {
    int64_t after = query.afterSeq;
    if (query.afterMessageId) {
        Statement find(db_, "SELECT seq FROM message_journal WHERE account = ? AND event_key = ?");
        find.bind(1, query.account).bind(2, eventKeyOf(kind::kMessage, *query.afterMessageId, ""));
        if (!find.step())
            throw JournalError(JournalError::Kind::NotFound, "no message " + *query.afterMessageId + " in the journal");
        after = std::max(after, find.integer(0));
    }
    std::string sql = std::string("SELECT ") + kColumns +
                      " FROM message_journal WHERE account = ? AND seq > ? AND created_us >= ?" +
                      (query.conversation.empty() ? "" : " AND conversation = ?") + " ORDER BY seq LIMIT ?";
    Statement select(db_, sql);
    select.bind(1, query.account).bind(2, after).bind(3, query.sinceUs);
    int next = 4;
    if (!query.conversation.empty())
        select.bind(next++, query.conversation);
    select.bind(next, static_cast<int64_t>(query.limit));
    std::vector<JournalEntry> entries;
    while (select.step()) {
        JournalEntry entry;
        entry.seq = select.integer(0);
        entry.account = select.text(1);
        entry.kind = select.text(2);
        entry.messageId = select.text(3);
        entry.conversation = select.text(4);
        entry.direction = select.text(5);
        entry.contentType = select.text(6);
        entry.content = select.text(7);
        entry.state = select.text(8);
        entry.read = select.integer(9) != 0;
        entry.timestampUs = select.integer(10);
        entries.push_back(std::move(entry));
    }
    return entries;
}

bool SqliteJournal::hasMessage(const std::string& account, const std::string& messageId) {
    return scalar("SELECT COUNT(*) FROM message_journal WHERE account = ? AND event_key = ?",
                  {account, eventKeyOf(kind::kMessage, messageId, "")}) > 0;
}

bool SqliteJournal::hasConversation(const std::string& account, const std::string& conversation) {
    return scalar("SELECT COUNT(*) FROM message_journal WHERE account = ? AND conversation = ? AND kind = 'message'",
                  {account, conversation}) > 0;
}

int64_t SqliteJournal::countMessages(const std::string& account) {
    return scalar("SELECT COUNT(*) FROM message_journal WHERE account = ? AND kind = 'message'", {account});
}

int64_t SqliteJournal::expire(int64_t olderThanUs) {
    Statement remove(db_, "DELETE FROM message_journal WHERE created_us < ?");
    remove.bind(1, olderThanUs).step();
    return sqlite3_changes(db_);
}

}  // namespace sylk::store
