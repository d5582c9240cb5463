"""Landing page glue: started after the page is shown (page.js data-start="after-paint"), it warms the browser's
cache with the runtime every page loads, and proves pydl runs here with one derivative."""

from pydl_page import element, run_page


async def main():
    import numpy as np
    import pydl

    x = pydl.tensor(3.0, requires_grad=True)
    (x * x).backward()
    element("home-check").textContent = (
        f"Python is ready in this browser: pydl {pydl.__version__} with NumPy {np.__version__} "
        f"computed d(x²)/dx at x = 3 is {float(np.asarray(x.grad)):g}. Each page above now starts from the cache."
    )


await run_page(main)  # noqa: F704  (PyScript runs this file with top-level await)
