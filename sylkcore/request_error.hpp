// The exception a request handler throws to refuse a request. It is caught once, in the
// plugin's dispatcher, and turned into {"error_code": N, "error": "..."}; it never reaches Janus.
#pragma once

#include <stdexcept>
#include <string>

#include "api.hpp"
#include "error_code.hpp"

namespace sylk {

class SYLK_API RequestError : public std::runtime_error {
public:
    RequestError(ErrorCode code, const std::string& message);
    ~RequestError() override;
    ErrorCode code() const { return code_; }

private:
    ErrorCode code_;
};

}  // namespace sylk
