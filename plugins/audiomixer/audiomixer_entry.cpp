// The plugin table Janus loads (create()) of janus.plugin.sylk.audiomixer.
#include "audiomixer_plugin.hpp"
#include "sylkcore/janus/plugin_binding.hpp"

SYLK_JANUS_PLUGIN(sylk::audiomixer::AudioMixerPlugin)
