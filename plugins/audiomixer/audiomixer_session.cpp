#include "audiomixer_session.hpp"

#include "audiomixer_plugin.hpp"

namespace sylk::audiomixer {

void AudioMixerSession::attach(std::shared_ptr<MixParticipant> joined, WebRtcSink* webrtc) {
    if (participant)
        previous_.push_back(participant);
    participant = std::move(joined);
    sink = webrtc;
    media_ = participant.get();
}

void AudioMixerSession::onIncomingRtp(janus::RtpPacket* packet) {
    if (packet->video)
        return;
    if (MixParticipant* current = media_.load(std::memory_order_acquire))
        current->receiveRtp(reinterpret_cast<const uint8_t*>(packet->buffer), packet->length, g_get_monotonic_time());
}

void AudioMixerSession::onHangupMedia() { plugin_.onHangup(shared_from_this()); }

Json AudioMixerSession::describe() const {
    // The stock audiobridge's "state": "inroom" or "idle", then this plugin's participant view.
    Json json = participant && !room.empty() ? participant->describe() : Json::object();
    json.set("state", room.empty() ? "idle" : "inroom");
    if (!room.empty())
        json.set("room", room).set("mindex", sink ? sink->mindex() : -1);
    return json;
}

void AudioMixerSession::onDestroy() { plugin_.onDetached(shared_from_this()); }

}  // namespace sylk::audiomixer
