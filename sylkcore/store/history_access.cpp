#include "history_access.hpp"

#include <openssl/rand.h>

#include <chrono>
#include <future>

namespace sylk::store {

HistoryAccess& HistoryAccess::instance() {
    static HistoryAccess access;
    return access;
}

void HistoryAccess::lend(JournalWriter* journal) {
    std::lock_guard<std::mutex> lock(mutex_);
    journal_ = journal;
}

bool HistoryAccess::available() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return journal_ != nullptr;
}

std::string HistoryAccess::grant(const std::string& account) {
    unsigned char bytes[32];
    if (RAND_bytes(bytes, sizeof bytes) != 1)
        throw JournalError(JournalError::Kind::Storage, "no random bytes for a token");
    static const char hex[] = "0123456789abcdef";
    std::string token;
    for (unsigned char byte : bytes) {
        token += hex[byte >> 4];
        token += hex[byte & 15];
    }
    std::lock_guard<std::mutex> lock(mutex_);
    auto& tokens = tokensOf_[account];
    if (tokens.size() >= kTokensPerAccount) {
        accounts_.erase(tokens.front());
        tokens.erase(tokens.begin());
    }
    tokens.push_back(token);
    accounts_[token] = account;
    return token;
}

std::optional<std::string> HistoryAccess::accountOf(const std::string& token) const {
    std::lock_guard<std::mutex> lock(mutex_);
    auto found = accounts_.find(token);
    if (found == accounts_.end())
        return std::nullopt;
    return found->second;
}

std::vector<JournalEntry> HistoryAccess::fetch(const SyncQuery& query) {
    auto result = std::make_shared<std::promise<std::vector<JournalEntry>>>();
    auto future = result->get_future();
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (!journal_)
            throw JournalError(JournalError::Kind::Storage, "the message journal is not running");
        journal_->run([query, result](MessageJournal& journal) {
            try {
                result->set_value(journal.fetch(query));
            } catch (...) {
                result->set_exception(std::current_exception());
            }
        });
    }
    if (future.wait_for(std::chrono::seconds(5)) != std::future_status::ready)
        throw JournalError(JournalError::Kind::Storage, "the message journal did not answer in time");
    return future.get();
}

}  // namespace sylk::store
