// The msrp plugin's configuration (conf/janus.plugin.sylk.msrp.jcfg.sample).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace sylk::msrp_plugin {

struct MsrpSettings {
    std::string listenIp = "127.0.0.1";  // default: the SIP plugin's sip_ip
    uint16_t port = 2855;                // msrp over TCP; 0: any free port (tests)
    uint16_t tlsPort = 2856;             // msrps, only with a certificate and key; 0: any free port
    std::string tlsCertificate;          // PEM
    std::string tlsKey;                  // PEM
    size_t maxMessageBytes = 1024 * 1024;  // biggest chat message (images included); 413 above
    size_t chunkSize = 2048;             // outgoing chunks (RFC 4975 suggests 2048)
    size_t historyLength = 20;           // room messages replayed to a joining session (SylkServer: 20)
    size_t sendQueueBytes = 1024 * 1024;  // held for one session before messages to it are dropped
    std::string welcome = "Welcome to the conference";  // the first status notice a session gets
    // RFC 4976 relay client (sylkcore/msrp RelayClient): reached through this relay when set.
    std::string relayUri;          // msrp[s]://relay.example.com:2855;tcp
    std::string relayUser;
    std::string relayPassword;     // never logged
    std::string relayFingerprint;  // msrps relay: its certificate's fingerprint to pin
    int relayExpires = 0;          // the Expires we ask the relay for (seconds); 0: the relay's choice
};

}  // namespace sylk::msrp_plugin
