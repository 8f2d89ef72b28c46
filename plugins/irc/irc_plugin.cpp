#include "irc_plugin.hpp"

#include <chrono>
#include <stdexcept>
#include <thread>

#include "irc_config.hpp"
#include "irc_handle.hpp"
#include "sylkcore/log.hpp"
#include "sylkcore/request_error.hpp"

namespace sylk::irc {
namespace {

const janus::PluginInfo kInfo{
    1,
    "0.1.0",
    "Sylk IRC: bridges rooms to IRC channels.",
    "Sylk IRC",
    "Sylk for Janus",
    RoomBridge::kPackage,
    "irc",
};

// How often the bridges look whether their room started or ended. The hub tells one watcher of
// room creation (the file store), so the bridges poll their few rooms (a map lookup each); a
// room's end also comes as its last member's "left" event, at once.
constexpr auto kWatchPeriod = std::chrono::milliseconds(200);

}  // namespace

IrcPlugin::IrcPlugin() : Plugin(kInfo) {}

void IrcPlugin::configure(const janus::PluginConfig& config) {
    settings_ = readSettings(config);
    thread_ = std::make_unique<net::StackThread>("irc");
    thread_->execute([this] {
        for (size_t i = 0; i < settings_.bridges.size(); ++i)
            bridges_.push_back(std::make_shared<RoomBridge>(*thread_, settings_.bridges[i], i + 1));
        watch_ = thread_->every(kWatchPeriod, [this] {
            for (auto& bridge : bridges_)
                bridge->check();
        });
    });
    SYLK_LOG(LOG_INFO, kInfo.package, "%zu rooms bridged to IRC", settings_.bridges.size());
    onRequest<IrcHandle>("status", Execution::Inline, &IrcPlugin::status);
    onAdminRequest("status", &IrcPlugin::adminStatus);
}

std::shared_ptr<janus::PluginSession> IrcPlugin::newSession(janus::Handle* handle) {
    return std::make_shared<IrcHandle>(handle);
}

void IrcPlugin::onShutdown() {
    if (!thread_)
        return;
    try {
        thread_->execute([this] {
            watch_.cancel();
            for (auto& bridge : bridges_)
                bridge->end();  // the bots QUIT; the IRC users leave their rooms
            bridges_.clear();
        });
        // The bots QUIT and keep themselves until their servers close (each at most 2 s): give
        // them a moment, so the QUITs go out and no client is left holding itself.
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
        while (Client::lingering() > 0 && std::chrono::steady_clock::now() < deadline)
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
    } catch (const std::exception& e) {
        SYLK_LOG(LOG_WARN, kInfo.package, "stopping the IRC bridges: %s", e.what());
    }
    thread_->stop();
}

bool IrcPlugin::postToStateThread(std::function<void()> work) { return thread_ && thread_->post(std::move(work)); }

Json IrcPlugin::bridgesStatus() {
    Json list = Json::array();
    try {
        if (!thread_)
            throw std::runtime_error("not started");
        thread_->execute([&] {
            for (const auto& bridge : bridges_)
                list.append(bridge->status());
        });
    } catch (const std::exception& e) {
        throw RequestError(ErrorCode::IrcUnavailable, std::string("the IRC stack is not running: ") + e.what());
    }
    return list;
}

Reply IrcPlugin::status(IrcHandle&, RequestReader& reader, const Request&) {
    reader.rejectUnknownFields();
    Json body = makeEvent();
    body.set("bridges", bridgesStatus());
    return Reply{body, {}};
}

Reply IrcPlugin::adminStatus(RequestReader& reader, const Request&) {
    reader.rejectUnknownFields();
    Json body = makeEvent();
    body.set("bridges", bridgesStatus());
    return Reply{body, {}};
}

}  // namespace sylk::irc
