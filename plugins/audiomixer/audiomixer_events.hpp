// What the audio mixer reports to Janus's event handlers (docs/events.md), in the shapes of the
// stock janus.plugin.audiobridge's notify_event calls. Builders only; the plugin calls them
// through events().notify(handle, builder), so nothing is built when nobody listens.
#pragma once

#include "mix_participant.hpp"

namespace sylk::audiomixer {

class AudioMixerEvents {
public:
    // {"event": "created"|"destroyed", "room"}
    static Json room(const char* event, const Json& room);
    // {"event": "joined"|"configured", "room", "id", "display", "muted", "codec", "plain_rtp"?}
    static Json participant(const char* event, const Json& room, const MixParticipant& participant, bool plainRtp);
    // {"event": "left"|"kicked", "room", "id", "display"}
    static Json left(const char* event, const Json& room, uint64_t id, const std::string& display);
    // {"audiobridge": "talking"|"stopped-talking", "room", "id", "audio-level-dBov-avg"}
    static Json talking(const Json& room, uint64_t id, bool talking, int averageLevel);
};

}  // namespace sylk::audiomixer
