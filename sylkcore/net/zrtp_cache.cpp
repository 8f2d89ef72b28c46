#include "zrtp_cache.hpp"

#include <bzrtp/bzrtp.h>
#include <sqlite3.h>

#include <stdexcept>

namespace sylk::net {

ZrtpCache::ZrtpCache(const std::string& path) : path_(path) {
    // Calls run on several threads (signalling, RTP): SQLite serialises them as well.
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                        nullptr) != SQLITE_OK) {
        std::string why = db_ ? sqlite3_errmsg(db_) : "out of memory";
        sqlite3_close(db_);
        db_ = nullptr;
        throw std::runtime_error("cannot open the ZRTP cache " + path + ": " + why);
    }
    int status = bzrtp_initCache_lock(db_, &mutex_);
    if (status != 0 && status != BZRTP_CACHE_SETUP && status != BZRTP_CACHE_UPDATE) {
        sqlite3_close(db_);
        db_ = nullptr;
        throw std::runtime_error("bzrtp refuses the ZRTP cache " + path + " (error " + std::to_string(status) + ")");
    }
}

ZrtpCache::~ZrtpCache() {
    if (db_)
        sqlite3_close(db_);
}

}  // namespace sylk::net
