#include "push_service.hpp"

#include <algorithm>

#include "sylkcore/log.hpp"

namespace sylk::push {

bool wakesForCall(PushEvent::Kind kind) {
    return kind == PushEvent::Kind::IncomingCall || kind == PushEvent::Kind::Cancel ||
           kind == PushEvent::Kind::ConferenceInvite;
}

PushService::PushService(PushSettings settings) : settings_(std::move(settings)) {
    tokens_ = std::make_unique<TokenRegistry>(settings_.databasePath);
    auto onGone = [this](const PushTarget& target) {
        try {
            tokens_->removeToken(target.provider, target.token);
        } catch (const std::exception& e) {
            SYLK_LOG(LOG_ERR, "push", "deleting a gone token: %s", e.what());
        }
    };
    if (settings_.apns) {
        for (const auto& topic : settings_.apnsTopics) {
            ChannelSettings channel;
            channel.provider = "apns";
            channel.app = topic;
            channel.baseUrl = settings_.apnsUrl;
            channel.caFile = settings_.caFile;
            channel.timeoutMs = settings_.timeoutMs;
            channel.maxAttempts = settings_.maxAttempts;
            apnsChannels_[topic] = std::make_unique<PushChannel>(channel, settings_.apns, std::nullopt, onGone);
        }
    }
    if (settings_.fcm) {
        ChannelSettings channel;
        channel.provider = "fcm";
        channel.app = settings_.fcm->projectId;
        channel.baseUrl = settings_.fcmUrl;
        channel.caFile = settings_.caFile;
        channel.timeoutMs = settings_.timeoutMs;
        channel.maxAttempts = settings_.maxAttempts;
        fcmChannel_ = std::make_unique<PushChannel>(channel, std::nullopt, settings_.fcm, onGone);
    }
}

PushService::~PushService() = default;

PushChannel* PushService::channelFor(const std::string& provider, const std::string& app) const {
    if (provider == "apns") {
        auto found = apnsChannels_.find(app);
        return found == apnsChannels_.end() ? nullptr : found->second.get();
    }
    // One FCM project serves all of its Android apps: the app id only names the token's app.
    if (provider == "fcm")
        return fcmChannel_.get();
    return nullptr;
}

bool PushService::serves(const std::string& provider, const std::string& app) const {
    return channelFor(provider, app) != nullptr;
}

bool PushService::pushTo(const PushTarget& target, const PushEvent& event, PushChannel::Done done) {
    PushChannel* channel = channelFor(target.provider, target.app);
    if (!channel)
        return false;
    channel->submit(target, event, std::move(done));
    return true;
}

int PushService::notify(const std::string& account, const PushEvent& event, const std::string& device,
                        PushChannel::Done done) {
    int queued = 0;
    for (const PushTarget& target : tokens_->list(account)) {
        if (!device.empty() && target.device != device)
            continue;
        // A PushKit (voip) token takes only calls: iOS ends an app that gets a voip push and
        // reports no call, and Apple refuses alert pushes to PushKit tokens.
        if (target.voip && !wakesForCall(event.kind))
            continue;
        PushEvent forTarget = event;
        if (forTarget.to.empty())
            forTarget.to = account;
        if (pushTo(target, forTarget, done))
            ++queued;
    }
    return queued;
}

int PushService::bumpUnread(const std::string& account) {
    std::lock_guard lock(unreadMutex_);
    return ++unread_[account];
}

void PushService::clearUnread(const std::string& account) {
    std::lock_guard lock(unreadMutex_);
    unread_.erase(account);
}

Json PushService::status() const {
    Json channels = Json::array();
    for (const auto& [topic, channel] : apnsChannels_)
        channels.append(channel->status());
    if (fcmChannel_)
        channels.append(fcmChannel_->status());
    Json body = Json::object();
    body.set("tokens", static_cast<json_int_t>(tokens_->count())).set("channels", std::move(channels));
    return body;
}

}  // namespace sylk::push
