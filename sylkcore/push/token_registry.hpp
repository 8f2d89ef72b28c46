// Device tokens per account, kept in a small SQLite table (WAL) of their own under the
// server's state directory, so registrations survive restarts. Thread-safe (one mutex): the
// SIP thread adds tokens, push channels delete gone ones, the REST API and the admin API read.
#pragma once

#include "sylkcore/api.hpp"

#include <mutex>
#include <string>
#include <vector>

#include "push_target.hpp"

struct sqlite3;

namespace sylk::push {

class SYLK_API TokenRegistry {
public:
    // Opens (creates) the database; ":memory:" for tests. Throws std::runtime_error.
    explicit TokenRegistry(const std::string& path);
    ~TokenRegistry();
    TokenRegistry(const TokenRegistry&) = delete;
    TokenRegistry& operator=(const TokenRegistry&) = delete;

    // Adds or replaces the token of (account, app, device); true when it was new or changed.
    bool add(const PushTarget& target);
    // Removes (account, app, device); an empty app removes the device of every app. Returns how many.
    int remove(const std::string& account, const std::string& app, const std::string& device);
    // Removes a token wherever it is registered (the service said it is gone).
    int removeToken(const std::string& provider, const std::string& token);
    std::vector<PushTarget> list(const std::string& account) const;
    std::vector<PushTarget> listAll(size_t limit) const;
    size_t count() const;

private:
    void exec(const char* sql);
    sqlite3* db_ = nullptr;
    mutable std::mutex mutex_;
};

}  // namespace sylk::push
