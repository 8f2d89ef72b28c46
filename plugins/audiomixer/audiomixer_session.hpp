// A handle attached to janus.plugin.sylk.audiomixer. A participant it had stays alive while
// its media thread may still be using it, so the media path can use a plain atomic pointer to
// the current one (see attach).
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "mix_participant.hpp"
#include "sylkcore/janus/plugin_session.hpp"
#include "webrtc_sink.hpp"

namespace sylk::audiomixer {

class AudioMixerPlugin;

class AudioMixerSession : public janus::PluginSession, public std::enable_shared_from_this<AudioMixerSession> {
public:
    AudioMixerSession(janus::Handle* handle, AudioMixerPlugin& plugin) : PluginSession(handle), plugin_(plugin) {}

    // Control loop.
    std::shared_ptr<MixParticipant> participant;
    WebRtcSink* sink = nullptr;   // owned by participant
    std::string room;             // key of the room it is in; empty when not in one
    void attach(std::shared_ptr<MixParticipant> joined, WebRtcSink* webrtc);

    void onIncomingRtp(janus::RtpPacket* packet) override;
    void onHangupMedia() override;
    void onDestroy() override;
    Json describe() const override;  // on the control loop (Plugin::querySession)

private:
    AudioMixerPlugin& plugin_;
    std::vector<std::shared_ptr<MixParticipant>> previous_;  // see the class comment
    std::atomic<MixParticipant*> media_{nullptr};
    std::atomic<int> inMedia_{0};      // media threads inside onIncomingRtp (one: the handle's)
    std::atomic<size_t> kept_{0};      // previous_.size() for describe(), read off the loop
};

}  // namespace sylk::audiomixer
