#include "request_error.hpp"

namespace sylk {

RequestError::RequestError(ErrorCode code, const std::string& message) : std::runtime_error(message), code_(code) {}

// Out of line so that the typeinfo lives in libsylkcore once for every plugin.
RequestError::~RequestError() = default;

}  // namespace sylk
