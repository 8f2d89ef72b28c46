#include "file_store.hpp"

#include <glib.h>
#include <glib/gstdio.h>

#include <algorithm>

#include "../hub/hub.hpp"

namespace sylk::files {
namespace {

std::string randomToken() {
    gchar* uuid = g_uuid_string_random();
    std::string token = uuid;
    g_free(uuid);
    return token;
}

}  // namespace

hub::FileNotice SharedFile::notice() const { return hub::FileNotice{id, name, size, sender, senderDisplay, created}; }

Json SharedFile::describe() const { return hub::fileNoticeJson(notice()); }

FileStore& FileStore::instance() {
    static FileStore store;
    return store;
}

void FileStore::configure(const std::string& rootDir, uint64_t maxBytes) {
    std::lock_guard lock(mutex_);
    root_ = rootDir;
    maxBytes_ = maxBytes;
    g_mkdir_with_parents(root_.c_str(), 0700);
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

void FileStore::add(SharedFile file) {
    {
        std::lock_guard lock(mutex_);
        files_[file.room][file.id] = file;
    }
    if (auto room = hub::Hub::instance().find(file.room))
        room->post("janus.transport.sylk.http", file.sender, hub::fileShared(file.notice()));
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
        for (const auto& [id, file] : byRoom->second)
            g_unlink(file.path.c_str());
        files_.erase(byRoom);
    }
    if (!root_.empty())
        g_rmdir(roomDir(room).c_str());
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
