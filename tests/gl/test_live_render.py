"""What the live show adds to the tapestry: interpolation between ticks and the fade."""

from __future__ import annotations

import numpy as np

from installation.inputs import EMPTY_FRAME, InputFrame, Push
from installation.render.tapestry import Tapestry
from installation.simulation import create_world, step
from installation.simulation.fields import sentiment_field


def sentiment_texture(tap: Tapestry, shape: tuple[int, ...]) -> np.ndarray:
    return tap.texture_data("u_sentiment").reshape(shape)


def test_interpolation_blends_the_last_two_ticks(ctx, small_world, model):
    state = create_world(small_world, model)
    tap = Tapestry(ctx, (160, 90))
    try:
        tap.upload(state)
        before = sentiment_field(state)
        push = InputFrame(tick=0, events=(Push(0, 1.0),))  # hope
        for _ in range(10):
            step(state, push, 0.1)
        after = sentiment_field(state)
        assert np.abs(after - before).max() > 0.01
        tap.upload(state)
        np.testing.assert_array_equal(sentiment_texture(tap, after.shape), after)
        tap.interpolate(0.0)
        np.testing.assert_allclose(sentiment_texture(tap, after.shape), before, atol=1e-6)
        tap.interpolate(0.5)
        np.testing.assert_allclose(
            sentiment_texture(tap, after.shape), (before + after) / 2, atol=1e-6
        )
        t0, t1 = 0.0, state.time
        assert abs(float(tap.uniform("u_time")) - (t0 + t1) / 2) < 1e-9
        tap.interpolate(1.0)
        np.testing.assert_array_equal(sentiment_texture(tap, after.shape), after)
    finally:
        tap.release()


def test_fade_darkens_the_picture_and_zero_is_black(ctx, small_world, model):
    state = create_world(small_world, model)
    step(state, EMPTY_FRAME, 1 / 30)
    means = []
    for fade in (1.0, 0.2, 0.0):
        tap = Tapestry(ctx, (160, 90))
        try:
            tap.fade = fade
            tap.upload(state)
            tap.draw()
            img = tap.read().astype(np.float64)
            # The Neural Cloud is drawn over the composite; measure the cloth between knots.
            means.append(np.median(img))
        finally:
            tap.release()
    assert means[0] > 40 and means[1] < means[0] * 0.35 and means[2] < 2


def test_a_rescale_draws_the_frame_a_tapestry_of_that_size_would(ctx, small_world, model):
    # The adaptive render scale changes the size between two frames: only the targets are
    # made anew; what was uploaded, the interpolation and the clocks carry on, so the frame
    # is exactly the one a tapestry made at that size draws (no jump beyond the resolution).
    state = create_world(small_world, model)
    big, small = Tapestry(ctx, (320, 180)), Tapestry(ctx, (224, 126))
    try:
        push = InputFrame(tick=0, events=(Push(0, 1.0),))
        for tap in (big, small):
            tap.upload(state)
        for _ in range(5):
            step(state, push, 0.1)
        for tap in (big, small):
            tap.audio_time = 2.5
            tap.upload(state)
            tap.interpolate(0.4)
        sentiment = big._tex["u_sentiment"]
        big.rescale((224, 126))
        assert big.size == (224, 126) and big._tex["u_sentiment"] is sentiment
        assert big.uniform("u_resolution") == (224.0, 126.0)
        big.draw()
        small.draw()
        np.testing.assert_array_equal(big.read(), small.read())
        big.rescale((320, 180))
        big.draw()
        assert big.read().shape == (180, 320, 3)
    finally:
        big.release()
        small.release()
