#include "token_registry.hpp"

#include <glib.h>
#include <sqlite3.h>

#include <memory>
#include <stdexcept>

namespace sylk::push {
namespace {

struct StatementFinalize {
    void operator()(sqlite3_stmt* statement) const { sqlite3_finalize(statement); }
};
using Statement = std::unique_ptr<sqlite3_stmt, StatementFinalize>;

Statement prepare(sqlite3* db, const char* sql) {
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v2(db, sql, -1, &raw, nullptr) != SQLITE_OK)
        throw std::runtime_error(std::string("push tokens: ") + sqlite3_errmsg(db));
    return Statement(raw);
}

void bind(sqlite3_stmt* statement, int index, const std::string& text) {
    sqlite3_bind_text(statement, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
}

std::string column(sqlite3_stmt* statement, int index) {
    const unsigned char* text = sqlite3_column_text(statement, index);
    return text ? reinterpret_cast<const char*>(text) : "";
}

constexpr const char* kColumns = "account, device, provider, app, token, voip, silent";

PushTarget readRow(sqlite3_stmt* statement) {
    PushTarget target;
    target.account = column(statement, 0);
    target.device = column(statement, 1);
    target.provider = column(statement, 2);
    target.app = column(statement, 3);
    target.token = column(statement, 4);
    target.voip = sqlite3_column_int(statement, 5) != 0;
    target.silent = sqlite3_column_int(statement, 6) != 0;
    return target;
}

}  // namespace

TokenRegistry::TokenRegistry(const std::string& path) {
    // The state folder may not exist yet (an installed server's first start), as for the journal.
    gchar* folder = g_path_get_dirname(path.c_str());
    int made = g_mkdir_with_parents(folder, 0700);
    g_free(folder);
    if (made != 0)
        throw std::runtime_error("push tokens: cannot create the folder of " + path);
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                        nullptr) != SQLITE_OK) {
        std::string why = db_ ? sqlite3_errmsg(db_) : "out of memory";
        sqlite3_close(db_);
        throw std::runtime_error("push tokens: cannot open " + path + ": " + why);
    }
    sqlite3_busy_timeout(db_, 2000);
    exec("PRAGMA journal_mode=WAL");
    // WAL with NORMAL: no fsync per registration on the SIP thread; a power cut may lose the
    // last registrations, which the apps repeat on their next start.
    exec("PRAGMA synchronous=NORMAL");
    exec("CREATE TABLE IF NOT EXISTS push_tokens ("
         " account TEXT NOT NULL, app TEXT NOT NULL, device TEXT NOT NULL,"
         " provider TEXT NOT NULL, token TEXT NOT NULL, voip INTEGER NOT NULL DEFAULT 0,"
         " silent INTEGER NOT NULL DEFAULT 0, updated INTEGER NOT NULL,"
         " PRIMARY KEY (account, app, device))");
    exec("CREATE INDEX IF NOT EXISTS push_tokens_by_token ON push_tokens (provider, token)");
}

TokenRegistry::~TokenRegistry() {
    sqlite3_close(db_);
}

void TokenRegistry::exec(const char* sql) {
    char* error = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &error) != SQLITE_OK) {
        std::string why = error ? error : "unknown error";
        sqlite3_free(error);
        throw std::runtime_error("push tokens: " + why);
    }
}

bool TokenRegistry::add(const PushTarget& target) {
    std::lock_guard lock(mutex_);
    Statement same = prepare(db_, "SELECT 1 FROM push_tokens WHERE account=? AND app=? AND device=? AND provider=?"
                                  " AND token=? AND voip=? AND silent=?");
    bind(same.get(), 1, target.account);
    bind(same.get(), 2, target.app);
    bind(same.get(), 3, target.device);
    bind(same.get(), 4, target.provider);
    bind(same.get(), 5, target.token);
    sqlite3_bind_int(same.get(), 6, target.voip);
    sqlite3_bind_int(same.get(), 7, target.silent);
    if (sqlite3_step(same.get()) == SQLITE_ROW)
        return false;
    Statement insert = prepare(db_, "INSERT OR REPLACE INTO push_tokens"
                                    " (account, device, provider, app, token, voip, silent, updated)"
                                    " VALUES (?, ?, ?, ?, ?, ?, ?, strftime('%s','now'))");
    bind(insert.get(), 1, target.account);
    bind(insert.get(), 2, target.device);
    bind(insert.get(), 3, target.provider);
    bind(insert.get(), 4, target.app);
    bind(insert.get(), 5, target.token);
    sqlite3_bind_int(insert.get(), 6, target.voip);
    sqlite3_bind_int(insert.get(), 7, target.silent);
    if (sqlite3_step(insert.get()) != SQLITE_DONE)
        throw std::runtime_error(std::string("push tokens: ") + sqlite3_errmsg(db_));
    return true;
}

int TokenRegistry::remove(const std::string& account, const std::string& app, const std::string& device) {
    std::lock_guard lock(mutex_);
    Statement statement = prepare(db_, app.empty() ? "DELETE FROM push_tokens WHERE account=? AND device=?"
                                                   : "DELETE FROM push_tokens WHERE account=? AND device=? AND app=?");
    bind(statement.get(), 1, account);
    bind(statement.get(), 2, device);
    if (!app.empty())
        bind(statement.get(), 3, app);
    if (sqlite3_step(statement.get()) != SQLITE_DONE)
        throw std::runtime_error(std::string("push tokens: ") + sqlite3_errmsg(db_));
    return sqlite3_changes(db_);
}

int TokenRegistry::removeToken(const std::string& provider, const std::string& token) {
    std::lock_guard lock(mutex_);
    Statement statement = prepare(db_, "DELETE FROM push_tokens WHERE provider=? AND token=?");
    bind(statement.get(), 1, provider);
    bind(statement.get(), 2, token);
    if (sqlite3_step(statement.get()) != SQLITE_DONE)
        throw std::runtime_error(std::string("push tokens: ") + sqlite3_errmsg(db_));
    return sqlite3_changes(db_);
}

std::vector<PushTarget> TokenRegistry::list(const std::string& account) const {
    std::lock_guard lock(mutex_);
    Statement statement = prepare(
        db_, (std::string("SELECT ") + kColumns + " FROM push_tokens WHERE account=? ORDER BY app, device").c_str());
    bind(statement.get(), 1, account);
    std::vector<PushTarget> targets;
    while (sqlite3_step(statement.get()) == SQLITE_ROW)
        targets.push_back(readRow(statement.get()));
    return targets;
}

std::vector<PushTarget> TokenRegistry::listAll(size_t limit) const {
    std::lock_guard lock(mutex_);
    Statement statement = prepare(
        db_, (std::string("SELECT ") + kColumns + " FROM push_tokens ORDER BY account, app, device LIMIT ?").c_str());
    sqlite3_bind_int64(statement.get(), 1, static_cast<sqlite3_int64>(limit));
    std::vector<PushTarget> targets;
    while (sqlite3_step(statement.get()) == SQLITE_ROW)
        targets.push_back(readRow(statement.get()));
    return targets;
}

size_t TokenRegistry::count() const {
    std::lock_guard lock(mutex_);
    Statement statement = prepare(db_, "SELECT count(*) FROM push_tokens");
    return sqlite3_step(statement.get()) == SQLITE_ROW ? static_cast<size_t>(sqlite3_column_int64(statement.get(), 0))
                                                       : 0;
}

}  // namespace sylk::push
