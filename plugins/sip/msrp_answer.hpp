// What the msrp plugin's msrp.open_session answers, read into our side of an m=message: one
// reader for the conference focus and the gateway's 1:1 chats, so both refuse the same
// incomplete answers.
#pragma once

#include <string>

#include "sip_sdp.hpp"
#include "sylkcore/json.hpp"

namespace sylk::sip {

// Fills session (the msrp session id), member (the hub member the chat is posted as; "" when
// not given) and answer's transport fields (host, port, secure, path, setup, accept types,
// fingerprint). False when something required is missing or of the wrong type.
bool readMsrpAnswer(const Json& reply, std::string* session, std::string* member, MsrpAnswer* answer);

// Hands the peer's answer to our msrp session (msrp.set_remote). We offered a=setup:passive, so a
// peer that answers passive too makes us connect. Returns our side's role ("active" or
// "passive"); throws what the service throws (a bad path, an unknown session).
std::string setMsrpRemote(const std::string& session, const MsrpOffer& answer);

// Ends an msrp session (msrp.close_session). An error is nothing to undo (the msrp plugin ended
// the session itself, or went first at shutdown): it is logged at verbose level with `what`.
void closeMsrpSession(const std::string& session, const std::string& what);

// A string member of a JSON object, or "" (absent, not a string, or object not an object).
std::string jsonString(json_t* object, const char* key);

}  // namespace sylk::sip
