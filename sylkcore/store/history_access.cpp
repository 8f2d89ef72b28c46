#include "history_access.hpp"

#include <glib.h>
#include <openssl/evp.h>
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

std::string HistoryAccess::digestOf(const std::string& token) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    if (EVP_Digest(token.data(), token.size(), digest, &size, EVP_sha256(), nullptr) != 1)
        throw JournalError(JournalError::Kind::Storage, "no SHA-256 for a token");
    static const char hex[] = "0123456789abcdef";
    std::string text;
    for (unsigned int i = 0; i < size; ++i) {
        text += hex[digest[i] >> 4];
        text += hex[digest[i] & 15];
    }
    return text;
}

void HistoryAccess::grant(const std::string& account, Granted done) {
    unsigned char bytes[32];
    if (RAND_bytes(bytes, sizeof bytes) != 1) {
        done("", "no random bytes for a token");
        return;
    }
    static const char hex[] = "0123456789abcdef";
    std::string token;
    for (unsigned char byte : bytes) {
        token += hex[byte >> 4];
        token += hex[byte & 15];
    }
    std::lock_guard<std::mutex> lock(mutex_);
    if (!journal_) {
        done("", "the message journal is not running");
        return;
    }
    journal_->run([account, token, done = std::move(done)](MessageJournal& journal) {
        try {
            journal.storeHistoryToken(account, digestOf(token), g_get_real_time(), kTokensPerAccount);
        } catch (const JournalError& e) {
            done("", e.what());
            return;
        }
        done(token, "");
    });
}

std::optional<std::string> HistoryAccess::accountOf(const std::string& token) {
    auto result = std::make_shared<std::promise<std::optional<std::string>>>();
    auto future = result->get_future();
    std::string digest = digestOf(token);
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (!journal_)
            throw JournalError(JournalError::Kind::Storage, "the message journal is not running");
        journal_->run([digest, result](MessageJournal& journal) {
            try {
                result->set_value(journal.historyTokenAccount(digest));
            } catch (...) {
                result->set_exception(std::current_exception());
            }
        });
    }
    if (future.wait_for(std::chrono::seconds(5)) != std::future_status::ready)
        throw JournalError(JournalError::Kind::Storage, "the message journal did not answer in time");
    return future.get();
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
