// A file arriving into a room's store piece by piece (an MSRP file transfer, RFC 5547): each
// piece goes to disk as it comes, so a file of any allowed size costs no memory, and the SHA-1
// is computed on the way; both on a thread of the file's own (BackgroundWriter), so that the
// caller's thread (an MSRP stack thread) only queues the pieces. Until finish() the file is nobody's: destroying an unfinished
// IncomingFile deletes what was written. The name is only metadata (the store names the file
// on disk), so it cannot reach outside the room's folder.
#pragma once

#include <glib.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "../api.hpp"
#include "file_refused.hpp"
#include "file_store.hpp"
#include "background_writer.hpp"

namespace sylk::files {

class SYLK_API IncomingFile {
public:
    // Throws FileRefused: Disabled, InvalidName, TooLarge (announcedSize over the limit), Io.
    IncomingFile(const std::string& room, const std::string& name, const std::string& sender,
                 const std::string& senderDisplay, std::optional<uint64_t> announcedSize = std::nullopt);
    ~IncomingFile();
    IncomingFile(const IncomingFile&) = delete;
    IncomingFile& operator=(const IncomingFile&) = delete;

    // Writes bytes at offset (0-based). Pieces usually come in order; any order is written
    // correctly (the hash is then computed again from disk at the end). Throws FileRefused:
    // TooLarge (past max_file_bytes or past the announced size), Io.
    // Throws them for the pieces written before too (a disk error shows at the next call).
    void write(uint64_t offset, std::string_view bytes);
    void writeOwned(uint64_t offset, std::string bytes);  // the same, taking the bytes without a copy
    uint64_t size() const { return file_.size; }
    const std::string& id() const { return file_.id; }

    // The file is complete: checks it against expectedSha1 (40 hex digits; empty: no check) and
    // the announced size, then registers it (listed, downloadable, hub "file" event posted as
    // postedBy). Throws FileRefused (HashMismatch, Io): the file is then deleted.
    SharedFile finish(const std::string& postedBy, const std::string& type = "", const std::string& expectedSha1 = "");

private:
    void discard();
    std::string sha1FromDisk() const;

    SharedFile file_;
    std::optional<uint64_t> announcedSize_;
    uint64_t limit_ = 0;
    int fd_ = -1;
    std::unique_ptr<BackgroundWriter> writer_;  // writes to fd_ (and hashes) until finish()
    bool finished_ = false;
};

}  // namespace sylk::files
