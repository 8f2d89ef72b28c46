// One hub room bridged to one IRC channel (SylkServer's ircconference), on the irc plugin's
// stack thread:
// - the room starts when another plugin puts a member in it (watched by check(), the plugin's
//   tick): the bridge subscribes and its bot (irc::Client) connects and joins the channel; when
//   the last member of the other plugins leaves, the bot quits, the IRC users leave the room
//   and the bridge lets the hub forget it;
// - public room chat of every other plugin goes to the channel as "display: text", including what
//   was said before the tick found the room (from the room's history), queued until the bot is in;
// - channel messages come into the room from their nick, identity sip:<nick>@<server>;
// - the channel's users are hub members (janus.plugin.sylk.irc/<bridge>.<n>, display = nick),
//   so rosters and conference-info show them; a nick change updates the member.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "bridge_settings.hpp"
#include "sylkcore/hub/room.hpp"
#include "sylkcore/irc/client.hpp"
#include "sylkcore/net/stack_thread.hpp"

namespace sylk::irc {

class RoomBridge : public hub::RoomListener, public std::enable_shared_from_this<RoomBridge> {
public:
    static constexpr char kPackage[] = "janus.plugin.sylk.irc";

    RoomBridge(net::StackThread& thread, BridgeSettings settings, size_t index);
    ~RoomBridge() override;

    // The plugin's tick: starts the bridge when the room has others' members, ends it when not.
    void check();
    // The plugin stops: the bot quits and the IRC users leave the room.
    void end();
    Json status() const;

    void onRoomEvent(const hub::RoomEvent& event) override;  // any thread: posted to ours

private:
    struct IrcUser {
        std::string memberId;
        std::string nick;
    };

    void begin(std::shared_ptr<hub::Room> room);
    bool othersPresent() const;
    void relayEarlyChat();
    void onHubEvent(const hub::RoomEvent& event);
    void toChannel(const hub::RoomEvent& event);
    void inChannel(const std::vector<std::string>& nicks);
    void userJoined(const std::string& nick);
    void userLeft(const std::string& nick);
    void nickChanged(const std::string& from, const std::string& to);
    void channelMessage(const std::string& nick, const std::string& text);
    void everyoneLeft();
    std::string identity(const std::string& nick) const;
    size_t maxLineBytes() const;

    net::StackThread& thread_;
    const BridgeSettings settings_;
    const size_t index_;
    std::shared_ptr<hub::Room> room_;
    hub::Subscription subscription_;
    std::shared_ptr<Client> client_;
    std::map<std::string, IrcUser> users_;  // by lowerName(nick)
    uint64_t nextMember_ = 1;
    uint64_t toIrc_ = 0;
    uint64_t fromIrc_ = 0;
    uint64_t refused_ = 0;
    uint64_t sessions_ = 0;
    int64_t quietSinceMs_;       // the last tick that saw the room without others' members
    uint64_t replayedUpTo_ = 0;  // the last chat sequence relayed from history at begin()
};

}  // namespace sylk::irc
