// The plugin table Janus loads (create()) of janus.plugin.sylk.xmpp.
#include "sylkcore/janus/plugin_binding.hpp"
#include "xmpp_plugin.hpp"

SYLK_JANUS_PLUGIN(sylk::xmpp::XmppPlugin)
