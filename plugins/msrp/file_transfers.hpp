// The file transfer sessions of the msrp plugin (RFC 5547 in rooms): msrp.open_session with a
// "file" member comes here from ChatSwitch. The phone's direction decides: sendonly, it sends a
// file into the room (IncomingFileTransfer); recvonly, it pulls the room file its selector's
// sha-1 names (OutgoingFileTransfer; no such file: RequestError MsrpNoSuchFile, SIP 404).
// Stack thread only.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "file_transfer.hpp"
#include "msrp_requests.hpp"
#include "msrp_settings.hpp"
#include "sylkcore/json.hpp"
#include "sylkcore/msrp/stack.hpp"

namespace sylk::msrp_plugin {

class FileTransfers {
public:
    // File chunks we send: bigger than chat's 2048 bytes, since a file session carries nothing
    // else to interleave with and each chunk costs a transaction.
    static constexpr size_t kChunkSize = 64 * 1024;

    FileTransfers(msrp::Stack& stack, const MsrpSettings& settings, FileTransfer::Report report);
    ~FileTransfers();

    // Throws RequestError: MsrpBadFileOffer (selector grammar, a pull without sha-1), MsrpNoSuchFile,
    // MsrpFileRefused (sharing off, a bad name, too large), MsrpBadPath, MsrpUnsupported (msrps
    // without TLS).
    Json open(const OpenSessionRequest& request);
    // False when sessionId is not a file transfer.
    bool close(const std::string& sessionId);
    // msrp.set_remote for a direct transfer we offered (a web user's file to a SIP client):
    // false when sessionId is not a file transfer; RequestError when the path is bad or set.
    bool setRemote(const SetRemoteRequest& request);
    bool has(const std::string& sessionId) const { return transfers_.count(sessionId) != 0; }
    // The hub room of a transfer's session (its party's), or "" when it is not a transfer's: where
    // its msrp-path event goes when the relay moves it, for the SIP side to re-INVITE its peer.
    std::string roomOf(const std::string& sessionId) const {
        auto it = transfers_.find(sessionId);
        return it == transfers_.end() ? std::string() : it->second->party().room;
    }
    Json status() const;

private:
    msrp::SessionSetup sessionSetup(const OpenSessionRequest& request) const;
    std::unique_ptr<FileTransfer> makeTransfer(const OpenSessionRequest& request);
    Json answer(const OpenSessionRequest& request, FileTransfer& transfer) const;

    msrp::Stack& stack_;
    const MsrpSettings& settings_;
    FileTransfer::Report report_;
    std::map<std::string, std::unique_ptr<FileTransfer>> transfers_;  // by msrp session id
};

}  // namespace sylk::msrp_plugin
