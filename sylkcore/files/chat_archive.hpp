// A persistent room's chat history on disk: one JSON line per public message in
// <room folder>/history.jsonl, beside the room's files (FileStore), so it survives the last
// participant leaving and a restart. The hub poster never waits for the disk: append() only
// queues, one writer thread of its own writes the lines in order (see docs/decisions.md). The file
// is cut back to the room's history length once it holds twice as many lines, so it stays bounded
// without a rewrite per message.
#pragma once

#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "../hub/room_event.hpp"

namespace sylk::files {

class ChatArchive {
public:
    static constexpr char kFileName[] = "history.jsonl";

    ChatArchive() = default;
    // Writes what is still queued, then ends the writer.
    ~ChatArchive();
    ChatArchive(const ChatArchive&) = delete;
    ChatArchive& operator=(const ChatArchive&) = delete;

    // The history kept in folder, oldest first, at most max events. A line that is not a public
    // chat event (a torn last line after a crash, an edit by hand) is skipped and logged.
    static std::vector<hub::RoomEvent> load(const std::string& room, const std::string& folder, size_t max);

    // Queues event to be appended to folder's history; returns at once. historyLength bounds the file.
    void append(const std::string& folder, const hub::RoomEvent& event, size_t historyLength);
    // Forgets what it knows of folder (its line count): the folder was deleted.
    void forget(const std::string& folder);
    // Returns once everything queued so far is on disk (tests, shutdown).
    void flush();

private:
    struct Line {
        std::string folder;
        std::string text;  // one JSON object, no newline
        size_t historyLength;
    };

    void run();
    void write(const Line& line);
    void cutBack(const std::string& path, size_t keep);

    std::mutex mutex_;
    std::condition_variable wake_;
    std::condition_variable drained_;
    std::deque<Line> queue_;
    bool writing_ = false;
    bool stopping_ = false;
    std::thread writer_;                        // started by the first append
    std::map<std::string, size_t> lineCounts_;  // folder -> lines in its file (writer thread only)
};

}  // namespace sylk::files
