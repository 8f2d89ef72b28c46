// A presence document (PIDF, RFC 3863) for NOTIFYs of Event: presence (RFC 3856): one tuple with
// the basic status and, when given, a note. Pure.
#pragma once

#include <string>

namespace sylk::sip {

// entity: the presentity's URI ("sip:alice@example.com"); open: basic open or closed; note:
// free text (escaped here), none when empty.
std::string buildPidf(const std::string& entity, bool open, const std::string& note);

}  // namespace sylk::sip
