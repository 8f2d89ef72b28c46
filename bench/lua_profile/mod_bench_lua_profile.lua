-- A sampling profiler of Prosody's Lua for the benchmarks (bench/xmpp_muc_bench.py --lua-profile
-- FILE), never for a deployment: perf sees only lua5.4's interpreter, so this counts the Lua
-- stack (8 frames) every 1000 VM instructions on the main thread and on every coroutine (the
-- c2s sessions' async runners among them), and rewrites FILE every 5 s: one line per distinct
-- stack, "count frame;frame;...", innermost first, frame = file:line_defined:current_line(name).
-- It counts instructions, not time: C work (expat, string building, syscalls) is invisible.
-- bench/lua_profile/summarize.py turns FILE into flat and inclusive shares.
local out = os.getenv("SYLK_LUA_PROFILE_OUT");
if not out then
	module:log("error", "SYLK_LUA_PROFILE_OUT is not set: no profile");
	return;
end

local counts, getinfo = {}, debug.getinfo;
local function sample()
	local frames = {};
	for level = 2, 9 do
		local info = getinfo(level, "Sln");
		if not info then
			break;
		end
		frames[#frames + 1] = ("%s:%d:%d(%s)"):format(info.short_src:gsub("^.*/", ""), info.linedefined or 0,
			info.currentline or 0, tostring(info.name));
	end
	local key = table.concat(frames, ";");
	counts[key] = (counts[key] or 0) + 1;
end

-- Hooks are per coroutine in Lua 5.4: the main thread's (registry index 1), the one loading us,
-- and every coroutine made from now on.
local main = debug.getregistry()[1];
local function hook(thread)
	if type(thread) == "thread" then
		debug.sethook(thread, sample, "", 1000);
	end
end
hook(main);
debug.sethook(sample, "", 1000);
local coroutine_create, coroutine_resume = coroutine.create, coroutine.resume;
coroutine.create = function(f)
	local co = coroutine_create(f);
	hook(co);
	return co;
end
coroutine.wrap = function(f)
	local co = coroutine.create(f);
	return function(...)
		local result = table.pack(coroutine_resume(co, ...));
		if not result[1] then
			error(result[2], 0);
		end
		return table.unpack(result, 2, result.n);
	end
end

module:add_timer(5, function()
	hook(main);
	local file = io.open(out, "w");
	if file then
		for key, count in pairs(counts) do
			file:write(count, " ", key, "\n");
		end
		file:close();
	end
	return 5;
end);
