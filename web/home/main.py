"""Landing page glue: prove pydl works in this browser (and warm the cache the demos load from)."""

from pydl_page import element, run_page


async def main():
    import numpy as np
    import pydl

    x = pydl.tensor(3.0, requires_grad=True)
    (x * x).backward()
    element("home-check").textContent = (
        f"pydl {pydl.__version__} with NumPy {np.__version__} runs in this browser: "
        f"d(x²)/dx at x = 3 is {float(np.asarray(x.grad)):g}."
    )


await run_page(main)  # noqa: F704  (PyScript runs this file with top-level await)
