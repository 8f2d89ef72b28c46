// The push side of a janus process: the token registry, one PushChannel per app (each its own
// thread and HTTP/2 connection) and the unread counts that become message badges. Triggers
// (the SIP gateway, the REST API) call notify(), which only queues: it never waits for a
// push service.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "credentials.hpp"
#include "push_channel.hpp"
#include "token_registry.hpp"
#include "sylkcore/api.hpp"
#include "sylkcore/json.hpp"

namespace sylk::push {

struct PushSettings {
    std::string databasePath;             // the token registry (SQLite)
    std::string caFile;                   // tests: trust this CA for the services
    long timeoutMs = 5000;
    int maxAttempts = 4;
    std::string apnsUrl = "https://api.push.apple.com";
    std::optional<ApnsCredentials> apns;  // no key: no APNs pushes
    std::vector<std::string> apnsTopics;  // the bundle ids this server pushes for (one channel each)
    std::string fcmUrl = "https://fcm.googleapis.com";
    std::optional<ServiceAccount> fcm;    // no service account: no FCM pushes
};

class SYLK_API PushService {
public:
    explicit PushService(PushSettings settings);
    ~PushService();

    TokenRegistry& tokens() { return *tokens_; }
    // Queues event to every device of account (or just device), except non-call events to
    // PushKit tokens; returns how many pushes were queued.
    int notify(const std::string& account, const PushEvent& event, const std::string& device = "",
               PushChannel::Done done = {});
    // Queues event to one target (REST POST /push); false when no channel serves its app.
    bool pushTo(const PushTarget& target, const PushEvent& event, PushChannel::Done done = {});
    // Whether a channel serves (provider, app): tokens of other apps are refused at registration.
    bool serves(const std::string& provider, const std::string& app) const;
    // Unread message counts for badges: bumped per message pushed, cleared when the account reads.
    int bumpUnread(const std::string& account);
    void clearUnread(const std::string& account);
    Json status() const;

private:
    PushChannel* channelFor(const std::string& provider, const std::string& app) const;

    PushSettings settings_;
    std::unique_ptr<TokenRegistry> tokens_;
    std::map<std::string, std::unique_ptr<PushChannel>> apnsChannels_;  // by topic
    std::unique_ptr<PushChannel> fcmChannel_;
    mutable std::mutex unreadMutex_;
    std::map<std::string, int> unread_;
};

// Whether an event is about a call (what a PushKit token may be sent).
SYLK_API bool wakesForCall(PushEvent::Kind kind);

// Maps Sylk Pushserver's platform names to a provider: apple/ios -> apns, android/firebase/fcm -> fcm.
SYLK_API std::string providerForPlatform(const std::string& platform);

}  // namespace sylk::push
