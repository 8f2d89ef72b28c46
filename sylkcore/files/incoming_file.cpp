#include "incoming_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>

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
    writer_ = std::make_unique<BackgroundWriter>(fd_);
}

IncomingFile::~IncomingFile() {
    if (!finished_)
        discard();
}

void IncomingFile::discard() {
    writer_.reset();  // stops writing before the descriptor goes
    if (fd_ >= 0) {
        close(fd_);
        fd_ = -1;
    }
    if (!file_.path.empty())
        unlink(file_.path.c_str());
}

void IncomingFile::write(uint64_t offset, std::string_view bytes) { writeOwned(offset, std::string(bytes)); }

void IncomingFile::writeOwned(uint64_t offset, std::string bytes) {
    if (fd_ < 0)
        throw FileRefused(FileRefused::Reason::Io, "the file is closed");
    uint64_t end = offset + bytes.size();
    if (end < offset || end > limit_)
        throw FileRefused(FileRefused::Reason::TooLarge,
                          "file is larger than the limit of " + std::to_string(limit_) + " bytes");
    if (announcedSize_ && end > *announcedSize_)
        throw FileRefused(FileRefused::Reason::TooLarge,
                          "more bytes than the announced size of " + std::to_string(*announcedSize_));
    try {
        writer_->write(offset, std::move(bytes));
    } catch (const std::system_error& e) {
        throw FileRefused(FileRefused::Reason::Io, e.what());
    }
    file_.size = std::max(file_.size, end);
}

std::string IncomingFile::sha1FromDisk() const { return FileStore::sha1Of(file_.path); }

SharedFile IncomingFile::finish(const std::string& postedBy, const std::string& type, const std::string& expectedSha1) {
    if (fd_ < 0)
        throw FileRefused(FileRefused::Reason::Io, "the file is closed");
    std::string hashedOnTheWay;
    try {
        hashedOnTheWay = writer_->finish();  // every piece written
    } catch (const std::system_error& e) {
        discard();
        throw FileRefused(FileRefused::Reason::Io, e.what());
    }
    writer_.reset();
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
    file_.sha1 = hashedOnTheWay.empty() ? sha1FromDisk() : hashedOnTheWay;
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
