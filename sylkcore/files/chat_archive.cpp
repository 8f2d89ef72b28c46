#include "chat_archive.hpp"

#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <unistd.h>

#include <cstring>

#include "../hub/events.hpp"
#include "../log.hpp"

namespace sylk::files {
namespace {

constexpr char kComponent[] = "files";

std::vector<std::string> fileLines(const std::string& path) {
    std::vector<std::string> lines;
    gchar* text = nullptr;
    gsize length = 0;
    if (!g_file_get_contents(path.c_str(), &text, &length, nullptr))
        return lines;
    std::string_view rest(text, length);
    while (!rest.empty()) {
        size_t end = rest.find('\n');
        if (end == std::string_view::npos) {
            // A last line without its newline was torn by a crash mid-write: not a message.
            break;
        }
        if (end > 0)
            lines.emplace_back(rest.substr(0, end));
        rest.remove_prefix(end + 1);
    }
    g_free(text);
    return lines;
}

// A public chat event from one history line, or nothing.
bool readLine(const std::string& room, const std::string& line, hub::RoomEvent* event) {
    Json json = Json::parse(line);
    if (!json || !json_is_object(json.get()))
        return false;
    const char* plugin = json_string_value(json.member("plugin"));
    const char* member = json_string_value(json.member("member"));
    json_t* data = json.member("data");
    if (!plugin || !member || !json_is_object(data))
        return false;
    *event = hub::RoomEvent{room, hub::kind::Chat, plugin, member, Json::borrow(data), 0};
    try {
        return !hub::readChat(*event).isPrivate();
    } catch (const hub::InvalidHubEvent&) {
        return false;
    }
}

}  // namespace

ChatArchive::~ChatArchive() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (writer_.joinable())
        writer_.join();
}

std::vector<hub::RoomEvent> ChatArchive::load(const std::string& room, const std::string& folder, size_t max) {
    std::vector<std::string> lines = fileLines(folder + "/" + kFileName);
    std::vector<hub::RoomEvent> events;
    size_t skipped = 0;
    size_t first = lines.size() > max ? lines.size() - max : 0;
    for (size_t i = first; i < lines.size(); ++i) {
        hub::RoomEvent event;
        if (readLine(room, lines[i], &event))
            events.push_back(std::move(event));
        else
            ++skipped;
    }
    if (skipped)
        SYLK_LOG(LOG_WARN, kComponent, "room %s: %zu line(s) of its saved chat history are not messages; skipped",
                 room.c_str(), skipped);
    return events;
}

void ChatArchive::append(const std::string& folder, const hub::RoomEvent& event, size_t historyLength) {
    Json line = Json::object();
    line.set("plugin", event.plugin).set("member", event.member).set("data", event.data);
    {
        std::lock_guard lock(mutex_);
        if (stopping_)
            return;
        queue_.push_back(Line{folder, line.dump(), historyLength});
        if (!writer_.joinable())
            writer_ = std::thread([this] { run(); });
    }
    wake_.notify_one();
}

void ChatArchive::forget(const std::string& folder) {
    std::lock_guard lock(mutex_);
    if (writer_.joinable()) {
        queue_.push_back(Line{folder, "", 0});  // in order: after the lines queued before it
        wake_.notify_one();
    }
}

void ChatArchive::flush() {
    std::unique_lock lock(mutex_);
    drained_.wait(lock, [this] { return queue_.empty() && !writing_; });
}

void ChatArchive::run() {
    std::unique_lock lock(mutex_);
    for (;;) {
        wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) {
            if (stopping_)
                return;
            continue;
        }
        Line line = std::move(queue_.front());
        queue_.pop_front();
        writing_ = true;
        lock.unlock();
        if (line.text.empty())
            lineCounts_.erase(line.folder);
        else
            write(line);
        lock.lock();
        writing_ = false;
        if (queue_.empty())
            drained_.notify_all();
    }
}

void ChatArchive::write(const Line& line) {
    std::string path = line.folder + "/" + kFileName;
    auto counted = lineCounts_.find(line.folder);
    if (counted == lineCounts_.end())
        counted = lineCounts_.emplace(line.folder, fileLines(path).size()).first;
    g_mkdir_with_parents(line.folder.c_str(), 0700);
    int fd = open(path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    // A torn last line (a crash mid-write) must not swallow this one: it is ended first, and
    // skipped as garbage when loading.
    char last = '\n';
    off_t size = fd >= 0 ? lseek(fd, 0, SEEK_END) : 0;
    std::string text = size > 0 && pread(fd, &last, 1, size - 1) == 1 && last != '\n' ? "\n" : "";
    text += line.text;
    text += '\n';
    // One write of the whole line (O_APPEND): a crash leaves it whole or torn at the end,
    // and a torn last line is skipped when loading.
    if (fd < 0 || ::write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
        SYLK_LOG(LOG_ERR, kComponent, "cannot save a chat message to %s: %s", path.c_str(), g_strerror(errno));
        if (fd >= 0)
            close(fd);
        return;
    }
    close(fd);
    size_t keep = std::max<size_t>(line.historyLength, 1);
    if (++counted->second > 2 * keep) {
        cutBack(path, keep);
        counted->second = keep;
    }
}

void ChatArchive::cutBack(const std::string& path, size_t keep) {
    std::vector<std::string> lines = fileLines(path);
    std::string text;
    for (size_t i = lines.size() > keep ? lines.size() - keep : 0; i < lines.size(); ++i)
        text += lines[i] + "\n";
    // Through a temporary file and a rename: a crash leaves the long file or the short one.
    if (!g_file_set_contents(path.c_str(), text.c_str(), static_cast<gssize>(text.size()), nullptr))
        SYLK_LOG(LOG_ERR, kComponent, "cannot cut back the chat history %s", path.c_str());
}

}  // namespace sylk::files
