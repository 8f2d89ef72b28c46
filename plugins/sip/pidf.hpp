// A presence document (PIDF, RFC 3863) for NOTIFYs of Event: presence (RFC 3856): one tuple with
// the basic status and, when given, a note. Pure.
#pragma once

#include <optional>
#include <string>

namespace sylk::sip {

// entity: the presentity's URI ("sip:alice@example.com"); open: basic open or closed; note:
// free text (escaped here), none when empty.
std::string buildPidf(const std::string& entity, bool open, const std::string& note);

struct PidfStatus {
    bool open = false;  // any tuple's basic status is open
    std::string note;   // the first <note/>, entities decoded; "" if none
};
// What a NOTIFY's PIDF document says, read leniently (any namespace prefix; the first tuple
// that is open wins); nullopt if it is over 64 KiB, names no PIDF namespace or has no
// <basic/> open or closed. Fuzzed (tests/fuzz/fuzz_pidf.cpp).
std::optional<PidfStatus> parsePidf(const std::string& xml);

}  // namespace sylk::sip
