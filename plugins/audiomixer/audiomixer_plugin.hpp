// janus.plugin.sylk.audiomixer: wideband audio conference rooms for WebRTC and plain-RTP
// participants, compatible with the stock janus.plugin.audiobridge API for the requests both
// have. The mixer clock ticks every room with participants on its threads (one per core by
// default, a room on one thread at a time); requests run on the control loop.
#pragma once

#include <map>
#include <set>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "audiomixer_session.hpp"
#include "leg_dialer.hpp"
#include "mix_room.hpp"
#include "mixer_clock.hpp"
#include "remote_leg.hpp"
#include "rtp_endpoint.hpp"
#include "sylkcore/hub/events.hpp"
#include "sylkcore/hub/hub.hpp"
#include "sylkcore/net/zrtp_cache.hpp"
#include "sylkcore/janus/plugin.hpp"

namespace sylk::audiomixer {

class AudioMixerPlugin : public janus::Plugin {
public:
    AudioMixerPlugin();

    void onHangup(std::shared_ptr<AudioMixerSession> session);
    void onDetached(std::shared_ptr<AudioMixerSession> session);

protected:
    void configure(const janus::PluginConfig& config) override;
    std::shared_ptr<janus::PluginSession> newSession(janus::Handle* handle) override;
    void onShutdown() override;

private:
    using Session = AudioMixerSession;
    struct HubListener;
    struct Room {
        std::shared_ptr<MixRoom> mixer;
        std::shared_ptr<hub::Room> hub;
        std::shared_ptr<HubListener> hubListener;  // moderators' mute orders from other plugins
        hub::Subscription hubSubscription;
        std::map<uint64_t, std::weak_ptr<Session>> sessions;  // WebRTC participants' handles
        std::map<std::string, RemoteLeg> legs;  // by the other node's id (audiomixer_legs.cpp)
        // When to offer a refused or failed leg again, by node (monotonic us).
        std::map<std::string, int64_t> retryAfterUs;
        // This node mixes the room: participants here, or the video room's bridge (pages here
        // hearing another node's phones: a room with the bridge alone, docs/cluster.md).
        bool mixesHere() const { return mixer->size() > 0 || mixer->webBridge() != nullptr; }
        // Made on demand and mixing nothing any more: it closes.
        bool unused() const { return mixer->settings.onDemand && !mixesHere(); }
    };
    // A plain RTP participant's socket, found again when update_rtp moves its peer (the mixer
    // drains the socket through the participant itself).
    struct PlainLeg {
        std::shared_ptr<MixParticipant> participant;
        RtpEndpoint* endpoint;  // owned by the participant (its sink)
    };

