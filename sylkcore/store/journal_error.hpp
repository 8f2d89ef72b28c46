// A journal operation that failed: the store could not write (full disk, server gone) or the
// request names something that is not there. Nothing was stored when it is thrown.
#pragma once

#include <stdexcept>
#include <string>

namespace sylk::store {

class JournalError : public std::runtime_error {
public:
    enum class Kind { Storage, NotFound, Invalid };
    JournalError(Kind kind, const std::string& what) : std::runtime_error(what), kind_(kind) {}
    Kind kind() const { return kind_; }

private:
    Kind kind_;
};

}  // namespace sylk::store
