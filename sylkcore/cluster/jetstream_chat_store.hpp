// ChatStore over one JetStream stream, SYLK_ROOM_CHAT, that captures the subjects
// sylk.room.<token>.chat (RoomSubject): the bus subject a room's public chat travels on, so one
// publish both reaches the other nodes with the room open and is stored, and the server's
// acknowledgement says it has stored it (in its file store). The stream keeps at most `perRoom` messages per subject
// (MaxMsgsPerSubject: the oldest go first), so it stays bounded per room like a room's history.
//
// The stream is made on first use that reaches NATS (a node starts whatever NATS does) by
// whichever node comes first; all nodes use one perRoom (the first made the stream: a node with
// another value logs it and uses the stream as it is). Thread-safe.
#pragma once

#include <nats/nats.h>

#include <chrono>
#include <mutex>
#include <string>

#include "chat_store.hpp"

namespace sylk::cluster {

class SYLK_API JetStreamChatStore : public ChatStore {
public:
    static constexpr char kStream[] = "SYLK_ROOM_CHAT";
    static constexpr char kSubjects[] = "sylk.room.*.chat";

    // connection and jetStream must outlive the store. wait bounds each call's wait for NATS.
    JetStreamChatStore(natsConnection* connection, jsCtx* jetStream, int64_t perRoom, std::chrono::milliseconds wait);

    bool append(const std::string& subject, const std::string& payload, const std::string& messageId) override;
    Loaded load(const std::string& subject) override;
    Last last(const std::string& subject) override;
    bool purgeThrough(const std::string& subject, uint64_t sequence) override;

    // Makes (or finds) the stream; false while NATS cannot be reached or refuses. Every call
    // above does it first; it costs one round trip only until it succeeded once.
    bool ready();

private:
    bool connected() const;

    natsConnection* connection_;
    jsCtx* jetStream_;
    const int64_t perRoom_;
    const std::chrono::milliseconds wait_;
    std::mutex mutex_;  // ready_ and making the stream
    bool ready_ = false;
};

}  // namespace sylk::cluster
