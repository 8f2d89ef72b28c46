// Why the room file store would not take (or could not finish) a file. The reason lets a
// protocol answer in its own terms (MSRP: 413 for TooLarge, HTTP: 413 / 400 / 500).
#pragma once

#include <stdexcept>
#include <string>

#include "../api.hpp"

namespace sylk::files {

class SYLK_API FileRefused : public std::runtime_error {
public:
    enum class Reason {
        Disabled,      // file sharing is off (no HTTP transport, or file_sharing = false)
        InvalidName,   // not a plain file name (FileStore::validName)
        TooLarge,      // over max_file_bytes
        Io,            // the disk refused
        HashMismatch,  // the content is not what the announced hash says
    };

    FileRefused(Reason reason, const std::string& message) : std::runtime_error(message), reason_(reason) {}
    Reason reason() const { return reason_; }

private:
    Reason reason_;
};

}  // namespace sylk::files
