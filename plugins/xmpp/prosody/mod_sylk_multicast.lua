-- mod_sylk_multicast: XEP-0033 multicast for Sylk's rooms component (janus.plugin.sylk.xmpp),
-- shipped with Sylk. Load it on the VirtualHost the component belongs to:
--
--   plugin_paths = { "/usr/share/sylk-janus/prosody" }
--   VirtualHost "example.com"
--       modules_enabled = { "sylk_multicast" }
--       sylk_multicast_components = { "conference.example.com" }
--
-- Why: a room of N occupants sends every groupchat message N times over the XEP-0114 link,
-- and Prosody parses and routes each copy (expat, mod_component's checks, core_process_stanza)
-- where its own MUC hands the same stanza object to core_post_stanza N times. With this module
-- the component sends one stanza to the server's domain carrying the recipients in
-- <addresses xmlns='http://jabber.org/protocol/address'/>, and the copies are made here, in
-- process, the way mod_muc makes them (docs/decisions.md, "XMPP MUC fan-out by the server").
--
-- Trusted senders only: a stanza is fanned out only when it comes over the link of one of the
-- external components listed in sylk_multicast_components, from an address of that component's
-- domain. Anyone else (clients, other components, remote servers) gets <forbidden/>: one stanza
-- that becomes N would otherwise amplify spam. The feature is advertised in the server's
-- disco#info only to those components, so that they, and only they, use it; a component the
-- server does not trust (or a server without the module) sees no feature and sends a copy per
-- recipient instead.
--
-- What is delivered (XEP-0033 §4, §6): one copy per distinct address of type to, cc or bcc
-- with a jid, in the order given, each addressed to that jid; bcc addresses are removed from
-- the copies, to and cc ones are kept, marked delivered='true'; an <addresses/> left empty is
-- removed (the rooms' component uses bcc only: occupants never see each other's real JIDs).
-- Other address types (replyto, noreply...) stay in the copies and are not delivered to.
-- Bounces of the copies (an occupant gone) go back to the component, as they do for copies it
-- sends itself.
--
-- The recipients' list (urn:sylk:multicast:0, advertised beside XEP-0033 to the same trusted
-- components): <recipients xmlns='urn:sylk:multicast:0'>jid LF jid LF ...</recipients> in place
-- of <addresses/>, every jid a bcc recipient. Why: Prosody's XML stream builds a stanza object
-- (attribute table, namespace split, Lua callbacks) for every <address/> element, which made
-- the per-recipient cost of our rooms higher than mod_muc's (bench/results/
-- xmpp-muc-profile-20261206.md); one text node split here is a fraction of it. LF cannot
-- appear in a JID (RFC 7622: no control characters in any part), so it separates them safely.
--
-- How a message copy reaches a local occupant (deliver_all): as text written once per message
-- when nothing but mod_message would handle it and the session has no "stanzas/out" filter;
-- as the stanza through session.send when a filter wants it (XEP-0198's counter and queue,
-- CSI's buffer, websocket's namespace); through the router otherwise. mod_muc serialises every
-- copy: N copies of one message differ only in their 'to'.

local st = require "util.stanza";
local xml_escape = st.xml_escape;
local jid_host = require "util.jid".host;
local jid_prepped_split = require "util.jid".prepped_split;

local xmlns_address = "http://jabber.org/protocol/address";
local xmlns_recipients = "urn:sylk:multicast:0";
local delivered_types = { to = true, cc = true, bcc = true };

local full_sessions, bare_sessions, hosts = prosody.full_sessions, prosody.bare_sessions, prosody.hosts;
local core_post_stanza = prosody.core_post_stanza;
local module_loaded = require "core.modulemanager".is_loaded;

local trusted = module:get_option_set("sylk_multicast_components", {});
if trusted:empty() then
	module:log("warn", "sylk_multicast_components lists no component: multicast is offered to nobody");
end

-- An external component's link (mod_component's session) whose domain is listed. Internal
-- components (hosts[x]) and c2s/s2s sessions are never trusted.
local function trusted_origin(origin)
	return origin.type == "component" and origin.conn ~= nil and trusted:contains(origin.host);
end

