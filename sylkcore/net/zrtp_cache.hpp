// The ZRTP cache (RFC 6189 §4.9): our ZID and the secrets retained from earlier calls with
// each peer, in one SQLite file in the server's state folder, in bzrtp's own schema. Shared by
// every call's ZrtpSession; bzrtp takes the mutex around each use.
#pragma once

#include <pthread.h>

#include <string>

#include "../api.hpp"

struct sqlite3;

namespace sylk::net {

class SYLK_API ZrtpCache {
public:
    // Opens (or creates) the file; throws std::runtime_error if SQLite or bzrtp refuse it.
    explicit ZrtpCache(const std::string& path);
    ~ZrtpCache();
    ZrtpCache(const ZrtpCache&) = delete;
    ZrtpCache& operator=(const ZrtpCache&) = delete;

    sqlite3* db() const { return db_; }
    pthread_mutex_t* mutex() { return &mutex_; }
    const std::string& path() const { return path_; }

private:
    std::string path_;
    sqlite3* db_ = nullptr;
    pthread_mutex_t mutex_ = PTHREAD_MUTEX_INITIALIZER;
};

}  // namespace sylk::net
