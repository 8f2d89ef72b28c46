// The simulcast layers a publisher sends on one video m-line, as Janus's core described them at
// negotiation (SSRCs and/or rids, the rid header extension). Completed (rid -> SSRC) by the
// media thread as packets arrive, so only that thread reads it once media flows.
#pragma once

#include "types.hpp"

namespace sylk::janus {

class SimulcastContext;

class SimulcastSource {
public:
    SimulcastSource() = default;
    ~SimulcastSource() { janus_rtp_simulcasting_cleanup(&ridExtensionId_, ssrcs_, rids_, nullptr); }
    SimulcastSource(const SimulcastSource&) = delete;
    SimulcastSource& operator=(const SimulcastSource&) = delete;

    // entry: one item of the "simulcast" array the core adds to a publisher's jsep.
    void prepare(json_t* entry) { janus_rtp_simulcasting_prepare(entry, &ridExtensionId_, ssrcs_, rids_); }

private:
    friend class SimulcastContext;
    int ridExtensionId_ = -1;
    uint32_t ssrcs_[3] = {0, 0, 0};
    char* rids_[3] = {nullptr, nullptr, nullptr};
};

}  // namespace sylk::janus
