"""Ground truth for the bundled demo models: closed forms, parameter boxes and synthetic digits.

Used by ``build_demos.py``; numpy and Pillow only (no TensorFlow), so it imports fast.
"""

from __future__ import annotations

import numpy as np

# --------------------------------------------------------------------------------------------
# Borehole function (Harper & Gupta 1983; Surjanovic & Bingham, Virtual Library of Simulation
# Experiments): water flow through a borehole between two aquifers, in m^3/yr.
# --------------------------------------------------------------------------------------------

#: name -> (low, high, description); the standard input box of the benchmark.
BOREHOLE_INPUTS: dict[str, tuple[float, float, str]] = {
    "rw": (0.05, 0.15, "radius of borehole [m]"),
    "r": (100.0, 50000.0, "radius of influence [m]"),
    "Tu": (63070.0, 115600.0, "transmissivity of upper aquifer [m^2/yr]"),
    "Hu": (990.0, 1110.0, "potentiometric head of upper aquifer [m]"),
    "Tl": (63.1, 116.0, "transmissivity of lower aquifer [m^2/yr]"),
    "Hl": (700.0, 820.0, "potentiometric head of lower aquifer [m]"),
    "L": (1120.0, 1680.0, "length of borehole [m]"),
    "Kw": (9855.0, 12045.0, "hydraulic conductivity of borehole [m/yr]"),
}

#: The nominal point: the centre of the box.
BOREHOLE_NOMINAL = [round((lo + hi) / 2, 6) for lo, hi, _ in BOREHOLE_INPUTS.values()]


def borehole(x: np.ndarray) -> np.ndarray:
    """Water flow [m^3/yr] for rows ``x = (rw, r, Tu, Hu, Tl, Hl, L, Kw)``; shape (N, 8) -> (N,)."""
    rw, r, tu, hu, tl, hl, length, kw = np.asarray(x, dtype=np.float64).T
    log_ratio = np.log(r / rw)
    denominator = log_ratio * (1.0 + 2.0 * length * tu / (log_ratio * rw**2 * kw) + tu / tl)
    return 2.0 * np.pi * tu * (hu - hl) / denominator


def sample_box(box: list[tuple[float, float]], n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` points drawn uniformly from the box ``[(low, high), ...]``; shape (n, len(box))."""
    low, high = np.array(box, dtype=np.float64).T
    return low + (high - low) * rng.random((n, len(box)))


# --------------------------------------------------------------------------------------------
# Damped harmonic oscillator m x'' + c x' + k x = 0, x(0) = x0, x'(0) = v0. The box keeps it
# underdamped (damping ratio <= 0.23), so the closed form below always applies.
# --------------------------------------------------------------------------------------------

#: name -> (low, high, nominal)
OSCILLATOR_INPUTS: dict[str, tuple[float, float, float]] = {
    "mass [kg]": (0.75, 1.5, 1.0),
    "stiffness [N/m]": (2.5, 6.0, 4.0),
    "damping [N s/m]": (0.1, 0.8, 0.4),
    "x0 [m]": (-1.0, 1.0, 1.0),
    "v0 [m/s]": (-2.0, 2.0, 0.0),
}

#: The sampled times [s]: 0.0, 0.2, ..., 3.8.
OSCILLATOR_TIMES = np.round(np.arange(20) * 0.2, 6)


def oscillator(params: np.ndarray, times: np.ndarray = OSCILLATOR_TIMES) -> np.ndarray:
    """Displacement x(t) for rows ``(m, k, c, x0, v0)``; shape (N, 5) -> (N, len(times))."""
    m, k, c, x0, v0 = (col[:, None] for col in np.asarray(params, dtype=np.float64).T)
    gamma = c / (2.0 * m)
    omega_d = np.sqrt(k / m - gamma**2)
    t = np.asarray(times, dtype=np.float64)[None, :]
    return np.exp(-gamma * t) * (
        x0 * np.cos(omega_d * t) + (v0 + gamma * x0) / omega_d * np.sin(omega_d * t)
    )


# --------------------------------------------------------------------------------------------
# Synthetic "digits": the glyphs 0-9 of Pillow's bundled font, randomly sized, shifted,
# rotated and noised, white on black in [0, 1] like MNIST. No download needed.
# --------------------------------------------------------------------------------------------


def synthetic_digits(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``n`` random 28x28 digit images and labels; shapes (n, 28, 28, 1) float32 and (n,) int."""
    from PIL import Image, ImageDraw, ImageFont

    fonts = {size: ImageFont.load_default(size=size) for size in range(22, 33)}
    images = np.empty((n, 28, 28, 1), dtype=np.float32)
    labels = rng.integers(0, 10, size=n)
    for i, label in enumerate(labels):
        canvas = Image.new("L", (40, 40), 0)
        font = fonts[int(rng.integers(22, 33))]
        stroke = int(rng.integers(0, 2))  # regular or bold strokes
        draw = ImageDraw.Draw(canvas)
        draw.text((20, 20), str(label), fill=255, font=font, anchor="mm",
                  stroke_width=stroke, stroke_fill=255)
        canvas = canvas.rotate(float(rng.uniform(-15, 15)), resample=Image.BILINEAR)
        dx, dy = rng.integers(-3, 4, size=2)
        crop = canvas.crop((6 + dx, 6 + dy, 34 + dx, 34 + dy))
        pixels = np.asarray(crop, dtype=np.float32) / 255.0
        pixels += rng.normal(0.0, 0.08, size=pixels.shape).astype(np.float32)
        images[i, :, :, 0] = np.clip(pixels, 0.0, 1.0)
    return images, labels
