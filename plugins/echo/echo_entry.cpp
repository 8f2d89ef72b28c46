// The plugin table Janus loads (create()) of janus.plugin.sylk.echo.
#include "echo_plugin.hpp"
#include "sylkcore/janus/plugin_binding.hpp"

SYLK_JANUS_PLUGIN(sylk::echo::EchoPlugin)