-- The address's jid as the router wants it (core_process_stanza's preparation): nil if invalid.
local function prepared(jid)
	if full_sessions[jid] or bare_sessions[jid] or hosts[jid] then
		return jid;
	end
	local node, host, resource = jid_prepped_split(jid);
	if not host then
		return nil;
	end
	local bare = node and (node .. "@" .. host) or host;
	return resource and (bare .. "/" .. resource) or bare;
end

-- A copy goes straight to the recipient's session when the router would do exactly that and
-- nothing else: a message to a full JID online on this server whose host has mod_message's
-- handler as its only "message/full" handler (mod_message then just calls session.send). Why:
-- the router's event dispatch, JID split and mod_message's lookup are a tenth of Prosody's
-- instructions per copy (bench/results/xmpp-muc-profile-20261206.md), paid by mod_muc too.
-- Any other handler there (mod_blocklist, mod_carbons, mod_mam, mod_firewall...), a presence,
-- a remote or offline recipient, or a session that fails to send: the router, as before.
local function direct_session(to)
	local session = full_sessions[to];
	local host = session and hosts[session.host];
	if host and module_loaded(session.host, "message") then
		local handlers = host.events.get_handlers("message/full");
		if handlers and #handlers == 1 then
			return session;
		end
	end
	return nil;
end

-- A c2s session whose send would only serialise the stanza and write it: no "stanzas/out"
-- filter (XEP-0198's counter and queue, CSI's buffer add one while they are on). Such a session
-- can take the text of the copy through rawsend, which still runs its "bytes/out" filters
-- (websocket framing).
local function takes_text(session)
	if session.type ~= "c2s" or not session.rawsend then
		return false;
	end
	local filters = session.filters;
	local out = filters and filters["stanzas/out"];
	return not out or #out == 0;
end

-- The text of a copy, made once per message: the stanza serialised with a marker as its 'to',
-- split around the marker; each copy is then prefix .. escaped jid .. suffix. Why: serialising
-- every copy (and the debug line session.send builds at any log level) was 40-55% of Prosody's
-- CPU per delivery, for N copies that differ in one attribute. "\1" cannot occur in a stanza
-- that came through the XML parser (XML 1.0 forbids it), so it marks only the 'to'.
local marker = "\1";
local function copy_text(stanza)
	stanza.attr.to = marker;
	local text = tostring(stanza);
	local at = text:find(marker, 1, true);
	if not at or text:find(marker, at + 1, true) then
		return nil; -- not a stanza we can split: every copy takes session.send
	end
	return text:sub(1, at - 1), text:sub(at + 1);
end

local function refuse(origin, stanza, condition, text)
	if stanza.attr.type ~= "error" then
		origin.send(st.error_reply(stanza, "cancel", condition, text));
	end
	return true;
end

-- Every copy, in the recipients' order (delivery to a local session is synchronous, so the
-- copies reach each recipient in the order the component sent them): like mod_muc's
-- route_to_occupant, the same stanza object with its 'to' set per copy, handed to the router;
-- or, see above, to the session, as text or as the stanza.
local function deliver_all(origin, stanza, recipients)
	local is_message = stanza.name == "message";
	local prefix, suffix, split = nil, nil, false;
	for i = 1, #recipients do
		local to = recipients[i];
		local session = is_message and direct_session(to);
		local as_text = session and takes_text(session);
		if as_text and not split then
			prefix, suffix = copy_text(stanza);
			split = true;
		end
		stanza.attr.to = to;
		local sent = false;
		if as_text and prefix then
			sent = session.rawsend(prefix .. xml_escape(to) .. suffix);
		elseif session then
			sent = session.send(stanza);
		end
		if not sent then
			core_post_stanza(origin, stanza);
		end
	end
end

