// The janus_plugin table of janus.plugin.sylk.audiomixer.
#include "audiomixer_plugin.hpp"
#include "sylkcore/janus/plugin_binding.hpp"

SYLK_JANUS_PLUGIN(sylk::audiomixer::AudioMixerPlugin)