    Reply create(Session&, RequestReader&, const Request&);
    Reply destroyRoom(Session&, RequestReader&, const Request&);
    Reply exists(Session&, RequestReader&, const Request&);
    Reply list(Session&, RequestReader&, const Request&);
    Reply listParticipants(Session&, RequestReader&, const Request&);
    Reply join(Session&, RequestReader&, const Request&);
    Reply configure(Session&, RequestReader&, const Request&);
    Reply leave(Session&, RequestReader&, const Request&);
    Reply moderatorMute(Session&, RequestReader&, const Request&);
    Reply moderatorUnmute(Session&, RequestReader&, const Request&);
    Reply kick(Session&, RequestReader&, const Request&);
    Reply changeRoom(Session&, RequestReader&, const Request&);
    Reply edit(Session&, RequestReader&, const Request&);
    Reply enableRecording(Session&, RequestReader&, const Request&);
    // Puts a participant made for session into room (announces it, registers plain RTP).
    void admit(Session& session, Room& room, const std::string& key, const std::shared_ptr<MixParticipant>& participant,
               WebRtcSink* sink, RtpEndpoint* plainEndpoint);
    // A Janus API join must give every PIN the hub room has (hub::Room::setPin): 489 if not.
    void checkRoomPins(const std::string& key, RequestReader& reader);
    // The room to join: found (PIN and size checked) or made on demand.
    Room& openRoom(const std::string& key, RequestReader& reader);
    // Closes an on-demand room left with nobody in it (after a refusal, a leave, a kick).
    void closeIfUnused(const std::string& key);
    // Checks a request's "rtp" object without opening anything, so a join can refuse it before
    // it opens a room.
    void readPlainRtp(RequestReader& reader, audio::CodecId codec);
    // Builds a plain RTP participant from {"codec","rtp":{"ip","port","payload_type"?}} fields.
    std::shared_ptr<MixParticipant> makePlainParticipant(RequestReader& reader, uint64_t id, const std::string& display,
                                                         audio::CodecId codec, int sampleRate, Json& rtpInfo,
                                                         RtpEndpoint*& endpoint);
    // Hub services for other plugins (the SIP gateway): plain RTP legs in and out of rooms.
    Json attachRtpLeg(const Json& request);
    Json detachRtpLeg(const Json& request);
    Json updateRtpLeg(const Json& request);
    // Hub service audiomixer.admit {"room", "pin"} -> {"admitted": bool, "reason": "pin",
    // "protected": bool}: whether a member of another plugin (an XMPP occupant) may join this
    // plugin's room by the PIN a phone's join must give, and whether the room has one (for
    // disco#info's muc_passwordprotected). A room that does not exist here admits: its hub
    // room is not ours to guard. The room's size limit is not asked: it counts mixed legs,
    // and a chat occupant is none.
    Json admitFromHub(const Json& request);
    // Puts the participant in the hub's roster of the room with its current name and state.
    void publishMember(Room& room, const MixParticipant& participant);
    // A participant is in the room now: the hub's roster, the mixing clock, the room's "joined"
    // event (not to the joiner, who has its answer) and the event handlers. handle: the
    // joiner's, null for another plugin's RTP leg.
    void announceJoined(Room& room, const std::string& key, const MixParticipant& participant, janus::Handle* handle,
                        bool plainRtp);
    void checkSecret(const Room& room, RequestReader& reader, const char* action);
    Reply adminList(RequestReader&, const Request&);

    Room* findRoom(const std::string& key);
    Room& makeRoom(const std::string& key, MixRoomSettings settings);
    void closeRoom(const std::string& key);
    std::string roomKey(RequestReader& reader, bool required = true);
    Json roomValue(const std::string& key) const;
    Json participantJson(const MixParticipant& participant) const;
    Json roomEvent(const std::string& key) const;
    void broadcast(Room& room, const Json& event, uint64_t except = 0);
    void removeParticipant(const std::string& roomKey, uint64_t participantId, const char* why);
    void setMute(Session&, RequestReader&, bool muted);
    void applyModeratorMute(const std::string& key, Room& room, MixParticipant& target, bool muted);
    // A moderator of another plugin (a web user in the video room) muted one of our
    // participants (a phone) through the hub; on the loop.
    void mutedThroughHub(const std::string& key, const std::string& moderator, const hub::MuteOrder& order);
    void refreshClock();
    void onTalk(const std::string& roomKey, uint64_t participantId, bool talking, int level);
    // ZRTP on an attached leg whose request carried rtp.zrtp: our hello hash goes in rtpInfo.
    void startZrtp(RequestReader& reader, const std::string& key, const MixParticipant& participant,
                   RtpEndpoint& endpoint, Json& rtpInfo);
    // A leg's ZRTP reached SECURE (control loop): the SAS to the room, as SylkServer does.
    void onZrtpSecure(const std::string& roomKey, uint64_t participantId, const std::string& peerUri,
                      const std::string& sas, bool verified);

