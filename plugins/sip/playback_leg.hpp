// The media of a call to a playback URI: the configured clip encoded in the negotiated codec
// (Opus, G.722, PCMU or PCMA, sylkcore's encoders) and sent as 20 ms RTP packets on a timer of
// the media thread, paced by the clock (packets that fell due while the loop was late go out
// at once, so a busy machine shifts the audio, never slows it). At the clip's end, finished
// runs once on the media thread (the application hangs up). An SDES-SRTP call's packets are
// protected with our key.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "sylkcore/audio/codec.hpp"
#include "sylkcore/net/source_handle.hpp"
#include "sylkcore/net/srtp_session.hpp"
#include "sylkcore/net/stack_thread.hpp"
#include "sylkcore/net/udp_socket.hpp"

namespace sylk::sip {

class AudioClip;

class PlaybackLeg {
public:
    // Binds localIp (throws std::runtime_error); plays nothing until start(). srtp: the call's
    // SDES-SRTP keys, or null for plain RTP.
    PlaybackLeg(const AudioClip& clip, audio::CodecId codec, int payloadType, const std::string& localIp,
                const std::string& peerIp, uint16_t peerPort, std::unique_ptr<net::SrtpSession> srtp = nullptr);
    PlaybackLeg(const PlaybackLeg&) = delete;
    PlaybackLeg& operator=(const PlaybackLeg&) = delete;

    uint16_t localPort() const { return socket_.localPort(); }
    void start(net::StackThread& media, std::function<void()> finished);

private:
    void sendDue();

    net::UdpSocket socket_;
    std::unique_ptr<net::SrtpSession> srtp_;  // media thread only
    std::unique_ptr<audio::Encoder> encoder_;
    int payloadType_;
    std::vector<int16_t> pcm_;  // the clip at the codec's PCM rate
    size_t frameSamples_;       // 20 ms of pcm_
    uint32_t frameTicks_;       // 20 ms of RTP clock
    size_t position_ = 0;       // next sample to send
    uint16_t sequence_;
    uint32_t timestamp_;
    uint32_t ssrc_;
    int64_t startUs_ = 0;
    uint64_t framesSent_ = 0;
    std::function<void()> finished_;
    net::SourceHandle timer_;  // last: cancelled before the rest goes
};

}  // namespace sylk::sip
