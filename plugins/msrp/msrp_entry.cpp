// The plugin table Janus loads (create()) of janus.plugin.sylk.msrp.
#include "msrp_plugin.hpp"
#include "sylkcore/janus/plugin_binding.hpp"

SYLK_JANUS_PLUGIN(sylk::msrp_plugin::MsrpPlugin)
