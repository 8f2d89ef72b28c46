// A Janus recording (.mjr) of one published stream. Created and closed on the control loop;
// frames are saved from the publisher's media thread (Janus's recorder locks internally).
#pragma once

#include <string>

#include "sylkcore/janus/janus_headers.hpp"

extern "C" {
#include <record.h>
}

namespace sylk::videoroom {

class Recording {
public:
    // Throws std::runtime_error when Janus cannot create the file.
    Recording(const std::string& folder, const std::string& codec, const std::string& name);
    ~Recording();
    Recording(const Recording&) = delete;
    Recording& operator=(const Recording&) = delete;

    void save(char* packet, uint16_t length) { janus_recorder_save_frame(recorder_, packet, length); }
    const std::string& name() const { return name_; }

private:
    janus_recorder* recorder_ = nullptr;
    std::string name_;
};

}  // namespace sylk::videoroom
