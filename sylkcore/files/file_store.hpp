// Files shared in rooms. Process-wide (in libsylkcore.so, like the hub): a room plugin grants
// its participants upload/download tokens, the HTTP transport stores and serves the bytes, and
// the hub tells every plugin serving the room that a file arrived.
//
// Files live on disk as <root>/<sha256 of room>/<random id>; the name a user gave is only
// metadata, so no name can reach outside the folder. Names with path parts are refused anyway.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "../api.hpp"
#include "../hub/events.hpp"
#include "../json.hpp"

namespace sylk::files {

struct SharedFile {
    std::string id;
    std::string room;
    std::string name;
    std::string sender;         // hub member id
    std::string senderDisplay;
    uint64_t size = 0;
    int64_t created = 0;        // ms since the epoch
    std::string path;

    hub::FileNotice notice() const;  // as the hub's "file" event carries it
    Json describe() const;           // the notice as JSON: {"id","name","size","from","display","created"}
};

struct Grant {
    std::string room;
    std::string member;
    std::string display;
};

class SYLK_API FileStore {
public:
    static FileStore& instance();

    // Set by the HTTP transport when it starts; until then sharing is off.
    void configure(const std::string& rootDir, uint64_t maxBytes);
    bool enabled() const;
    uint64_t maxBytes() const;

    std::string grant(const std::string& room, const std::string& member, const std::string& display);
    void revoke(const std::string& token);
    std::optional<Grant> check(const std::string& token) const;

    // A fresh path for an upload into room; id receives the file's id.
    std::string reservePath(const std::string& room, std::string* id);
    // Registers a finished upload and posts a "file" event to the room on the hub.
    void add(SharedFile file);
    std::optional<SharedFile> find(const std::string& room, const std::string& id) const;
    std::vector<SharedFile> list(const std::string& room) const;
    Json listJson(const std::string& room) const;
    // Deletes a room's files from disk (a non-persistent room ended).
    void removeRoom(const std::string& room);

    // A plain file name: 1-255 bytes of UTF-8 without '/', '\\', control characters, and
    // neither "." nor "..".
    static bool validName(std::string_view name);

private:
    std::string roomDir(const std::string& room) const;

    mutable std::mutex mutex_;
    std::string root_;
    uint64_t maxBytes_ = 0;
    std::map<std::string, Grant> grants_;
    std::map<std::string, std::map<std::string, SharedFile>> files_;  // room -> id -> file
};

}  // namespace sylk::files
