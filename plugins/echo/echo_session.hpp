// One browser (or aiortc peer) in the echo application: its media comes straight back.
#pragma once

#include <atomic>
#include <mutex>
#include <string>

#include "echo_counters.hpp"
#include "sylkcore/janus/gateway.hpp"
#include "sylkcore/janus/plugin_session.hpp"

namespace sylk::echo {

class EchoSession : public janus::PluginSession {
public:
    EchoSession(janus::Handle* handle, janus::Gateway gateway, EchoCounters& pluginTotals, uint32_t bitrateCap);

    void setAudio(bool on) { audio_ = on; }
    void setVideo(bool on) { video_ = on; }
    void setData(bool on) { data_ = on; }
    void setBitrateCap(uint32_t bitsPerSecond);
    void requestKeyframe();
    void setNegotiated(const std::string& audioCodec, const std::string& videoCodec, bool data);

    const EchoCounters& counters() const { return counters_; }
    bool audioOn() const { return audio_; }
    bool videoOn() const { return video_; }
    bool dataOn() const { return data_; }
    uint32_t bitrateCap() const { return bitrateCap_; }
    Json status() const;

    void onSetupMedia() override;
    void onIncomingRtp(janus::RtpPacket* packet) override;
    void onIncomingRtcp(janus::RtcpPacket* packet) override;
    void onIncomingData(janus::DataPacket* packet) override;
    void onHangupMedia() override;
    Json describe() const override { return status(); }

private:
    janus::Gateway gateway_;
    EchoCounters& totals_;
    EchoCounters counters_;
    std::atomic<bool> audio_{true};
    std::atomic<bool> video_{true};
    std::atomic<bool> data_{true};
    std::atomic<uint32_t> bitrateCap_;
    std::atomic<bool> mediaUp_{false};
    mutable std::mutex negotiatedMutex_;
    std::string audioCodec_;
    std::string videoCodec_;
    bool dataNegotiated_ = false;
};

}  // namespace sylk::echo
