"""Landing page glue: started after the page is shown (page.js data-start="after-paint"), it warms the browser's
cache with the runtime every page loads, and proves pydl runs here with one derivative."""

from pydl_page import ON_PAGE_THREAD, element, run_page


async def main():
    import numpy as np
    import pydl

    x = pydl.tensor(3.0, requires_grad=True)
    (x * x).backward()
    # Opened from disk there is no cache to warm: every page reads its copy of the runtime from the folder.
    then = ("every page reads it from this folder." if ON_PAGE_THREAD
            else "each page above now starts from your browser's cache.")
    element("home-check").textContent = (
        f"Python is ready: pydl {pydl.__version__} with NumPy {np.__version__} runs in this browser "
        f"(d(x²)/dx at x = 3 is {float(np.asarray(x.grad)):g}), and {then}"
    )


await run_page(main)  # noqa: F704  (PyScript runs this file with top-level await)
