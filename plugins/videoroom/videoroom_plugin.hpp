// janus.plugin.sylk.videoroom: multiparty video rooms (an SFU) compatible with the stock
// janus.plugin.videoroom API for the requests both have, plus room chat through the hub.
// Every request and every change of room state runs on the plugin's control loop; the media
// path only reads copy-on-write stream tables.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "room.hpp"
#include "sylkcore/janus/plugin.hpp"
#include "videoroom_session.hpp"

namespace sylk::videoroom {

class FeedRelay;

class VideoRoomPlugin : public janus::Plugin {
public:
    VideoRoomPlugin();

    // From sessions, on Janus's threads: queued to the control loop.
    void onMediaUp(std::shared_ptr<VideoRoomSession> session);
    void onMediaDown(std::shared_ptr<VideoRoomSession> session);
    void onDetached(std::shared_ptr<VideoRoomSession> session);

protected:
    void configure(const janus::PluginConfig& config) override;
    std::shared_ptr<janus::PluginSession> newSession(janus::Handle* handle) override;
    void onShutdown() override;

private:
    using Session = VideoRoomSession;

    // Synchronous (answered on the request, as in the stock plugin).
    Reply create(Session&, RequestReader&, const Request&);
    Reply destroyRoom(Session&, RequestReader&, const Request&);
    Reply exists(Session&, RequestReader&, const Request&);
    Reply list(Session&, RequestReader&, const Request&);
    Reply listParticipants(Session&, RequestReader&, const Request&);
    // Asynchronous (ack, then an event).
    Reply join(Session&, RequestReader&, const Request&);
    Reply configure(Session&, RequestReader&, const Request&);
    Reply publish(Session&, RequestReader&, const Request&);
    Reply unpublish(Session&, RequestReader&, const Request&);
    Reply start(Session&, RequestReader&, const Request&);
    Reply pause(Session&, RequestReader&, const Request&);
    Reply subscribe(Session&, RequestReader&, const Request&);
    Reply unsubscribe(Session&, RequestReader&, const Request&);
    Reply update(Session&, RequestReader&, const Request&);
    Reply leave(Session&, RequestReader&, const Request&);
    Reply switchFeeds(Session&, RequestReader&, const Request&);
    Reply message(Session&, RequestReader&, const Request&);
    // Moderation: stock kick/moderate, Sylk mute_all/lock; raise_hand for everyone.
    Reply kick(Session&, RequestReader&, const Request&);
    Reply moderate(Session&, RequestReader&, const Request&);
    Reply muteAll(Session&, RequestReader&, const Request&);
    Reply lock(Session&, RequestReader&, const Request&);
    Reply raiseHand(Session&, RequestReader&, const Request&);
    // Sylk: a moderator has the SIP focus call a phone into the room (hub service
    // sip.focus.invite); its progress comes back through our service videoroom.dial_progress
    // (any thread: posted to the control loop) and reaches that moderator as "dial" events.
    Reply dial(Session&, RequestReader&, const Request&);
    Json queueDialProgress(const Json& report);
    // Hub service videoroom.admit {"room", "pin"} -> {"admitted": bool, "reason": "pin"|"locked",
    // "protected": bool (the room has a PIN: disco#info's muc_passwordprotected)}:
    // whether a member of another plugin (an XMPP occupant) may join this plugin's room, by the
    // rules a web user's join meets (the PIN, a locked room). A room that does not exist here
    // admits: its hub room is not ours to guard.
    Json admitFromHub(const Json& request);
    void deliverDialProgress(uint64_t token, const std::string& state, int status, const std::string& reason);
    Reply edit(Session&, RequestReader&, const Request&);
    Reply composing(Session&, RequestReader&, const Request&);
    Reply adminListRooms(RequestReader&, const Request&);
    Reply adminCreate(RequestReader&, const Request&);
    Reply adminDestroy(RequestReader&, const Request&);
    Reply createRoom(RequestReader& reader, bool checkAdminKey);
    Reply destroyRoomWith(RequestReader& reader, bool requireSecret);
    void readRoomSettings(RequestReader& reader, RoomSettings& settings);

