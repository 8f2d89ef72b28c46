"""janus.plugin.sylk.audiomixer with real peers: each of three aiortc participants sends its own
tone and must hear the other two and not itself; a muted participant's tone disappears."""
import asyncio
import os

import numpy

from conftest import run
from harness.janus_api import Admin, Session
from harness.peers import Collector, ToneTrack, accept, make_peer, offer

MIXER = "janus.plugin.sylk.audiomixer"


def tone_db(samples, rate, frequency):
    """Power of one frequency in dB (relative), from a windowed FFT."""
    spectrum = numpy.abs(numpy.fft.rfft(samples * numpy.hanning(len(samples))))
    freqs = numpy.fft.rfftfreq(len(samples), 1 / rate)
    band = (freqs > frequency - 8) & (freqs < frequency + 8)
    return 20 * numpy.log10(spectrum[band].max() + 1e-9)


class Voice:
    def __init__(self, janus, room, name, frequency):
        self.janus, self.room, self.name, self.frequency = janus, room, name, frequency

    async def join(self):
        self.session = await Session.create(self.janus.ws_url)
        self.handle = await self.session.attach(MIXER)
        self.joined, _ = await self.handle.send({"request": "join", "room": self.room, "display": self.name})
        self.pc, _ = await make_peer(data_channel=False)
        self.tone = ToneTrack(self.frequency)
        self.pc.addTrack(self.tone)
        self.collector = None

        def on_track(track):
            self.collector = Collector(track)
        self.pc.on("track", on_track)
        data, jsep = await self.handle.send({"request": "configure", "muted": False}, jsep=await offer(self.pc))
        assert data.get("result") == "ok", data
        await accept(self.pc, jsep)
        await self.handle.next_event(timeout=15, predicate=lambda e: e.get("janus") == "webrtcup")

    def heard(self, seconds=1.0):
        rate = self.collector.rate
        frames = int(seconds * rate / 960)
        return numpy.concatenate(self.collector.audio[-frames:]), rate

    async def close(self):
        if self.collector:
            self.collector.stop()
        await self.pc.close()
        await self.session.close()


