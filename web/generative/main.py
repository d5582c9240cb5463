"""The generative page's glue: the GAN cards (gan_view.py) and the VAE cards (vae_view.py) set themselves up.

Every number shown comes from pydl.lessons.generative (tested natively); these files only read controls, call it,
and write HTML.
"""

import gan_view
import vae_view
from pydl_page import run_page


async def main():
    await gan_view.setup()
    await vae_view.setup()


await run_page(main)
