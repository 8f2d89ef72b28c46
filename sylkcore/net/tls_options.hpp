// TLS settings of a TcpStream or TcpListener.
#pragma once

#include <string>

namespace sylk::net {

struct TlsOptions {
    bool enabled = false;
    // Client: the peer's certificate must chain to a CA in caFile (PEM), or to the system's
    // store when empty, and name serverName (the host connected to when empty)...
    std::string caFile;
    std::string serverName;
    // ...or, when set, have this SHA-256 fingerprint ("AB:CD:..." or "sha-256 AB:CD:...", as
    // SDP's a=fingerprint writes it; MSRP over TLS): then the pin alone decides, CA and name are
    // not required.
    std::string pinnedFingerprint;
    // Listener: our certificate (chain) and private key, PEM files.
    std::string certificateFile;
    std::string keyFile;
    // Listener: ask each client for a certificate, and take any it sends (self-signed too: the
    // owner compares peerFingerprint() with what it expects, msrps with SDP's a=fingerprint); a
    // client that sends none is still accepted (peerFingerprint() is then "").
    bool requestClientCertificate = false;
};

}  // namespace sylk::net
