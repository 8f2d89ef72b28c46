// RFC 5547 (SDP offer/answer for file transfer): the SDP attribute values that describe a file
// sent over MSRP. Pure and strict: what breaks the grammar of section 10 throws
// FileSelectorError with a message naming the attribute and the fault; what is written back
// follows the grammar, so parse(str()) gives the same value.
//
// The values are what follows "a=<attribute>:" in SDP, e.g. for
//   a=file-selector:name:"My cool picture.jpg" type:image/jpeg size:32349 hash:sha-1:72:24:...
// FileSelector::parse takes `name:"My cool picture.jpg" type:image/jpeg size:32349 hash:sha-1:72:24:...`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "../api.hpp"
#include "file_selector_error.hpp"

namespace sylk::msrp {

// hash:<algorithm>:<byte>:<byte>:... of a file-selector.
struct SYLK_API FileHash {
    std::string algorithm;  // lower case, e.g. "sha-1" (the only one RFC 5547 names)
    std::string digest;     // the raw bytes

    // "72:24:5F:..." (upper-case hex, colon separated), as RFC 5547 writes it.
    std::string colonHex() const;
    // "72245f..." (lower-case hex, no separators), as sha1sum and GLib's GChecksum write it.
    std::string plainHex() const;
    // A SHA-1 from 40 hex digits (either case); nullopt if it is not one.
    static std::optional<FileHash> sha1FromPlainHex(std::string_view hex);
};

// ;attribute="value" after a file-selector's type (value decoded).
struct SYLK_API FileTypeParameter {
    std::string attribute;
    std::string value;
};

// The file-selector attribute: which file a session transfers. Every part is optional.
struct SYLK_API FileSelector {
    std::optional<std::string> name;            // decoded (percent-escapes undone): only metadata
    std::optional<std::string> type;            // "type/subtype", as given
    std::vector<FileTypeParameter> typeParameters;
    std::optional<uint64_t> size;               // bytes
    std::vector<FileHash> hashes;               // at most one per algorithm

    static constexpr size_t kMaxLength = 8192;  // the whole value
    static constexpr size_t kMaxNameBytes = 1024;

    // Throws FileSelectorError. An empty value selects any file (a bare "a=file-selector").
    static FileSelector parse(std::string_view value);
    std::string str() const;

    const FileHash* hash(std::string_view algorithm) const;
    const FileHash* sha1() const { return hash("sha-1"); }
    // "type/subtype;attr=value" as a MIME Content-Type header writes it; empty without a type.
    std::string contentType() const;
    bool empty() const { return !name && !type && !size && hashes.empty(); }
};

// file-date: creation, modification and read times (RFC 5322 date-time, numeric zone).
struct SYLK_API FileDate {
    std::optional<int64_t> creation;      // seconds since the epoch (UTC)
    std::optional<int64_t> modification;
    std::optional<int64_t> read;

    static FileDate parse(std::string_view value);  // throws FileSelectorError
    std::string str() const;                        // times written in UTC (+0000)
    bool empty() const { return !creation && !modification && !read; }
};

// file-range: the part of the file this session carries (1-based, inclusive; stop "*" = to the end).
struct SYLK_API FileRange {
    uint64_t start = 1;
    std::optional<uint64_t> stop;

    static FileRange parse(std::string_view value);  // throws FileSelectorError
    std::string str() const;
};

// file-transfer-id: an SDP token naming one transfer (a new id = a new transfer, RFC 5547 s. 8).
SYLK_API std::string parseFileTransferId(std::string_view value);
// file-disposition: an SDP token ("render", "attachment", ...), returned in lower case.
SYLK_API std::string parseFileDisposition(std::string_view value);
// One RFC 5322 date-time with a numeric zone ("Mon, 15 May 2006 15:01:31 +0300"): seconds since
// the epoch. Throws FileSelectorError.
SYLK_API int64_t parseRfc5322DateTime(std::string_view text);
SYLK_API std::string formatRfc5322DateTime(int64_t seconds);

}  // namespace sylk::msrp
