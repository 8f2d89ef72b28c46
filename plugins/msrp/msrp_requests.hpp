// The msrp plugin's hub service requests (msrp.open_session, msrp.close_session: the contract
// with the SIP plugin, docs/msrp-api.md), parsed and validated. Pure functions over JSON, so
// the unit tests and the fuzz target run exactly what the plugin runs.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "sylkcore/request_reader.hpp"

namespace sylk::msrp_plugin {

// RFC 5547 file transfer in a room: the msrp-files seam (FileTransfer takes these).
struct FileOffer {
    std::string selector;    // a=file-selector
    std::string transferId;  // a=file-transfer-id
    std::string direction;   // the phone's view: "sendonly" (it sends a file) or "recvonly"
};

struct OpenSessionRequest {
    std::string room;     // hub room name
    std::string uri;      // the caller's identity: CPIM From must match it
    std::string display;
    std::string member;   // the call's audio member (chat posted as it), or "" (msrp joins the roster)
    bool active = true;   // we connect (RFC 6135 a=setup; plain RFC 4975: the offerer listens)
    std::vector<std::string> remotePath;  // a=path, relays first; checked as URIs by the stack
    std::vector<std::string> acceptTypes;
    std::vector<std::string> acceptWrappedTypes;
    std::string fingerprint;  // msrps: "sha-256 AB:CD:..."
    std::optional<FileOffer> file;
    bool direct = false;  // "mode": "direct": a 1:1 session into room (a private hub room), no switch
    // "hold_answer": true (direct only): a SEND's final 200 waits for the user's side to post a
    // `direct-ack` (it stores the message first); each `direct` event then carries its ack_id.
    bool holdAnswer = false;
};

// {"room", "uri", "display"?, "member"?, "role": "active"|"passive", "remote": {"path": [...],
//  "accept_types"?: [...], "accept_wrapped_types"?: [...], "fingerprint"?}, "file"?: {...},
//  "mode"?: "conference"|"direct", "hold_answer"?: bool}.
// Fields this version does not know are ignored (the caller may be newer). Throws RequestError.
OpenSessionRequest parseOpenSession(RequestReader& reader);

// msrp.set_remote: a direct session opened without "remote" (we offered) learns the peer's
// path from its answer. {"session", "role", "remote": {"path": [...], "fingerprint"?}}.
struct SetRemoteRequest {
    std::string session;
    bool active = true;
    std::vector<std::string> remotePath;
    std::string fingerprint;
};
SetRemoteRequest parseSetRemote(RequestReader& reader);

// {"session": "<id>"}.
std::string parseCloseSession(RequestReader& reader);

}  // namespace sylk::msrp_plugin
