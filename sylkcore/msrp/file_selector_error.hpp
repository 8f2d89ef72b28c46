// An RFC 5547 file attribute (file-selector, file-transfer-id, file-disposition, file-date,
// file-range) that does not follow its grammar. The message names the attribute and what is
// wrong, so the SIP side can log it and answer 488 with it.
#pragma once

#include <stdexcept>
#include <string>

#include "../api.hpp"

namespace sylk::msrp {

class SYLK_API FileSelectorError : public std::invalid_argument {
public:
    using std::invalid_argument::invalid_argument;
};

}  // namespace sylk::msrp
