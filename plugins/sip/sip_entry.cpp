// The plugin table Janus loads (create()) of janus.plugin.sylk.sip.
#include "sip_plugin.hpp"
#include "sylkcore/janus/plugin_binding.hpp"

SYLK_JANUS_PLUGIN(sylk::sip::SipPlugin)
