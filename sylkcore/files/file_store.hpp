// Files shared in rooms. Process-wide (in libsylkcore.so, like the hub): a room plugin grants
// its participants upload/download tokens, the HTTP transport stores and serves the bytes, and
// the hub tells every plugin serving the room that a file arrived.
//
// Files live on disk as <root>/<sha256 of room>/<random id>; the name a user gave is only
// metadata, so no name can reach outside the folder. Names with path parts are refused anyway.
// Beside each file, <id>.json holds its metadata. A persistent room (keepRoom) has a
// room.json in its folder: its files are listed again after a restart. Every other folder
// found at start is what a room that ended with the last process left behind, and is deleted.
// SIP clients name files by SHA-1 (RFC 5547), so every file has one (findBySha1).
// A persistent room's folder also holds its chat history (ChatArchive), restored into the hub
// room when the hub opens it. The store watches the hub (Hub::Lifecycle): a room the hub forgets
// (its last holder, whichever plugin, let go) loses its files and folder unless it is kept.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "../api.hpp"
#include "../hub/events.hpp"
#include "../hub/room.hpp"
#include "../json.hpp"
#include "chat_archive.hpp"

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
    std::string sha1;           // 40 lower-case hex digits (add() computes it when empty)
    std::string type;           // media type the sender gave; empty when unknown

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
    // Registers a finished upload (computing its SHA-1 if the uploader did not) and posts a
    // "file" event to the room on the hub, as postedBy (the plugin or transport that took it).
    void add(SharedFile file, const std::string& postedBy = "janus.transport.sylk.http");
    std::optional<SharedFile> find(const std::string& room, const std::string& id) const;
    // The room's file with this SHA-1 (40 hex digits, either case); the newest if several.
    std::optional<SharedFile> findBySha1(const std::string& room, std::string_view sha1) const;
    std::vector<SharedFile> list(const std::string& room) const;
    Json listJson(const std::string& room) const;
    // Deletes a room's files, folder and saved chat history from disk.
    void removeRoom(const std::string& room);

    // A persistent room (a room configured in a plugin's jcfg): its files stay when it ends and
    // are listed again after a restart. May be called before or after configure().
    void keepRoom(const std::string& room);
    bool kept(const std::string& room) const;

    // The hub made a room (under the hub's lock): a kept room gets its saved chat history back
    // and saves every public message from now on.
    void roomOpened(hub::Room& room);
    // The hub forgot a room (under the hub's lock; once per room's end, whichever plugin let go
    // last): its files go unless it is kept.
    void roomForgotten(const std::string& room);
    // Returns once every chat message posted so far in kept rooms is on disk.
    void flushHistory() { archive_.flush(); }

    // SHA-1 of a file on disk, 40 lower-case hex digits; empty if it cannot be read.
    static std::string sha1Of(const std::string& path);

    // A plain file name: 1-255 bytes of UTF-8 without '/', '\\', control characters, and
    // neither "." nor "..".
    static bool validName(std::string_view name);

private:
    std::string roomDir(const std::string& room) const;
    void loadKeptFolders();
    void loadFolder(const std::string& room, const std::string& dir);
    void writeRoomMarker(const std::string& room) const;
    void watchHub();
    // Restores and records the history of a kept room the hub holds (no lock of ours held).
    void attachHistory(const std::string& room);
    void attachHistory(hub::Room& room);

    mutable std::mutex mutex_;
    std::string root_;
    uint64_t maxBytes_ = 0;
    std::map<std::string, Grant> grants_;
    std::map<std::string, std::map<std::string, SharedFile>> files_;  // room -> id -> file
    std::set<std::string> keptRooms_;
    ChatArchive archive_;
};

}  // namespace sylk::files
