// The plugin table Janus loads (create()) of janus.plugin.sylk.cluster.
#include "cluster_plugin.hpp"
#include "sylkcore/janus/plugin_binding.hpp"

SYLK_JANUS_PLUGIN(sylk::cluster::ClusterPlugin)
