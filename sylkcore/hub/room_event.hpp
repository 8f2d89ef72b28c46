// What travels on the hub: a room's members and the events posted in a room.
#pragma once

#include <cstdint>
#include <string>

#include "../json.hpp"

namespace sylk::hub {

// A participant as every plugin sees it. id is unique across plugins: by convention
// "<plugin package>/<plugin-local id>", e.g. "janus.plugin.sylk.sip/17".
struct Member {
    std::string id;
    std::string display;
    std::string plugin;  // package of the plugin that serves this member
    // Media state, for rosters such as RFC 4575 conference state.
    bool muted = false;              // by themselves
    bool mutedByModerator = false;
    bool onHold = false;
    // May remove others from the room (a `kick` event): the plugin that serves the member
    // decides (the video room: joined with the room's secret or made the room; the xmpp
    // plugin: a JID of its `moderators` list). Readers of a kick check the kicker is one.
    bool moderator = false;
    // The member's own address where it has one that is not a phone's call (an IRC user:
    // sip:<nick>@<server>, as SylkServer's ircconference); empty: readers that need a URI make
    // one from the id. Rosters (conference-info) and chat senders show it.
    std::string uri = {};
    // Where this member can be called again (a phone's Contact, given by the SIP focus through
    // the audio mixer): in a cluster, the node that takes a dead node's room over calls its
    // phones back there (docs/cluster.md). Empty: not callable.
    std::string callBack = {};
};

struct RoomEvent {
    std::string room;
    std::string kind;    // one of hub::kind (events.hpp), which also says each payload's schema
    std::string plugin;  // package of the plugin that posted it
    std::string member;  // member id the event is about or from; may be empty
    Json data;           // kind-specific payload; shared read-only, never modify
    uint64_t sequence = 0;  // per room, increasing, assigned by the hub
};

// Implemented by whoever wants a room's events. Called on the poster's thread with no hub lock
// held: hand the event to your own loop and return; do not block.
class RoomListener {
public:
    virtual ~RoomListener() = default;
    virtual void onRoomEvent(const RoomEvent& event) = 0;
};

}  // namespace sylk::hub
