// janus.plugin.sylk.audiomixer's plain RTP legs for other plugins (the SIP focus's phones): the
// hub services audiomixer.attach_rtp, detach_rtp, update_rtp, and audiomixer.admit (a room's
// PIN for the xmpp plugin's joins); docs/audiomixer-api.md. Each runs on the mixer's loop.
#include "audiomixer_plugin.hpp"

#include "audiomixer_common.hpp"
#include "audiomixer_events.hpp"

#include <glib.h>

#include <algorithm>

#include "sylkcore/hub/services.hpp"
#include "sylkcore/log.hpp"

namespace sylk::audiomixer {

Json AudioMixerPlugin::attachRtpLeg(const Json& request) {
    // {"room", "display", "codec", "rtp": {"ip", "port", "payload_type"?}, "pin"?} from another
    // plugin; answers {"room", "id", "rtp": {"ip", "port", "payload_type"}}.
    return runOnLoop([&] {
        RequestReader reader(request.get());
        std::string key = roomKey(reader);
        std::string display = reader.optionalString("display", 256).value_or("");
        std::string callBack = reader.optionalString("call_back", 512).value_or("");
        std::string codecName = reader.optionalString("codec", 16).value_or("pcmu");
        auto codec = audio::codecFromName(codecName);
        if (!codec)
            throw RequestError(ErrorCode::AudioMixerUnsupportedCodec, "unsupported codec '" + codecName + "'");
        readPlainRtp(reader, *codec);
        Room& room = openRoom(key, reader);
        uint64_t id = randomId();
        Json rtpInfo;
        RtpEndpoint* endpoint = nullptr;
        std::shared_ptr<MixParticipant> participant;
        try {
            participant = makePlainParticipant(reader, id, display, *codec, room.mixer->settings.sampleRate, rtpInfo, endpoint);
        } catch (...) {
            closeIfUnused(key);
            throw;
        }
        try {
            startZrtp(reader, key, *participant, *endpoint, rtpInfo);  // before the mixer thread has the leg
        } catch (...) {
            closeIfUnused(key);
            throw;
        }
        participant->callBack = callBack;
        auto legs = std::make_shared<std::vector<PlainLeg>>(*plainLegs_.load());
        legs->push_back(PlainLeg{participant, endpoint});
        plainLegs_.store(std::move(legs));
        room.mixer->add(participant);
        room.mixer->cue(true);
        announceJoined(room, key, *participant, nullptr, true);
        Json reply = Json::object();
        reply.set("room", roomValue(key)).set("id", static_cast<json_int_t>(id)).set("rtp", rtpInfo);
        return Reply{reply, {}};
    }).body;
}

Json AudioMixerPlugin::admitFromHub(const Json& request) {
    return runOnLoop([&] {
        RequestReader reader(request.get());
        // fromString, not roomKey: a question about a room must not remember its name
        // (roomValues_ holds the names of the rooms that exist).
        RoomId id = RoomId::fromString(reader.requireString("room", 256));
        std::string pin = reader.optionalString("pin", 256).value_or("");
        Json answer = Json::object();
        Room* room = findRoom(id.key);
        if (room && !room->mixer->settings.pin.empty() && pin != room->mixer->settings.pin)
            answer.setBool("admitted", false).set("reason", "pin");
        else
            answer.setBool("admitted", true);
        answer.setBool("protected", room && !room->mixer->settings.pin.empty());
        return Reply{answer, {}};
    }).body;
}

Json AudioMixerPlugin::detachRtpLeg(const Json& request) {
    return runOnLoop([&] {
        RequestReader reader(request.get());
        std::string key = roomKey(reader);
        auto id = static_cast<uint64_t>(reader.requireInt("id", 1, kMaxId));
        Room* room = findRoom(key);
        if (!room || !room->mixer->find(id))
            throw RequestError(ErrorCode::AudioMixerNoSuchUser, "no such participant in this room");
        removeParticipant(key, id, "leaving");
        if (room->unused())
            closeRoom(key);
        return Reply{Json::object().set("detached", "ok"), {}};
    }).body;
}

void AudioMixerPlugin::publishMember(Room& room, const MixParticipant& participant) {
    hub::Member member{std::string(kPackage) + "/" + std::to_string(participant.id), participant.display, kPackage};
    member.muted = participant.muted;
    member.mutedByModerator = participant.moderatorMuted;
    member.onHold = participant.onHold;
    member.callBack = participant.callBack;
    room.hub->join(member);  // "joined" the first time, "updated" after
}

Json AudioMixerPlugin::updateRtpLeg(const Json& request) {
    // {"room", "id", "hold"?} from the plugin that attached the leg (a phone holding the call);
    // answers {"packets_in": N} so that plugin can tell a dead leg (RTP timeout).
    return runOnLoop([&] {
        RequestReader reader(request.get());
        std::string key = roomKey(reader);
        auto id = static_cast<uint64_t>(reader.requireInt("id", 1, kMaxId));
        Room* room = findRoom(key);
        auto participant = room ? room->mixer->find(id) : nullptr;
        if (!participant)
            throw RequestError(ErrorCode::AudioMixerNoSuchUser, "no such participant in this room");
        if (auto hold = reader.optionalBool("hold"); hold && *hold != participant->onHold) {
            participant->onHold = *hold;
            publishMember(*room, *participant);
        }
        if (json_t* rtp = reader.optionalObject("rtp")) {
            // The peer's address, known late (a dial-out's answer) or moved (a re-INVITE).
            RequestReader rtpReader(rtp);
            std::string ip = rtpReader.requireString("ip", 64);
            auto port = static_cast<uint16_t>(rtpReader.requireInt("port", 1, 65535));
            auto legs = plainLegs_.load();  // held: a range-for over load() itself would dangle
            for (const auto& leg : *legs) {
                if (leg.participant == participant && !leg.endpoint->setPeer(ip, port))
                    throw RequestError(ErrorCode::InvalidField, "rtp.ip is not an address of the leg's family");
            }
        }
        Json reply = Json::object();
        reply.set("packets_in", static_cast<json_int_t>(participant->stats.packetsIn.load()))
            .setBool("hold", participant->onHold.load());
        return Reply{reply, {}};
    }).body;
}

}  // namespace sylk::audiomixer
