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
    // Event: exactly one, `sequence` its number in the sender's room ("seq"; 0 if the sender
    // did not say); History: any number, sequence unset. room unset.
    std::vector<hub::RoomEvent> events;
    std::vector<hub::Member> members;   // Roster
    // Roster: the sender's room sequence when it took the list ("through"): its members' joins
    // and leaves numbered up to it are in the list. 0: not said (an answer that only adds).
    uint64_t through = 0;
};

}  // namespace sylk::cluster
