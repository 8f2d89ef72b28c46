#include "audiomixer_events.hpp"

namespace sylk::audiomixer {

Json AudioMixerEvents::room(const char* event, const Json& room) { return Json::object().set("event", event).set("room", room); }

Json AudioMixerEvents::participant(const char* event, const Json& room, const MixParticipant& participant, bool plainRtp) {
    Json json = Json::object();
    json.set("event", event)
        .set("room", room)
        .set("id", static_cast<json_int_t>(participant.id))
        .set("display", participant.display)
        .setBool("muted", participant.muted.load() || participant.moderatorMuted.load())
        .set("codec", audio::codecInfo(participant.codec).name);
    if (plainRtp)
        json.setBool("plain_rtp", true);
    return json;
}

Json AudioMixerEvents::left(const char* event, const Json& room, uint64_t id, const std::string& display) {
    Json json = Json::object();
    json.set("event", event).set("room", room).set("id", static_cast<json_int_t>(id)).set("display", display);
    return json;
}

Json AudioMixerEvents::talking(const Json& room, uint64_t id, bool talking, int averageLevel) {
    Json json = Json::object();
    json.set("audiobridge", talking ? "talking" : "stopped-talking")
        .set("room", room)
        .set("id", static_cast<json_int_t>(id))
        .set("audio-level-dBov-avg", averageLevel);
    return json;
}

}  // namespace sylk::audiomixer
