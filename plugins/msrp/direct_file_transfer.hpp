// A file a SIP client sends to a web user of the gateway (RFC 5547, the client's a=sendonly;
// msrp.open_session with "mode": "direct" and "file"): stored as IncomingFileTransfer stores a
// room's file, in the web user's private file room (direct/<contact user>/files, which only that
// page's token opens), and its progress is posted there as it arrives, so that the page shows
// it: a hub `direct` event of type kProgressType ({"session","received","size"}), at most every
// kProgressStep bytes and at the end. The gateway listens to that room (the `file` event of the
// store says when it is complete). Stack thread only.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "file_transfer_in.hpp"
#include "sylkcore/hub/room.hpp"

namespace sylk::msrp_plugin {

class DirectIncomingFileTransfer : public IncomingFileTransfer {
public:
    static constexpr const char* kProgressType = "application/vnd.sylk.file-progress+json";
    static constexpr uint64_t kProgressStep = 256 * 1024;

    DirectIncomingFileTransfer(FileParty party, msrp::FileSelector selector, std::string transferId, Report report);
    ~DirectIncomingFileTransfer() override;

    void onData(msrp::Session& session, const std::string& messageId, uint64_t offset, std::string data) override;
    void onMessage(msrp::Session& session, msrp::IncomingMessage message) override;

private:
    void postProgress();

    std::shared_ptr<hub::Room> room_;
    uint64_t received_ = 0;   // the highest byte written so far
    uint64_t posted_ = 0;     // the last progress posted
};

// The report of a direct transfer: inner's, and its end ("file_sent", "file_failed",
// "file_received": the report event's JSON) posted to the transfer's room as a kProgressType
// `direct` event too, so that the gateway learns that a web user's file reached the SIP client.
FileTransfer::Report directFileReport(FileTransfer::Report inner);

// The read hook of a direct transfer to a SIP client (OutgoingFileTransfer::reportReads): the
// bytes handed to the stack so far, posted to room as {"session","sent","size"} progress, at
// most every kProgressStep bytes and at the end. Refers to nothing but copies of its arguments.
std::function<void(uint64_t end)> directSendProgress(std::string room, std::string session, uint64_t size);

}  // namespace sylk::msrp_plugin
