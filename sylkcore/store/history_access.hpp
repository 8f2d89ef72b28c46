// The journal as the web app server reads it for apps that are not connected
// (GET /messages/history/<account>, Authorization: Apikey <token>): the SIP plugin lends its
// JournalWriter here while it runs, and grants an account's tokens through its API
// (history_token). One per process (libsylkcore), like the hub. Tokens are kept in the journal
// (as their SHA-256: a copy of the database grants nothing), so they survive a restart.
#pragma once

#include <functional>
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
    // A new random token for account, stored on the journal's thread (an account holds at most
    // kTokensPerAccount; the oldest goes); done(token, "") runs there once it is stored, or
    // done("", why) when it could not be.
    using Granted = std::function<void(const std::string& token, const std::string& error)>;
    void grant(const std::string& account, Granted done);
    // The account a token was granted for (the journal is asked; the caller waits, at most 5 s).
    // Throws JournalError when the journal is not running or fails.
    std::optional<std::string> accountOf(const std::string& token);
    // The SHA-256 of a token, hex: what the journal keeps.
    static std::string digestOf(const std::string& token);
    // Runs the query on the journal's thread and waits (at most 5 s). Throws JournalError.
    std::vector<JournalEntry> fetch(const SyncQuery& query);

    static constexpr size_t kTokensPerAccount = 8;

private:
    mutable std::mutex mutex_;
    JournalWriter* journal_ = nullptr;
};

}  // namespace sylk::store