    // ---- remote legs: a room's audio across cluster nodes (audiomixer_legs.cpp)
    // This node as the cluster plugin describes it (hub service cluster.self), learnt by the
    // dialer's first ticks (the cluster plugin may start after us).
    struct ClusterSelf {
        bool known = false;
        bool enabled = false;
        std::string node;
        std::string mediaIp;
    };
    struct LegCounters {
        uint64_t offered = 0;    // attach asked of another node
        uint64_t answered = 0;   // attach of another node taken
        uint64_t refused = 0;    // our offers the other node refused (or did not answer)
        uint64_t closed = 0;     // legs ended here (either side's doing)
        uint64_t silent = 0;     // legs ended because nothing came any more
        std::string lastRefusal; // the last refusal's message, for the admin answer
    };
    void startLegs();
    void stopLegs();
    // Dialer thread: learns cluster.self until known, then has the loop look at the legs.
    void legTick();
    std::optional<ClusterSelf> askClusterSelf();  // any thread
    void learnClusterSelf(const ClusterSelf& self);  // control loop
    // Control loop: makes the room's legs what its members say (a leg per other node with mixer
    // participants while this node has some), offering those that are ours to offer.
    void reconcileLegs(const std::string& key);
    void offerLeg(const std::string& key, Room& room, const std::string& node);
    void onLegAnswered(const std::string& key, const std::string& node, uint64_t legId, const Json& answer);
    void onLegRefused(const std::string& key, const std::string& node, uint64_t legId, const std::string& why);
    // Removes a leg from the mixer and the room; tell: ask the other node to drop its side.
    void dropLeg(const std::string& key, Room& room, const std::string& node, bool tell, const char* why);
    void dropAllLegs(const std::string& key, Room& room, bool tell);
    // Nodes (other than this one) with members of that plugin in the hub room now.
    std::set<std::string> nodesWith(const hub::Room& hubRoom, const char* package) const;
    // ... of the audio mixer (participants).
    std::set<std::string> mixerNodes(const hub::Room& hubRoom) const;
    // ... of the video room (pages).
    std::set<std::string> videoRoomNodes(const hub::Room& hubRoom) const;
    std::shared_ptr<MixParticipant> makeLegParticipant(uint64_t legId, const std::string& node, int sampleRate,
                                                       const std::string& peerIp, uint16_t peerPort,
                                                       RtpEndpoint*& endpoint);
    // Hub services other nodes call through cluster.call / cluster.send.
    Json attachRemoteLeg(const Json& request);
    Json detachRemoteLeg(const Json& request);
    Json legStatus() const;  // for the admin list
    // True for a hub member event that may change which nodes have mixer participants.
    static bool isMixerMember(const std::string& memberId);
    // "B" for another node's video room member ("janus.plugin.sylk.cluster/B/janus.plugin.sylk.videoroom/7").
    static std::string videoRoomNodeOf(const std::string& memberId);

    // ---- the audio bridge to the video room of the same name (audiomixer_bridge.cpp)
    struct BridgeCounters {
        uint64_t opened = 0;
        uint64_t closed = 0;  // by the video room (a room that ends takes its bridge along)
        uint64_t feedsAdded = 0;
    };
    void offerBridgeServices();
    void withdrawBridgeServices();
    // The room a bridge request names, if it mixes here (participants or a bridge); throws 485 otherwise.
    Room& bridgedRoom(const std::string& key);
    // The room a bridge opens in: the room, or in a cluster one made for the bridge alone.
    Room& roomForBridge(const std::string& key);
    // A socket on rtp_ip towards rtp {"ip", "port"}; throws 1303 when it cannot be bound.
    std::unique_ptr<RtpEndpoint> bridgeEndpoint(RequestReader& rtp);
    Json openWebBridge(const Json& request);
    Json addWebFeed(const Json& request);
    Json removeWebFeed(const Json& request);
    Json closeWebBridge(const Json& request);
    Json checkWebBridge(const Json& request);
    static Json bridgeStatus(const MixRoom& mixer);  // null Json: no bridge
    Json bridgeCountersJson() const;
    BridgeCounters bridgeCounters_;  // control loop

    ClusterSelf cluster_;  // control loop
    std::atomic<bool> clusterKnown_{false};  // the dialer's: cluster.self answered
    LegCounters legCounters_;  // control loop
    std::unique_ptr<LegDialer> dialer_;

    std::map<std::string, Room> rooms_;
    std::map<std::string, Json> roomValues_;  // the JSON form rooms were named with
    std::atomic<std::shared_ptr<const std::vector<PlainLeg>>> plainLegs_{std::make_shared<const std::vector<PlainLeg>>()};
    std::unique_ptr<MixerClock> clock_;
    bool createOnDemand_ = true;
    MixRoomSettings defaults_;
    std::string rtpAddress_ = "127.0.0.1";
    std::string rtpAddressV6_ = "::1";
    std::string recordingsDir_;
    std::unique_ptr<net::ZrtpCache> zrtpCache_;  // null: ZRTP off (zrtp = false)
};

}  // namespace sylk::audiomixer