    Reply joinAsPublisher(Session&, RequestReader&, const Request&, const RoomId& id);
    // The second half of a publisher join, once every check passed and the room exists.
    Reply admitPublisher(Session& session, RequestReader& reader, const Request& request,
                         const std::shared_ptr<VideoRoom>& room, std::optional<int64_t> wantedId,
                         const std::string& display, bool holdsSecret, bool madeIt);
    Reply joinAsSubscriber(Session&, RequestReader&, const Request&, const RoomId& id);
    // Negotiates what a publisher sends; fills reply with "configured" and the answer.
    void negotiatePublisher(Session& session, RequestReader& reader, const Request& request, Reply& reply);
    int addSubscriptions(Subscriber& subscriber, json_t* streams);
    int removeSubscriptions(Subscriber& subscriber, json_t* streams);
    Reply subscriberUpdate(Subscriber& subscriber);

    std::shared_ptr<VideoRoom> findRoom(const RoomId& id) const;
    std::shared_ptr<VideoRoom> makeRoom(const RoomId& id, RoomSettings settings);
    void closeRoom(const std::shared_ptr<VideoRoom>& room, bool notify);
    void checkSecret(const VideoRoom& room, RequestReader& reader);
    // The room this moderator request is about, if the caller may moderate it: the room secret
    // in the request, or a participant of that room who is a moderator. Throws 433 otherwise.
    std::shared_ptr<VideoRoom> moderatedRoom(Session& session, RequestReader& reader, const char* action);
    void setModerated(const std::shared_ptr<Publisher>& publisher, PublishedStream& stream, bool muted);
    // The publisher stops (or resumes) sending one of its streams: everyone gets {"muted": ...}.
    void setSelfMuted(const std::shared_ptr<Publisher>& publisher, PublishedStream& stream, bool muted);
    // What other plugins' rosters show of a participant: name, moderator, audio muted (and by whom).
    hub::Member rosterMember(const Publisher& publisher) const;
    std::shared_ptr<Publisher> requireParticipant(Session& session);
    std::shared_ptr<Subscriber> requireSubscriber(Session& session);
    // Participant leaves its room: unpublishes, tells the others, frees the slot.
    void removeParticipant(const std::shared_ptr<Publisher>& publisher, const char* why);
    // Kicks: ours by a moderator's request, another plugin's member through the hub (`kick`),
    // ours when the hub says another plugin's moderator kicked them.
    void removeKicked(const std::shared_ptr<Publisher>& target, const Json& kicked);
    void kickMember(Session& session, VideoRoom& room, const std::string& memberId);
    void muteMember(Session& session, VideoRoom& room, const std::string& memberId, bool mute);
    std::shared_ptr<Publisher> moderatorOfOtherMember(Session& session, VideoRoom& room, const std::string& memberId,
                                                      const char* action, const char* done);
    void kickedThroughHub(const std::shared_ptr<VideoRoom>& room, const std::shared_ptr<Publisher>& target,
                          const std::string& kicker, const hub::KickOrder& order);
    void unpublishStreams(const std::shared_ptr<Publisher>& publisher);
    void announcePublisher(const std::shared_ptr<Publisher>& publisher);
    // Starts or stops recording a publisher's streams (.mjr files in recordingsDir_).
    void setRecording(const std::shared_ptr<Publisher>& publisher, bool on, const std::string& baseName = "");
    // A hub event of the room (chat, composing, files, other plugins' members) for our participants.
    void deliverChat(const std::shared_ptr<VideoRoom>& room, const hub::RoomEvent& event);
    void deliverHubEvent(const std::shared_ptr<VideoRoom>& room, const hub::RoomEvent& event);
    void deliverMessage(VideoRoom& room, const hub::RoomEvent& event, const hub::ChatMessage& chat);
    void onTalking(const std::shared_ptr<Publisher>& publisher, bool talking, int averageLevel);
    // What a talking change does in the room, for a local publisher (onTalking, which also
    // tells the hub) and for one relayed from another node, whose talking comes through the
    // hub (remoteFeedTalking): the event to pages, the speaker order, the dominant speaker.
    void noteTalking(VideoRoom& room, Publisher& publisher, bool talking, std::optional<int> averageLevel);
    // A hub talking event of another node's video room participant whose feed is relayed here:
    // noted as the feed's talking (true), or not such a member (false).
    bool remoteFeedTalking(VideoRoom& room, const hub::RoomEvent& event);
    // Re-picks what low-bandwidth subscribers of the room receive.
    void updateVideoSelection(VideoRoom& room);
    uint64_t ownerFeed(const VideoRoom& room, const Subscriber& subscriber) const;
    // Sends event to every participant of room except one (0: none).
    void broadcast(const VideoRoom& room, const Json& event, uint64_t except = 0);
    void notify(janus::Handle* handle, const Json& event, const Json& jsep = Json());
    Json roomEvent(const VideoRoom& room) const;
    uint64_t newParticipantId(const VideoRoom& room) const;

