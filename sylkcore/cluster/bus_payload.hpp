// One message of the cluster bus, decoded: what a node says about a room (BusCodec turns it
// into JSON and back). docs/cluster-bus.md describes the subjects each type travels on.
#pragma once

#include <string>
#include <vector>

#include "../hub/room_event.hpp"

namespace sylk::cluster {

struct BusPayload {
    enum class Type {
        Event,           // events: one hub event of the room, posted on `node`
        RosterRequest,   // roster: a node that opened the room asks who is in it elsewhere
        Roster,          // the answer: `node`'s own members of the room
        HistoryRequest,  // history: a node that opened the room asks for its chat history
        History,         // the answer: the room's public chat, oldest first
        NodeGone,        // node-gone: `node` stops; its members leave every room
    };
    Type type = Type::Event;
    std::string node;                   // the sender's node id
    std::vector<hub::RoomEvent> events; // Event: exactly one; History: any number. room and sequence unset
    std::vector<hub::Member> members;   // Roster
};

}  // namespace sylk::cluster
