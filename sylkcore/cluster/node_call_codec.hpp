// What travels for a NodeCalls call (docs/cluster.md, "Calls between nodes"): the call
// {"from", "service", "request"} on sylk.call.<node>, and its answer {"answer"} or
// {"error", "reason"} on the caller's inbox. Both come from other nodes: decoding checks every
// field and says why it refuses.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "../api.hpp"
#include "../error_code.hpp"
#include "../json.hpp"

namespace sylk::cluster {

class SYLK_API NodeCallCodec {
public:
    // A call is signalling (a room, a feed, an address), never media: larger ones are refused.
    static constexpr size_t kMaxPayload = 64 * 1024;
    static constexpr size_t kMaxService = 128;

    struct Call {
        std::string from;     // the calling node's id
        std::string service;  // a hub service whose name holds ".remote."
        Json request;         // an object
    };
    struct Answer {
        Json answer;  // set when the service answered
        ErrorCode error = ErrorCode::InternalError;
        std::string reason;  // set when it refused
    };

    static bool callableAcrossNodes(std::string_view service);
    // Throws RequestError (InvalidField, PayloadTooLarge) for what decodeCall would refuse.
    static std::string encodeCall(const std::string& from, const std::string& service, const Json& request);
    static std::optional<Call> decodeCall(std::string_view payload, std::string* error = nullptr);
    static std::string encodeAnswer(const Json& answer);
    static std::string encodeRefusal(ErrorCode code, const std::string& reason);
    static std::optional<Answer> decodeAnswer(std::string_view payload, std::string* error = nullptr);
};

}  // namespace sylk::cluster
