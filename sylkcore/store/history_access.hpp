// The journal as the web app server reads it for apps that are not connected
// (GET /messages/history/<account>, Authorization: Apikey <token>): the SIP plugin lends its
// JournalWriter here while it runs, and grants an account's tokens through its API
// (history_token). One per process (libsylkcore), like the hub. Tokens live in memory: a
// restart revokes them all (apps ask for a new one when they connect).
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "../api.hpp"
#include "journal_writer.hpp"

namespace sylk::store {

class SYLK_API HistoryAccess {
public:
    static HistoryAccess& instance();

    // The journal to read; nullptr when its owner goes.
    void lend(JournalWriter* journal);
    bool available() const;
    // A new random token for account (an account holds at most kTokensPerAccount; the oldest goes).
    std::string grant(const std::string& account);
    // The account a token was granted for.
    std::optional<std::string> accountOf(const std::string& token) const;
    // Runs the query on the journal's thread and waits (at most 5 s). Throws JournalError.
    std::vector<JournalEntry> fetch(const SyncQuery& query);

    static constexpr size_t kTokensPerAccount = 8;

private:
    mutable std::mutex mutex_;
    JournalWriter* journal_ = nullptr;
    std::map<std::string, std::string> accounts_;                 // token -> account
    std::map<std::string, std::vector<std::string>> tokensOf_;    // account -> its tokens, oldest first
};

}  // namespace sylk::store
