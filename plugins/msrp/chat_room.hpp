// The conference MSRP switch of one hub room: the chat sessions in it, their nicknames, and the
// two directions between them and the room (SylkServer's behaviour, docs/msrp-api.md):
// - from a session: CPIM (or bare) text/* and image/* become hub `chat` (private with `to` when
//   the CPIM names exactly one recipient that is not the room), is-composing becomes hub
//   `composing`, NICKNAME becomes hub `nickname` (425 when taken);
// - from the hub: `chat` becomes CPIM SENDs to the sessions (a private one to the recipient's
//   sessions and the sender's other ones), `composing` is-composing, `joined`/`left` status
//   notices; a joining session gets a welcome notice and the room's history.
// Hub events reach it on any thread and are posted to the stack thread; everything else runs
// there.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "chat_session.hpp"
#include "msrp_settings.hpp"
#include "nickname_registry.hpp"
#include "sylkcore/hub/room.hpp"
#include "sylkcore/hub/subscription.hpp"
#include "sylkcore/msrp/stack.hpp"
#include "sylkcore/net/stack_thread.hpp"

namespace sylk::msrp_plugin {

class ChatRoom : public hub::RoomListener, public std::enable_shared_from_this<ChatRoom> {
public:
    static constexpr char kPackage[] = "janus.plugin.sylk.msrp";

    ChatRoom(std::string name, const MsrpSettings& settings, msrp::Stack& stack);
    ~ChatRoom() override;

    // Opens the hub room and listens to it (after construction: it needs shared_from_this).
    void start();
    const std::string& name() const { return name_; }
    bool empty() const { return sessions_.empty(); }
    size_t size() const { return sessions_.size(); }

    // A new session in the room: it joins the roster (unless it posts as an audio member), gets
    // the welcome notice and the history. Throws what Stack::createSession throws.
    ChatSession& open(msrp::SessionSetup setup, ChatIdentity identity);
    // Ends a session (BYE; or it closed itself): leaves the roster if it joined it.
    bool close(const std::string& sessionId);
    ChatSession* find(const std::string& sessionId);

    // From a ChatSession (stack thread).
    void fromSession(ChatSession& session, const msrp::IncomingMessage& message);
    // A whole message's only chunk, before it is answered: 200, or the status refusing it.
    int admit(ChatSession& session, const msrp::Message& onlyChunk);
    // The first of several chunks: 403 when its CPIM From is not the session's, else 200.
    int admitFirstChunk(ChatSession& session, const msrp::Message& firstChunk);
    int nicknameRequest(ChatSession& session, const msrp::Message& request);
    void sessionClosed(ChatSession& session, const std::string& reason);

    Json status() const;

    void onRoomEvent(const hub::RoomEvent& event) override;

private:
    void handle(const hub::RoomEvent& event);
    void deliverChat(const hub::RoomEvent& event);
    void deliverComposing(const hub::RoomEvent& event);
    void announce(const hub::RoomEvent& event);
    // A file shared in the room (a web upload, an MSRP file transfer): a status notice naming it
    // and the sha-1 a SIP client pulls it by (RFC 5547).
    void announceFile(const hub::RoomEvent& event);
    void welcome(ChatSession& session);
    // The CPIM message a hub chat event becomes for one session.
    std::string cpimFor(const hub::RoomEvent& event, const hub::ChatMessage& chat, const ChatSession& to,
                        const std::string& body) const;
    void notice(ChatSession& session, const std::string& text);
    // The hub member a private message's CPIM To names, or "".
    std::string resolveRecipient(const std::string& uri) const;
    std::string senderName(const hub::RoomEvent& event, const std::string& fallback) const;
    std::string roomUri() const;

    const std::string name_;
    const MsrpSettings& settings_;
    msrp::Stack& stack_;
    std::shared_ptr<hub::Room> hubRoom_;
    hub::Subscription subscription_;
    std::map<std::string, std::unique_ptr<ChatSession>> sessions_;  // by msrp session id
    NicknameRegistry nicknames_;
    std::map<std::string, std::string> origins_;  // hub message id -> the session that sent it
};

}  // namespace sylk::msrp_plugin
