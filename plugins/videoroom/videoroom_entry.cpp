// The plugin table Janus loads (create()) of janus.plugin.sylk.videoroom.
#include "sylkcore/janus/plugin_binding.hpp"
#include "videoroom_plugin.hpp"

SYLK_JANUS_PLUGIN(sylk::videoroom::VideoRoomPlugin)
