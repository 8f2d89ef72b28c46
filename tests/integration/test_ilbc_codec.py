"""Our iLBC codec (sylkcore/audio/ilbc_*, written from RFC 3951) against a real independent
implementation: ffmpeg's libavcodec decoder (through PyAV) must accept every frame our encoder
writes and hear what went in (FFT of a 1 kHz tone, waveform SNR of a speech-like signal), in both
modes; our decoder must agree with ffmpeg's on the same frames; lost and damaged frames are
concealed (the RFC's PLC), not played as noise or silence. ilbc_tool is the codec as a command."""
import os
import subprocess
import tempfile

import av
import numpy as np
import pytest

from conftest import BUILD

TOOL = os.path.join(BUILD, "tests", "integration", "ilbc_tool")
RATE = 8000
FRAME = {20: 160, 30: 240}
BYTES = {20: 38, 30: 50}


@pytest.fixture(scope="module")
def workdir():
    if not os.path.exists(TOOL):
        pytest.fail("%s is not built (./sylk build builds it)" % TOOL)
    with tempfile.TemporaryDirectory(prefix="sylk-ilbc-") as path:
        yield path


def tone(seconds=3.0, frequency=1000.0, amplitude=8000):
    t = np.arange(int(RATE * seconds)) / RATE
    return (amplitude * np.sin(2 * np.pi * frequency * t)).astype("<i2")


def speech_like(seconds=3.0):
    """Voiced-ish: a 150 Hz-modulated formant at 700 Hz, a 1200 Hz component, noise, a 3 Hz
    syllable envelope going nearly silent between syllables."""
    rng = np.random.default_rng(7)
    t = np.arange(int(RATE * seconds)) / RATE
    envelope = 0.5 + 0.5 * np.sin(2 * np.pi * 3 * t)
    signal = envelope * (5000 * np.sin(2 * np.pi * 150 * t) * np.sin(2 * np.pi * 700 * t)
                         + 3000 * np.sin(2 * np.pi * 1200 * t) + rng.uniform(-1000, 1000, t.size))
    return signal.astype("<i2")


def encode(workdir, pcm, milliseconds, name):
    raw = os.path.join(workdir, name + ".s16")
    lbc = os.path.join(workdir, name + ".lbc")
    pcm.tofile(raw)
    subprocess.run([TOOL, "encode", str(milliseconds), raw, lbc], check=True, timeout=30)
    return lbc


def decode_ours(workdir, lbc, lost=()):
    out = os.path.join(workdir, os.path.basename(lbc) + ".ours.s16")
    subprocess.run([TOOL, "decode", lbc, out] + [str(n) for n in lost], check=True, timeout=30)
    return np.fromfile(out, "<i2").astype(np.float64)


def decode_ffmpeg(lbc):
    container = av.open(lbc, format="ilbc")
    try:
        frames = [frame.to_ndarray().reshape(-1) for frame in container.decode(audio=0)]
    finally:
        container.close()
    return np.concatenate(frames).astype(np.float64)


def tone_report(signal, frequency=1000.0):
    """(peak frequency, dB of the tone's band over everything else, RMS)."""
    windowed = signal * np.hanning(signal.size)
    power = np.abs(np.fft.rfft(windowed)) ** 2
    freqs = np.fft.rfftfreq(signal.size, 1 / RATE)
    band = np.abs(freqs - frequency) < 30
    return (freqs[np.argmax(power)], 10 * np.log10(power[band].sum() / max(power[~band].sum(), 1e-9)),
            np.sqrt(np.mean(signal ** 2)))


def snr(reference, test):
    return 10 * np.log10(np.sum(reference ** 2) / max(np.sum((reference - test) ** 2), 1e-9))


@pytest.mark.parametrize("milliseconds", [20, 30])
def test_ffmpeg_hears_the_tone_we_encode(workdir, milliseconds):
    pcm = tone()
    lbc = encode(workdir, pcm, milliseconds, "tone%d" % milliseconds)
    assert os.path.getsize(lbc) == 9 + BYTES[milliseconds] * (pcm.size // FRAME[milliseconds])
    decoded = decode_ffmpeg(lbc)
    assert decoded.size == pcm.size
    peak, tone_db, rms = tone_report(decoded[RATE // 2:])
    assert abs(peak - 1000) < 5
    assert tone_db > 20, tone_db
    assert abs(20 * np.log10(rms / (8000 / np.sqrt(2)))) < 1.5, rms  # level kept within 1.5 dB


@pytest.mark.parametrize("milliseconds", [20, 30])
def test_speech_like_signal_survives_and_our_decoder_agrees_with_ffmpeg(workdir, milliseconds):
    pcm = speech_like()
    lbc = encode(workdir, pcm, milliseconds, "speech%d" % milliseconds)
    theirs = decode_ffmpeg(lbc)
    ours = decode_ours(workdir, lbc)
    original = pcm.astype(np.float64)
    skip = RATE // 4  # decoders' start-up
    # waveform SNR of a 13-15 kbit/s coder on a noisy signal: about 9 dB here
    assert snr(original[skip:], theirs[skip:original.size]) > 6
    assert snr(original[skip:], ours[skip:original.size]) > 6
    # same frames, two decoders (ffmpeg's runs the RFC's enhancer, ours does not)
    assert snr(theirs[skip:], ours[skip:theirs.size]) > 25
    tone_lbc = encode(workdir, tone(), milliseconds, "agree%d" % milliseconds)
    assert snr(decode_ffmpeg(tone_lbc)[skip:], decode_ours(workdir, tone_lbc)[skip:]) > 25


@pytest.mark.parametrize("milliseconds", [20, 30])
def test_lost_and_damaged_frames_are_concealed(workdir, milliseconds):
    frame = FRAME[milliseconds]
    lbc = encode(workdir, tone(), milliseconds, "loss%d" % milliseconds)
    lost = [20, 21, 40]
    decoded = decode_ours(workdir, lbc, lost)
    concealed = decoded[20 * frame:22 * frame]
    peak, tone_db, rms = tone_report(np.tile(concealed, 4))
    assert abs(peak - 1000) < 10 and tone_db > 10, (peak, tone_db)
    assert rms > 0.4 * 8000 / np.sqrt(2), rms
    # a frame whose empty-frame bit is set and one with an impossible start sub-block decode as
    # concealment too, and the frames after them decode normally again
    data = bytearray(open(lbc, "rb").read())
    data[9 + 10 * BYTES[milliseconds] + BYTES[milliseconds] - 1] |= 1
    # start sub-block 0 (RFC 3951 3.6: its bits follow the 20 or 40 LSF bits) does not exist
    at = 9 + 30 * BYTES[milliseconds]
    if milliseconds == 20:
        data[at + 2] &= ~0x0C & 0xFF
    else:
        data[at + 5] &= ~0xE0 & 0xFF
    damaged = os.path.join(workdir, "damaged%d.lbc" % milliseconds)
    with open(damaged, "wb") as out:
        out.write(bytes(data))
    clean = decode_ours(workdir, lbc)
    hurt = decode_ours(workdir, damaged)
    for number in (10, 30):
        assert not np.array_equal(clean[number * frame:(number + 1) * frame], hurt[number * frame:(number + 1) * frame])
        assert tone_report(np.tile(hurt[number * frame:(number + 1) * frame], 8))[2] > 0.4 * 8000 / np.sqrt(2)
    assert snr(clean[60 * frame:], hurt[60 * frame:]) > 20  # recovered well before frame 60
