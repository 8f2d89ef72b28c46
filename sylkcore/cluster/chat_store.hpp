// Where a cluster keeps its rooms' public chat beyond any one node's memory, so that a room
// whose members were all on a node that died still has its history on the node that opens it
// next (docs/cluster.md, "Killed nodes and messages"). The HubBridge stores every public chat
// here before the poster acknowledges it, reads a room's chat back when its hub opens the room,
// and purges it when the room ends. JetStreamChatStore implements it; the interface keeps the
// bridge apart from libnats.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "../api.hpp"

namespace sylk::cluster {

class SYLK_API ChatStore {
public:
    virtual ~ChatStore() = default;

    struct Stored {
        uint64_t sequence = 0;  // the store's number for it: increasing, one numbering for all rooms
        std::string payload;    // as appended
    };
    struct Loaded {
        bool reachable = false;        // false: the store did not answer; nothing is known
        std::vector<Stored> messages;  // oldest first
    };
    struct Last {
        bool reachable = false;
        std::optional<Stored> message;  // absent: nothing stored for the subject
    };

    // Stores payload under subject (and delivers it to the subject's subscribers) and returns
    // once the store has it: true only then. messageId makes a second append of one message one
    // message (the poster may retry after a lost answer).
    virtual bool append(const std::string& subject, const std::string& payload, const std::string& messageId) = 0;
    // What the store holds for subject (at most its per-subject bound), oldest first.
    virtual Loaded load(const std::string& subject) = 0;
    // The newest stored for subject.
    virtual Last last(const std::string& subject) = 0;
    // Deletes subject's messages numbered up to sequence; ones stored after it stay.
    virtual bool purgeThrough(const std::string& subject, uint64_t sequence) = 0;
};

}  // namespace sylk::cluster
