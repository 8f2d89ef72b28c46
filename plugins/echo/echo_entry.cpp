// The janus_plugin table of janus.plugin.sylk.echo.
#include "echo_plugin.hpp"
#include "sylkcore/janus/plugin_binding.hpp"

SYLK_JANUS_PLUGIN(sylk::echo::EchoPlugin)
