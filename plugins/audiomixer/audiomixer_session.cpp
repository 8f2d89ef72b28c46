#include "audiomixer_session.hpp"

#include "audiomixer_plugin.hpp"

namespace sylk::audiomixer {

void AudioMixerSession::attach(std::shared_ptr<MixParticipant> joined, WebRtcSink* webrtc) {
    if (participant)
        previous_.push_back(participant);
    participant = std::move(joined);
    sink = webrtc;
    media_.store(participant.get(), std::memory_order_seq_cst);
    // A media thread inside onIncomingRtp may still use a previous participant; one that enters
    // from now on finds the new one. So when none is inside, the previous ones are nobody's, and
    // a handle that joins and leaves in a loop holds two participants, not one per join.
    if (inMedia_.load(std::memory_order_seq_cst) == 0)
        previous_.clear();
    kept_.store(previous_.size(), std::memory_order_relaxed);
}

void AudioMixerSession::onIncomingRtp(janus::RtpPacket* packet) {
    if (packet->video)
        return;
    inMedia_.fetch_add(1, std::memory_order_seq_cst);
    if (MixParticipant* current = media_.load(std::memory_order_seq_cst))
        current->receiveRtp(reinterpret_cast<const uint8_t*>(packet->buffer), packet->length, g_get_monotonic_time());
    inMedia_.fetch_sub(1, std::memory_order_release);
}

void AudioMixerSession::onHangupMedia() { plugin_.onHangup(shared_from_this()); }

Json AudioMixerSession::describe() const {
    // The stock audiobridge's "state": "inroom" or "idle", then this plugin's participant view.
    Json json = participant && !room.empty() ? participant->describe() : Json::object();
    json.set("state", room.empty() ? "idle" : "inroom");
    if (!room.empty())
        json.set("room", room).set("mindex", sink ? sink->mindex() : -1);
    // How many earlier participants the handle still keeps (at most a few; issue 17).
    json.set("previous_participants", static_cast<json_int_t>(kept_.load(std::memory_order_relaxed)));
    return json;
}

void AudioMixerSession::onDestroy() { plugin_.onDetached(shared_from_this()); }

}  // namespace sylk::audiomixer
