// RAII over a Janus recorder: one .mjr file of one stream, in Janus's own format (janus-pp-rec
// turns it into a media file). Created and closed on a control thread; frames are saved from
// the media thread (Janus's recorder locks internally).
#pragma once

#include <cstdint>
#include <string>

#include "types.hpp"

namespace sylk::janus {

class Recorder {
public:
    // Creates folder if needed. Throws std::runtime_error when Janus cannot create the file.
    Recorder(const std::string& folder, const std::string& codec, const std::string& name);
    ~Recorder();
    Recorder(const Recorder&) = delete;
    Recorder& operator=(const Recorder&) = delete;

    // One RTP packet, as received (Janus keeps the header for the post-processor).
    void save(char* packet, uint16_t length) { janus_recorder_save_frame(recorder_, packet, length); }

private:
    janus_recorder* recorder_ = nullptr;
};

}  // namespace sylk::janus
