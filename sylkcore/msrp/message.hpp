// One MSRP frame (RFC 4975 §7): a request (SEND, REPORT, AUTH, NICKNAME, any method) or a
// response, with its transaction id, To-Path and From-Path, the other headers in order, the
// body and the continuation flag of its end-line. serialize() writes it back.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "byte_range.hpp"
#include "sylkcore/api.hpp"
#include "uri.hpp"

namespace sylk::msrp {

// The flag of the end-line: the last chunk of a message, more to come, or the message aborted.
enum class Continuation : char { End = '$', More = '+', Abort = '#' };

struct SYLK_API Message {
    using Header = std::pair<std::string, std::string>;

    bool request = true;
    std::string transactionId;
    std::string method;   // requests: SEND, REPORT, AUTH, NICKNAME, ...
    int status = 0;       // responses: 200, 400, ...
    std::string comment;  // responses: the reason phrase, may be ""
    std::vector<Uri> toPath;
    std::vector<Uri> fromPath;
    std::vector<Header> headers;  // every other header, in order, names as written
    std::string body;
    Continuation continuation = Continuation::End;
    // Set by the Parser when the frame is sound but its headers are not (a bad URI, a missing
    // To-Path, a header line without a colon, a bad Byte-Range): why, for the 400's comment.
    std::string malformed;

    // The first header named so (case-insensitive), or nullopt.
    std::optional<std::string> header(std::string_view name) const;
    // Replaces every header of this name by one (appended), or adds it.
    void setHeader(std::string_view name, std::string value);
    void removeHeader(std::string_view name);

    std::string messageId() const { return header("Message-ID").value_or(""); }
    // The Content-Type without parameters, lower-cased ("" when absent).
    std::string contentType() const;
    // Byte-Range, or 1-*/* when absent... the RFC's default (§7.1.1: a SEND without one is
    // the whole message); throws ParseError when present and malformed.
    ByteRange byteRange() const;
    // Success-Report: "yes" or not (RFC 4975 §7.1.1: default no).
    bool successReportWanted() const;
    // Failure-Report: "yes" (the default), "no" or "partial".
    std::string failureReport() const;

    // A request with a fresh transaction id (random, 15 characters: inside std::string's own
    // buffer, so the ids a connection keeps for its transactions cost no allocation; 62^15 ids).
    static Message makeRequest(std::string method, std::vector<Uri> toPath, std::vector<Uri> fromPath);
    // The response to this request (RFC 4975 §7.2: To-Path = the first URI of the request's
    // From-Path, From-Path = its first To-Path URI; the same transaction id).
    Message makeResponse(int status, std::string comment) const;
    // The wire form. A body is written after an empty line; a bodiless request has none.
    std::string serialize() const;

    static std::string newTransactionId();
    static std::string newMessageId();
};

}  // namespace sylk::msrp
