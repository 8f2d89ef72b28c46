// One app's way to its push service: a thread of its own running a libcurl multi handle that
// keeps one HTTP/2 connection (multiplexed streams, CURLPIPE_MULTIPLEX and PIPEWAIT, one
// connection per host) for every push of that app. submit() only queues and wakes the thread,
// so whoever triggers a push (the SIP thread) never waits for the network. A 5xx, 429, timeout
// or broken connection is retried with backoff (250 ms doubling, maxAttempts in all); a token
// the service calls gone is handed to onGone (the registry deletes it).
#pragma once

#include "sylkcore/api.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "credentials.hpp"
#include "jwt_signer.hpp"
#include "push_request.hpp"
#include "push_target.hpp"
#include "sylkcore/json.hpp"

namespace sylk::push {

struct ChannelSettings {
    std::string provider;   // "apns" or "fcm"
    std::string app;        // APNs bundle id; FCM project id
    std::string baseUrl;    // https://api.push.apple.com, https://fcm.googleapis.com
    std::string caFile;     // a CA bundle to trust instead of the system's (tests); empty: system
    long timeoutMs = 5000;  // per attempt
    int maxAttempts = 4;
    size_t maxQueued = 20000;  // beyond it a push is dropped and counted, never blocks the caller
};

// What became of a push, for whoever asked for it (the REST API waits for some of them).
struct PushResult {
    Outcome outcome = Outcome::Failed;
    long status = 0;
    std::string detail;  // the service's reason, or curl's error
};

class SYLK_API PushChannel {
public:
    using GoneHandler = std::function<void(const PushTarget&)>;
    using Done = std::function<void(const PushResult&)>;

    // APNs channels take the provider key, FCM channels the service account.
    PushChannel(ChannelSettings settings, std::optional<ApnsCredentials> apns, std::optional<ServiceAccount> fcm,
                GoneHandler onGone);
    ~PushChannel();
    PushChannel(const PushChannel&) = delete;
    PushChannel& operator=(const PushChannel&) = delete;

    // Queues a push; done (optional) runs on the channel's thread with the final result.
    void submit(const PushTarget& target, const PushEvent& event, Done done = {});
    Json status() const;
    const ChannelSettings& settings() const { return settings_; }

private:
    struct Job;
    void run();
    void start(std::unique_ptr<Job> job);
    void finish(void* easy, int code);
    void conclude(std::unique_ptr<Job> job, const PushResult& result);
    // FCM: the cached OAuth2 access token, fetched (blocking this thread only) when missing
    // or within a minute of its expiry; empty when the token endpoint failed.
    std::string accessToken(int64_t now, std::string* error);

    ChannelSettings settings_;
    std::optional<ApnsProviderToken> apnsToken_;
    std::optional<ServiceAccount> serviceAccount_;
    GoneHandler onGone_;
    std::string fcmAccessToken_;
    int64_t fcmAccessTokenExpires_ = 0;

    void* multi_ = nullptr;  // CURLM*
    std::map<void*, std::unique_ptr<Job>> running_;   // by CURL*; channel thread only
    std::multimap<std::chrono::steady_clock::time_point, std::unique_ptr<Job>> delayed_;  // retries

    mutable std::mutex mutex_;
    std::deque<std::unique_ptr<Job>> queue_;  // submitted, not started
    bool stopping_ = false;
    std::thread thread_;

    std::atomic<uint64_t> submitted_{0}, delivered_{0}, gone_{0}, retried_{0}, failed_{0}, dropped_{0};
    std::atomic<uint64_t> connections_{0}, http2_{0}, tokensFetched_{0}, providerTokens_{0};
};

}  // namespace sylk::push