def test_everyone_hears_the_others_but_not_themselves(janus):
    tones = {"Ann": 440, "Ben": 660, "Cat": 880}

    async def body():
        voices = [Voice(janus, "mix-room", name, f) for name, f in tones.items()]
        admin = await Admin.open(janus.admin_url, janus.admin_secret)
        try:
            for voice in voices:
                await voice.join()
            await asyncio.sleep(3)
            heard = {v.name: v.heard() for v in voices}
            # Ben mutes himself: his tone must leave the others' audio
            await voices[1].handle.send({"request": "configure", "muted": True})
            await asyncio.sleep(2)
            after_mute = {v.name: v.heard() for v in voices}
            stats = await admin.message_plugin(MIXER, {"request": "list"})
            return heard, after_mute, stats
        finally:
            await admin.close()
            for voice in voices:
                await voice.close()

    heard, after_mute, stats = run(body(), timeout=90)
    for name, (samples, rate) in heard.items():
        levels = {other: tone_db(samples, rate, f) for other, f in tones.items()}
        others = [levels[o] for o in tones if o != name]
        assert min(others) - levels[name] >= 30, (name, levels)
    samples, rate = after_mute["Ann"]
    assert tone_db(samples, rate, 880) - tone_db(samples, rate, 660) >= 30  # Ben's tone is gone
    room = next(r for r in stats["list"] if r["room"] == "mix-room")
    assert len(room["participants"]) == 3
    # The mixer kept its 20 ms clock. A tick that starts 20 ms late is mostly the scheduler's doing
    # on a 2-core machine running two test shards with browsers (a CI run saw 10 of 253 ticks
    # late in the plain pass, 14 of 229 under the sanitizers): up to 10% late, and the mixing
    # itself under half of the wall time. A mixer that cannot keep up is busy nearly all the time
    # and misses most ticks.
    mixer = stats["mixer"]
    assert mixer["ticks"] >= 200, mixer
    assert mixer["missed_deadlines"] <= max(2, mixer["ticks"] // 10), mixer
    assert mixer["busy"] < 0.5, mixer


# What the test's peers hear stands only if they kept time: RtpPeer.stream says how late its
# packets went out, and when the test's own event loop stalled (a starved CI machine: two ASan
# shards and a compile on two cores), the gaps it heard then are its own, not janus's. 50 ms:
# more than two packets late.
ON_TIME = 0.05


async def heard_on_time(phase, hear, attempts=3):
    """Runs phase (its peers' lateness) then hear(), again while the peers were late, at most
    attempts times; returns the last hearing and the lateness of its phase."""
    for _ in range(attempts):
        late = max(await phase())
        heard = hear()
        if late <= ON_TIME:
            break
    return heard, late


def frame_levels(samples, rate, frequency, frame_ms=20):
    """dB of frequency in each frame of the signal (Goertzel), to find gaps."""
    n = int(rate * frame_ms / 1000)
    coefficient = 2 * numpy.cos(2 * numpy.pi * frequency / rate)
    levels = []
    for start in range(0, len(samples) - n, n):
        s1 = s2 = 0.0
        for x in samples[start:start + n]:
            s1, s2 = x + coefficient * s1 - s2, s1
        levels.append(10 * numpy.log10(max(s1 * s1 + s2 * s2 - coefficient * s1 * s2, 1e-9)))
    return numpy.array(levels)


def test_plain_rtp_g722_and_pcmu_talk_with_webrtc(janus):
    from harness.rtp_peer import RtpPeer

    async def body():
        ann = Voice(janus, "rtp-room", "Ann", 440)
        session = await Session.create(janus.ws_url)
        admin = await Admin.open(janus.admin_url, janus.admin_secret)
        gee, pam = await RtpPeer("g722", 1000).open(), await RtpPeer("pcmu", 600).open()
        try:
            await ann.join()
            joined = {}
            for name, peer, codec in (("Gee", gee, "g722"), ("Pam", pam, "pcmu")):
                handle = await session.attach(MIXER)
                joined[name], _ = await handle.send({"request": "join", "room": "rtp-room", "display": name, "codec": codec,
                                                     "rtp": {"ip": "127.0.0.1", "port": peer.port}})
            addresses = {name: (j["rtp"]["ip"], j["rtp"]["port"]) for name, j in joined.items()}
            await asyncio.gather(gee.stream(addresses["Gee"], 4), pam.stream(addresses["Pam"], 4))
            heard = {"Ann": ann.heard(), "Gee": gee.heard(), "Pam": pam.heard()}
            # Pam's network now loses 10% of her packets: Ann must still hear her without long gaps
            pam.loss = 0.10
            lossy = await heard_on_time(
                lambda: asyncio.gather(gee.stream(addresses["Gee"], 4), pam.stream(addresses["Pam"], 4)),
                lambda: ann.heard(3.0))
            # Bad input on Pam's port: garbage, a wrong payload type, an empty payload, jumps
            sock_address = addresses["Pam"]
            import socket
            raw = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            raw.bind(("127.0.0.1", 0))
            for datagram in (b"", b"\x00" * 3, b"not rtp at all" * 10, pam.packet(b"x" * 160, pt=96),
                             pam.packet(b""), b"\x80" + b"\x00" * 1000):
                raw.sendto(datagram, sock_address)  # asyncio's sendto drops empty datagrams
            raw.close()
            pam.sequence += 30000
            pam.timestamp += 10**9
            await pam.stream(sock_address, 3)
            after_garbage = ann.heard()
            stats = await admin.message_plugin(MIXER, {"request": "list"})
            refused = {}
            bad = await session.attach(MIXER)
            refused["codec"], _ = await bad.send({"request": "join", "room": "rtp-room", "codec": "speex",
                                                  "rtp": {"ip": "127.0.0.1", "port": 9}})
            await bad.send({"request": "create", "room": "pin-room", "pin": "1234"})
            refused["pin"], _ = await bad.send({"request": "join", "room": "pin-room", "pin": "0000"})
            return joined, heard, lossy, after_garbage, stats, refused
        finally:
            gee.close()
            pam.close()
            await ann.close()
            await admin.close()
            await session.close()

    joined, heard, lossy, after_garbage, stats, refused = run(body(), timeout=120)
    assert joined["Gee"]["rtp"]["payload_type"] == 9 and joined["Pam"]["rtp"]["payload_type"] == 0
    expectations = {"Ann": (440, [1000, 600]), "Gee": (1000, [440, 600]), "Pam": (600, [440, 1000])}
    for name, (own, others) in expectations.items():
        samples, rate = heard[name]
        levels = {f: tone_db(samples, rate, f) for f in [own] + others}
        assert min(levels[f] for f in others) - levels[own] >= 30, (name, levels)
    # with 10% loss on Pam's input, no gap in her tone at Ann longer than 60 ms
    (samples, rate), late = lossy
    levels = frame_levels(samples[::4], rate // 4, 600)
    quiet = levels < numpy.median(levels) - 20
    longest = max((len(run_) for run_ in "".join("1" if q else "0" for q in quiet).split("0")), default=0)
    assert longest <= 3, (longest, "peers late by %.3f s" % late, levels.round(1).tolist())
    # after garbage, wrong payload types and sequence/timestamp jumps, Pam is heard again
    samples, rate = after_garbage
    assert tone_db(samples, rate, 600) - tone_db(samples, rate, 440) >= 30
    room = next(r for r in stats["list"] if r["room"] == "rtp-room")
    assert room["mixing_rate"] == 48000  # Ann's Opus carries 48 kHz
    pam_stats = next(p for p in room["participants"] if p["display"] == "Pam")["stats"]
    assert pam_stats["malformed"] >= 3 and pam_stats["wrong_payload_type"] >= 1, pam_stats
    assert refused["codec"]["error_code"] == 1302 and "speex" in refused["codec"]["error"]
    assert refused["pin"]["error_code"] == 489
    assert janus.alive()


def test_hold_recording_tones_and_changeroom(janus):
    import wave

    async def body():
        session = await Session.create(janus.ws_url)
        admin = await Admin.open(janus.admin_url, janus.admin_secret)
        ann = Voice(janus, "hold-room", "Ann", 440)
        ben = Voice(janus, "hold-room", "Ben", 660)
        solo = Voice(janus, "tone-room", "Solo", 300)
        try:
            creator = await session.attach(MIXER)
            await creator.send({"request": "create", "room": "tone-room", "tones": True, "sampling_rate": 16000})
            await creator.send({"request": "create", "room": "hold-room", "secret": "s"})
            await ann.join()
            await ben.join()
            unauthorized, _ = await creator.send({"request": "enable_recording", "room": "hold-room", "record": True})
            started, _ = await creator.send({"request": "enable_recording", "room": "hold-room", "record": True,
                                             "secret": "s", "filename": "hold-test"})
            traversal, _ = await creator.send({"request": "enable_recording", "room": "hold-room", "record": True,
                                               "secret": "s", "filename": "../escape"})
            await asyncio.sleep(2.5)
            stopped, _ = await creator.send({"request": "enable_recording", "room": "hold-room", "record": False, "secret": "s"})
            # Ben goes on hold: he is neither mixed nor sent the mix
            await ben.handle.send({"request": "configure", "hold": True})
            await asyncio.sleep(0.5)
            before = next(p for p in (await admin.message_plugin(MIXER, {"request": "list"}))["list"]
                          if p["room"] == "hold-room")["participants"]
            await asyncio.sleep(2)
            after = next(p for p in (await admin.message_plugin(MIXER, {"request": "list"}))["list"]
                         if p["room"] == "hold-room")["participants"]
            # Ann's last second no longer has Ben's tone: her peer decodes behind the wire on a
            # loaded machine (CI: Ben's tone still 17 dB over the floor 2.5 s into the hold), so
            # her hearing is taken again for up to 10 s; a hold that did not stop Ben never clears.
            for _ in range(20):
                ann_during_hold = ann.heard()
                if tone_db(*ann_during_hold, 440) - tone_db(*ann_during_hold, 660) >= -10:
                    break
                await asyncio.sleep(0.5)  # the interval of a new hearing, not a wait for an event
            # alone in a room with tones: the periodic tone arrives
            await solo.join()
            await asyncio.sleep(5)
            solo_heard = solo.heard(4.5)
            # Ann moves to the tone room: she and Solo hear each other
            moved, _ = await ann.handle.send({"request": "changeroom", "room": "tone-room"})
            await asyncio.sleep(3)
            solo_after = solo.heard()
            return locals()
        finally:
            for voice in (ann, ben, solo):
                await voice.close()
            await admin.close()
            await session.close()

    r = run(body(), timeout=120)
    assert r["unauthorized"]["error_code"] == 489
    assert r["started"]["file"] == "hold-test.wav" and r["stopped"]["recording"] is False
    assert r["traversal"]["error_code"] == 1003
    path = os.path.join(janus.run_dir, "recordings", "hold-test.wav")
    with wave.open(path) as recording:
        rate, frames = recording.getframerate(), recording.readframes(recording.getnframes())
    mix = numpy.frombuffer(frames, dtype=numpy.int16).astype(numpy.float64)
    assert len(mix) > 1.5 * rate
    assert tone_db(mix, rate, 440) > 120 and tone_db(mix, rate, 660) > 120  # both voices recorded
    stats = lambda participants, name: next(p for p in participants if p["display"] == name)["stats"]
    assert stats(r["after"], "Ben")["packets_out"] - stats(r["before"], "Ben")["packets_out"] <= 2
    samples, rate = r["ann_during_hold"]
    assert tone_db(samples, rate, 440) - tone_db(samples, rate, 660) >= -10  # Ben's tone no longer dominates
    assert tone_db(samples, rate, 660) < 120
    samples, rate = r["solo_heard"]
    assert tone_db(samples, rate, 523) > 120  # the alone tone
    assert r["moved"]["audiobridge"] == "roomchanged"
    samples, rate = r["solo_after"]
    assert tone_db(samples, rate, 440) - tone_db(samples, rate, 300) >= 30


def test_video_room_and_mixer_of_the_same_name_share_the_roster(janus):
    async def body():
        voice = Voice(janus, "shared-room", "Phone", 440)
        session = await Session.create(janus.ws_url)
        try:
            video = await session.attach("janus.plugin.sylk.videoroom")
            await video.send({"request": "join", "ptype": "publisher", "room": "shared-room", "display": "Web"})
            await voice.join()
            arrived = await video.next_event(predicate=lambda e: e.get("plugindata", {}).get("data", {}).get("attendee", {}).get("present"))
            listed, _ = await video.send({"request": "listparticipants", "room": "shared-room"})
            mixer = await session.attach(MIXER)
            mixer_view, _ = await mixer.send({"request": "listparticipants", "room": "shared-room"})
            await voice.close()
            voice = None
            left = await video.next_event(predicate=lambda e: e.get("plugindata", {}).get("data", {}).get("attendee", {}).get("present") is False)
            return arrived, listed, mixer_view, left
        finally:
            if voice:
                await voice.close()
            await session.close()

    arrived, listed, mixer_view, left = run(body())
    attendee = arrived["plugindata"]["data"]["attendee"]
    assert attendee["plugin"] == MIXER and attendee["display"] == "Phone"
    assert [a["display"] for a in listed["attendees"]] == ["Phone"]
    assert [a["display"] for a in mixer_view["attendees"]] == ["Web"]
    assert left["plugindata"]["data"]["attendee"]["id"] == attendee["id"]


def test_another_plugin_hands_an_rtp_leg_to_the_mixer_through_the_hub(janus):
    """The path the SIP gateway takes: a plugin (here the hubprobe test plugin, a separate .so)
    calls the mixer's "audiomixer.attach_rtp" hub service with a phone's RTP address."""
    from harness.rtp_peer import RtpPeer

    async def body():
        ann = Voice(janus, "leg-room", "Ann", 440)
        phone = await RtpPeer("pcmu", 600).open()
        session = await Session.create(janus.ws_url)
        try:
            await ann.join()
            probe = await session.attach("janus.plugin.sylk.hubprobe.a")
            attached, _ = await probe.send({"request": "call", "service": "audiomixer.attach_rtp", "args": {
                "room": "leg-room", "display": "Phone", "codec": "pcmu", "rtp": {"ip": "127.0.0.1", "port": phone.port}}})
            announced = await ann.handle.next_event(predicate=lambda e: any(
                p.get("display") == "Phone" for p in e.get("plugindata", {}).get("data", {}).get("participants", [])))
            rtp = attached["result"]["rtp"]
            await phone.stream((rtp["ip"], rtp["port"]), 3)
            heard_by_ann, heard_by_phone = ann.heard(), phone.heard()
            detached, _ = await probe.send({"request": "call", "service": "audiomixer.detach_rtp", "args": {
                "room": "leg-room", "id": attached["result"]["id"]}})
            unknown, _ = await probe.send({"request": "call", "service": "nobody.offers.this", "args": {}})
            return attached, announced, heard_by_ann, heard_by_phone, detached, unknown
        finally:
            phone.close()
            await ann.close()
            await session.close()

    attached, announced, heard_by_ann, heard_by_phone, detached, unknown = run(body(), timeout=60)
    assert attached["result"]["rtp"]["payload_type"] == 0
    samples, rate = heard_by_ann
    assert tone_db(samples, rate, 600) > 120
    samples, rate = heard_by_phone
    assert tone_db(samples, rate, 440) - tone_db(samples, rate, 600) >= 30
    assert detached["result"] == {"detached": "ok"}
    assert unknown["error_code"] == 1008 and "nobody.offers.this" in unknown["error"]


def test_join_storm_across_ten_rooms(janus):
    """Sixty Opus plain-RTP participants join ten rooms at once, three times, while the mixer runs:
    janus must survive and everyone must get the mix back. (A range-for over a copy-on-write
    list once let the mixer thread walk a freed vector here.)"""
    from harness.rtp_peer import RtpPeer

    async def participant(index):
        peer = await RtpPeer("opus", 300 + 10 * index).open()
        session = await Session.create(janus.ws_url)
        try:
            handle = await session.attach(MIXER)
            joined, _ = await handle.send({"request": "join", "room": "storm-%d" % (index % 10), "display": "p%d" % index,
                                           "codec": "opus", "rtp": {"ip": "127.0.0.1", "port": peer.port, "payload_type": 111}})
            address = (joined["rtp"]["ip"], joined["rtp"]["port"])
            await peer.stream(address, 2)
            # Sixty peers on the test's one event loop: on a starved machine they receive late;
            # they talk on until the mix has come back, or the deadline says it does not.
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 20
            while peer.packets_in <= 40 and loop.time() < deadline:
                await peer.stream(address, 0.5)
            return peer.packets_in
        finally:
            await session.close()
            peer.close()

    async def body():
        rounds = []
        for _ in range(3):
            rounds.append(await asyncio.gather(*(participant(i) for i in range(60))))
        return rounds

    rounds = run(body(), timeout=120)
    assert janus.alive()
    for received in rounds:
        assert min(received) > 40, received  # each got at least ~0.8 s of mix back


def test_rooms_mixed_in_parallel_keep_to_themselves(janus):
    """Six rooms of two PCMU phones each, every phone on its own tone, mixed by three threads
    (the test configuration): each phone hears its partner, and no tone of another room. Phones
    alone mix at 8 kHz; a browser (Opus) joining one room takes it to 48 kHz while the calls go
    on, and back to 8 kHz when it leaves."""
    from harness.rtp_peer import RtpPeer

    tones = [300 + 110 * i for i in range(12)]  # phone i is in room i // 2
    browser_tone = 2500

    def mixing_rates(stats):
        return {r["room"]: r["mixing_rate"] for r in stats["list"] if str(r["room"]).startswith("parallel-")}

    async def body():
        session = await Session.create(janus.ws_url)
        admin = await Admin.open(janus.admin_url, janus.admin_secret)
        peers = [await RtpPeer("pcmu", tone).open() for tone in tones]
        browser = Voice(janus, "parallel-0", "Bea", browser_tone)
        try:
            addresses = []
            for index, peer in enumerate(peers):
                handle = await session.attach(MIXER)
                joined, _ = await handle.send({"request": "join", "room": "parallel-%d" % (index // 2),
                                               "display": "phone%d" % index, "codec": "pcmu",
                                               "rtp": {"ip": "127.0.0.1", "port": peer.port}})
                addresses.append((joined["rtp"]["ip"], joined["rtp"]["port"]))
            heard, late = await heard_on_time(
                lambda: asyncio.gather(*(peer.stream(address, 4) for peer, address in zip(peers, addresses))),
                lambda: [peer.heard() for peer in peers])
            stats = await admin.message_plugin(MIXER, {"request": "list"})
            # a browser joins room 0 while its phones talk
            streaming = asyncio.gather(peers[0].stream(addresses[0], 6), peers[1].stream(addresses[1], 6))
            await browser.join()
            await asyncio.sleep(3)
            with_browser = {"Bea": browser.heard(), "phone0": peers[0].heard()}
            stats_with_browser = await admin.message_plugin(MIXER, {"request": "list"})
            await browser.close()
            await streaming
            after = peers[0].heard()
            stats_after = await admin.message_plugin(MIXER, {"request": "list"})
            return (heard, late), stats, with_browser, stats_with_browser, after, stats_after
        finally:
            for peer in peers:
                peer.close()
            await admin.close()
            await session.close()

    (heard, late), stats, with_browser, stats_with_browser, after, stats_after = run(body(), timeout=150)
    assert stats["mixer"]["threads"] == 3
    for index, (samples, rate) in enumerate(heard):
        partner = index ^ 1
        levels = {tone: tone_db(samples, rate, tone) for tone in tones}
        strangers = [levels[tones[i]] for i in range(len(tones)) if i // 2 != index // 2]
        assert levels[tones[partner]] - max(strangers) >= 30, (index, "peers late by %.3f s" % late, levels)
        assert levels[tones[partner]] - levels[tones[index]] >= 30, (index, levels)
    # phones only: the rooms mix at G.711's 8 kHz, not at their 48 kHz sampling_rate
    assert mixing_rates(stats) == {"parallel-%d" % i: 8000 for i in range(6)}, mixing_rates(stats)
    assert all(r["sampling_rate"] == 48000 for r in stats["list"] if str(r["room"]).startswith("parallel-"))
    # with the browser in room 0: 48 kHz there only, and the browser and the phones hear each other
    rates = mixing_rates(stats_with_browser)
    assert rates.pop("parallel-0") == 48000 and set(rates.values()) == {8000}, rates
    samples, rate = with_browser["Bea"]
    bea = {tone: tone_db(samples, rate, tone) for tone in (tones[0], tones[1], tones[2], browser_tone)}
    assert min(bea[tones[0]], bea[tones[1]]) - max(bea[tones[2]], bea[browser_tone]) >= 30, bea
    samples, rate = with_browser["phone0"]
    phone = {tone: tone_db(samples, rate, tone) for tone in (tones[0], tones[1], tones[2], browser_tone)}
    assert min(phone[tones[1]], phone[browser_tone]) - max(phone[tones[0]], phone[tones[2]]) >= 30, phone
    # the browser gone: back to 8 kHz, and phone 0 still hears phone 1
    assert mixing_rates(stats_after)["parallel-0"] == 8000
    samples, rate = after
    assert tone_db(samples, rate, tones[1]) - tone_db(samples, rate, tones[0]) >= 30
    assert janus.alive()
