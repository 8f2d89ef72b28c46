#include "file_store.hpp"

#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "../hub/hub.hpp"
#include "../log.hpp"

namespace sylk::files {
namespace {

constexpr char kRoomMarker[] = "room.json";
constexpr char kSidecarSuffix[] = ".json";

std::string randomToken() {
    gchar* uuid = g_uuid_string_random();
    std::string token = uuid;
    g_free(uuid);
    return token;
}

// A room folder's name: 64 lower-case hex digits (roomDir). Nothing else under the root is ever
// deleted at start.
bool isRoomFolderName(const char* name) {
    size_t length = 0;
    for (; name[length]; ++length) {
        if (!g_ascii_isxdigit(name[length]) || g_ascii_isupper(name[length]))
            return false;
    }
    return length == 64;
}

std::vector<std::string> folderEntries(const std::string& dir) {
    std::vector<std::string> names;
    if (GDir* folder = g_dir_open(dir.c_str(), 0, nullptr)) {
        while (const char* name = g_dir_read_name(folder))
            names.emplace_back(name);
        g_dir_close(folder);
    }
    return names;
}

void deleteFolder(const std::string& dir) {
    for (const auto& name : folderEntries(dir))
        g_unlink((dir + "/" + name).c_str());
    g_rmdir(dir.c_str());
}

bool endsWith(const std::string& text, std::string_view suffix) {
    return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

Json sidecarJson(const SharedFile& file) {
    Json json = Json::object();
    json.set("room", file.room)
        .set("id", file.id)
        .set("name", file.name)
        .set("sender", file.sender)
        .set("display", file.senderDisplay)
        .set("size", static_cast<json_int_t>(file.size))
        .set("created", static_cast<json_int_t>(file.created))
        .set("sha1", file.sha1)
        .set("type", file.type);
    return json;
}

std::string stringMember(const Json& json, const char* key) {
    const char* value = json_string_value(json.member(key));
    return value ? value : "";
}

// Writes text to path through a temporary file and a rename, so a crash leaves the old or the new.
bool writeAtomically(const std::string& path, const std::string& text) {
    return g_file_set_contents(path.c_str(), text.c_str(), static_cast<gssize>(text.size()), nullptr);
}

}  // namespace

hub::FileNotice SharedFile::notice() const {
    return hub::FileNotice{id, name, size, sender, senderDisplay, created, sha1, type};
}

Json SharedFile::describe() const { return hub::fileNoticeJson(notice()); }

FileStore& FileStore::instance() {
    static FileStore store;
    static const bool watching = (store.watchHub(), true);
    (void)watching;
    return store;
}

void FileStore::watchHub() {
    hub::Hub::instance().setLifecycle(hub::Hub::Lifecycle{
        [this](hub::Room& room) { roomOpened(room); },
        [this](const std::string& room) { roomForgotten(room); },
    });
}

void FileStore::configure(const std::string& rootDir, uint64_t maxBytes) {
    std::set<std::string> kept;
    {
        std::lock_guard lock(mutex_);
        root_ = rootDir;
        maxBytes_ = maxBytes;
        if (!root_.empty())
            g_mkdir_with_parents(root_.c_str(), 0700);
        files_.clear();
        if (!root_.empty())
            loadKeptFolders();
        kept = keptRooms_;
    }
    // Rooms the plugins opened before the transport configured us (configured rooms are made
    // when the plugins start, before the transports) get their history now.
    for (const auto& room : kept)
        attachHistory(room);
}

void FileStore::attachHistory(const std::string& room) {
    if (auto hubRoom = hub::Hub::instance().find(room))
        attachHistory(*hubRoom);
}

void FileStore::roomOpened(hub::Room& room) { attachHistory(room); }

void FileStore::attachHistory(hub::Room& room) {
    std::string folder;
    {
        std::lock_guard lock(mutex_);
        if (root_.empty() || keptRooms_.count(room.id()) == 0)
            return;
        folder = roomDir(room.id());
    }
    auto restored = ChatArchive::load(room.id(), folder, hub::Room::kMaxHistory);
    size_t count = restored.size();
    bool attached = room.attachHistory(std::move(restored), [this, folder](const hub::RoomEvent& event, size_t length) {
        archive_.append(folder, event, length);
    });
    if (attached && count)
        SYLK_LOG(LOG_INFO, "files", "room %s: %zu saved chat message(s) restored", room.id().c_str(), count);
}

void FileStore::roomForgotten(const std::string& room) {
    if (!kept(room))
        removeRoom(room);
}

void FileStore::loadKeptFolders() {
    std::map<std::string, std::string> keptByFolder;  // folder name -> room
    for (const auto& room : keptRooms_) {
        std::string dir = roomDir(room);
        keptByFolder[dir.substr(dir.rfind('/') + 1)] = room;
    }
    for (const auto& name : folderEntries(root_)) {
        if (!isRoomFolderName(name.c_str()))
            continue;
        std::string dir = root_ + "/" + name;
        std::string room;
        gchar* text = nullptr;
        if (g_file_get_contents((dir + "/" + kRoomMarker).c_str(), &text, nullptr, nullptr)) {
            Json marker = Json::parse(text);
            g_free(text);
            room = marker ? stringMember(marker, "room") : "";
            if (!room.empty() && roomDir(room) != dir)
                room.clear();  // a marker that names another room's folder: not ours
            if (!room.empty())
                keptRooms_.insert(room);
        } else if (auto kept = keptByFolder.find(name); kept != keptByFolder.end()) {
            room = kept->second;
            writeRoomMarker(room);
        }
        if (room.empty())
            deleteFolder(dir);  // left by a room that ended with the last process
        else
            loadFolder(room, dir);
    }
}

void FileStore::loadFolder(const std::string& room, const std::string& dir) {
    for (const auto& name : folderEntries(dir)) {
        if (name == kRoomMarker || !endsWith(name, kSidecarSuffix))
            continue;
        gchar* text = nullptr;
        if (!g_file_get_contents((dir + "/" + name).c_str(), &text, nullptr, nullptr))
            continue;
        Json json = Json::parse(text);
        g_free(text);
        SharedFile file;
        file.id = name.substr(0, name.size() - strlen(kSidecarSuffix));
        file.room = room;
        file.path = dir + "/" + file.id;
        GStatBuf info;
        if (!json || stringMember(json, "id") != file.id || stringMember(json, "room") != room ||
            g_stat(file.path.c_str(), &info) != 0 ||
            static_cast<uint64_t>(info.st_size) != static_cast<uint64_t>(json_integer_value(json.member("size")))) {
            // Metadata without its file (or the reverse after a crash mid-write): drop both.
            g_unlink((dir + "/" + name).c_str());
            g_unlink(file.path.c_str());
            continue;
        }
        file.name = stringMember(json, "name");
        file.sender = stringMember(json, "sender");
        file.senderDisplay = stringMember(json, "display");
        file.size = static_cast<uint64_t>(info.st_size);
        file.created = json_integer_value(json.member("created"));
        file.sha1 = stringMember(json, "sha1");
        file.type = stringMember(json, "type");
        if (!validName(file.name))
            continue;
        if (file.sha1.size() != 40)
            file.sha1 = sha1Of(file.path);
        files_[room][file.id] = std::move(file);
    }
}

void FileStore::writeRoomMarker(const std::string& room) const {
    std::string dir = roomDir(room);
    g_mkdir_with_parents(dir.c_str(), 0700);
    writeAtomically(dir + "/" + kRoomMarker, Json::object().set("room", room).dump());
}

void FileStore::keepRoom(const std::string& room) {
    {
        std::lock_guard lock(mutex_);
        keptRooms_.insert(room);
        if (root_.empty())
            return;  // configure() writes the marker, loads the folder and restores the history
        writeRoomMarker(room);
        if (files_.find(room) == files_.end())
            loadFolder(room, roomDir(room));
    }
    attachHistory(room);
}

bool FileStore::kept(const std::string& room) const {
    std::lock_guard lock(mutex_);
    return keptRooms_.count(room) != 0;
}

std::string FileStore::sha1Of(const std::string& path) {
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return "";
    GChecksum* checksum = g_checksum_new(G_CHECKSUM_SHA1);
    std::vector<unsigned char> buffer(256 * 1024);
    ssize_t n;
    while ((n = read(fd, buffer.data(), buffer.size())) > 0)
        g_checksum_update(checksum, buffer.data(), n);
    close(fd);
    std::string digest = n == 0 ? g_checksum_get_string(checksum) : "";
    g_checksum_free(checksum);
    return digest;
}

bool FileStore::enabled() const {
    std::lock_guard lock(mutex_);
    return !root_.empty();
}

uint64_t FileStore::maxBytes() const {
    std::lock_guard lock(mutex_);
    return maxBytes_;
}

std::string FileStore::grant(const std::string& room, const std::string& member, const std::string& display) {
    std::string token = randomToken() + randomToken();
    token.erase(std::remove(token.begin(), token.end(), '-'), token.end());
    std::lock_guard lock(mutex_);
    grants_[token] = Grant{room, member, display};
    return token;
}

void FileStore::revoke(const std::string& token) {
    std::lock_guard lock(mutex_);
    grants_.erase(token);
}

std::optional<Grant> FileStore::check(const std::string& token) const {
    std::lock_guard lock(mutex_);
    auto it = grants_.find(token);
    if (it == grants_.end())
        return std::nullopt;
    return it->second;
}

std::string FileStore::roomDir(const std::string& room) const {
    gchar* digest = g_compute_checksum_for_string(G_CHECKSUM_SHA256, room.c_str(), static_cast<gssize>(room.size()));
    std::string dir = root_ + "/" + digest;
    g_free(digest);
    return dir;
}

std::string FileStore::reservePath(const std::string& room, std::string* id) {
    std::lock_guard lock(mutex_);
    std::string dir = roomDir(room);
    g_mkdir_with_parents(dir.c_str(), 0700);
    *id = randomToken();
    return dir + "/" + *id;
}

void FileStore::add(SharedFile file, const std::string& postedBy) {
    if (file.sha1.size() != 40)
        file.sha1 = sha1Of(file.path);
    // The metadata goes to disk first, so a persistent room lists the file after a restart.
    writeAtomically(file.path + kSidecarSuffix, sidecarJson(file).dump());
    {
        std::lock_guard lock(mutex_);
        files_[file.room][file.id] = file;
    }
    if (auto room = hub::Hub::instance().find(file.room))
        room->post(postedBy, file.sender, hub::fileShared(file.notice()));
}

std::optional<SharedFile> FileStore::find(const std::string& room, const std::string& id) const {
    std::lock_guard lock(mutex_);
    auto byRoom = files_.find(room);
    if (byRoom == files_.end())
        return std::nullopt;
    auto it = byRoom->second.find(id);
    if (it == byRoom->second.end())
        return std::nullopt;
    return it->second;
}

std::optional<SharedFile> FileStore::findBySha1(const std::string& room, std::string_view sha1) const {
    if (sha1.size() != 40)
        return std::nullopt;
    gchar* lower = g_ascii_strdown(sha1.data(), static_cast<gssize>(sha1.size()));
    std::string wanted = lower;
    g_free(lower);
    std::lock_guard lock(mutex_);
    auto byRoom = files_.find(room);
    if (byRoom == files_.end())
        return std::nullopt;
    const SharedFile* newest = nullptr;
    for (const auto& [id, file] : byRoom->second) {
        if (file.sha1 == wanted && (!newest || file.created > newest->created))
            newest = &file;
    }
    if (!newest)
        return std::nullopt;
    return *newest;
}

std::vector<SharedFile> FileStore::list(const std::string& room) const {
    std::lock_guard lock(mutex_);
    std::vector<SharedFile> out;
    if (auto byRoom = files_.find(room); byRoom != files_.end()) {
        for (const auto& [id, file] : byRoom->second)
            out.push_back(file);
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.created < b.created; });
    return out;
}

Json FileStore::listJson(const std::string& room) const {
    Json list = Json::array();
    for (const auto& file : this->list(room))
        list.append(file.describe());
    return list;
}

void FileStore::removeRoom(const std::string& room) {
    std::lock_guard lock(mutex_);
    auto byRoom = files_.find(room);
    if (byRoom != files_.end()) {
        for (const auto& [id, file] : byRoom->second) {
            g_unlink(file.path.c_str());
            g_unlink((file.path + kSidecarSuffix).c_str());
        }
        SYLK_LOG(LOG_INFO, "files", "room %s: its %zu shared file(s) deleted", room.c_str(), byRoom->second.size());
        files_.erase(byRoom);
    }
    // Whatever else is in the folder (a marker, an upload that never finished, a saved history)
    // goes with it.
    if (!root_.empty()) {
        std::string folder = roomDir(room);
        archive_.forget(folder);
        deleteFolder(folder);
    }
}

bool FileStore::validName(std::string_view name) {
    if (name.empty() || name.size() > 255 || name == "." || name == "..")
        return false;
    for (unsigned char c : name) {
        if (c < 0x20 || c == 0x7f || c == '/' || c == '\\')
            return false;
    }
    return g_utf8_validate(name.data(), static_cast<gssize>(name.size()), nullptr);
}

}  // namespace sylk::files
