// One video room: its settings, its participants and subscribers, its chat history, and its
// place on the sylkcore hub (a room of the same name there), through which chat from any
// plugin reaches the room's web participants. Touched only on the plugin's control loop,
// except onRoomEvent, which hands events over to it.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "sylkcore/room_id.hpp"
#include "sylkcore/hub/hub.hpp"

namespace sylk::videoroom {

class FeedRelay;
class Publisher;
class RemoteFeed;
class RoomAudioBridge;
class Subscriber;

struct RoomSettings {
    std::string description;
    std::string pin;     // needed to join; empty: none
    std::string secret;  // needed to edit/destroy and for moderator actions; empty: none
    int64_t maxPublishers = 50;
    uint32_t bitrate = 0;  // cap per publisher, bit/s; 0 = none
    bool isPrivate = false;
    bool onDemand = false;   // made by a join; ends with its last participant
    bool record = false;     // record every publisher (off by default)
    size_t historySize = 50;
    std::vector<std::string> audioCodecs;  // allowed, by preference; empty = any
    std::vector<std::string> videoCodecs;
};

// "vp8, h264" -> {"vp8", "h264"}; throws RequestError for a codec Janus does not know.
std::vector<std::string> parseCodecList(const std::string& list, bool video);

// A hub chat message as the video room's clients get it (videoroom_chat.cpp).
Json chatMessageJson(const hub::RoomEvent& event, const hub::ChatMessage& chat);

class VideoRoom : public hub::RoomListener, public std::enable_shared_from_this<VideoRoom> {
public:
    using HubEventHandler = std::function<void(std::weak_ptr<VideoRoom>, hub::RoomEvent)>;

    VideoRoom(RoomId id, RoomSettings settings, HubEventHandler onHubEvent);
    ~VideoRoom() override;

    const RoomId id;
    RoomSettings settings;
    std::map<uint64_t, std::shared_ptr<Publisher>> participants;
    std::vector<std::weak_ptr<Subscriber>> subscribers;
    bool locked = false;       // no new participants (moderator action)
    std::vector<uint64_t> speakers;  // participant ids, most recent talker first
    uint64_t handSequence = 0;       // counts raised hands, so the queue keeps their order
    // A room spanning nodes (docs/cluster.md "Video across nodes"). The participants of other
    // nodes' video rooms, as the hub bridge mirrors them (feed id -> node); the feeds relayed
    // here from them while this node has participants of its own; the relays of this node's
    // publishers to other nodes (and to admin addresses).
    std::map<uint64_t, std::string> remoteMembers;
    std::map<uint64_t, std::shared_ptr<RemoteFeed>> remoteFeeds;
    std::vector<std::shared_ptr<FeedRelay>> relays;
    // The audio bridge to the mixer room of the same name, while there is one (phones here).
    std::shared_ptr<RoomAudioBridge> audioBridge;

    void openHub();   // joins the hub room of the same name (after construction)
    void closeHub();
    hub::Room* hubRoom() const { return hubRoom_.get(); }

    int activePublishers() const;
    Json activePublishersJson(uint64_t except) const;
    std::shared_ptr<Publisher> findParticipant(uint64_t participantId) const;
    // A feed subscribers may take: a participant here, or one relayed from another node.
    std::shared_ptr<Publisher> findFeed(uint64_t feedId) const;
    std::vector<std::shared_ptr<Subscriber>> liveSubscribers();
    // The room's last public messages (settings.historySize), oldest first, as clients get them:
    // the hub room's history, so messages other plugins took (MSRP, SIP) are among them.
    // through: the hub room's last event when it was read (hub::Room::HistorySnapshot).
    Json historyJson(uint64_t* through = nullptr) const;
    Json raisedHandsJson() const;
    Json summary() const;  // for "list"

    void onRoomEvent(const hub::RoomEvent& event) override { onHubEvent_(weak_from_this(), event); }

private:
    HubEventHandler onHubEvent_;
    std::shared_ptr<hub::Room> hubRoom_;
    hub::Subscription subscription_;
};

}  // namespace sylk::videoroom
