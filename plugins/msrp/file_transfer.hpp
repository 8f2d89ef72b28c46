// One RFC 5547 file transfer session in a room: an msrp::Session that carries one file, either
// from the phone into the room's store (IncomingFileTransfer, the phone's a=sendonly) or from
// the store to the phone (OutgoingFileTransfer, a=recvonly naming the file's hash). It is the
// session's handler; FileTransfers (msrp.open_session with "file") makes and ends them.
// Stack thread only.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "sylkcore/hub/room.hpp"
#include "sylkcore/json.hpp"
#include "sylkcore/msrp/file_selector.hpp"
#include "sylkcore/msrp/session.hpp"
#include "sylkcore/msrp/session_handler.hpp"

namespace sylk::msrp_plugin {

// Who sends or asks for the file, and where.
struct FileParty {
    std::string room;      // hub room name
    std::string uri;       // the caller (SIP From)
    std::string display;
    std::string memberId;  // what the store records as the sender: the call's member, or this session's
};

class FileTransfer : public msrp::SessionHandler {
public:
    // Reports to Janus's event handlers ({"event": "file_received" | ..., ...}); any thread.
    using Report = std::function<void(Json event)>;

    FileTransfer(FileParty party, msrp::FileSelector selector, std::string transferId, Report report);
    // Closes the msrp session (no more callbacks).
    ~FileTransfer() override;
    FileTransfer(const FileTransfer&) = delete;
    FileTransfer& operator=(const FileTransfer&) = delete;

    void attach(std::shared_ptr<msrp::Session> session) { session_ = std::move(session); }
    msrp::Session& msrp() { return *session_; }
    const std::string& id() const { return session_->id(); }
    const FileParty& party() const { return party_; }
    void setMemberId(std::string memberId) { party_.memberId = std::move(memberId); }
    // The file-selector of our SDP answer (RFC 5547 section 6: the file this session carries).
    virtual std::string answerSelector() const = 0;
    virtual const char* direction() const = 0;  // the phone's view: "sendonly" / "recvonly"
    virtual Json status() const;

    void onClosed(msrp::Session& session, const std::string& reason) override;

protected:
    Json reportEvent(const char* event) const;

    FileParty party_;
    // Held while the transfer lasts, so the hub does not forget the room (and its files go)
    // under a file still arriving or being pulled.
    std::shared_ptr<hub::Room> roomHold_;
    msrp::FileSelector selector_;
    std::string transferId_;
    Report report_;
    std::shared_ptr<msrp::Session> session_;
    std::string state_ = "waiting";  // waiting, transferring, done, failed, closed
    std::string error_;              // why it failed
};

}  // namespace sylk::msrp_plugin
