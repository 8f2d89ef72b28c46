#include "incoming_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace sylk::files {

IncomingFile::IncomingFile(const std::string& room, const std::string& name, const std::string& sender,
                           const std::string& senderDisplay, std::optional<uint64_t> announcedSize)
    : announcedSize_(announcedSize) {
    auto& store = FileStore::instance();
    if (!store.enabled())
        throw FileRefused(FileRefused::Reason::Disabled, "file sharing is off on this server");
    if (!FileStore::validName(name))
        throw FileRefused(FileRefused::Reason::InvalidName,
                          "invalid file name: a plain name of 1-255 bytes without '/', '\\' or control characters");
    limit_ = store.maxBytes();
    if (announcedSize && *announcedSize > limit_)
        throw FileRefused(FileRefused::Reason::TooLarge,
                          "file is larger than the limit of " + std::to_string(limit_) + " bytes");
    file_.room = room;
    file_.name = name;
    file_.sender = sender;
    file_.senderDisplay = senderDisplay;
    file_.path = store.reservePath(room, &file_.id);
    fd_ = open(file_.path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd_ < 0)
        throw FileRefused(FileRefused::Reason::Io, std::string("cannot store the file: ") + strerror(errno));
}

IncomingFile::~IncomingFile() {
    if (!finished_)
        discard();
}

void IncomingFile::discard() {
    if (fd_ >= 0) {
        close(fd_);
        fd_ = -1;
    }
    if (!file_.path.empty())
        unlink(file_.path.c_str());
}

void IncomingFile::write(uint64_t offset, std::string_view bytes) {
    if (fd_ < 0)
        throw FileRefused(FileRefused::Reason::Io, "the file is closed");
    uint64_t end = offset + bytes.size();
    if (end < offset || end > limit_)
        throw FileRefused(FileRefused::Reason::TooLarge,
                          "file is larger than the limit of " + std::to_string(limit_) + " bytes");
    if (announcedSize_ && end > *announcedSize_)
        throw FileRefused(FileRefused::Reason::TooLarge,
                          "more bytes than the announced size of " + std::to_string(*announcedSize_));
    for (size_t written = 0; written < bytes.size();) {
        ssize_t n = pwrite(fd_, bytes.data() + written, bytes.size() - written, static_cast<off_t>(offset + written));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            throw FileRefused(FileRefused::Reason::Io, std::string("cannot store the file: ") + strerror(errno));
        written += static_cast<size_t>(n);
    }
    if (inOrder_ && offset == hashedUpTo_) {
        checksum_.update(bytes);
        hashedUpTo_ = end;
    } else {
        inOrder_ = false;  // a piece out of order (or again): hash the file from disk at the end
    }
    file_.size = std::max(file_.size, end);
}

std::string IncomingFile::sha1FromDisk() const { return FileStore::sha1Of(file_.path); }

SharedFile IncomingFile::finish(const std::string& postedBy, const std::string& type, const std::string& expectedSha1) {
    if (fd_ < 0)
        throw FileRefused(FileRefused::Reason::Io, "the file is closed");
    bool closed = close(fd_) == 0;
    fd_ = -1;
    if (!closed) {
        discard();
        throw FileRefused(FileRefused::Reason::Io, std::string("cannot store the file: ") + strerror(errno));
    }
    if (announcedSize_ && file_.size != *announcedSize_) {
        discard();
        throw FileRefused(FileRefused::Reason::Io, "the file has " + std::to_string(file_.size) +
                                                       " bytes, the announced size is " + std::to_string(*announcedSize_));
    }
    file_.sha1 = inOrder_ && hashedUpTo_ == file_.size ? checksum_.hex() : sha1FromDisk();
    if (!expectedSha1.empty() && g_ascii_strcasecmp(expectedSha1.c_str(), file_.sha1.c_str()) != 0) {
        discard();
        throw FileRefused(FileRefused::Reason::HashMismatch,
                          "the file's SHA-1 is " + file_.sha1 + ", the announced one " + expectedSha1);
    }
    file_.type = type;
    file_.created = g_get_real_time() / 1000;
    finished_ = true;
    FileStore::instance().add(file_, postedBy);
    return file_;
}

}  // namespace sylk::files