-- Every jid of the recipients' list, once each, in order (see the top); nil if the list is not
-- text alone.
local function listed_recipients(list)
	local text = list:get_text();
	if not text then
		return nil;
	end
	local recipients, seen = {}, {};
	for jid in text:gmatch("[^\n]+") do
		local to = prepared(jid);
		if not to then
			module:log("debug", "multicast recipient %q is not a valid JID: skipped", jid);
		elseif not seen[to] then
			seen[to] = true;
			recipients[#recipients + 1] = to;
		end
	end
	return recipients;
end

local function fan_out(event)
	local origin, stanza = event.origin, event.stanza;
	local list = stanza:get_child("recipients", xmlns_recipients);
	local addresses = not list and stanza:get_child("addresses", xmlns_address);
	if not list and not addresses then
		return; -- not multicast: whatever else handles messages to the server does
	end
	if not trusted_origin(origin) then
		module:log("debug", "multicast from %s (%s) refused: not a trusted component", tostring(stanza.attr.from), origin.type);
		return refuse(origin, stanza, "forbidden", "multicast is reserved to this server's trusted components");
	end
	if jid_host(stanza.attr.from) ~= origin.host then
		return refuse(origin, stanza, "forbidden", "multicast only from the component's own domain");
	end

	if list then
		local recipients = listed_recipients(list);
		if not recipients or #recipients == 0 then
			return refuse(origin, stanza, "bad-request", "no valid JID in the recipients' list");
		end
		stanza:remove_children("recipients", xmlns_recipients);
		deliver_all(origin, stanza, recipients);
		return true;
	end

	-- The recipients, once each, in order; the copy's own <addresses/>: to and cc marked
	-- delivered, bcc gone.
	local recipients, seen = {}, {};
	local kept = st.stanza("addresses", { xmlns = xmlns_address });
	local keep = false;
	for address in addresses:childtags("address", xmlns_address) do
		local kind, jid = address.attr.type, address.attr.jid;
		if delivered_types[kind] and jid then
			local to = prepared(jid);
			if not to then
				module:log("debug", "multicast address %q is not a valid JID: skipped", jid);
			elseif not seen[to] then
				seen[to] = true;
				recipients[#recipients + 1] = to;
			end
		end
		if kind ~= "bcc" then
			local copy = st.clone(address);
			if delivered_types[kind] and jid then
				copy.attr.delivered = "true";
			end
			kept:add_child(copy);
			keep = true;
		end
	end
	if #recipients == 0 then
		return refuse(origin, stanza, "bad-request", "no address of type to, cc or bcc with a jid");
	end

	stanza:remove_children("addresses", xmlns_address);
	if keep then
		stanza:add_child(kept);
	end
	-- Like mod_muc's route_to_occupant: the same stanza object, its 'to' set per copy, each
	-- handed to the router (or the session, see deliver) in turn (delivery to a local session
	-- is synchronous, so the copies reach each recipient in the order the component sent them).
	deliver_all(origin, stanza, recipients);
	return true;
end

-- Messages (groupchat, chat states) and presence (an occupant's joining or leaving, to all the
-- others: N stanzas of the join storm instead of N²).
module:hook("message/host", fan_out, 10);
module:hook("presence/host", fan_out, 10);

-- disco#info of the server, as mod_disco answers it, plus the multicast feature: only for the
-- trusted components (see the top). Anyone else gets mod_disco's own answer.
module:hook("iq-get/host/http://jabber.org/protocol/disco#info:query", function (event)
	local origin, stanza = event.origin, event.stanza;
	local node = stanza.tags[1].attr.node;
	if not trusted_origin(origin) or (node and node ~= "") then
		return;
	end
	local query = st.stanza("query", { xmlns = "http://jabber.org/protocol/disco#info" });
	local done = {};
	for _, identity in ipairs(module:get_host_items("identity")) do
		local key = identity.category .. "\0" .. identity.type;
		if not done[key] then
			query:tag("identity", identity):up();
			done[key] = true;
		end
	end
	for _, feature in ipairs(module:get_host_items("feature")) do
		if not done[feature] then
			query:tag("feature", { var = feature }):up();
			done[feature] = true;
		end
	end
	if not done[xmlns_address] then
		query:tag("feature", { var = xmlns_address }):up();
	end
	query:tag("feature", { var = xmlns_recipients }):up();
	for _, extension in ipairs(module:get_host_items("extension")) do
		query:add_child(extension);
	end
	origin.send(st.reply(stanza):add_child(query));
	return true;
end, 10);

module:log("info", "multicast offered to %s", tostring(trusted));
