"""Cutting a render into chunks: the plan, the chunk length, the kept parts' bookkeeping."""

from __future__ import annotations

import dataclasses

import pytest
from canopy_helpers import record_journal

from installation.app.chunks import Settings, chunk_length, fold, plan
from installation.app.distributed import DistributedError, Parts, _reachable
from installation.outputs.png import OutputError
from installation.render.tapestry import Look


def test_the_plan_covers_every_frame_once_in_order():
    for count, size in ((1, 1), (45, 15), (46, 15), (100, 7), (5, 60)):
        chunks = plan(count, size)
        frames = [f for first, n in chunks for f in range(first, first + n)]
        assert frames == list(range(count))
        assert all(0 < n <= size for _, n in chunks)
    with pytest.raises(ValueError):
        plan(0, 10)


def test_chunk_length_is_about_four_a_worker_within_2_and_60_seconds():
    assert chunk_length(18000, 30.0, 8) == 563  # 18,000 / 32
    assert chunk_length(18000, 30.0, 1) == 1800  # capped at 60 s
    assert chunk_length(600, 30.0, 64) == 60  # at least 2 s
    assert chunk_length(20, 30.0, 4) == 20  # never longer than the film
    assert chunk_length(600, 30.0, 4, seconds=0.5) == 15


def test_fold_is_the_single_process_hash_of_the_frames_digests():
    import hashlib

    frames = [hashlib.sha256(bytes([i])).digest() for i in range(5)]
    whole = hashlib.sha256(b"".join(frames)).hexdigest()
    assert fold([b"".join(frames[:2]), b"".join(frames[2:])]) == whole


def test_a_damaged_plan_is_ignored_and_remade(tmp_path):
    parts = Parts(
        tmp_path / "f.mp4", Settings.for_output(tmp_path / "f.mp4", (8, 8), 30, Look(), "ultrafast")
    )
    assert parts.remembered_length(100) is None
    parts.remember_length(100, 25)
    assert parts.remembered_length(100) == 25
    assert parts.remembered_length(101) is None  # another film
    for junk in ("{", "[]", '{"frames": 100, "chunk_frames": "x"}', '{"frames": 100}', "\xff"):
        (parts.folder / "plan.json").write_text(junk)
        assert parts.remembered_length(100) is None


def test_outputs_and_addresses_are_checked(tmp_path):
    with pytest.raises(OutputError, match="unknown video type"):
        Settings.for_output(tmp_path / "f.avi", (8, 8), 30, Look(), "ultrafast")
    for bad in ("nohost", "host:", "host:port", ":80"):
        with pytest.raises(DistributedError, match="expected HOST:PORT"):
            _reachable(bad)


def _jobs(story, settings, chunks, **kwargs):
    from installation.app.chunks import simulate

    return list(simulate(story, settings, chunks, **kwargs))


def test_a_stored_job_reads_back_the_same_and_a_damaged_one_is_refused(tmp_path):
    from installation.app.chunks import JobFileError, code_version, load_job, save_job
    from installation.app.replay import journal_sketch

    folder = record_journal(tmp_path / "journal", room_sound=True)
    story, _ = journal_sketch(folder, tmp_path)
    settings = Settings.for_output(tmp_path / "f.mp4", (16, 16), 30.0, Look(), "ultrafast")
    jobs = _jobs(story, settings, plan(60, 20))
    assert any(f.sound is not None for f in jobs[1].tape.frames.values())  # (sounds taped)
    code = code_version()
    for job in jobs:
        assert save_job(job, tmp_path / f"job-{job.index}.npz", "fp")
        back = load_job(tmp_path / f"job-{job.index}.npz", settings, code, "fp")
        assert back.ident == job.ident and back.tape == job.tape
        assert back.meta == job.meta and back.audio_time == job.audio_time
    with pytest.raises(JobFileError, match="another render"):
        load_job(tmp_path / "job-0.npz", settings, code, "another fp")
    damaged = tmp_path / "job-1.npz"
    damaged.write_bytes(damaged.read_bytes()[:-100])
    with pytest.raises(JobFileError):
        load_job(damaged, settings, code, "fp")


def test_inputs_json_would_not_give_back_are_not_stored(tmp_path):
    import numpy as np

    from installation.app.chunks import ChunkJob, Tape, save_job
    from installation.inputs.frame import InputFrame, Touch

    settings = Settings.for_output(tmp_path / "f.mp4", (16, 16), 30.0, Look(), "ultrafast")
    for value in (np.float32(0.3), np.float64(0.5)):
        tape = Tape({3: InputFrame(tick=3, events=(Touch(value, 0.5),))})
        job = ChunkJob(0, 0, 5, settings, {}, {}, 0.0, tape, "x")
        assert not save_job(job, tmp_path / "job.npz", "fp")
        assert not (tmp_path / "job.npz").exists()


def test_simulating_on_from_a_stored_job_gives_the_same_jobs(tmp_path):
    from installation.app.sketch import load_sketch

    story = load_sketch(None)
    settings = Settings.for_output(tmp_path / "f.mp4", (16, 16), 30.0, Look(), "ultrafast")
    chunks = plan(90, 30)
    whole = _jobs(story, settings, chunks)
    later = _jobs(story, settings, chunks, start=whole[1])
    assert [j.ident for j in later] == [j.ident for j in whole[1:]]


def test_the_fingerprint_names_the_piece_seed_cut_and_code(tmp_path):
    from installation.app.chunks import fingerprint
    from installation.app.sketch import load_sketch

    story = load_sketch(None)
    base = fingerprint(story, None, 30.0, plan(90, 30), "code")
    assert base is not None and fingerprint(story, None, 30, plan(90, 30), "code") == base
    assert fingerprint(story, 5, 30.0, plan(90, 30), "code") != base
    assert fingerprint(story, None, 30.0, plan(90, 45), "code") != base
    assert fingerprint(story, None, 30.0, plan(90, 30), "other") != base
    assert fingerprint(dataclasses.replace(story, origin=""), None, 30.0, [], "code") is None
    # (A source whose inputs are not a function of the tick alone never resumes.)
    from installation.inputs.random_input import RandomInputs

    other = dataclasses.replace(story, score=RandomInputs.__new__(RandomInputs))
    assert fingerprint(other, None, 30.0, plan(90, 30), "code") is None