    // Video across nodes (videoroom_cluster.cpp; docs/cluster.md "Video across nodes").
    void offerRelayServices();
    void withdrawRelayServices();
    // Asks the cluster plugin once for this node's id and media address; false: no cluster.
    bool knowCluster();
    void sendToNode(const std::string& node, const char* service, const Json& request);
    // Receiving node: another node's video room participant came, changed or left (hub event).
    void onRemoteMember(const std::shared_ptr<VideoRoom>& room, const hub::RoomEvent& event);
    void wantRemoteFeeds(const std::shared_ptr<VideoRoom>& room);  // a local participant is here
    void ensureRemoteFeed(const std::shared_ptr<VideoRoom>& room, uint64_t feed, const std::string& node);
    void askRelay(const VideoRoom& room, uint64_t feed, RemoteFeed& remote);
    // Every kRelayCheckMs on the loop: control messages lost on the bus (core NATS delivers at
    // most once) are made good: unanswered relay requests asked again, relays to a node whose
    // video room members are all gone dropped, feed descriptions sent again now and then.
    void checkRelays();
    void dropRemoteFeed(const std::shared_ptr<VideoRoom>& room, uint64_t feed, bool tellNode);
    void dropRemoteFeeds(const std::shared_ptr<VideoRoom>& room);  // the last local participant left
    Json feedFromNode(const Json& message);    // videoroom.remote.feed
    Json refusedByNode(const Json& message);   // videoroom.remote.refused
    // Publishing node.
    std::shared_ptr<FeedRelay> startRelay(const std::shared_ptr<VideoRoom>& room, uint64_t feed, const std::string& node,
                                          const std::string& host, uint16_t port);
    Json relayForNode(const Json& message);      // videoroom.remote.relay
    Json stopRelayForNode(const Json& message);  // videoroom.remote.stop
    Json keyframeForNode(const Json& message);   // videoroom.remote.keyframe
    void sendFeed(const VideoRoom& room, const FeedRelay& relay);
    void relayPublished(const std::shared_ptr<Publisher>& publisher);
    void relayUnpublished(const std::shared_ptr<Publisher>& publisher);
    void dropRelaysOf(VideoRoom& room, uint64_t feed);
    void dropRelaysTo(VideoRoom& room, const std::string& node);
    Reply adminRelay(RequestReader&, const Request&);
    Reply adminListRelays(RequestReader&, const Request&);
    // The audio bridge to the mixer room of the same name (videoroom_audio_bridge.cpp; docs/
    // architecture.md "Web users and phones hear each other"). Reconciled on every change that
    // matters: a publisher (un)publishing or leaving, a mixer participant joining or leaving.
    // phoneJoined: a mixer member just joined: check that the mixer still has our bridge.
    void reconcileAudioBridge(const std::shared_ptr<VideoRoom>& room, bool phoneJoined = false);
    bool openAudioBridge(const std::shared_ptr<VideoRoom>& room);
    bool mixerHasBridge(const VideoRoom& room);
    // tellMixer: ask the mixer to stop sending (not when it is gone or shutting down).
    void closeAudioBridge(const std::shared_ptr<VideoRoom>& room, bool tellMixer);
    static bool isMixerMember(const std::string& memberId);
    uint64_t audioBridgesOpened_ = 0;
    uint64_t audioBridgesClosed_ = 0;
    uint64_t audioBridgeFailures_ = 0;
    std::string lastAudioBridgeError_;
    Reply adminListAudioBridges(RequestReader&, const Request&);

    std::string selfNode_;  // empty until the cluster plugin said (knowCluster)
    std::string mediaIp_;
    uint64_t relaysRefused_ = 0;
    uint64_t relaysAskedAgain_ = 0;
    uint64_t relaysDroppedStale_ = 0;
    uint64_t relayChecks_ = 0;

    std::map<std::string, std::shared_ptr<VideoRoom>> rooms_;  // by RoomId::key
    bool createOnDemand_ = true;
    std::string adminKey_;
    RoomSettings defaults_;
    size_t maxMessageBytes_ = 16 * 1024;
    std::string recordingsDir_;
    std::string dialDomain_;  // phone numbers in "dial" become sip:<number>@dialDomain_
    struct PendingDial {
        std::weak_ptr<VideoRoom> room;
        uint64_t participant = 0;  // who asked: hears the progress
        std::string uri;
    };
    std::map<uint64_t, PendingDial> dials_;  // by token, until answered or failed; control loop only
    uint64_t nextDialToken_ = 1;
};

}  // namespace sylk::videoroom
