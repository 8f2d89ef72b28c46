#include "jetstream_chat_store.hpp"

#include "../log.hpp"

namespace sylk::cluster {
namespace {

struct MessageGuard {
    natsMsg* message = nullptr;
    ~MessageGuard() { natsMsg_Destroy(message); }
};

struct SubscriptionGuard {
    natsSubscription* subscription = nullptr;
    ~SubscriptionGuard() {
        if (subscription) {
            natsSubscription_Unsubscribe(subscription);  // deletes the ephemeral consumer
            natsSubscription_Destroy(subscription);
        }
    }
};

std::string lastError(natsStatus status) {
    const char* text = nats_GetLastError(nullptr);
    return text && *text ? text : natsStatus_GetText(status);
}

}  // namespace

JetStreamChatStore::JetStreamChatStore(natsConnection* connection, jsCtx* jetStream, int64_t perRoom,
                                       std::chrono::milliseconds wait)
    : connection_(connection), jetStream_(jetStream), perRoom_(perRoom), wait_(wait) {}

bool JetStreamChatStore::connected() const {
    return natsConnection_Status(connection_) == NATS_CONN_STATUS_CONNECTED;
}

bool JetStreamChatStore::ready() {
    std::lock_guard lock(mutex_);
    if (ready_)
        return true;
    if (!connected())
        return false;  // a call now would only wait its timeout
    jsOptions options;
    jsOptions_Init(&options);
    options.Wait = wait_.count();
    jsStreamInfo* info = nullptr;
    jsErrCode error = static_cast<jsErrCode>(0);
    natsStatus status = js_GetStreamInfo(&info, jetStream_, kStream, &options, &error);
    if (status == NATS_NOT_FOUND) {
        const char* subjects[] = {kSubjects};
        jsStreamConfig config;
        jsStreamConfig_Init(&config);
        config.Name = kStream;
        config.Subjects = subjects;
        config.SubjectsLen = 1;
        config.MaxMsgsPerSubject = perRoom_;  // a room's chat is bounded like its history
        config.Storage = js_FileStorage;      // an acknowledged chat outlives the nats-server process
        config.Discard = js_DiscardOld;
        status = js_AddStream(&info, jetStream_, &config, &options, &error);
        if (status != NATS_OK)  // another node made it at the same moment: use theirs
            status = js_GetStreamInfo(&info, jetStream_, kStream, &options, &error);
    }
    if (status != NATS_OK) {
        SYLK_LOG(LOG_VERB, "cluster", "stream %s not open: %s", kStream, lastError(status).c_str());
        return false;
    }
    if (info->Config && info->Config->MaxMsgsPerSubject != perRoom_)
        SYLK_LOG(LOG_WARN, "cluster", "stream %s keeps %lld messages per room, this node's chat_history is %lld: "
                 "the stream's value holds (set the same on every node)", kStream,
                 static_cast<long long>(info->Config->MaxMsgsPerSubject), static_cast<long long>(perRoom_));
    jsStreamInfo_Destroy(info);
    ready_ = true;
    SYLK_LOG(LOG_INFO, "cluster", "stream %s open: room chat is kept in NATS", kStream);
    return true;
}

bool JetStreamChatStore::append(const std::string& subject, const std::string& payload, const std::string& messageId) {
    if (!ready())
        return false;
    MessageGuard guard;
    natsStatus status = natsMsg_Create(&guard.message, subject.c_str(), nullptr, payload.data(),
                                       static_cast<int>(payload.size()));
    if (status != NATS_OK)
        return false;
    jsPubOptions options;
    jsPubOptions_Init(&options);
    options.MaxWait = wait_.count();
    options.ExpectStream = kStream;
    if (!messageId.empty())
        options.MsgId = messageId.c_str();  // the stream's duplicate window drops a second copy
    jsPubAck* ack = nullptr;
    jsErrCode error = static_cast<jsErrCode>(0);
    status = js_PublishMsg(&ack, jetStream_, guard.message, &options, &error);
    jsPubAck_Destroy(ack);
    if (status != NATS_OK) {
        SYLK_LOG(LOG_WARN, "cluster", "a chat on %s was not stored in %s: %s", subject.c_str(), kStream,
                 lastError(status).c_str());
        return false;
    }
    return true;
}

ChatStore::Last JetStreamChatStore::last(const std::string& subject) {
    if (!ready())
        return {};
    jsOptions options;
    jsOptions_Init(&options);
    options.Wait = wait_.count();
    MessageGuard guard;
    jsErrCode error = static_cast<jsErrCode>(0);
    natsStatus status = js_GetLastMsg(&guard.message, jetStream_, kStream, subject.c_str(), &options, &error);
    if (status == NATS_NOT_FOUND)
        return {true, std::nullopt};
    if (status != NATS_OK)
        return {};
    const char* data = natsMsg_GetData(guard.message);
    return {true, Stored{natsMsg_GetSequence(guard.message),
                         std::string(data ? data : "", static_cast<size_t>(natsMsg_GetDataLength(guard.message)))}};
}

ChatStore::Loaded JetStreamChatStore::load(const std::string& subject) {
    // The newest tells how far to read: an ephemeral consumer from the subject's first message
    // delivers up to it (at most perRoom_ messages), without waiting for one that never comes.
    Last newest = last(subject);
    if (!newest.reachable)
        return {};
    Loaded loaded{true, {}};
    if (!newest.message)
        return loaded;
    auto deadline = std::chrono::steady_clock::now() + wait_;
    jsOptions options;
    jsOptions_Init(&options);
    options.Wait = wait_.count();
    jsSubOptions subscribeOptions;
    jsSubOptions_Init(&subscribeOptions);
    subscribeOptions.Stream = kStream;
    subscribeOptions.Config.DeliverPolicy = js_DeliverAll;
    subscribeOptions.Config.AckPolicy = js_AckNone;
    SubscriptionGuard guard;
    jsErrCode error = static_cast<jsErrCode>(0);
    natsStatus status = js_SubscribeSync(&guard.subscription, jetStream_, subject.c_str(), &options, &subscribeOptions, &error);
    if (status != NATS_OK) {
        guard.subscription = nullptr;
        SYLK_LOG(LOG_WARN, "cluster", "cannot read %s back from %s: %s", subject.c_str(), kStream, lastError(status).c_str());
        return {};
    }
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        MessageGuard message;
        if (left.count() <= 0 ||
            natsSubscription_NextMsg(&message.message, guard.subscription, left.count()) != NATS_OK) {
            SYLK_LOG(LOG_WARN, "cluster", "reading %s back from %s took over %lld ms: %zu messages read",
                     subject.c_str(), kStream, static_cast<long long>(wait_.count()), loaded.messages.size());
            return {};
        }
        jsMsgMetaData* meta = nullptr;
        if (natsMsg_GetMetaData(&meta, message.message) != NATS_OK)
            continue;  // not a stored message (a status from the server)
        uint64_t sequence = meta->Sequence.Stream;
        jsMsgMetaData_Destroy(meta);
        const char* data = natsMsg_GetData(message.message);
        loaded.messages.push_back(
            Stored{sequence, std::string(data ? data : "", static_cast<size_t>(natsMsg_GetDataLength(message.message)))});
        if (sequence >= newest.message->sequence)
            return loaded;
    }
}

bool JetStreamChatStore::purgeThrough(const std::string& subject, uint64_t sequence) {
    if (!ready())
        return false;
    jsOptions options;
    jsOptions_Init(&options);
    options.Wait = wait_.count();
    options.Stream.Purge.Subject = subject.c_str();
    options.Stream.Purge.Sequence = sequence + 1;  // up to, not including
    jsErrCode error = static_cast<jsErrCode>(0);
    natsStatus status = js_PurgeStream(jetStream_, kStream, &options, &error);
    if (status != NATS_OK) {
        SYLK_LOG(LOG_WARN, "cluster", "cannot purge %s from %s: %s", subject.c_str(), kStream, lastError(status).c_str());
        return false;
    }
    return true;
}

}  // namespace sylk::cluster
